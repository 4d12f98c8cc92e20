"""The card method's tables, exhaustively (payments/methods/card.py read by base.py).

Every status PAYGENT may report for a card (plus an unknown code and "") × every action (plus
refund, which a card has not, and an unknown one) × in flight or not × the authorisation's age
inside, exactly at and one second past its 60 days, against what is written out below from seed
003 §2.3 (クレジット) and seed 001 (売上, 取消, オーソリ変更 / 売上変更): nothing is read from the
module's tables, so changing any entry of them fails a case.
"""
from datetime import datetime, timedelta, timezone
from itertools import product

import pytest

import payments.methods as methods
from payments.methods import CARD, PaymentState, RuleViolation
from payments.methods.base import ACTIONS, CHANGE, action_name
from payments.methods.card import paygent_status_label

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
SECOND = timedelta(seconds=1)
SIXTY_DAYS = timedelta(days=60)
AMOUNT = 5000

CAPTURE, CANCEL, REFUND, UNKNOWN_ACTION = "capture", "cancel", "refund", "void"
ALL_ACTIONS = (CAPTURE, CANCEL, REFUND, CHANGE, UNKNOWN_ACTION)
NAMES = {CAPTURE: "売上確定", CANCEL: "キャンセル", CHANGE: "金額変更"}

# code: (決済ステータス, rank, paid, 決済状況, 差分通知後の対応状況, ペイジェント状況) ("" for "-")
EXPECTED_STATUSES = {
    "10": ("申込済", 0, False, "申込済", "", ""),
    "14": ("3Dセキュア認証", 1, False, "3Dセキュア認証", "", ""),
    "13": ("3Dセキュア中断", 2, False, "3Dセキュア中断", "", ""),
    "11": ("オーソリNG", 2, False, "オーソリNG", "", ""),
    "20": ("オーソリOK", 3, True, "オーソリOK", "新規受付", "未処理"),
    "30": ("売上要求中", 4, True, "売上要求中", "新規受付", "未処理"),
    "31": ("オーソリ取消中", 4, True, "オーソリ取消中", "新規受付", "未処理"),
    "40": ("消込済", 5, True, "売上済", "入金済み", "売上"),
    "41": ("消込済(売上取消期限切)", 6, True, "売上済（取消期限切れ）", "入金済み", "売上"),
    "42": ("売上取消中", 7, True, "売上取消中", "入金済み", "売上"),
    "50": ("売上取消集計中", 8, True, "売上取消集計中", "入金済み", "売上"),
    "32": ("オーソリ取消済", 9, False, "オーソリキャンセル済", "注文取消し", "オーソリキャンセル"),
    "33": ("オーソリ期限切", 9, False, "オーソリ期限切れ", "注文取消し", "未処理"),
    "60": ("売上取消済", 10, False, "売上キャンセル済", "注文取消し", "売上キャンセル"),
}
KNOWN = list(EXPECTED_STATUSES)
CODES = KNOWN + ["99", ""]

# (status, action): (after, telegram, within the authorisation window, old payment left at)
EXPECTED_TRANSITIONS = {
    ("20", CAPTURE): ("40", "022", True, None),
    ("20", CANCEL): ("32", "021", True, None),
    ("40", CANCEL): ("60", "023", False, None),
    ("20", CHANGE): ("20", "028", True, "32"),
    ("40", CHANGE): ("40", "029", False, "60"),
}
# action: (done per a 094 answer, parked while it settles)
EXPECTED_SETTLING = {
    CAPTURE: ({"40", "41", "42", "50", "60"}, {"30"}),
    CANCEL: ({"32", "60"}, {"31", "42"}),
    CHANGE: ({"32", "60"}, set()),
}
AGES = {"inside": SIXTY_DAYS - SECOND, "at": SIXTY_DAYS, "past": SIXTY_DAYS + SECOND}


def _state(code, age="inside", in_flight=False, amount=AMOUNT):
    authorized = NOW - AGES[age]
    return PaymentState(code, amount, authorized, NOW - timedelta(days=1), in_flight)


