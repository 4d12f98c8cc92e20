"""コンビニ決済（番号方式）'s tables, deadline and stores (payments/methods/conveni.py), against seed
003 §2.3 コンビニ(番号方式), §1.6.2 (支払期限日 15, コンビニ接続タイプ A/B/D or F) and seed 001."""
from datetime import timedelta

import pytest

import payments.methods as methods
from payments.methods import RuleViolation, conveni
from payments.methods.conveni import CONVENI
from payments.methods.deferred import days_left, deadline_text, is_past

from .deferred_expectations import (NOW, check_no_operation, check_notice_order,
                                    check_statuses, jst)

EXPECTED = {
    "10": ("申込済", 0, False, "入金待ち", "", False),
    "43": ("速報検知済", 1, True, "入金済（速報）", "入金済み", False),
    "40": ("消込済", 2, True, "入金済", "入金済み", False),
    "12": ("支払期限切", 2, False, "支払期限切れ", "注文取消し", True),
    "61": ("速報取消済", 2, False, "入金取消（速報取消）", "注文取消し", True),
}


def test_identity_and_registry():
    assert (CONVENI.code, CONVENI.payment_type, CONVENI.telegram_path) == (
        "conveni", "03", "/n/conveni/request")
    assert (CONVENI.name, CONVENI.system_name, CONVENI.group) == (
        "コンビニ決済", "ペイジェント(コンビニ決済)", "partner")
    assert CONVENI.telegram_kinds() == {"030"} and CONVENI.path_for("030") == "/n/conveni/request"
    assert CONVENI.order_created_as == "入金待ち"
    assert CONVENI in methods.ALL
    assert methods.get("conveni") is CONVENI and methods.any_by_payment_type("03") is CONVENI
    assert methods.by_payment_type("03") is CONVENI and "030" in methods.telegram_paths()
    assert methods.all_telegram_paths()["030"] == "/n/conveni/request"


def test_status_table_is_seed_003():
    check_statuses(CONVENI, EXPECTED)


def test_stamps():
    assert CONVENI.status("40").stamps == CONVENI.status("43").stamps == "captured_at"
    assert CONVENI.status("12").stamps == CONVENI.status("61").stamps == "cancelled_at"


def test_no_staff_operation():
    check_no_operation(CONVENI, EXPECTED)


def test_notices_move_forward_only_and_end_states_stay():
    check_notice_order(CONVENI, [
        ("10", "43", True), ("10", "40", True), ("10", "12", True), ("10", "61", True),
        ("43", "40", True), ("43", "61", True), ("43", "10", False),
        ("40", "12", False), ("40", "61", False), ("40", "43", False),   # paid stays paid
        ("12", "40", False), ("61", "40", False), ("12", "61", False),
    ])


def test_deadline_is_the_end_of_the_nth_day_in_jst():
    rule = conveni.DEADLINE
    assert (rule.default_days, rule.min_days, rule.max_days) == (15, 1, 60)
    # 2026-11-22 12:00 JST + 15 days → 12-07 23:59:59 JST
    assert rule.deadline(NOW) == jst(2026, 12, 7, 23, 59, 59)
    assert rule.deadline(NOW, 1) == jst(2026, 11, 23, 23, 59, 59)
    # a purchase at 23:30 JST still counts from that day; naive times are UTC
    assert rule.deadline(jst(2026, 11, 22, 23, 30), 3) == jst(2026, 11, 25, 23, 59, 59)
    assert rule.deadline(NOW.replace(tzinfo=None), 3) == jst(2026, 11, 25, 23, 59, 59)


@pytest.mark.parametrize("days", [0, 61, -1, "15", 1.5, True])
def test_deadline_days_out_of_range_are_refused(days):
    with pytest.raises(RuleViolation):
        conveni.DEADLINE.check_days(days)


def test_days_left_and_texts():
    deadline = conveni.DEADLINE.deadline(NOW, 3)           # 11-25 23:59:59 JST
    assert days_left(deadline, NOW) == 3
    assert days_left(deadline, jst(2026, 11, 25, 0, 0)) == 0
    assert days_left(deadline, jst(2026, 11, 25, 23, 59, 59)) == 0
    assert days_left(deadline, jst(2026, 11, 26, 0, 0)) == -1
    assert not is_past(deadline, jst(2026, 11, 25, 23, 59, 59))
    assert is_past(deadline, jst(2026, 11, 26, 0, 0))
    assert not is_past(deadline, jst(2026, 11, 26, 0, 0), margin=timedelta(days=1))
    assert deadline_text(deadline) == "2026年11月25日(水) 23:59まで"


def test_stores_per_connection_type():
    assert list(conveni.stores("ABD")) == ["00C001", "00C002", "00C004", "00C005", "00C014",
                                           "00C016"]
    assert conveni.stores("F") == {"00C001": "セブン-イレブン", "00C002": "ローソン・ミニストップ",
                                   "00C005": "ファミリーマート", "00C014": "デイリーヤマザキ",
                                   "00C016": "セイコーマート"}
    with pytest.raises(ValueError):
        conveni.stores("C")


def test_what_each_store_needs():
    seven = conveni.guide("ABD", "00C001")
    assert (seven.number_label, seven.slip_url, seven.confirm_number) == ("払込票番号", True,
                                                                          False)
    lawson = conveni.guide("ABD", "00C002")
    assert (lawson.number_label, lawson.confirm_number) == ("お客様番号", True)
    assert conveni.guide("ABD", "00C016").phone and conveni.guide("F", "00C002").phone
    assert conveni.guide("F", "00C005").number_label == "収納番号"
    with pytest.raises(KeyError):
        conveni.guide("F", "00C004")
