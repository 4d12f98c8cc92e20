"""What the deferred methods' table tests share: written out from seed 003 §2.3 and seed 001,
never read from the modules."""
from datetime import datetime, timedelta, timezone
from itertools import product

import pytest

from payments.methods import PaymentState, RuleViolation

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)   # 12:00 JST
ACTIONS = ("capture", "cancel", "refund", "change", "void")
NOT_ALLOWED = "この操作は行えません。"


def state(code, in_flight=False):
    return PaymentState(code, 5000, None, None, in_flight)


def check_statuses(method, expected: dict):
    """expected: code → (決済ステータス, rank, paid, 決済状況, 対応状況, closes_order)."""
    assert [s.code for s in method.statuses] == list(expected)
    for code, (name, rank, paid, shown, label, closes) in expected.items():
        status = method.status(code)
        assert (status.name, status.rank, status.paid, method.display_status(state(code), NOW),
                status.order_label, status.closes_order) == (name, rank, paid, shown, label,
                                                             closes), code
        assert status.paygent_label == ""  # seed 003 §2.3: ペイジェント状況 - throughout
    assert method.paid_statuses() == {c for c, e in expected.items() if e[2]}


def check_no_operation(method, codes):
    """No staff operation exists (seed 001): no button, every operation refused, anywhere."""
    assert method.transitions == () and method.actions == ()
    for code, action, in_flight in product(list(codes) + ["99", ""], ACTIONS, (False, True)):
        assert method.allowed_actions(state(code, in_flight), NOW) == frozenset()
        with pytest.raises(RuleViolation) as refused:
            method.check(state(code, in_flight), action, NOW, amount=1000)
        assert str(refused.value) == NOT_ALLOWED


def check_notice_order(method, sequences):
    """Each (reached, later) pair: whether a later notice moves the payment on (is_ahead)."""
    for reached, later, moves in sequences:
        assert method.is_ahead(later, reached) is moves, (reached, later)


def jst(*args):
    return datetime(*args, tzinfo=timezone(timedelta(hours=9)))
