"""The carrier method's tables, exhaustively (payments/methods/carrier.py read by base.py).

Every carrier (and an unknown one, and none) × every status PAYGENT may report for a carrier
payment (plus an unknown code and "") × every action (plus refund, which a carrier payment has
not, and an unknown one) × in flight or not, against what is written out below from seed 003
§2.2.2 (the per-carrier table, which wins over seed 000 §5) and §2.3 携帯キャリア, and seed 000 §3
(売上変更 only to a lower amount; the same amount is a plain 売上): nothing is read from the
module's tables, so changing any entry of them fails a case.
"""
from datetime import datetime, timedelta, timezone
from itertools import product

import pytest

import payments.methods as methods
from payments.methods import PaymentState, RuleViolation
from payments.methods.base import CHANGE
from payments.methods.carrier import CARRIER, capture_action, carrier_table, completion_due

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
JST = timezone(timedelta(hours=9))
AMOUNT = 5000
CAPTURE, CANCEL, REFUND, UNKNOWN_ACTION = "capture", "cancel", "refund", "void"
ALL_ACTIONS = (CAPTURE, CANCEL, REFUND, CHANGE, UNKNOWN_ACTION)
NAMES = {CAPTURE: "売上確定", CANCEL: "キャンセル", CHANGE: "金額変更"}
DOCOMO, AU, SOFTBANK = "docomo", "au", "softbank"
CARRIERS = (DOCOMO, AU, SOFTBANK)

# code: (決済ステータス, paid, 差分通知後の対応状況, ペイジェント状況, after an amount change)
EXPECTED_STATUSES = {
    "10": ("申込済", False, "", "", ""),
    "15": ("申込中断", False, "", "", ""),
    "20": ("オーソリOK", True, "新規受付", "", ""),
    "21": ("オーソリ完了", True, "新規受付", "", ""),
    "30": ("売上要求中", True, "新規受付", "", ""),
    "32": ("オーソリ取消済", False, "注文取消し", "取消", "取消"),
    "33": ("オーソリ期限切", False, "注文取消し", "", ""),
    "34": ("補正要求中", True, "新規受付/入金済み", "", ""),
    "40": ("消込済", True, "入金済み", "売上", "売上変更"),
    "41": ("消込済(売上取消期限切)", True, "入金済み", "売上", "売上変更"),
    "42": ("売上取消中", True, "新規受付/入金済み", "売上", "売上変更"),
    "44": ("消込完了", True, "入金済み", "売上", "売上"),
    "60": ("売上取消済", False, "注文取消し", "取消", "取消"),
    "62": ("取消完了", False, "注文取消し", "取消", "取消"),
}
CLOSING = {"32", "33", "60", "62"}
KNOWN = list(EXPECTED_STATUSES)
CODES = KNOWN + ["99", ""]

# seed 003 §2.2.2, cell by cell: (carrier, action) → the statuses it is ○ from
ALLOWED_FROM = {
    (DOCOMO, CAPTURE): {"20", "21"},
    (DOCOMO, CANCEL): {"20", "21", "44"},
    (DOCOMO, CHANGE): {"20", "21", "44"},
    (SOFTBANK, CAPTURE): {"20", "21"},
    (SOFTBANK, CANCEL): {"20", "21", "40"},
    (SOFTBANK, CHANGE): {"20", "21"},
    (AU, CAPTURE): {"20"},
    (AU, CANCEL): {"20", "40"},
    (AU, CHANGE): {"20"},
}
# (status, action): (after, telegram, the waiting status, what staff call it)
EXPECTED_TRANSITIONS = {
    ("20", CAPTURE): ("40", "101", "30", "売上確定"),
    ("21", CAPTURE): ("40", "101", "30", "売上確定"),
    ("20", CANCEL): ("32", "102", None, "キャンセル"),
    ("21", CANCEL): ("32", "102", None, "キャンセル"),
    ("40", CANCEL): ("60", "102", "42", "売上取消"),
    ("44", CANCEL): ("62", "102", "42", "売上取消"),
    ("20", CHANGE): ("40", "103", "34", "売上変更"),
    ("21", CHANGE): ("40", "103", "34", "売上変更"),
    ("44", CHANGE): ("44", "103", "34", "売上変更"),
}


def _state(code, carrier, in_flight=False, amount=AMOUNT):
    return PaymentState(code, amount, NOW - timedelta(days=1), NOW - timedelta(hours=1),
                        in_flight, variant=carrier)


def _amount_for(action):
    return AMOUNT - 1000 if action == CHANGE else None


