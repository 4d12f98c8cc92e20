"""Until when a payment can still be operated: each method's windows (オーソリ有効期限, 返金期限)
and the buyer's 支払期限 of a method paid after ordering, with the days left, at a given time.

Everything is read from the method modules: a window is a transition's ``window`` on the
payment's current status (or the status it leaves the payment at once it has closed); a
支払期限 is the deadline a method with a ``deadline_rule`` gave the buyer. Nothing here knows a
method by its code. The pages render what ``of_payment`` / ``notes_for`` return; the expiry
watch (``cart.expiry_watch``) and the 未処理一覧's filter use ``expiring_condition``.
docs/deadlines.md has the rules.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, func, or_, select

from cart import operations
from cart.extensions import db
from cart.methods import registry
from cart.models import DeferredPayment, Order, Payment
from cart.models.base import JST, aware, jst_midnight
from payments import methods
from payments.methods.base import ALL_ACTIONS, CANCEL, CAPTURE, PaymentState, action_name

WEEKDAYS = "月火水木金土日"
#: a deadline this close (days left, JST calendar days) is shown in the warning colour and
#: watched on the dashboard and in the mail
WARN_DAYS = 7
MAX_WATCHED = 2000   # rows the watch reads to find the nearest (the count covers them all)
AUTHORIZATION = "authorized_at"   # a window counted from the authorisation: its validity
DUE = "due"


def date_text(moment: datetime) -> str:
    """2026年12月31日(木), in JST."""
    local = aware(moment).astimezone(JST)
    return f"{local.year}年{local.month}月{local.day}日({WEEKDAYS[local.weekday()]})"


def short_date_text(moment: datetime) -> str:
    """2026年12月31日, in JST (the expired wording)."""
    local = aware(moment).astimezone(JST)
    return f"{local.year}年{local.month}月{local.day}日"


def days_between(until: datetime, now: datetime) -> int:
    """Days left as staff count them: JST calendar days, 0 on the last day, negative (at most
    -1) once the moment has passed."""
    end, today = aware(until).astimezone(JST), aware(now).astimezone(JST)
    left = (end.date() - today.date()).days
    return min(-1, left) if today > end else left


@dataclass(frozen=True)
class Deadline:
    """One deadline of a payment at a given time."""
    kind: str                 # the window's ``since`` ("authorized_at", "captured_at") or "due"
    label: str                # オーソリ有効期限 / 返金期限 / 支払期限
    until: datetime           # aware
    days_left: int
    passed: bool
    actions: tuple = ()       # the operations the window holds (none for a 支払期限)
    span: str = ""            # オーソリから90日
    # PAYGENT itself moved the payment to the window's closed status (オーソリ期限切)
    closed_by_paygent: bool = False
    closes_order: bool = False   # the payment is at a status that closed the order

    @property
    def authorization(self) -> bool:
        return self.kind == AUTHORIZATION

    @property
    def short_label(self) -> str:
        """オーソリ期限 / 返金期限 / 支払期限 (the lists' note)."""
        return "オーソリ期限" if self.authorization else self.label

    @property
    def phrase(self) -> str:
        """How a sentence names it: オーソリの有効期限, 返金期限."""
        return "オーソリの有効期限" if self.authorization else self.label

    @property
    def names(self) -> str:
        return "・".join(action_name(a) for a in self.actions)

    @property
    def warning(self) -> bool:
        return not self.passed and self.days_left <= WARN_DAYS

    @property
    def left_text(self) -> str:
        """残り12日 / 本日まで / 期限切れ."""
        if self.passed:
            return "期限切れ"
        return "本日まで" if self.days_left == 0 else f"残り{self.days_left}日"

    @property
    def text(self) -> str:
        """オーソリ有効期限 2026年12月31日(木) 10:00 まで（残り12日）."""
        local = aware(self.until).astimezone(JST)
        when = f"{date_text(self.until)} {local.hour:02d}:{local.minute:02d}"
        if self.passed:
            return f"{self.label} {when}（期限切れ）"
        return f"{self.label} {when} まで（{self.left_text}）"

    @property
    def short(self) -> str:
        """オーソリ期限 残り3日 (受注一覧, 未処理一覧)."""
        return f"{self.short_label} {self.left_text}"

    def expired_text(self, allowed=frozenset()) -> str:
        """What happened and what is still possible once the deadline has passed ("" before):
        the method's window names the operations it closed; ``allowed`` are those the rules
        still let run."""
        if not self.passed:
            return ""
        day = short_date_text(self.until)
        if self.kind == DUE:
            if self.closes_order:
                return ""
            return (f"{self.phrase}（{day}）を過ぎました。ペイジェントからの通知がない場合は、"
                    "定期処理で決済情報を照会して反映します。")
        if not self.authorization:
            return f"{self.phrase}（{day}）を過ぎたため、この画面から{self.names}できません。"
        closed = [a for a in self.actions if a != CANCEL] or list(self.actions)
        text = (f"{self.phrase}（{day}）を過ぎたため、"
                f"{'・'.join(action_name(a) for a in closed)}はできません。")
        still = [action_name(a) for a in methods.ACTIONS if a in allowed]
        if still:
            return text + f"この画面からは{'・'.join(still)}を行えます。"
        if CANCEL in self.actions and not self.closed_by_paygent:
            return text + "ペイジェント管理画面で状態をご確認のうえ、必要であればキャンセルしてください。"
        return text + "ペイジェント管理画面で状態をご確認ください。"


def of_state(lib, state: PaymentState, now: datetime, due: datetime | None = None
             ) -> list[Deadline]:
    """The deadlines of a payment of method ``lib`` in ``state`` at ``now``, nearest first:
    the windows of the transitions from its status (open or closed), those of the status a
    closed window leaves it at, and the buyer's 支払期限 ``due`` while it is unpaid."""
    now = aware(now)
    found: dict = {}
    for t in lib.transitions:
        window = t.window
        if window is None or not t.applies_to(state.variant):
            continue
        if state.status not in (t.source, window.lapsed_status):
            continue
        found.setdefault(window, []).append(t.action)
    status = lib.status(state.status) if state.status else None
    closes = bool(status is not None and status.closes_order)
    result = []
    for window, actions in found.items():
        since = getattr(state, window.since)
        if since is None:
            continue
        until = aware(since) + window.length
        by_paygent = state.status == window.lapsed_status
        passed = by_paygent or now - aware(since) > window.length
        ordered = tuple(a for a in ALL_ACTIONS if a in actions)
        label = ("オーソリ有効期限" if window.since == AUTHORIZATION
                 else "・".join(action_name(a) for a in ordered) + "期限")
        result.append(Deadline(window.since, label, until, days_between(until, now), passed,
                               ordered, window.span, by_paygent, closes))
    if due is not None and not (status is not None and status.paid):
        due = aware(due)
        passed = now > due
        if passed or not closes:
            result.append(Deadline(DUE, "支払期限", due, days_between(due, now), passed,
                                   closes_order=closes))
    return sorted(result, key=lambda d: d.until)


def of_payment(payment, now: datetime | None = None, due: datetime | None = None
               ) -> list[Deadline]:
    """``of_state`` for a stored payment (``operations.now()`` unless told)."""
    if payment is None:
        return []
    return of_state(payment.lib, operations.state_of(payment),
                    operations.now() if now is None else now, due)


def nearest(deadlines: list[Deadline]) -> Deadline | None:
    """What a list's row notes: the nearest open deadline; else one that passed while the
    payment still waits at its status (none once PAYGENT or the order closed it)."""
    open_ = [d for d in deadlines if not d.passed]
    if open_:
        return open_[0]
    lapsed = [d for d in deadlines if not d.closed_by_paygent and not d.closes_order]
    return lapsed[-1] if lapsed else None


# -- 支払期限: what a method paid after ordering gave the buyer --------------------------------
def _has_due(method_code: str) -> bool:
    cart_method = registry.find(method_code)
    return getattr(cart_method, "deadline_rule", None) is not None


def dues_for(shop_id: int, order_ids) -> dict[int, datetime]:
    """Each order's 支払期限 (order id → deadline) of the shop's given orders, one query."""
    ids = list(order_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(DeferredPayment.order_id, DeferredPayment.method,
                                     DeferredPayment.deadline).where(
        DeferredPayment.shop_id == shop_id, DeferredPayment.order_id.in_(ids),
        DeferredPayment.stage == "applied", DeferredPayment.deadline.is_not(None))).all()
    return {order_id: deadline for order_id, method, deadline in rows if _has_due(method)}


def due_of(order) -> datetime | None:
    return dues_for(order.shop_id, [order.id]).get(order.id)


def for_order(order, now: datetime | None = None) -> list[Deadline]:
    """The order's payment's deadlines (受注明細)."""
    payment = order.payment
    if payment is None:
        return []
    return of_payment(payment, now, due_of(order))


def notes_for(shop_id: int, rows, now: datetime | None = None) -> dict[int, Deadline]:
    """受注一覧: each listed order's nearest deadline (order id → Deadline), from what its rows
    carry (``payment_method``, ``payment_status``, ``payment_amount``, ``authorized_at``,
    ``captured_at``, ``payment_variant``, ``payment_refunded``, ``in_flight_attempt_id``), and
    one query for the 支払期限 when a row's method gives one."""
    now = operations.now() if now is None else now
    rows = [row for row in rows if row.payment_method and methods.find(row.payment_method)]
    dues = dues_for(shop_id, [row.id for row in rows if _has_due(row.payment_method)])
    notes = {}
    for row in rows:
        state = PaymentState(
            status=row.payment_status, amount=row.payment_amount,
            authorized_at=aware(row.authorized_at) if row.authorized_at else None,
            captured_at=aware(row.captured_at) if row.captured_at else None,
            in_flight=row.in_flight_attempt_id is not None, refunded=row.payment_refunded,
            variant=row.payment_variant)
        note = nearest(of_state(methods.get(row.payment_method), state, now, dues.get(row.id)))
        if note is not None:
            notes[row.id] = note
    return notes


# -- the watch: authorisations lapsing soon ---------------------------------------------------
def _day_start(now: datetime) -> datetime:
    """The UTC moment ``now``'s JST day began."""
    return jst_midnight(aware(now).astimezone(JST).date())


def expiring_condition(days: int, now: datetime | None = None, action: str = CAPTURE):
    """Payments whose authorisation (a window counted from it, on a transition of ``action``)
    is open now and closes within ``days`` JST calendar days (残り0〜``days``日), as one SQL
    condition over ``Payment``."""
    now = aware(operations.now() if now is None else now).astimezone(timezone.utc)
    bound = _day_start(now) + timedelta(days=days + 1)
    conditions = []
    for method in methods.ALL:
        for t in method.transitions:
            if t.action != action or t.window is None or t.window.since != AUTHORIZATION:
                continue
            condition = and_(Payment.method == method.code, Payment.status == t.source,
                             Payment.authorized_at >= now - t.window.length,
                             Payment.authorized_at < bound - t.window.length)
            if t.variants:
                condition = and_(condition, Payment.variant.in_(sorted(t.variants)))
            conditions.append(condition)
    return or_(*conditions) if conditions else Payment.id.is_(None)


def _watched(shop_id: int, days: int, now: datetime) -> list:
    """The shop's orders waiting for 売上確定 whose authorisation lapses within ``days``: the
    未処理一覧 (売上確定処理) rows the filter ``expiring`` keeps (the same conditions)."""
    return [Order.shop_id == shop_id, Payment.shop_id == shop_id,
            Order.status != "pending_payment", Payment.paygent_payment_id != "",
            Order.capture_mode == "auth", expiring_condition(days, now)]


@dataclass
class Watch:
    """What the dashboard panel and the mail say: how many, their total, the nearest ones."""
    days: int
    count: int
    total: int                  # yen: what PAYGENT holds for them
    nearest: list               # [(order, payment, Deadline)], nearest first


def watch(shop_id: int, days: int = WARN_DAYS, now: datetime | None = None,
          limit: int = 5) -> Watch:
    """The shop's authorisations lapsing within ``days``: two queries (the totals, and the
    rows, of which the ``limit`` nearest are kept)."""
    now = operations.now() if now is None else now
    conditions = _watched(shop_id, days, now)
    count, total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Payment.amount), 0)).select_from(Order)
        .join(Payment, Payment.order_id == Order.id).where(*conditions)).one()
    nearest_ = []
    if count:   # windows differ by method: sorted by their end here, not by authorized_at
        for order, payment in db.session.execute(
                select(Order, Payment).join(Payment, Payment.order_id == Order.id)
                .where(*conditions).order_by(Order.id).limit(MAX_WATCHED)).all():
            found = [d for d in of_payment(payment, now) if d.authorization and not d.passed]
            if found:
                nearest_.append((order, payment, found[0]))
        nearest_.sort(key=lambda item: (item[2].until, item[0].id))
        del nearest_[limit:]
    return Watch(days, int(count), int(total or 0), nearest_)


def notes_of(orders, now: datetime | None = None) -> dict[int, Deadline]:
    """A list's notes from orders whose payment is loaded with them (no query): order id →
    its nearest deadline."""
    now = operations.now() if now is None else now
    notes = {}
    for order in orders:
        note = nearest(of_payment(order.payment, now)) if order.payment is not None else None
        if note is not None:
            notes[order.id] = note
    return notes


def days_arg(value, longest: int = 90) -> int | None:
    """A ``?expiring=N`` argument: N days (0 to ``longest``), or None when it is none."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 3:
        return None
    days = int(text)
    return days if days <= longest else None
