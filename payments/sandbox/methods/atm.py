"""ATM決済（ペイジー） at the sandbox: 010 at ``/n/atm/request`` makes a payment at 10 with its
収納機関番号, お客様番号 and 確認番号 and its deadline; paying it at the ATM (the terminal page or
the control API) and the deadline passing move it as ``deferred.py`` says. A ``timeout`` fault
is answered E001 with nothing made.
"""
from payments.methods import atm as lib

from ..base import Refusal, SandboxMethod, Telegram
from . import deferred

PAY_CENTER_NUMBER = "58091"     # the sandbox's 収納機関番号 (5 digits, as Pay-easy's are)
CUSTOMER_DIGITS = 16
CONF_DIGITS = 6
REPLY_ITEMS = ("payment_id", "trading_id", "pay_center_number", "customer_number",
               "conf_number", "payment_limit_date")


def apply(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    """010: a payment at 10 申込済, payable until the end of the day ``payment_limit_date`` days
    from today."""
    payment_amount = deferred.amount(fields.get("payment_amount"), lib.MAX_AMOUNT)
    deferred.required(fields, "payment_detail_kana")
    days = deferred.limit_days(fields, lib.DEADLINE)
    if timeout:
        raise Refusal("E001")
    now = store.now()
    deadline = deferred.end_of_day(now, days)
    with store.write() as db:
        customer = deferred.unique_number(db, "customer_number", CUSTOMER_DIGITS)
        conf = deferred.unique_number(db, "conf_number", CONF_DIGITS)
        payment = deferred.create(
            store, db, merchant_id, (fields.get("trading_id") or "").strip(), payment_amount,
            lib.PAYMENT_TYPE, deadline,
            {"pay_center_number": PAY_CENTER_NUMBER, "customer_number": customer,
             "conf_number": conf, "payment_detail": fields.get("payment_detail") or ""})
    return {"result": "0", "payment_id": str(payment["payment_id"]),
            "trading_id": payment["trading_id"], "pay_center_number": PAY_CENTER_NUMBER,
            "customer_number": customer, "conf_number": conf,
            "payment_limit_date": deferred.limit_date(deadline)}


ATM = SandboxMethod(
    lib=lib.ATM,
    telegrams=(Telegram(lib.APPLY, lib.TELEGRAM_PATH, REPLY_ITEMS, apply, deferred.DETAILS),),
    actions={},
    settle=deferred.settle,
    blueprint=deferred.pages,
)