def test_the_method_s_identity():
    assert (CARRIER.code, CARRIER.payment_type, CARRIER.telegram_path) == (
        "carrier", "06", "/n/c/request")
    assert CARRIER.name == "携帯キャリア決済"
    assert CARRIER.system_name == "ペイジェント(携帯キャリア決済)" and CARRIER.group == "partner"
    assert CARRIER.telegram_kinds() == {"100", "101", "102", "103"}
    assert CARRIER.actions == (CAPTURE, CANCEL, CHANGE)
    assert CARRIER.order_created_as == ""
    assert CARRIER.variants == {DOCOMO: "d払い", AU: "auかんたん決済",
                                SOFTBANK: "ソフトバンクまとめて支払い"}


def test_offered_by_the_cart():
    assert CARRIER in methods.ALL and "carrier" in methods.CODES
    assert methods.get("carrier") is CARRIER and methods.find("carrier") is CARRIER
    assert methods.by_payment_type("06") is CARRIER
    assert {k: methods.telegram_paths()[k] for k in ("100", "101", "102", "103")} == {
        k: "/n/c/request" for k in ("100", "101", "102", "103")}


@pytest.mark.parametrize("code", KNOWN)
def test_status_table(code):
    name, paid, order_label, label, changed = EXPECTED_STATUSES[code]
    status = CARRIER.status(code)
    assert (status.name, status.paid, status.order_label) == (name, paid, order_label)
    assert CARRIER.paygent_status(code) == label
    assert CARRIER.paygent_status(code, amount_changed=True) == changed
    assert status.closes_order is (code in CLOSING)
    assert [s.code for s in CARRIER.statuses if s.code == code] == [code]


def test_no_other_statuses():
    assert {s.code for s in CARRIER.statuses} == set(EXPECTED_STATUSES)
    assert CARRIER.paid_statuses() == {c for c, v in EXPECTED_STATUSES.items() if v[1]}


def test_ranks_move_only_forward():
    order = ["10", "15", "20", "21", "30", "40", "44", "42", "32", "60", "62"]
    for earlier, later in zip(order, order[1:]):
        assert CARRIER.is_ahead(later, earlier), (earlier, later)
        assert not CARRIER.is_ahead(earlier, later)
    assert CARRIER.rank("30") == CARRIER.rank("34")
    assert CARRIER.rank("41") == CARRIER.rank("44")
    assert CARRIER.rank("32") == CARRIER.rank("33")
    assert not CARRIER.is_ahead("99", "10")


@pytest.mark.parametrize("carrier, code, action, in_flight",
                         list(product(CARRIERS + ("", "willcom"), CODES, ALL_ACTIONS,
                                      (False, True))))
def test_every_cell(carrier, code, action, in_flight):
    state = _state(code, carrier, in_flight)
    allowed = (not in_flight and carrier in CARRIERS
               and code in ALLOWED_FROM.get((carrier, action), set()))
    assert (action in CARRIER.allowed_actions(state, NOW)) is allowed
    if allowed:
        CARRIER.check(state, action, NOW, _amount_for(action))
        after, telegram, waiting, name = EXPECTED_TRANSITIONS[(code, action)]
        t = CARRIER.transition(code, action, carrier)
        assert (t.target, t.telegram, t.waiting) == (after, telegram, waiting)
        assert CARRIER.after(code, action, variant=carrier) == after
        assert CARRIER.operation_name(code, action, carrier) == name
        assert CARRIER.replaced(code, action, carrier) is None  # the payment keeps its id
        return
    with pytest.raises(RuleViolation) as refused:
        CARRIER.check(state, action, NOW, _amount_for(action))
    message = str(refused.value)
    if action not in NAMES:
        assert message == "この操作は行えません。"
    elif in_flight:
        assert "処理結果を確認中の操作があります" in message
    elif carrier not in CARRIERS:
        assert message == f"携帯キャリアが確認できないため、{NAMES[action]}はできません。"
    else:
        assert message.startswith("決済状況が「") and f"{NAMES[action]}はできません。" in message
        assert CARRIER.transition(code, action, carrier) is None


@pytest.mark.parametrize("carrier", CARRIERS)
def test_each_carrier_s_buttons_per_status(carrier):
    for code in KNOWN:
        expected = {a for (c, a), sources in ALLOWED_FROM.items()
                    if c == carrier and code in sources}
        assert CARRIER.allowed_actions(_state(code, carrier), NOW) == expected, code


