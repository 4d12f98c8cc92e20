"""売上集計 on the dashboard: the yen authorised, captured and refunded per JST day of the last
30 days, by payment method, as grouped SQL, the charts drawn from it (inline SVG, no script),
and the open work counts. docs/dashboard.md says what each figure counts and why.

Where the figures come from:
- オーソリ: payments authorised that day (``authorized_at``) of methods that authorise (their
  transition table has a 売上確定, so an application for a deferred payment is no authorisation);
- 売上（入金）: payments captured that day (``captured_at``: a 売上確定, or a deferred payment's
  入金 stamped by its status table);
- 返金: the ledger — each succeeded refund attempt on the day it finished (a partial refund is
  its own amount), a 売上取消 of a captured payment, and a refund or 入金取消 PAYGENT reported by
  notice alone (no such attempt: done on PAYGENT's admin site).
The amount authorised or captured is the payment's amount before refunds (what it holds now
plus its partial refunds), so a partial refund shows once, on its own day, as 返金.
"""
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime, timedelta

from sqlalchemy import String, and_, case, exists, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from cart.extensions import db
from cart.models import Order, Payment, PaymentAttempt
from cart.models.base import JST, aware, jst_midnight, utcnow
from payments import methods
from payments.methods import CANCEL, CAPTURE, REFUND

DAYS = 30
KINDS = ("authorized", "captured", "refunded")
KIND_NAMES = {"authorized": "オーソリ", "captured": "売上（入金）", "refunded": "返金"}
KIND_COLOURS = {"authorized": "#4e79a7", "captured": "#2e8540", "refunded": "#c0392b"}
# one colour per method, by its place in the method list (readable on white, told apart)
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#9c755f",
           "#edc948", "#bab0ac")


def now() -> datetime:
    """The dashboard's clock (tests move it)."""
    return utcnow()


class jst_day(FunctionElement):
    """The JST calendar day (``YYYY-MM-DD``) of a UTC timestamp column, in SQL: Japan keeps no
    summer time, so it is the UTC time nine hours on."""
    type = String()
    name = "jst_day"
    inherit_cache = True


@compiles(jst_day)
def _jst_day_sqlite(element, compiler, **kw):
    # SQLite keeps the timestamps as UTC text
    return "date(%s, '+9 hours')" % compiler.process(element.clauses, **kw)


@compiles(jst_day, "postgresql")
def _jst_day_postgresql(element, compiler, **kw):
    return ("to_char((%s) AT TIME ZONE 'UTC' + interval '9 hours', 'YYYY-MM-DD')"
            % compiler.process(element.clauses, **kw))


def _authorising() -> list[str]:
    """Codes of the methods whose payments are authorisations (a 売上確定 follows them)."""
    return [m.code for m in methods.all_methods() if CAPTURE in m.actions]


def method_name(code: str) -> str:
    found = methods.find(code)
    return found.name if found is not None else code


def _colour_of(code: str) -> str:
    codes = [m.code for m in methods.all_methods()]
    index = codes.index(code) if code in codes else len(codes)
    return PALETTE[index % len(PALETTE)]


@dataclass
class Sales:
    """The figures of ``days`` (oldest first): ``cells[(day, method, kind)]`` yen."""
    days: list[date]
    today: date
    cells: dict = field(default_factory=dict)
    _sums: dict = field(default_factory=dict, repr=False)

    @cached_property
    def method_codes(self) -> list[str]:
        """Methods with any figure, in the method list's order (read once all are added)."""
        seen = {m for (_, m, _) in self.cells}
        order = [m.code for m in methods.all_methods()]
        return sorted(seen, key=lambda c: (order.index(c) if c in order else len(order), c))

    def add(self, day: date, method: str, kind: str, amount: int) -> None:
        for key in ((day, method, kind), (day, None, kind), (None, method, kind),
                    (None, None, kind)):
            self._sums[key] = self._sums.get(key, 0) + amount
        self.cells[(day, method, kind)] = self.cells.get((day, method, kind), 0) + amount

    def amount(self, kind: str, day: date | None = None, method: str | None = None) -> int:
        """The yen of ``kind`` on ``day`` by ``method`` (None: every day, every method)."""
        return self._sums.get((day, method, kind), 0)

    def total(self, kind: str) -> int:
        return self.amount(kind)

    def today_total(self, kind: str) -> int:
        return self.amount(kind, self.today)

    @property
    def empty(self) -> bool:
        return not any(self.cells.values())


