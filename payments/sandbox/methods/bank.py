"""銀行ネット決済 at the sandbox: 060 at ``/n/bank/requestasp`` makes a payment at 10 and answers
the URL of the bank selection look-alike (``/bank/select/…``); 050 at ``/n/bank/request`` does
the same for a bank chosen at the shop and answers a page that takes the buyer there. On that
page 支払う moves the payment to 40 and sends the buyer to the shop's return_url, 中断 to 15 and
its stop_return_url. 060's payment may be paid for ``asp_payment_term`` (DDDHHMM), 050's for
two days (seed 001: PAYGENT cancels an unfinished bank payment after two days); then it is 12.
A ``timeout`` fault is answered E001 with nothing made.
"""
import html
from urllib.parse import urlsplit

from flask import url_for

from payments.methods import bank as lib

from ..base import DAY, Refusal, SandboxMethod, Telegram
from . import deferred

DIRECT_DAYS = 2
ASP_ITEMS = ("payment_id", "trading_id", "asp_url")
DIRECT_ITEMS = ("payment_id", "trading_id", "redirect_html")


def _url(fields: dict, name: str) -> str:
    url = deferred.required(fields, name)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Refusal("P009")
    return url


def _term(fields: dict) -> float:
    """``asp_payment_term`` (DDDHHMM) in seconds: more than nothing, at most 99 days."""
    term = deferred.required(fields, "asp_payment_term")
    if len(term) != 7 or not term.isascii() or not term.isdigit():
        raise Refusal("P009")
    days, hours, minutes = int(term[:3]), int(term[3:5]), int(term[5:])
    seconds = days * DAY + hours * 3600 + minutes * 60
    if hours > 23 or minutes > 59 or not 0 < seconds <= lib.DEADLINE.max_days * DAY:
        raise Refusal("P009")
    return seconds


def _apply(store, merchant_id: str, fields: dict, timeout: bool, direct: bool):
    payment_amount = deferred.amount(fields.get("amount"), lib.MAX_AMOUNT)
    claim = deferred.required(fields, "claim_kanji")
    deferred.required(fields, "claim_kana")
    return_url = _url(fields, "return_url")
    stop_url = _url(fields, "stop_return_url") if fields.get("stop_return_url") else return_url
    bank_code = ""
    if direct:
        bank_code = deferred.required(fields, "bank_code")
        if bank_code not in deferred.BANKS:
            raise Refusal("P009")
        period = DIRECT_DAYS * DAY
    else:
        period = _term(fields)
    if timeout:
        raise Refusal("E001")
    now = store.now()
    with store.write() as db:
        token = deferred.new_token()
        payment = deferred.create(
            store, db, merchant_id, (fields.get("trading_id") or "").strip(), payment_amount,
            lib.PAYMENT_TYPE, now + period,
            {"page": token, "bank_code": bank_code, "claim_kanji": claim,
             "return_url": return_url, "stop_return_url": stop_url,
             "copy_right": fields.get("copy_right") or "",
             "free_memo": fields.get("free_memo") or ""})
    return payment, url_for("deferred.bank_select", token=token, _external=True)


def apply_asp(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    """060: the bank selection page's URL."""
    payment, url = _apply(store, merchant_id, fields, timeout, direct=False)
    return {"result": "0", "payment_id": str(payment["payment_id"]),
            "trading_id": payment["trading_id"], "asp_url": url}


def apply_direct(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    """050: a page that takes the buyer to the chosen bank (here: the same look-alike, with
    the bank chosen)."""
    payment, url = _apply(store, merchant_id, fields, timeout, direct=True)
    bank = html.escape(deferred.details(payment)["bank_code"])
    page = "\r\n".join((
        "<html><head><meta charset=\"Shift_JIS\"><title>銀行ネット決済</title></head>",
        "<body onload=\"document.forms[0].submit();\">",
        f"<form action=\"{html.escape(url)}\" method=\"GET\">",
        f"<input type=\"hidden\" name=\"bank\" value=\"{bank}\">",
        "<p>金融機関のページへ移動します。</p>",
        "<noscript><button type=\"submit\">次へ</button></noscript>",
        "</form></body></html>"))
    return {"result": "0", "payment_id": str(payment["payment_id"]),
            "trading_id": payment["trading_id"], "redirect_html": page}


BANK = SandboxMethod(
    lib=lib.BANK,
    telegrams=(Telegram(lib.APPLY, lib.TELEGRAM_PATH, DIRECT_ITEMS, apply_direct,
                        deferred.DETAILS),
               Telegram(lib.APPLY_ASP, lib.ASP_PATH, ASP_ITEMS, apply_asp, deferred.DETAILS)),
    actions={},
    settle=deferred.settle,
    blueprint=deferred.pages,
)
