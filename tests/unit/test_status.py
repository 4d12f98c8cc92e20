"""The forward-only order of PAYGENT statuses (payments/status.py PROGRESS, moves_forward).

The expected order is written out here on its own, from the life of a Paidy payment:
申込済 → オーソリNG / オーソリOK → 売上要求中 or オーソリ取消中 → 消込済 → 消込済(売上取消期限切)
→ 返金要求中 → the end states (オーソリ取消済, オーソリ期限切; 売上取消済 last). Statuses on one
rank are alternatives, neither ahead of the other. Any change to the table that changes which
answer may overwrite which fails a case below.
"""
from itertools import product

import pytest

from payments import status as st

EXPECTED_RANKS = [
    ("10", 0),   # 申込済
    ("11", 1),   # オーソリNG
    ("20", 2),   # オーソリOK
    ("30", 3),   # 売上要求中
    ("31", 3),   # オーソリ取消中
    ("40", 4),   # 消込済
    ("41", 5),   # 消込済(売上取消期限切)
    ("42", 6),   # 返金要求中
    ("32", 7),   # オーソリ取消済
    ("33", 7),   # オーソリ期限切
    ("60", 8),   # 売上取消済
]
RANK = dict(EXPECTED_RANKS)
UNKNOWN = ["", "99", "2", "020", "ab"]


def test_every_status_with_a_name_has_a_place_in_the_order():
    assert set(RANK) == set(st.PAIDY_NAMES)
    assert set(st.PROGRESS) == set(RANK)


@pytest.mark.parametrize("new, current", list(product(RANK, RANK)))
def test_moves_forward_for_every_pair_of_known_statuses(new, current):
    assert st.moves_forward(new, current) is (RANK[new] >= RANK[current])


@pytest.mark.parametrize("status", list(RANK))
def test_a_status_never_moves_back_to_itself_or_further_back(status):
    assert st.moves_forward(status, status)
    for earlier in (s for s, rank in EXPECTED_RANKS if rank < RANK[status]):
        assert not st.moves_forward(earlier, status), (earlier, status)


@pytest.mark.parametrize("status", list(RANK))
@pytest.mark.parametrize("unknown", UNKNOWN)
def test_unknown_codes_are_behind_every_known_status(status, unknown):
    assert not st.moves_forward(unknown, status)
    assert st.moves_forward(status, unknown)


@pytest.mark.parametrize("a, b", list(product(UNKNOWN, UNKNOWN)))
def test_unknown_codes_are_level_with_each_other(a, b):
    assert st.moves_forward(a, b)


@pytest.mark.parametrize("start, waiting, done", [
    (st.AUTHORIZED, st.CAPTURE_REQUESTED, st.CAPTURED),
    (st.AUTHORIZED, st.CANCEL_REQUESTED, st.CANCELLED),
    (st.CAPTURED, st.REFUND_REQUESTED, st.REFUNDED),
])
def test_an_operation_waiting_at_paidy_sits_between_where_it_started_and_where_it_ends(
        start, waiting, done):
    assert waiting in st.INTERMEDIATE
    assert st.moves_forward(waiting, start) and not st.moves_forward(start, waiting)
    assert st.moves_forward(done, waiting) and not st.moves_forward(waiting, done)


@pytest.mark.parametrize("final", sorted(st.FINAL))
def test_final_statuses_are_ahead_of_every_status_a_payment_passes_through(final):
    for status in [s for s in RANK if s not in st.FINAL]:
        assert st.moves_forward(final, status) and not st.moves_forward(status, final)