def _partial_refunds():
    """What a payment gave back through partial refunds (its amount is lower by that)."""
    return select(func.coalesce(func.sum(PaymentAttempt.amount), 0)).where(
        PaymentAttempt.payment_id == Payment.id, PaymentAttempt.action == REFUND,
        PaymentAttempt.outcome == "succeeded", PaymentAttempt.amount.is_not(None)
    ).correlate(Payment).scalar_subquery()


def sales(shop_id: int, at: datetime | None = None, days: int = DAYS) -> Sales:
    """The shop's figures for the ``days`` JST days up to the day of ``at`` (now)."""
    today = aware(at or now()).astimezone(JST).date()
    span = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    start, end = jst_midnight(span[0]), jst_midnight(today + timedelta(days=1))
    result = Sales(days=span, today=today)
    gross = Payment.amount + _partial_refunds()

    def add(kind, rows):
        for day, method, amount in rows:
            if amount:
                result.add(date.fromisoformat(str(day)[:10]), method, kind, int(amount))

    def by_day(column, value, *where):
        day = jst_day(column)
        return db.session.execute(
            select(day, Payment.method, func.sum(value))
            .where(Payment.shop_id == shop_id, column >= start, column < end, *where)
            .group_by(day, Payment.method)).all()

    add("authorized", by_day(Payment.authorized_at, gross, Payment.method.in_(_authorising())))
    add("captured", by_day(Payment.captured_at, gross))

    # the ledger: refunds, and 売上取消 of a captured payment
    attempt = PaymentAttempt
    undoes_capture = or_(attempt.action == REFUND, and_(
        attempt.action == CANCEL, Payment.captured_at.is_not(None),
        Payment.captured_at <= attempt.finished_at))
    day = jst_day(attempt.finished_at)
    add("refunded", db.session.execute(
        select(day, Payment.method,
               func.sum(case((attempt.action == REFUND,
                              func.coalesce(attempt.amount, Payment.amount)),
                             else_=Payment.amount)))
        .join(Payment, Payment.id == attempt.payment_id)
        .where(attempt.shop_id == shop_id, attempt.outcome == "succeeded",
               attempt.finished_at >= start, attempt.finished_at < end, undoes_capture)
        .group_by(day, Payment.method)).all())

    # what PAYGENT reported alone: a refund (refunded_at) or a 入金 taken back (cancelled
    # after capture) with no attempt of ours behind it
    ours = exists().where(attempt.payment_id == Payment.id, attempt.outcome == "succeeded",
                          attempt.action.in_((REFUND, CANCEL)))
    undone_at = func.coalesce(Payment.refunded_at, Payment.cancelled_at)
    add("refunded", by_day(undone_at, Payment.amount, Payment.captured_at.is_not(None),
                           Payment.captured_at <= undone_at, ~ours))
    return result


# -- open work -------------------------------------------------------------------------
@dataclass(frozen=True)
class Work:
    label: str
    count: int
    href: str | None
    hint: str


def open_work(shop_id: int, review_count: int, unmatched: int) -> list[Work]:
    """未処理 / 要確認 / 照合できない差分通知 / 入金待ち, each with the list that shows them.
    要確認 and 照合できない差分通知 are the counts the dashboard has already read."""
    from flask import url_for

    from cart.admin.bulk.services import unprocessed

    # 未処理一覧's own query (it names the payment's shop too, so the database starts from the
    # shop's payments)
    waiting_capture = db.session.scalar(select(func.count()).select_from(
        unprocessed(shop_id, CAPTURE).order_by(None)
        .subquery()))
    awaiting = db.session.scalar(select(func.count()).select_from(Order).where(
        Order.shop_id == shop_id, Order.status == "awaiting_payment"))
    return [
        Work("未処理", waiting_capture, url_for("bulk.index"), "売上確定を待つ受注"),
        Work("要確認", review_count, "#review-orders" if review_count else None,
             "変更履歴で理由を確認する受注"),
        Work("照合できない差分通知", unmatched,
             url_for("notice_log.index", tab="unmatched"), "再照合を待つ差分通知"),
        Work("入金待ち", awaiting, url_for("orders.index", status="awaiting_payment"),
             "コンビニ・ATM・銀行ネットの入金を待つ受注"),
    ]


# -- the charts ------------------------------------------------------------------------
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 62, 26, 14, 34


