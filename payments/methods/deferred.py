"""What the deferred methods share (コンビニ決済 番号方式, ATM決済 Pay-easy, 銀行ネット決済): the
order waits as 入金待ち until PAYGENT says the buyer paid, by a deadline the shop sets as N days
from the purchase (支払期限日, seed 003 §1.6.2).

No staff operation exists for them (seed 001: no amount change after the order; nothing to
capture): their transition tables are empty, so ``allowed_actions`` is always empty and every
operation is refused. Notices alone move them: 40 消込済 / 43 速報検知済 → 入金済み, 12 支払期限切 /
61 速報取消済 → 注文取消し (seed 003 §2.3).

Ranks: 申込済 0, what can still be followed by another status 1 (43 速報検知済, 15 申込中断), the
end states 2 (40, 12, 61). The end states share a rank so that once one is reached no other
replaces it, whatever order notices arrive in: a late 支払期限切 never cancels a paid order.

The deadline is a point in time in JST. PAYGENT's 030/010 take the deadline in days and answer
with its date (``payment_limit_date``, YYYYMMDD): the buyer may pay until the end of that day.
The bank's 060 takes a period (``asp_payment_term``, DDDHHMM) that runs from the request.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from .base import RuleViolation, Status

JST = timezone(timedelta(hours=9))
AWAITING_PAYMENT = "入金待ち"     # 対応状況 of a new order (seed 001)
PAID = "入金済み"
CANCELLED = "注文取消し"
WEEKDAYS = "月火水木金土日"

APPLIED = "10"
EXPIRED = "12"
ABANDONED = "15"
CLEARED = "40"
DETECTED = "43"
DETECTION_CANCELLED = "61"


def applied() -> Status:
    return Status(APPLIED, "申込済", rank=0, shown="入金待ち")


def expired() -> Status:
    return Status(EXPIRED, "支払期限切", rank=2, shown="支払期限切れ", order_label=CANCELLED,
                  stamps="cancelled_at", closes_order=True, final=True)


def cleared() -> Status:
    return Status(CLEARED, "消込済", rank=2, paid=True, shown="入金済", order_label=PAID,
                  stamps="captured_at", final=True)


def detected() -> Status:
    return Status(DETECTED, "速報検知済", rank=1, paid=True, shown="入金済（速報）",
                  order_label=PAID, stamps="captured_at")


def detection_cancelled() -> Status:
    return Status(DETECTION_CANCELLED, "速報取消済", rank=2, shown="入金取消（速報取消）",
                  order_label=CANCELLED, stamps="cancelled_at", closes_order=True, final=True)


def abandoned() -> Status:
    return Status(ABANDONED, "申込中断", rank=1, shown="申込中断", final=True)


def _aware(moment: datetime) -> datetime:
    """A naive time is UTC (the cart stores UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


@dataclass(frozen=True)
class DeadlineRule:
    """支払期限日:購入日より N 日. ``end_of_day``: the buyer may pay until 23:59:59 JST of the
    N-th day after the purchase date (030/010); otherwise until N×24 hours after the purchase
    (060's period)."""
    default_days: int
    min_days: int
    max_days: int
    end_of_day: bool = True

    def check_days(self, days) -> int:
        """The shop's N, or RuleViolation with the settings page's message."""
        if isinstance(days, bool) or not isinstance(days, int):
            raise RuleViolation("支払期限日は半角数字（整数）で入力してください。")
        if not self.min_days <= days <= self.max_days:
            raise RuleViolation(
                f"支払期限日は{self.min_days}～{self.max_days}日で入力してください。")
        return days

    def deadline(self, purchased_at: datetime, days: int | None = None) -> datetime:
        """When the buyer's time to pay ends, in JST."""
        days = self.check_days(self.default_days if days is None else days)
        start = _aware(purchased_at).astimezone(JST)
        if not self.end_of_day:
            return start + timedelta(days=days)
        last_day = start.date() + timedelta(days=days)
        return datetime.combine(last_day, time(23, 59, 59), JST)


def deadline_from_date(value: str) -> datetime | None:
    """PAYGENT's ``payment_limit_date`` (YYYYMMDD, or YYYYMMDDhhmm[ss]) as the moment the buyer's
    time ends, in JST (the end of the day when no time is given); None when it is no date."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    try:
        if len(text) == 8:
            day = date(int(text[:4]), int(text[4:6]), int(text[6:]))
            return datetime.combine(day, time(23, 59, 59), JST)
        if len(text) in (12, 14):
            return datetime.strptime(text.ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=JST)
    except ValueError:
        return None
    return None


def days_left(deadline: datetime, now: datetime) -> int:
    """Days left to pay as a buyer counts them: 0 on the last day, negative once it has passed
    (calendar days in JST)."""
    end = _aware(deadline).astimezone(JST)
    today = _aware(now).astimezone(JST)
    if today > end:
        return min(-1, (end.date() - today.date()).days)
    return (end.date() - today.date()).days


def is_past(deadline: datetime, now: datetime, margin: timedelta = timedelta(0)) -> bool:
    """Whether the deadline (plus ``margin``) has passed: the rollback of 決済処理中 orders and the
    periodic round wait for a margin (seed 003 §2.4)."""
    return _aware(now) > _aware(deadline) + margin


def deadline_text(deadline: datetime) -> str:
    """The deadline as the completion page and the mail say it: 2026年12月16日(水) 23:59まで."""
    end = _aware(deadline).astimezone(JST)
    return (f"{end.year}年{end.month}月{end.day}日({WEEKDAYS[end.weekday()]}) "
            f"{end.hour:02d}:{end.minute:02d}まで")


def days_left_text(deadline: datetime, now: datetime) -> str:
    """あと3日 / 本日まで / 期限切れ, for the order page."""
    left = days_left(deadline, now)
    if left < 0:
        return "支払期限切れ"
    return "本日まで" if left == 0 else f"あと{left}日"
