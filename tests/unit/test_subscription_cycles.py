"""定期購入 cycles: the next delivery date of each cycle the cart sells."""
from datetime import date, datetime, timezone

import pytest

from cart.subscriptions import cycles


@pytest.mark.parametrize("cycle, day, anchor, expected", [
    ("1m", date(2026, 1, 15), 15, date(2026, 2, 15)),
    ("2m", date(2026, 11, 30), 30, date(2027, 1, 30)),
    ("3m", date(2026, 12, 1), 1, date(2027, 3, 1)),
    ("1m", date(2026, 1, 31), 31, date(2026, 2, 28)),     # a shorter month: its last day
    ("1m", date(2026, 2, 28), 31, date(2026, 3, 31)),     # and back to the 31st
    ("1m", date(2028, 1, 31), 31, date(2028, 2, 29)),     # a leap year
    ("2w", date(2026, 12, 25), 25, date(2027, 1, 8)),
    ("1w", date(2026, 12, 31), 31, date(2027, 1, 7)),
])
def test_next_date_of_each_cycle(cycle, day, anchor, expected):
    assert cycles.after(day, cycle, anchor) == expected


def test_month_cycles_do_not_drift_to_the_shortest_month():
    day = date(2026, 1, 31)
    seen = []
    for _ in range(4):
        day = cycles.after(day, "1m", 31)
        seen.append(day)
    assert seen == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]


@pytest.mark.parametrize("cycle", ["", "0m", "4m", "13w", "0w", "1d", "m1", "1 m", "１m"])
def test_cycles_the_cart_does_not_sell_are_refused(cycle):
    assert not cycles.valid(cycle)
    with pytest.raises(cycles.CycleError):
        cycles.after(date(2026, 1, 1), cycle, 1)


def test_labels_and_a_products_offer():
    assert cycles.label("1m") == "1ヶ月ごと"
    assert cycles.label("3w") == "3週間ごと"
    assert cycles.offered("2w,3m,1m,bad,1m") == ["1m", "3m", "2w"]


def test_the_shops_date_is_japans():
    assert cycles.today(datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc)) == date(2026, 12, 2)
    assert cycles.today(datetime(2026, 12, 1, 14, 59, tzinfo=timezone.utc)) == date(2026, 12, 1)