def short_yen(value: int) -> str:
    """An axis label: 0, 5,000, 1万, 2.5万, 10万, 1億."""
    if value >= 100_000_000:
        whole, rest = divmod(value, 100_000_000)
        return f"{whole:,}億" if not rest else f"{whole}.{rest // 10_000_000}億"
    if value >= 10_000:
        whole, rest = divmod(value, 10_000)
        return f"{whole:,}万" if not rest else f"{whole}.{rest // 1000}万"
    return f"{value:,}"


def nice_ticks(top: int) -> list[int]:
    """Axis values from 0 past ``top`` in steps of 1, 2 or 5 × 10ⁿ yen, 4 or 5 steps."""
    if top <= 0:
        return [0, 2500, 5000, 7500, 10000]
    step = 1
    while True:
        for m in (1, 2, 5):
            if top <= step * m * 5:
                unit = step * m
                count = -(-top // unit)
                return [unit * n for n in range(max(count, 1) + 1)]
        step *= 10


@dataclass
class Chart:
    width: int
    height: int
    ticks: list      # (y, label)
    labels: list     # (x, label) of dates
    bars: list = field(default_factory=list)    # (x, y, w, h, colour, title)
    lines: list = field(default_factory=list)   # (colour, points, name, dash)
    dots: list = field(default_factory=list)    # (x, y, colour, title)
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def _frame(days: list[date], peak: int):
    ticks = nice_ticks(peak)
    top_value = ticks[-1]
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - RIGHT - LEFT) / len(days)

    def y(value: int) -> float:
        return round(HEIGHT - BOTTOM - plot_h * value / top_value, 1)

    axis = [(y(v), short_yen(v)) for v in ticks]
    # a date every 5 days, counted back from today so today is labelled
    labels = [(round(LEFT + slot * (i + 0.5), 1), f"{d.month}/{d.day}")
              for i, d in enumerate(days) if (len(days) - 1 - i) % 5 == 0]
    return y, slot, axis, labels


def date_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def captured_chart(data: Sales) -> Chart:
    """Stacked bars: each day's 売上（入金）, a segment per method."""
    peak = max((data.amount("captured", d) for d in data.days), default=0)
    y, slot, axis, labels = _frame(data.days, peak)
    chart = Chart(WIDTH, HEIGHT, axis, labels)
    width = round(slot * 0.7, 1)
    for i, day in enumerate(data.days):
        x = round(LEFT + slot * i + (slot - width) / 2, 1)
        stacked = 0
        for code in data.method_codes:
            value = data.cells.get((day, code, "captured"), 0)
            if not value:
                continue
            top, bottom = y(stacked + value), y(stacked)
            chart.bars.append((x, top, width, round(bottom - top, 1) or 0.5, _colour_of(code),
                               f"{date_text(day)} {method_name(code)} {value:,}円"))
            stacked += value
    return chart


def flow_chart(data: Sales) -> Chart:
    """Lines: each day's オーソリ, 売上（入金） and 返金, a dot per day with its figure."""
    peak = max((data.amount(k, d) for k in KINDS for d in data.days), default=0)
    y, slot, axis, labels = _frame(data.days, peak)
    chart = Chart(WIDTH, HEIGHT, axis, labels)
    # オーソリ is drawn last and dashed: it often runs on the 売上 line (同時売上, quick captures)
    for kind in ("captured", "refunded", "authorized"):
        points = []
        for i, day in enumerate(data.days):
            value = data.amount(kind, day)
            x = round(LEFT + slot * (i + 0.5), 1)
            points.append(f"{x},{y(value)}")
            if value:
                chart.dots.append((x, y(value), KIND_COLOURS[kind],
                                   f"{date_text(day)} {KIND_NAMES[kind]} {value:,}円"))
        chart.lines.append((KIND_COLOURS[kind], " ".join(points), KIND_NAMES[kind],
                            "6 4" if kind == "authorized" else ""))
    return chart


@dataclass
class Dashboard:
    sales: Sales
    captured: Chart
    flow: Chart
    work: list
    legend: list     # (name, colour) per method with figures
    kinds: list      # (kind, name, colour)


def dashboard(shop_id: int, review_count: int, unmatched: int) -> Dashboard:
    data = sales(shop_id)
    return Dashboard(
        sales=data, captured=captured_chart(data), flow=flow_chart(data),
        work=open_work(shop_id, review_count, unmatched),
        legend=[(method_name(c), _colour_of(c)) for c in data.method_codes],
        kinds=[(k, KIND_NAMES[k], KIND_COLOURS[k]) for k in KINDS])
