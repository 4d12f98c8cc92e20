"""銀行ネット決済's tables and deadline (payments/methods/bank.py), against seed 003 §2.3 銀行ネット
(10, 15, 40) plus 12 支払期限切 for the period running out, and §1.6.2 (支払期限日 7)."""
from datetime import timedelta

import payments.methods as methods
from payments.methods import bank
from payments.methods.bank import BANK

from .deferred_expectations import NOW, check_no_operation, check_notice_order, check_statuses

EXPECTED = {
    "10": ("申込済", 0, False, "入金待ち", "", False),
    "15": ("申込中断", 1, False, "申込中断", "", False),     # shown as such; the order stays
    "40": ("消込済", 2, True, "入金済", "入金済み", False),
    "12": ("支払期限切", 2, False, "支払期限切れ", "注文取消し", True),
}


def test_identity_and_two_paths():
    assert (BANK.code, BANK.payment_type, BANK.system_name) == (
        "bank", "05", "ペイジェント(銀行ネット決済)")
    assert BANK.telegram_kinds() == {"050", "060"}
    assert BANK.path_for("050") == "/n/bank/request"
    assert BANK.path_for("060") == "/n/bank/requestasp"
    assert methods.all_telegram_paths()["060"] == "/n/bank/requestasp"
    assert BANK in methods.ALL and methods.telegram_paths()["060"] == "/n/bank/requestasp"
    assert BANK.order_created_as == "入金待ち"


def test_status_table():
    check_statuses(BANK, EXPECTED)


def test_no_staff_operation():
    check_no_operation(BANK, EXPECTED)


def test_notices():
    # an abandoned application may still be paid before its deadline (seed 001: the page stays
    # reachable until then); a paid one is never cancelled by a late 12
    check_notice_order(BANK, [("10", "15", True), ("15", "40", True), ("15", "12", True),
                              ("40", "15", False), ("40", "12", False), ("12", "40", False)])


def test_deadline_is_n_days_after_the_purchase():
    assert bank.DEADLINE.default_days == 7 and bank.DEADLINE.max_days == 99
    assert bank.DEADLINE.deadline(NOW) == NOW + timedelta(days=7)
