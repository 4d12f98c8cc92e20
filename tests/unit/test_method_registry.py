"""The registry of payment methods (payments/methods/__init__.py), and what every method's
tables must hold together: transitions, windows and telegrams name only what it declares."""
from datetime import datetime, timedelta, timezone

import pytest

import payments.methods as methods
from payments.methods import (ALL, BANK_TRANSFER, CARD, COD, CODES, PAIDY, Method, PaymentState,
                              RuleViolation, Status, Transition, Window, get)
from payments.methods.atm import ATM
from payments.methods.bank import BANK
from payments.methods.carrier import CARRIER
from payments.methods.conveni import CONVENI
from payments.methods.base import ACTION_NAMES, ACTIONS, ALL_ACTIONS, CAPTURE, REFUND

STATE_TIMES = {"authorized_at", "captured_at"}
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


def test_the_methods_in_the_order_the_settings_list_them():
    assert ALL == (PAIDY, CARD, CARRIER, CONVENI, ATM, BANK, BANK_TRANSFER, COD)
    assert CODES == ("paidy", "card", "carrier", "conveni", "atm", "bank", "bank_transfer",
                     "cod")


def test_every_code_is_unique():
    codes = [m.code for m in ALL]
    assert len(codes) == len(set(codes))
    assert len(CODES) == len(ALL)


@pytest.mark.parametrize("method", ALL, ids=lambda m: m.code)
def test_get_and_find_a_declared_code(method):
    assert get(method.code) is method
    assert methods.find(method.code) is method


@pytest.mark.parametrize("code", ["", "PAIDY", "paidy ", "credit", "22", None])
def test_get_of_an_unknown_code_raises_key_error(code):
    with pytest.raises(KeyError):
        get(code)
    assert methods.find(code) is None


@pytest.mark.parametrize("payment_type, method", [
    ("22", PAIDY), ("02", CARD), ("03", CONVENI), ("01", ATM), ("05", BANK), ("06", CARRIER),
    ("07", None),
    ("", None), (None, None), ("paidy", None)])
def test_by_payment_type(payment_type, method):
    assert methods.by_payment_type(payment_type) is method


def test_payment_types_are_unique():
    types = [m.payment_type for m in ALL if m.payment_type]
    assert len(types) == len(set(types))


def test_telegram_paths():
    assert methods.telegram_paths() == {
        "340": "/n/paidy/request", "341": "/n/paidy/request",
        "342": "/n/paidy/request", "343": "/n/paidy/request",
        **{kind: "/n/card/request" for kind in ("020", "021", "022", "023", "028", "029",
                                                 "450")},
        "030": "/n/conveni/request", "010": "/n/atm/request", "050": "/n/bank/request",
        "060": "/n/bank/requestasp",
        **{kind: "/n/c/request" for kind in ("100", "101", "102", "103")}}


def test_no_two_methods_read_the_same_reference_field():
    fields = [m.reference_field for m in ALL if m.reference_field]
    assert len(fields) == len(set(fields))


def test_no_two_methods_send_the_same_telegram():
    kinds = [k for m in ALL for k in m.telegram_kinds()]
    assert len(kinds) == len(set(kinds))


def test_the_actions_and_their_names():
    assert ACTIONS == ("capture", "cancel", "refund")
    assert ACTION_NAMES == {"capture": "売上確定", "cancel": "キャンセル", "refund": "返金"}
    assert (methods.CAPTURE, methods.CANCEL, methods.REFUND) == ACTIONS


def test_everything_exported_exists():
    assert sorted(methods.__all__) == sorted([
        "ACTIONS", "ACTION_NAMES", "ALL", "CANCEL", "CAPTURE", "CODES", "REFUND", "Method",
        "PaymentState", "RuleViolation", "Status", "Transition", "Window", "by_payment_type",
        "find", "get", "telegram_paths"])
    for name in methods.__all__:
        assert hasattr(methods, name), name
    assert len(methods.__all__) == len(set(methods.__all__))


@pytest.mark.parametrize("method", ALL, ids=lambda m: m.code)
def test_status_codes_are_unique_within_a_method(method):
    codes = [s.code for s in method.statuses]
    assert len(codes) == len(set(codes))
    assert all(code and code.isdigit() for code in codes)
    assert all(s.rank >= 0 and s.name for s in method.statuses)


