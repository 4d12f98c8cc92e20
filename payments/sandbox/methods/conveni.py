"""コンビニ決済（番号方式） at the sandbox: 030 at ``/n/conveni/request`` makes a payment at 10
with the number the chosen store takes (and the 払込票 URL for セブン-イレブン) and its deadline;
paying it (the store terminal page or the control API), a 速報 and its cancellation, and the
deadline passing move it as ``deferred.py`` says. A ``timeout`` fault is answered E001 with
nothing made.
"""
from flask import url_for

from payments.methods import conveni as lib
from payments.paygent import text

from ..base import Refusal, SandboxMethod, Telegram
from . import deferred

#: what each store's number looks like (digits, leading digits) and where else it is payable
NUMBERS = {lib.SEVEN_ELEVEN: (13, "1"), lib.LAWSON: (11, "5"), lib.MINISTOP: (11, "5"),
           lib.FAMILYMART: (11, "6"), lib.DAILY_YAMAZAKI: (11, "7"), lib.SEICOMART: (6, "")}
USABLE = {lib.LAWSON: (lib.LAWSON, lib.MINISTOP), lib.MINISTOP: (lib.LAWSON, lib.MINISTOP)}
REPLY_ITEMS = ("payment_id", "trading_id", "receipt_number", "usable_cvs_company_id",
               "payment_limit_date", "receipt_print_url")


def apply(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    """030: a payment at 10 申込済 for the chosen store, payable until the end of the day
    ``payment_limit_date`` days from today."""
    payment_amount = deferred.amount(fields.get("payment_amount"), lib.MAX_AMOUNT)
    company = deferred.required(fields, "cvs_company_id")
    if company not in NUMBERS:
        raise Refusal("P009")
    deferred.required(fields, "customer_family_name")
    tel = text.digits(deferred.required(fields, "customer_tel"))
    if len(tel) not in (10, 11):
        raise Refusal("P009")
    days = deferred.limit_days(fields, lib.DEADLINE)
    if (fields.get("sales_type") or "1").strip() not in ("1", "3"):
        raise Refusal("P009")
    if timeout:
        raise Refusal("E001")
    now = store.now()
    deadline = deferred.end_of_day(now, days)
    digits, prefix = NUMBERS[company]
    with store.write() as db:
        number = deferred.unique_number(db, "receipt_number", digits, prefix)
        slip = deferred.new_token() if company == lib.SEVEN_ELEVEN else ""
        payment = deferred.create(
            store, db, merchant_id, (fields.get("trading_id") or "").strip(), payment_amount,
            lib.PAYMENT_TYPE, deadline,
            {"store": company, "receipt_number": number, "slip": slip, "tel": tel})
    usable = "-".join(USABLE.get(company, (company,)))
    return {"result": "0", "payment_id": str(payment["payment_id"]),
            "trading_id": payment["trading_id"], "receipt_number": number,
            "usable_cvs_company_id": usable, "payment_limit_date": deferred.limit_date(deadline),
            "receipt_print_url": url_for("deferred.slip", token=slip, _external=True)
            if slip else ""}


CONVENI = SandboxMethod(
    lib=lib.CONVENI,
    telegrams=(Telegram(lib.APPLY, lib.TELEGRAM_PATH, REPLY_ITEMS, apply, deferred.DETAILS),),
    actions={},
    settle=deferred.settle,
    blueprint=deferred.pages,
)