def test_the_examples_of_the_brief():
    assert CARRIER.allowed_actions(_state("40", SOFTBANK), NOW) == {CANCEL}
    assert CARRIER.allowed_actions(_state("44", DOCOMO), NOW) == {CANCEL, CHANGE}
    assert CARRIER.allowed_actions(_state("40", DOCOMO), NOW) == frozenset()
    assert CARRIER.allowed_actions(_state("21", AU), NOW) == frozenset()
    assert CARRIER.allowed_actions(_state("20", AU), NOW) == {CAPTURE, CANCEL, CHANGE}
    # seed 003 (○ under 消込済 for auかんたん決済 取消) wins over seed 000 (-)
    assert CARRIER.allowed_actions(_state("40", AU), NOW) == {CANCEL}


def test_refusals_say_when_it_becomes_possible():
    with pytest.raises(RuleViolation, match="消込完了（売上の翌日3:30以降）"):
        CARRIER.check(_state("40", DOCOMO), CANCEL, NOW)
    with pytest.raises(RuleViolation, match="消込完了（売上の翌日3:30以降）"):
        CARRIER.check(_state("40", DOCOMO), CHANGE, NOW, 100)
    with pytest.raises(RuleViolation, match="^決済状況が「売上確定済」のため、キャンセルはできません。"
                                            "売上後の取消は、消込済の間"):
        CARRIER.check(_state("44", AU), CANCEL, NOW)
    with pytest.raises(RuleViolation, match="売上変更は売上の前"):
        CARRIER.check(_state("40", SOFTBANK), CHANGE, NOW, 100)


@pytest.mark.parametrize("carrier, code", [(DOCOMO, "20"), (DOCOMO, "21"), (DOCOMO, "44"),
                                           (AU, "20"), (SOFTBANK, "20"), (SOFTBANK, "21")])
def test_a_change_takes_only_a_lower_amount(carrier, code):
    state = _state(code, carrier)
    CARRIER.check(state, CHANGE, NOW, AMOUNT - 1)
    CARRIER.check(state, CHANGE, NOW, 1)
    for amount, message in ((AMOUNT, "同じです"), (AMOUNT + 1, "より低い金額"),
                            (0, "1円以上"), (None, "変更後の金額を入力"),
                            ("4000", "半角数字"), (True, "半角数字")):
        with pytest.raises(RuleViolation, match=message):
            CARRIER.check(state, CHANGE, NOW, amount)


def test_capture_action_after_an_amount_correction():
    assert capture_action(5000, 5000) == CAPTURE
    assert capture_action(4999, 5000) == CHANGE
    assert capture_action(1, 5000) == CHANGE
    for amount in (5001, 0, "5000", 4999.0):
        with pytest.raises(RuleViolation):
            capture_action(amount, 5000)


def test_what_a_094_answer_means():
    assert CARRIER.settled(CAPTURE) == ({"40", "41", "44", "42", "60", "62"}, {"30"})
    assert CARRIER.settled(CANCEL, AU) == ({"32", "60", "62"}, {"42"})
    assert CARRIER.settled(CANCEL, DOCOMO) == ({"32", "60", "62"}, {"42"})
    assert CARRIER.settled(CHANGE, AU) == ({"40", "41", "44", "42", "60", "62"}, {"34"})


def test_display_names():
    for code, shown in (("40", "売上済"), ("44", "売上確定済"), ("32", "取消済"),
                        ("20", "オーソリOK"), ("99", "99")):
        assert CARRIER.display_status(_state(code, DOCOMO), NOW) == shown
    assert CARRIER.display_status(_state("20", AU, in_flight=True), NOW) == "処理結果を確認中"


@pytest.mark.parametrize("local, due", [
    ((2026, 11, 22, 19, 59), (2026, 11, 23, 3, 30)),
    ((2026, 11, 22, 0, 0), (2026, 11, 23, 3, 30)),
    ((2026, 11, 22, 20, 0), (2026, 11, 24, 3, 30)),
    ((2026, 11, 22, 23, 59), (2026, 11, 24, 3, 30)),
    ((2026, 12, 31, 12, 0), (2027, 1, 1, 3, 30))])
def test_completion_due(local, due):
    captured = datetime(*local, tzinfo=JST)
    assert completion_due(captured) == datetime(*due, tzinfo=JST)
    assert completion_due(captured.astimezone(timezone.utc).replace(tzinfo=None)) == \
        datetime(*due, tzinfo=JST)


def test_the_per_carrier_table_in_the_doc():
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[2] / "docs" / "carrier-payments.md").read_text(
        encoding="utf-8")
    assert "\n".join(carrier_table()) in doc


def test_other_methods_ignore_the_variant():
    card = methods.get("card")
    plain = PaymentState("20", 1000, NOW - timedelta(days=1), None)
    tagged = PaymentState("20", 1000, NOW - timedelta(days=1), None, variant=DOCOMO)
    assert card.allowed_actions(plain, NOW) == card.allowed_actions(tagged, NOW)
