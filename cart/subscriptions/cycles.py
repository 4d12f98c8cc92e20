"""定期購入 cycles: every 1, 2 or 3 months (on the day of the first order, or the month's last
day when it is shorter), or every n weeks. A cycle is written "1m", "2m", "3m" or "<n>w"."""
import calendar
import re
from datetime import date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9))
MONTHS = (1, 2, 3)
MAX_WEEKS = 12
_CYCLE = re.compile(r"^([1-9][0-9]?)([mw])$")


class CycleError(ValueError):
    """Not a cycle this cart sells."""


def parse(cycle: str) -> tuple[int, str]:
    match = _CYCLE.match(cycle or "")
    if not match:
        raise CycleError(cycle)
    count, unit = int(match.group(1)), match.group(2)
    if (unit == "m" and count not in MONTHS) or (unit == "w" and count > MAX_WEEKS):
        raise CycleError(cycle)
    return count, unit


def valid(cycle: str) -> bool:
    try:
        parse(cycle)
    except CycleError:
        return False
    return True


def label(cycle: str) -> str:
    count, unit = parse(cycle)
    return f"{count}ヶ月ごと" if unit == "m" else f"{count}週間ごと"


def offered(cycles: str) -> list[str]:
    """A product's cycles ("1m,2m,4w"), valid ones only, months first."""
    chosen = [c for c in dict.fromkeys((cycles or "").split(",")) if valid(c)]
    return sorted(chosen, key=lambda c: (parse(c)[1] != "m", parse(c)[0]))


def after(day: date, cycle: str, anchor_day: int) -> date:
    """The delivery date one cycle after ``day``: a month cycle keeps to ``anchor_day`` (the
    31st becomes the month's last day, and comes back to the 31st when the month has one)."""
    count, unit = parse(cycle)
    if unit == "w":
        return day + timedelta(weeks=count)
    month0 = day.month - 1 + count
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def today(now: datetime | None = None) -> date:
    """The shop's calendar date (JST)."""
    return (now or datetime.now(timezone.utc)).astimezone(JST).date()