@pytest.mark.parametrize("method", ALL, ids=lambda m: m.code)
def test_transitions_reference_only_declared_statuses(method):
    declared = {s.code for s in method.statuses}
    for t in method.transitions:
        assert t.action in ALL_ACTIONS
        assert t.source in declared, t
        assert t.target in declared, t
        assert t.settles_as <= declared, t
        # a 094 answer about the payment operated on: where it goes, or where a transition
        # that replaces it by a new payment leaves it
        assert (t.replaced_status or t.target) in t.settles_as, t
        if t.replaced_status is not None:
            assert t.replaced_status in declared, t
        if t.waiting is not None:
            assert t.waiting in declared, t
        if t.partial_target is not None:
            assert t.partial_target in declared, t
        if t.window is not None:
            assert t.window.lapsed_status in declared, t
            assert t.window.since in STATE_TIMES, t
            assert "{action}" in t.window.message or ACTION_NAMES[t.action] in t.window.message
        assert method.transition(t.source, t.action) is t  # one transition per status and action


@pytest.mark.parametrize("method", ALL, ids=lambda m: m.code)
def test_every_window_s_lapsed_status_is_declared_and_allows_nothing(method):
    declared = {s.code for s in method.statuses}
    for t in method.transitions:
        if t.window is None:
            continue
        assert t.window.lapsed_status in declared
        lapsed = PaymentState(t.window.lapsed_status, 1000, None, None)
        assert t.action not in method.allowed_actions(lapsed, NOW)


@pytest.mark.parametrize("method", ALL, ids=lambda m: m.code)
def test_telegrams_only_for_a_method_through_paygent(method):
    if method.telegram_kinds():
        assert method.through_paygent and method.telegram_path
    else:
        assert method.telegram_path is None
    assert method.group in ("basic", "partner")
    assert (method.group == "basic") is (not method.through_paygent)


# -- the rules read only the tables: a made-up method whose shape Paidy's does not have --------
def _made_up():
    window = Window("authorized_at", timedelta(hours=1), "Z", "{action}は期限切れです。")
    return Method(
        code="made_up", name="テスト", system_name="テスト", group="partner",
        payment_type="99", telegram_path="/n/test",
        statuses=(Status("A", "甲", rank=0), Status("B", "乙", rank=1, paid=True),
                  Status("C", "丙", rank=2, shown="丙（残り）"), Status("D", "丁", rank=3),
                  Status("Z", "終", rank=4)),
        transitions=(
            Transition(CAPTURE, "A", "B", "901", settles_as=frozenset({"B"}), window=window),
            Transition(REFUND, "B", "D", "902", settles_as=frozenset({"D"}), partial_target="C",
                       hint="乙の後に行えます。"),
        ))


def test_a_partial_operation_may_leave_the_payment_elsewhere_than_it_started():
    method = _made_up()
    assert method.actions == ("capture", "refund")
    assert method.operated_statuses() == frozenset({"A", "B"})
    assert method.reference_field == ""
    assert method.telegram_kinds() == frozenset({"901", "902"})
    assert method.after("B", "refund", partial=True) == "C"
    assert method.after("B", "refund") == "D"
    assert method.after("A", "capture", partial=True) == "B"
    shown = method.display_status(PaymentState("C", 5, None, None, refunded=1), NOW)
    assert shown == "丙（残り）（一部返金済）"
    assert method.display_status(PaymentState("B", 5, None, None, refunded=1), NOW) == "乙"


def test_an_operation_with_no_waiting_status_and_no_window():
    method = _made_up()
    assert method.settled("refund") == (frozenset({"D"}), frozenset())
    assert method.settled("capture") == (frozenset({"B"}), frozenset())
    old = PaymentState("B", 5, NOW.replace(year=2000), NOW.replace(year=2000))
    assert method.allowed_actions(old, NOW) == {"refund"}
    assert method.lapsed(old, NOW) is None
    assert method.display_status(old, NOW) == "乙"
    assert method.allowed_actions(PaymentState("B", 0, None, None), NOW) == frozenset()


def test_a_window_without_a_lapsed_name_shows_the_status():
    method = _made_up()
    lapsed = PaymentState("A", 5, NOW - timedelta(hours=1, seconds=1), None)
    assert method.allowed_actions(lapsed, NOW) == frozenset()
    assert method.lapsed(lapsed, NOW).lapsed_status == "Z"
    assert method.display_status(lapsed, NOW) == "甲"
    with pytest.raises(RuleViolation, match="^売上確定は期限切れです。$"):
        method.check(lapsed, "capture", NOW)
    inside = PaymentState("A", 5, NOW - timedelta(hours=1), None)
    assert method.allowed_actions(inside, NOW) == {"capture"}
    with pytest.raises(RuleViolation,
                       match="^決済状況が「甲」のため、返金はできません。乙の後に行えます。$"):
        method.check(inside, "refund", NOW)
