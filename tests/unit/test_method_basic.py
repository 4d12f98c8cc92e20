"""銀行振込 and 代金引換 (payments/methods/basic.py): settled between shop and buyer, never
through PAYGENT, so no status table, no operations, and every operation is refused."""
from datetime import datetime, timedelta, timezone
from itertools import product

import pytest

from payments.methods import BANK_TRANSFER, COD, PaymentState, RuleViolation

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
NINETY_DAYS = timedelta(days=90)
SECOND = timedelta(seconds=1)
ACTIONS = ("capture", "cancel", "refund", "void")
CODES = ["10", "20", "33", "40", "41", "60", "99", ""]
AGES = [None, timedelta(days=1), NINETY_DAYS, NINETY_DAYS + SECOND]
AMOUNTS = [None, 0, 1, 1000, 1001, 10.5, "500", True]

EXPECTED = {  # code: (name, 決済種別 in the settings list)
    "bank_transfer": ("銀行振込", "銀行振込"),
    "cod": ("代金引換", "代金引換"),
}
METHODS = [BANK_TRANSFER, COD]


def _ago(age):
    return None if age is None else NOW - age


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.code)
def test_the_method(method):
    assert (method.name, method.system_name) == EXPECTED[method.code]
    assert method.group == "basic"
    assert method.payment_type is None
    assert method.through_paygent is False
    assert method.telegram_path is None
    assert method.statuses == ()
    assert method.transitions == ()
    assert method.other_telegrams == ()
    assert method.actions == ()
    assert method.telegram_kinds() == frozenset()
    assert method.paid_statuses() == frozenset()
    assert method.operated_statuses() == frozenset()
    assert method.reference_field == ""


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.code)
@pytest.mark.parametrize("status, authorized, captured, in_flight",
                         list(product(CODES, AGES, AGES, (False, True))))
def test_every_state_and_action_is_refused(method, status, authorized, captured, in_flight):
    state = PaymentState(status=status, amount=1000, authorized_at=_ago(authorized),
                         captured_at=_ago(captured), in_flight=in_flight, refunded=0)
    assert method.allowed_actions(state, NOW) == frozenset()
    assert method.lapsed(state, NOW) is None
    assert method.display_status(state, NOW) == (
        "処理結果を確認中" if in_flight else status or "確認中")
    for action, amount in product(ACTIONS, AMOUNTS):
        with pytest.raises(RuleViolation) as refused:
            method.check(state, action, NOW, amount)
        assert str(refused.value) == "この操作は行えません。"


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.code)
@pytest.mark.parametrize("status, action, partial", list(product(CODES, ACTIONS, (False, True))))
def test_no_operation_leads_anywhere(method, status, action, partial):
    assert method.transition(status, action) is None
    with pytest.raises(RuleViolation) as refused:
        method.after(status, action, partial)
    assert str(refused.value) == "この操作は行えません。"


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.code)
@pytest.mark.parametrize("action", ACTIONS)
def test_nothing_to_settle(method, action):
    assert method.settled(action) == (frozenset(), frozenset())


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.code)
@pytest.mark.parametrize("new, current", list(product(CODES, CODES)))
def test_no_status_is_ahead_of_another(method, new, current):
    assert method.status(new) is None
    assert method.status_name(new) == new
    assert method.rank(new) == -1
    assert method.moves_forward(new, current) is True
    assert method.is_ahead(new, current) is False
