"""ATM決済（ペイジー）'s tables and deadline (payments/methods/atm.py), against seed 003 §2.3 ATM
and §1.6.2 (支払期限日 30)."""
import payments.methods as methods
from payments.methods import atm
from payments.methods.atm import ATM

from .deferred_expectations import (NOW, check_no_operation, check_notice_order,
                                    check_statuses, jst)

EXPECTED = {
    "10": ("申込済", 0, False, "入金待ち", "", False),
    "40": ("消込済", 2, True, "入金済", "入金済み", False),
    "12": ("支払期限切", 2, False, "支払期限切れ", "注文取消し", True),
}


def test_identity_and_registry():
    assert (ATM.code, ATM.payment_type, ATM.telegram_path) == ("atm", "01", "/n/atm/request")
    assert (ATM.system_name, ATM.group) == ("ペイジェント(ATM決済)", "partner")
    assert ATM.telegram_kinds() == {"010"} and ATM.order_created_as == "入金待ち"
    assert ATM in methods.ALL and methods.by_payment_type("01") is ATM
    assert methods.get("atm") is ATM and methods.any_by_payment_type("01") is ATM


def test_status_table_is_seed_003():
    check_statuses(ATM, EXPECTED)
    assert ATM.status("43") is None and ATM.status("61") is None   # no 速報 for the ATM


def test_no_staff_operation():
    check_no_operation(ATM, EXPECTED)


def test_notices():
    check_notice_order(ATM, [("10", "40", True), ("10", "12", True), ("40", "12", False),
                             ("12", "40", False), ("40", "10", False)])


def test_deadline_default_30_days():
    assert atm.DEADLINE.default_days == 30
    assert atm.DEADLINE.deadline(NOW) == jst(2026, 12, 22, 23, 59, 59)


def test_number_labels():
    assert atm.NUMBER_LABELS == {"pay_center_number": "収納機関番号",
                                 "customer_number": "お客様番号", "conf_number": "確認番号"}