def _amount_for(action):
    return AMOUNT - 1000 if action == CHANGE else None


def test_the_method_s_identity():
    assert (CARD.code, CARD.payment_type, CARD.telegram_path) == ("card", "02", "/n/card/request")
    assert CARD.system_name == "ペイジェント(クレジット決済)" and CARD.group == "partner"
    assert CARD.telegram_kinds() == {"020", "021", "022", "023", "028", "029", "450"}
    assert CARD.actions == (CAPTURE, CANCEL, CHANGE)


def test_the_cart_offers_the_card_right_after_paidy():
    assert methods.ALL.index(CARD) == methods.ALL.index(methods.PAIDY) + 1
    assert "card" in methods.CODES
    assert methods.get("card") is CARD and methods.find("card") is CARD
    assert methods.by_payment_type("02") is CARD and methods.any_by_payment_type("02") is CARD
    assert methods.telegram_paths()["020"] == "/n/card/request"
    assert methods.all_telegram_paths()["029"] == "/n/card/request"


@pytest.mark.parametrize("code", KNOWN)
def test_the_status_table(code):
    name, rank, paid, shown, order_label, paygent_label = EXPECTED_STATUSES[code]
    status = CARD.status(code)
    assert (status.name, status.rank, status.paid) == (name, rank, paid)
    assert (status.order_label, status.paygent_label) == (order_label, paygent_label)
    assert CARD.display_status(_state(code), NOW) == shown
    assert (code in CARD.paid_statuses()) is paid


def test_no_status_beyond_the_table():
    assert {s.code for s in CARD.statuses} == set(EXPECTED_STATUSES)
    assert CARD.status("99") is None and CARD.rank("99") == -1
    assert CARD.display_status(_state("99"), NOW) == "99"
    assert CARD.display_status(_state(""), NOW) == "確認中"


@pytest.mark.parametrize("code, action, in_flight, age",
                         list(product(CODES, ALL_ACTIONS, (False, True), AGES)))
def test_every_state_and_action(code, action, in_flight, age):
    state = _state(code, age, in_flight)
    expected = EXPECTED_TRANSITIONS.get((code, action))
    lapsed = expected is not None and expected[2] and age == "past"
    allowed = expected is not None and not in_flight and not lapsed
    assert (action in CARD.allowed_actions(state, NOW)) is allowed
    if allowed:
        CARD.check(state, action, NOW, _amount_for(action))
        assert CARD.after(code, action) == expected[0]
        assert CARD.transition(code, action).telegram == expected[1]
        assert CARD.replaced(code, action) == expected[3]
        return
    with pytest.raises(RuleViolation) as refused:
        CARD.check(state, action, NOW, _amount_for(action))
    message = str(refused.value)
    if action not in NAMES:
        assert message == "この操作は行えません。"
    elif in_flight:
        assert "処理結果を確認中の操作があります" in message
    elif lapsed or code == "33" and action in (CAPTURE, CANCEL, CHANGE):
        assert message == (f"オーソリから60日を過ぎたため、オーソリ期限切れです。"
                           f"{NAMES[action]}はできません。")
    else:
        assert message.startswith(f"決済状況が「{CARD.display_status(state, NOW)}」のため、"
                                  f"{NAMES[action]}はできません。")


@pytest.mark.parametrize("action", [CAPTURE, CANCEL, CHANGE])
def test_the_authorisation_window_shows_on_the_page(action):
    lapsed = _state("20", "past")
    assert CARD.display_status(lapsed, NOW) == "オーソリ期限切れ"
    assert CARD.lapsed(lapsed, NOW).lapsed_status == "33"
    assert CARD.lapsed(_state("20", "at"), NOW) is None
    assert CARD.lapsed(_state("40", "past"), NOW) is None  # the window is the authorisation's


@pytest.mark.parametrize("action", [CAPTURE, CANCEL, CHANGE])
def test_what_a_094_answer_settles(action):
    done, waiting = CARD.settled(action)
    assert (set(done), set(waiting)) == EXPECTED_SETTLING[action]


