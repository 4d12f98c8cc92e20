"""クレジットカード決済 at the sandbox: PAYGENT's side of the card telegrams (020–023, 028, 029 and
450 at ``/n/card/request``), the token service behind the ``PaygentToken.js`` look-alike, and the
issuer's 3-D Secure 2.0 challenge page (``/card/…``).

State rules: 020 → 20 (with sales_mode=1: 40), or 11 when the issuer declines; 20 → 40 (022),
20 → 32 (021), 40 → 60 (023); 028 from 20 and 029 from 40 make a new payment for the new
amount (at 20 with a fresh authorisation, at 40 captured now) and move the old one to 32 / 60;
20 → 33 once the authorisation is 60 days old. Anything else is 24003. A ``timeout`` fault is
the card company not answering: 2005, and 021/022/023 park the payment at 31/30/42 until it
settles. A ``second_half`` fault makes 028/029 create the new payment but leave the old one
as it was (2040, naming the new payment).

Tokens are one-time and expire (``token_ttl_seconds`` on the sandbox clock). A token row keeps
what the sandbox needs to play the card (which test card it is, the masked number, the brand
and the expiry), never the card number or the security code.

The rules are the sandbox's own, standing for PAYGENT's; only the status codes come from the
library (``payments.methods.card``). docs/card.md lists the test cards and what is unconfirmed.
"""
import html
import json
import os
import re
import secrets
import uuid
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, jsonify, request, send_from_directory, url_for

from payments.methods import card as lib
from payments.paygent import card as wire
from payments.paygent import stored_card as stored_wire

from ..base import (DAY, DETAILS as COMMON_DETAILS, JST, Refusal, SandboxMethod, Telegram,
                    error_reply, find_payment, get_payment, next_payment_id, queue_notice,
                    sandbox, stamp, update_payment)

AUTH_WINDOW = lib.WINDOW_DAYS * DAY
MAX_AMOUNT = 9_999_999

# -- test cards (any future expiry, any 3–4 digit security code) ----------------------------
APPROVED_CARD = "4111111111111111"
CHALLENGED_CARD = "4000000000003220"
DECLINED_CARD = "4000000000000002"
CAPTURE_FAILS_CARD = "4000000000009995"
APPROVE, CHALLENGE, DECLINE, CAPTURE_FAILS = "approve", "challenge", "decline", "capture_fails"
OUTCOMES = {APPROVED_CARD: APPROVE, CHALLENGED_CARD: CHALLENGE, DECLINED_CARD: DECLINE,
            CAPTURE_FAILS_CARD: CAPTURE_FAILS}
ONE_TIME_PASSWORD = "1234"

AUTHORIZE, AUTH_CANCEL, CAPTURE = lib.AUTHORIZE, lib.AUTH_CANCEL, lib.CAPTURE_KIND
SALES_CANCEL, AUTH_CHANGE, SALES_CHANGE, TDS2 = (lib.SALES_CANCEL, lib.AUTH_CHANGE,
                                                 lib.SALES_CHANGE, lib.TDS2)

CLOSED = frozenset({lib.CANCELLED, lib.AUTH_EXPIRED, lib.SALES_CANCELLED})

DETAILS = {
    **COMMON_DETAILS,
    "P005": "必須項目が指定されていません。",
    "P014": "金額は1以上を指定してください。",
    "24003": "決済ステータスが不正です。",
    wire.TDS_ABANDONED: "3Dセキュア認証が中断されました。",
    wire.TDS_FAILED: "3Dセキュア認証に失敗しました。",
    wire.DECLINED: "カード会社でオーソリが承認されませんでした。",
    wire.CAPTURE_REFUSED: "カード会社で売上が承認されませんでした。",
    wire.TIMEOUT: "カード会社との通信がタイムアウトしました。",
    wire.TDS_RESULT_INVALID: "3Dセキュア認証結果が不正です。",
    wire.TOKEN_NOT_FOUND: "トークンなしエラー",
    wire.TOKEN_EXPIRED: "トークンの有効期限が切れています。",
    wire.TOKEN_USED: "トークンは使用済みです。",
    wire.CHANGE_HALF_DONE: "変更後の決済は作成されましたが、変更前の決済の取消に失敗しました。",
    stored_wire.CARD_NOT_FOUND: "顧客カード情報が存在しません。",
}