@pytest.mark.parametrize("code", ["20", "40"])
@pytest.mark.parametrize("amount, message", [
    (None, "変更後の金額を入力してください。"),
    (AMOUNT, "変更後の金額が現在の金額（5,000円）と同じです。"),
    (0, "変更後の金額は1円以上で入力してください。"),
    (-1, "変更後の金額は1円以上で入力してください。"),
    (4999.0, "変更後の金額は半角数字（整数）で入力してください。"),
    (True, "変更後の金額は半角数字（整数）で入力してください。"),
    ("4000", "変更後の金額は半角数字（整数）で入力してください。"),
])
def test_an_amount_change_needs_a_new_whole_yen_amount(code, amount, message):
    with pytest.raises(RuleViolation, match=f"^{message}$"):
        CARD.check(_state(code), CHANGE, NOW, amount)


@pytest.mark.parametrize("code", ["20", "40"])
@pytest.mark.parametrize("amount", [1, AMOUNT - 1, AMOUNT + 1, 9_999_999])
def test_an_amount_change_may_lower_or_raise(code, amount):
    CARD.check(_state(code), CHANGE, NOW, amount)


def test_capture_and_cancel_take_no_amount_rules_from_a_change():
    CARD.check(_state("20"), CAPTURE, NOW)
    CARD.check(_state("40"), CANCEL, NOW)


# -- notices only move a payment forward -----------------------------------------------------
@pytest.mark.parametrize("current, new, forward", [
    ("20", "40", True), ("20", "32", True), ("20", "33", True), ("40", "60", True),
    ("30", "40", True), ("31", "32", True), ("42", "60", True), ("40", "42", True),
    ("20", "20", True), ("11", "20", True), ("10", "11", True),
    ("40", "20", False), ("32", "20", False), ("60", "40", False), ("33", "20", False),
    ("60", "32", False), ("40", "30", False), ("20", "11", False), ("20", "99", False),
])
def test_notices_move_forward_only(current, new, forward):
    assert CARD.moves_forward(new, current) is forward


def test_alternatives_on_one_rank_are_not_ahead_of_each_other():
    assert not CARD.is_ahead("33", "32") and not CARD.is_ahead("32", "33")
    assert not CARD.is_ahead("31", "30") and CARD.is_ahead("40", "30")


@pytest.mark.parametrize("code, changed, label", [
    ("20", False, "未処理"), ("20", True, "オーソリ変更"), ("40", False, "売上"),
    ("40", True, "売上変更"), ("32", False, "オーソリキャンセル"), ("32", True, "オーソリキャンセル"),
    ("60", False, "売上キャンセル"), ("99", False, ""), ("11", False, ""),
])
def test_the_paygent_status_label(code, changed, label):
    assert paygent_status_label(code, changed) == label


def test_the_extra_action_keeps_the_three_of_every_method():
    assert ACTIONS == ("capture", "cancel", "refund")
    assert action_name(CHANGE) == "金額変更" and action_name("capture") == "売上確定"
    assert action_name("void") == "void"


def test_card_tables_name_only_declared_statuses():
    declared = {s.code for s in CARD.statuses}
    for t in CARD.transitions:
        assert {t.source, t.target} | set(t.settles_as) <= declared
        assert t.waiting is None or t.waiting in declared
        assert t.replaced_status is None or t.replaced_status in t.settles_as
        assert t.replaced_status is not None or t.target in t.settles_as
        assert CARD.transition(t.source, t.action) is t


def test_operations_are_named_as_staff_know_them_from_each_status():
    assert CARD.operation_name("20", "cancel") == "キャンセル"
    assert CARD.operation_name("40", "cancel") == "売上取消"
    assert CARD.operation_name("20", CHANGE) == "オーソリ変更"
    assert CARD.operation_name("40", CHANGE) == "売上変更"
    assert CARD.operation_name("20", "capture") == "売上確定"