# Where a card-company timeout leaves a payment, from which status, and where it settles.
TIMEOUT_STEPS = {CAPTURE: (lib.AUTHORIZED, lib.CAPTURE_REQUESTED, lib.CAPTURED),
                 AUTH_CANCEL: (lib.AUTHORIZED, lib.CANCEL_REQUESTED, lib.CANCELLED),
                 SALES_CANCEL: (lib.CAPTURED, lib.SALES_CANCEL_REQUESTED, lib.SALES_CANCELLED)}


# -- tokens -------------------------------------------------------------------------------
def _luhn(number: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "VISA"
    if number[:2] in ("34", "37"):
        return "AMEX"
    if number[:2] == "35":
        return "JCB"
    if number[:2] in ("30", "36", "38", "39"):
        return "DINERS"
    return "MASTER"


NAME = re.compile(r"^[A-Za-z][A-Za-z .'\-]{0,44}\Z")


def token_problem(fields: dict, now: float) -> str:
    """PaygentToken's result code for the card fields ("" when a token may be made)."""
    number = re.sub(r"[\s-]", "", str(fields.get("card_number") or ""))
    year = str(fields.get("expire_year") or "").strip()
    month = str(fields.get("expire_month") or "").strip()
    cvc = str(fields.get("cvc") or "").strip()
    name = str(fields.get("name") or "").strip()
    if not str(fields.get("merchant_id") or "").strip():
        return "1100"
    if not str(fields.get("token_key") or "").strip():
        return "1200"
    if not number:
        return "1300"
    if (not number.isascii() or not number.isdigit() or not 13 <= len(number) <= 19
            or number not in OUTCOMES and not _luhn(number)):
        return "1301"
    if not year:
        return "1400"
    if not (len(year) == 2 and year.isascii() and year.isdigit()):
        return "1401"
    if not month:
        return "1500"
    if not (len(month) == 2 and month.isascii() and month.isdigit() and 1 <= int(month) <= 12):
        return "1501"
    today = datetime.fromtimestamp(now, JST)
    if (2000 + int(year), int(month)) < (today.year, today.month):
        return "1502"
    if cvc and not (cvc.isascii() and cvc.isdigit() and 3 <= len(cvc) <= 4):
        return "1600"
    if name and not NAME.match(name):
        return "1700"
    return ""


def create_token(store, fields: dict) -> dict:
    """What PaygentToken.js gets back: ``result`` 0000 and the token, or an error code."""
    now = store.now()
    problem = token_problem(fields, now)
    if problem:
        return {"result": problem}
    number = re.sub(r"[\s-]", "", str(fields["card_number"]))
    token = "tok_" + secrets.token_urlsafe(24)
    masked = number[:6] + "*" * (len(number) - 10) + number[-4:]
    expires = now + float(store.setting("token_ttl_seconds"))
    valid_term = f"{str(fields['expire_month']).strip()}{str(fields['expire_year']).strip()}"
    with store.write() as db:
        db.execute("INSERT INTO card_tokens(token, merchant_id, token_key, outcome,"
                   " masked_card_number, card_brand, card_valid_term, created_at, expires_at)"
                   " VALUES(?,?,?,?,?,?,?,?,?)",
                   (token, str(fields["merchant_id"]).strip(),
                    str(fields["token_key"]).strip(), OUTCOMES.get(number, APPROVE), masked,
                    _brand(number), valid_term, now, expires))
    return {"result": "0000", "tokenizedCardObject": {
        "token": token, "masked_card_number": masked, "valid_until": stamp(expires),
        "fingerprint": ""}}


def _token(db, merchant_id: str, token: str, now: float):
    """The merchant's usable token row, else the refusal PAYGENT answers."""
    if not token:
        raise Refusal("P005")
    row = db.execute("SELECT t.*, m.token_key AS merchant_key FROM card_tokens t JOIN "
                     "merchants m ON m.merchant_id = t.merchant_id WHERE t.token=? AND "
                     "t.merchant_id=?", (token, merchant_id)).fetchone()
    # a token made with another merchant's or environment's key is not found (seed 003: 2021)
    if row is None or not row["merchant_key"] or row["token_key"] != row["merchant_key"]:
        raise Refusal(wire.TOKEN_NOT_FOUND)
    if row["used_at"] is not None:
        raise Refusal(wire.TOKEN_USED)
    if now > row["expires_at"]:
        raise Refusal(wire.TOKEN_EXPIRED)
    return row


def _amount(raw) -> int:
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise Refusal("P005")
    if text == "0" or text.startswith("-") and text[1:].isdigit():
        raise Refusal("P014")
    if not text.isascii() or not text.isdigit() or int(text) > MAX_AMOUNT:
        raise Refusal("P009")
    return int(text)


def _payment_class(fields: dict) -> tuple[str, str]:
    payment_class = (fields.get("payment_class") or "10").strip()
    if payment_class not in wire.PAYMENT_CLASSES.values():
        raise Refusal("P009")
    split = (fields.get("split_count") or "").strip()
    if payment_class == wire.PAYMENT_CLASSES["split"]:
        if not split.isdigit() or int(split) not in wire.SPLIT_COUNTS:
            raise Refusal("P009")
    elif split:
        raise Refusal("P009")
    return payment_class, split


# -- 450 3Dセキュア2.0認証 -------------------------------------------------------------------
def tds2(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    """450: the issuer's authentication for the token's card. Its reply's HTML takes the buyer
    to the issuer's page (challenged) or straight back to the term URL (frictionless)."""
    now = store.now()
    term_url = (fields.get("term_url") or "").strip()
    parts = urlsplit(term_url)
    if not term_url or not (fields.get("merchant_name") or "").strip():
        raise Refusal("P005")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Refusal("P009")
    amount = _amount(fields.get("payment_amount"))
    if timeout:
        raise Refusal(wire.TIMEOUT)
    with store.write() as db:
        if (fields.get("card_set_method") or "").strip() == wire.CARD_SET_CUSTOMER:
            row = _stored_as_token(store, db, merchant_id, fields, now)
        else:
            row = _token(db, merchant_id, (fields.get("card_token") or "").strip(), now)
        auth_id = str(uuid.uuid4())
        challenge = row["outcome"] == CHALLENGE
        db.execute("INSERT INTO tds_auths(auth_id, merchant_id, token, trading_id, amount,"
                   " term_url, challenge, state, answered_at, created_at)"
                   " VALUES(?,?,?,?,?,?,?,?,?,?)",
                   (auth_id, merchant_id, row["token"], (fields.get("trading_id") or ""),
                    amount, term_url, int(challenge), "pending" if challenge else "ok",
                    None if challenge else now, now))
    return {"result": "0", "3ds_auth_id": auth_id, "out_acs_html": _acs_html(auth_id)}


def _stored_as_token(store, db, merchant_id: str, fields: dict, now: float):
    """450 for a stored card: the card stands in as a one-time token of its own (named after
    the card, so that 020 can tell the result is this card's), so the issuer's pages and the
    result work as for a token's card."""
    card = stored_card(db, merchant_id, (fields.get("customer_id") or "").strip(),
                       (fields.get("customer_card_id") or "").strip())
    token = f"stk_{card['customer_card_id']}_{secrets.token_urlsafe(12)}"
    db.execute("INSERT INTO card_tokens(token, merchant_id, token_key, outcome,"
               " masked_card_number, card_brand, card_valid_term, created_at, expires_at)"
               " VALUES(?,?,?,?,?,?,?,?,?)",
               (token, merchant_id, "", card["outcome"], card["masked_card_number"],
                card["card_brand"], card["card_valid_term"], now,
                now + float(store.setting("token_ttl_seconds"))))
    return db.execute("SELECT * FROM card_tokens WHERE token=?", (token,)).fetchone()


def _acs_html(auth_id: str) -> str:
    action = html.escape(url_for("card.tds_start", auth_id=auth_id, _external=True))
    return "\r\n".join((
        "<html><head><meta charset=\"Shift_JIS\"><title>3-D Secure</title></head>",
        "<body onload=\"OnLoadEvent();\">",
        f"<form name=\"submitForm\" id=\"submitForm\" action=\"{action}\" method=\"POST\">",
        f"<input type=\"hidden\" name=\"3ds_auth_id\" value=\"{auth_id}\">",
        "<p>カード会社の本人認証へ移動します。</p>",
        "<noscript><button type=\"submit\">次へ</button></noscript>",
        "</form>",
        "<script type=\"text/javascript\">function OnLoadEvent(){document.submitForm.submit();}"
        "</script>",
        "</body></html>"))


# -- 020 オーソリ --------------------------------------------------------------------------
def authorize(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    """020 with a token, or with a stored card (``stock_card_mode=1``: the customer's card in
    the merchant's card store, authorised by the same rules as the token it was stored from)."""
    now = store.now()
    amount = _amount(fields.get("payment_amount"))
    payment_class, split = _payment_class(fields)
    sales_mode = (fields.get("sales_mode") or "0").strip()
    if sales_mode not in ("0", "1"):
        raise Refusal("P009")
    stored = (fields.get("stock_card_mode") or "").strip() == wire.STOCK_CARD_MODE
    with store.write() as db:
        if stored:
            card = stored_card(db, merchant_id, (fields.get("customer_id") or "").strip(),
                               (fields.get("customer_card_id") or "").strip())
            if (fields.get("3dsecure_use_type") or "").strip() == wire.TDS_USE_TYPE_2:
                _use_tds(db, merchant_id, fields,
                         {"token": f"stk_{card['customer_card_id']}_"}, amount, now,
                         prefix=True)
        else:
            card = _token(db, merchant_id, (fields.get("card_token") or "").strip(), now)
            if (fields.get("3dsecure_use_type") or "").strip() == wire.TDS_USE_TYPE_2:
                _use_tds(db, merchant_id, fields, card, amount, now)
            db.execute("UPDATE card_tokens SET used_at=? WHERE token=?", (now, card["token"]))
        if timeout:
            return error_reply(wire.TIMEOUT, DETAILS)  # returned: the used token must stick
        payment, refused = authorize_card(store, db, merchant_id,
                                          (fields.get("trading_id") or "").strip(), amount,
                                          card, payment_class, split, sales_mode == "1", now)
        reply = {"payment_id": str(payment["payment_id"]),
                 "masked_card_number": card["masked_card_number"],
                 "card_brand": card["card_brand"]}
        if refused:  # PAYGENT keeps the オーソリNG payment (seed 001); no notice for it
            return {**error_reply(refused, DETAILS), **reply}
        return {"result": "0", **reply}


def stored_card(db, merchant_id: str, customer_id: str, customer_card_id: str):
    """The merchant's stored card of this customer, else the refusal PAYGENT answers."""
    if not customer_id or not customer_card_id:
        raise Refusal("P005")
    if not customer_card_id.isdigit() or len(customer_card_id) > 18:
        raise Refusal(stored_wire.CARD_NOT_FOUND)
    row = db.execute("SELECT * FROM stored_cards WHERE merchant_id=? AND customer_id=? AND "
                     "customer_card_id=? AND deleted_at IS NULL",
                     (merchant_id, customer_id, int(customer_card_id))).fetchone()
    if row is None:
        raise Refusal(stored_wire.CARD_NOT_FOUND)
    return row


def authorize_card(store, db, merchant_id: str, trading_id: str, amount: int, card,
                   payment_class: str, split: str, capture: bool, now: float):
    """The card company's answer to an authorisation of ``card`` (a token's or a stored card's
    row: its test-card behaviour, masked number and brand): the payment PAYGENT makes (20, 40
    with ``capture``, 11 when declined) and the refusal's code ("" when approved)."""
    details = {"outcome": card["outcome"], "masked_card_number": card["masked_card_number"],
               "card_brand": card["card_brand"], "payment_class": payment_class,
               "split_count": split}
    refused = (wire.DECLINED if card["outcome"] == DECLINE
               else wire.CAPTURE_REFUSED if capture and card["outcome"] == CAPTURE_FAILS
               else "")
    status = lib.AUTH_NG if refused else lib.CAPTURED if capture else lib.AUTHORIZED
    payment = _insert(db, merchant_id, trading_id, amount, status, details, now,
                      authorized_at=None if refused else now,
                      captured_at=now if capture and not refused else None)
    if not refused:
        queue_notice(store, db, payment, "")
    return payment, refused


def _use_tds(db, merchant_id, fields, token, amount, now, prefix: bool = False) -> None:
    """The 3-D Secure 2.0 result 020 names: answered ok, for this token (a stored card's:
    its tokens' ``prefix``) and amount, once."""
    auth = db.execute("SELECT * FROM tds_auths WHERE auth_id=? AND merchant_id=?",
                      ((fields.get("3ds_auth_id") or "").strip(), merchant_id)).fetchone()
    same = auth is not None and (auth["token"].startswith(token["token"]) if prefix
                                 else auth["token"] == token["token"])
    if (auth is None or auth["state"] != "ok" or auth["used_at"] is not None
            or not same or auth["amount"] != amount):
        raise Refusal(wire.TDS_RESULT_INVALID)
    db.execute("UPDATE tds_auths SET used_at=? WHERE auth_id=?", (now, auth["auth_id"]))


def _insert(db, merchant_id, trading_id, amount, status, details, now, authorized_at=None,
            captured_at=None, parent=None):
    payment_id = next_payment_id(db)
    db.execute(
        "INSERT INTO payments(payment_id, merchant_id, trading_id, paidy_payment_id,"
        " payment_type, status, amount, authorized_at, captured_at, parent_payment_id,"
        " details, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (payment_id, merchant_id, trading_id, "", lib.PAYMENT_TYPE, status, amount,
         authorized_at, captured_at, parent, json.dumps(details, ensure_ascii=False), now, now))
    return get_payment(db, payment_id)


def create_authorized_payment(store, merchant_id: str, trading_id: str, amount: int,
                              card: str = APPROVED_CARD, capture: bool = False) -> dict:
    """A card payment at 20 (40 with ``capture``), as if the buyer had paid with ``card``."""
    now = store.now()
    outcome = OUTCOMES.get(card, APPROVE)
    details = {"outcome": outcome, "masked_card_number": card[:6] + "******" + card[-4:],
               "card_brand": _brand(card), "payment_class": "10", "split_count": ""}
    with store.write() as db:
        payment = _insert(db, merchant_id, trading_id, amount,
                          lib.CAPTURED if capture else lib.AUTHORIZED, details, now,
                          authorized_at=now, captured_at=now if capture else None)
        queue_notice(store, db, payment, "")
    return dict(payment)


# -- 021/022/023/028/029 -------------------------------------------------------------------
def operate(store, merchant_id: str, kind: str, fields: dict, timeout: bool = False,
            fault: str = "") -> dict:
    now = store.now()
    amount = _amount(fields.get("payment_amount")) if kind in CHANGES else None
    with store.write() as db:
        payment = settle(store, db, find_payment(db, merchant_id, fields), now)
        if timeout:
            return _time_out(store, db, payment, kind, now)
        if kind in CHANGES:
            return _change(store, db, payment, kind, amount, now, fault)
        return OPERATIONS[kind](store, db, payment, now)


def _time_out(store, db, payment, kind, now):
    """The card company did not answer in time: PAYGENT parks the payment, settles it later."""
    if kind in TIMEOUT_STEPS and payment["status"] == TIMEOUT_STEPS[kind][0]:
        _, parked, target = TIMEOUT_STEPS[kind]
        if kind == CAPTURE and _details(payment).get("outcome") == CAPTURE_FAILS:
            target = lib.AUTHORIZED  # the capture the card company refuses never happens
        update_payment(db, payment, now, status=parked, pending_target=target,
                       pending_event="", pending_amount=None,
                       pending_until=now + float(store.setting("settle_seconds")))
    return error_reply(wire.TIMEOUT, DETAILS)


def _details(payment) -> dict:
    try:
        details = json.loads(payment["details"] or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _capture(store, db, payment, now):
    if payment["status"] != lib.AUTHORIZED:
        raise Refusal("24003")
    if _details(payment).get("outcome") == CAPTURE_FAILS:
        raise Refusal(wire.CAPTURE_REFUSED)
    payment = update_payment(db, payment, now, status=lib.CAPTURED, captured_at=now)
    queue_notice(store, db, payment, "")
    return {"result": "0", "payment_id": str(payment["payment_id"])}


def _cancel_authorization(store, db, payment, now):
    if payment["status"] != lib.AUTHORIZED:
        raise Refusal("24003")
    payment = update_payment(db, payment, now, status=lib.CANCELLED, closed_at=now)
    queue_notice(store, db, payment, "")
    return {"result": "0", "payment_id": str(payment["payment_id"])}


def _cancel_sales(store, db, payment, now):
    if payment["status"] != lib.CAPTURED:
        raise Refusal("24003")
    payment = update_payment(db, payment, now, status=lib.SALES_CANCELLED, closed_at=now)
    queue_notice(store, db, payment, "")
    return {"result": "0", "payment_id": str(payment["payment_id"])}


OPERATIONS = {CAPTURE: _capture, AUTH_CANCEL: _cancel_authorization,
              SALES_CANCEL: _cancel_sales}
#: amount change: the status it runs from, where the old payment goes
CHANGES = {AUTH_CHANGE: (lib.AUTHORIZED, lib.CANCELLED),
           SALES_CHANGE: (lib.CAPTURED, lib.SALES_CANCELLED)}


def _change(store, db, payment, kind, amount, now, fault):
    """028/029: a new payment for the new amount; the old one cancelled (unless the
    ``second_half`` fault keeps it as it was)."""
    source, old_target = CHANGES[kind]
    if payment["status"] != source:
        raise Refusal("24003")
    if amount == payment["amount"]:
        raise Refusal("P009")
    captured = kind == SALES_CHANGE
    new = _insert(db, payment["merchant_id"], payment["trading_id"], amount, source,
                  _details(payment), now,
                  authorized_at=payment["authorized_at"] if captured else now,
                  captured_at=now if captured else None, parent=payment["payment_id"])
    queue_notice(store, db, new, "")
    reply = {"payment_id": str(new["payment_id"])}
    if fault == "second_half":
        return {**error_reply(wire.CHANGE_HALF_DONE, DETAILS), **reply}
    old = update_payment(db, payment, now, status=old_target, closed_at=now)
    queue_notice(store, db, old, "")
    return {"result": "0", **reply}


def settle(store, db, payment, now):
    """Move the payment to where time has taken it: a parked request settles, and an
    authorisation runs out after 60 days."""
    if payment["pending_target"] and now >= (payment["pending_until"] or 0):
        target = payment["pending_target"]
        changes = {"status": target, "pending_target": "", "pending_event": "",
                   "pending_until": None, "pending_amount": None}
        if target == lib.CAPTURED:
            changes["captured_at"] = now
        if target in CLOSED:
            changes["closed_at"] = now
        payment = update_payment(db, payment, now, **changes)
        if target != lib.AUTHORIZED:
            queue_notice(store, db, payment, "")
    if (payment["status"] == lib.AUTHORIZED and payment["authorized_at"] is not None
            and now - payment["authorized_at"] > AUTH_WINDOW):
        payment = update_payment(db, payment, now, status=lib.AUTH_EXPIRED, closed_at=now)
        queue_notice(store, db, payment, "")
    return payment


def _operation(kind: str):
    def run(store, merchant_id: str, fields: dict, timeout: bool = False,
            fault: str = "") -> dict:
        return operate(store, merchant_id, kind, fields, timeout, fault)
    run.__name__ = f"operate_{kind}"
    return run


# -- the browser's pages: the token script and service, the issuer's challenge ----------------
STATIC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "static")
pages = Blueprint("card", __name__, url_prefix="/card")


@pages.get("/PaygentToken.js")
def token_js():
    response = send_from_directory(STATIC, "PaygentToken.js",
                                   mimetype="application/javascript")
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.route("/token", methods=["POST", "OPTIONS"])
def token_service():
    """What PaygentToken.js posts the card to (never the shop): a one-time token back."""
    if request.method == "OPTIONS":
        return _cors(Response(status=204))
    fields = request.get_json(silent=True)
    if not isinstance(fields, dict):
        fields = request.form.to_dict()
    response = jsonify(create_token(sandbox().store, fields))
    response.headers["Cache-Control"] = "no-store"
    return _cors(response)


def _cors(response):
    # The script runs on the shop's page, which may be served from another origin.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    return response


def _auth(auth_id: str):
    return sandbox().store.db.execute("SELECT a.*, m.tds_hash_key, m.store_name, "
                                      "t.masked_card_number FROM tds_auths a JOIN merchants m "
                                      "ON m.merchant_id = a.merchant_id JOIN card_tokens t "
                                      "ON t.token = a.token WHERE a.auth_id=?",
                                      (auth_id,)).fetchone()


def return_url(auth, state: str, code: str = "") -> str:
    """Where the issuer's page sends the buyer: the shop's term URL with the result and its
    ``hc`` (made with the merchant's 3Dセキュア結果受付ハッシュ鍵)."""
    result = "0" if state == "ok" else "1"
    params = {"result": result, "3ds_auth_id": auth["auth_id"], "attempt_kbn": "",
              "trading_id": auth["trading_id"]}
    if code:
        params.update(response_code=code, response_detail=DETAILS.get(code, ""))
    params["hc"] = wire.tds_result_hash(result, auth["auth_id"], "", auth["tds_hash_key"])
    term = auth["term_url"]
    return term + ("&" if urlsplit(term).query else "?") + urlencode(params)


@pages.route("/3ds/<auth_id>", methods=["GET", "POST"])
def tds_start(auth_id):
    """Where the 450 HTML takes the buyer: the challenge, or straight back when frictionless."""
    auth = _auth(auth_id)
    if auth is None:
        return _page("認証情報が見つかりません。", status=404)
    if auth["used_at"] is not None or auth["challenge"] and auth["state"] != "pending":
        return _page("この本人認証はすでに完了しています。", status=409)
    if not auth["challenge"]:
        return _redirect(return_url(auth, "ok"))
    return _challenge_page(auth)


@pages.post("/3ds/<auth_id>/answer")
def tds_answer(auth_id):
    """The buyer's answer: the one-time password (1234 approves), or キャンセル. Once only."""
    store = sandbox().store
    now = store.now()
    cancelled = request.form.get("action") == "cancel"
    approved = not cancelled and request.form.get("otp", "").strip() == ONE_TIME_PASSWORD
    state = "abandoned" if cancelled else "ok" if approved else "failed"
    code = wire.TDS_ABANDONED if cancelled else "" if approved else wire.TDS_FAILED
    with store.write() as db:
        done = db.execute("UPDATE tds_auths SET state=?, response_code=?, answered_at=? "
                          "WHERE auth_id=? AND challenge=1 AND state='pending'",
                          (state, code, now, auth_id)).rowcount
    auth = _auth(auth_id)
    if auth is None:
        return _page("認証情報が見つかりません。", status=404)
    if not done:
        return _page("この本人認証はすでに完了しています。", status=409)
    return _redirect(return_url(auth, state, code))


def _redirect(url: str):
    response = Response(status=303)
    response.headers["Location"] = url
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(body: str, status: int = 200, title: str = "本人認証") -> Response:
    page = (f"<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
            f"<body><main class=\"acs\">{body}</main></body></html>")
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


STYLE = ("body{font-family:sans-serif;background:#eef1f5;margin:0}"
         ".acs{max-width:420px;margin:40px auto;background:#fff;border:1px solid #ccd;"
         "border-radius:8px;padding:24px}h1{font-size:18px}dl{display:grid;"
         "grid-template-columns:auto 1fr;gap:4px 12px}dt{color:#555}"
         "input{font-size:18px;padding:6px;width:8em}button{font-size:16px;padding:8px 16px;"
         "margin:12px 8px 0 0}.note{color:#666;font-size:13px}")


def _challenge_page(auth) -> Response:
    action = html.escape(url_for("card.tds_answer", auth_id=auth["auth_id"]))
    body = (
        "<h1>本人認証（3Dセキュア）</h1>"
        "<p>カード会社に登録したワンタイムパスワードを入力してください。</p>"
        f"<dl><dt>加盟店</dt><dd>{html.escape(auth['store_name'] or '-')}</dd>"
        f"<dt>金額</dt><dd>{auth['amount']:,}円</dd>"
        f"<dt>カード番号</dt><dd>{html.escape(auth['masked_card_number'])}</dd></dl>"
        f"<form method=\"post\" action=\"{action}\">"
        "<label>ワンタイムパスワード <input name=\"otp\" id=\"otp\" inputmode=\"numeric\" "
        "autocomplete=\"one-time-code\" maxlength=\"8\" autofocus></label><br>"
        "<button type=\"submit\" name=\"action\" value=\"submit\" id=\"tds-submit\">認証する"
        "</button>"
        "<button type=\"submit\" name=\"action\" value=\"cancel\" id=\"tds-cancel\" "
        "formnovalidate>キャンセル</button></form>"
        f"<p class=\"note\">テスト環境: ワンタイムパスワード {ONE_TIME_PASSWORD} で認証されます。"
        "</p>")
    return _page(body)


# -- the method --------------------------------------------------------------------------
PATH = lib.TELEGRAM_PATH
PAYMENT_ITEMS = ("payment_id",)
AUTHORIZE_ITEMS = ("payment_id", "masked_card_number", "card_brand")

CARD = SandboxMethod(
    lib=lib.CARD,
    telegrams=(
        Telegram(AUTHORIZE, PATH, AUTHORIZE_ITEMS, authorize, DETAILS),
        Telegram(AUTH_CANCEL, PATH, PAYMENT_ITEMS, _operation(AUTH_CANCEL), DETAILS),
        Telegram(CAPTURE, PATH, PAYMENT_ITEMS, _operation(CAPTURE), DETAILS),
        Telegram(SALES_CANCEL, PATH, PAYMENT_ITEMS, _operation(SALES_CANCEL), DETAILS),
        Telegram(AUTH_CHANGE, PATH, PAYMENT_ITEMS, _operation(AUTH_CHANGE), DETAILS,
                 faults=("second_half",)),
        Telegram(SALES_CHANGE, PATH, PAYMENT_ITEMS, _operation(SALES_CHANGE), DETAILS,
                 faults=("second_half",)),
        Telegram(TDS2, PATH, ("3ds_auth_id", "out_acs_html"), tds2, DETAILS),
    ),
    actions={"capture": CAPTURE, "cancel": AUTH_CANCEL, "cancel_sales": SALES_CANCEL,
             "change": AUTH_CHANGE, "change_sales": SALES_CHANGE},
    settle=settle,
    blueprint=pages,
    amount_field="payment_amount",
)
