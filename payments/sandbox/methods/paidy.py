"""あと払い(ペイディ) at the sandbox: PAYGENT's side of the Paidy telegrams (340–343 at
``/n/paidy/request``) and the Paidy Checkout look-alike (``/paidy/…``).

State rules: 20 → 40 (341), 20 → 32 (340), 20 → 33 after 30 days (Paidy's authorisation
window in PAYGENT's test environment, which the sandbox stands for; 90 in production),
40 → 60 (342 full), 40 → 60 plus a new payment at 40 for the remainder (342 partial), 40 → 41
90 days after capture. Anything else is 24003; past a window 24006; refunding more than is
left 24007. A Paidy timeout (24005) parks the payment at 30/31/42 until it settles.

The rules are the sandbox's own, standing for PAYGENT's; only the status codes and their names
come from the library (``payments.methods.paidy``).
"""
import json
import os
import re
import secrets
from datetime import datetime, timezone

from flask import Blueprint, Response, jsonify, request, send_from_directory

from payments.methods import paidy as lib

from ..base import (DAY, DETAILS as COMMON_DETAILS, Refusal, SandboxMethod, Telegram,
                    error_reply, find_payment, get_payment, next_payment_id, queue_notice,
                    sandbox, update_payment)

AUTH_WINDOW = 30 * DAY  # Paidy in PAYGENT's test environment (production: 90 days)
REFUND_WINDOW = 90 * DAY

#: Nothing moves a payment out of these; reaching one closes it (``closed_at``).
CLOSED = frozenset({lib.CANCELLED, lib.AUTH_EXPIRED, lib.REFUNDED})

DETAILS = {
    **COMMON_DETAILS,
    "P014": "金額は1以上を指定してください。",
    "24003": "決済ステータスが不正です。",
    "24006": "処理可能な期限を過ぎています。",
    "24007": "返金額が決済金額を超えています。",
}

CANCEL, CAPTURE, REFUND, VERIFY = "340", "341", "342", lib.VERIFY

# Where a Paidy timeout leaves a payment, from which status, and where it settles.
TIMEOUT_STEPS = {CAPTURE: (lib.CAPTURE_REQUESTED, lib.CAPTURED, "capture"),
                 CANCEL: (lib.CANCEL_REQUESTED, lib.CANCELLED, "cancel"),
                 REFUND: (lib.REFUND_REQUESTED, lib.REFUNDED, "refund")}
TIMEOUT_FROM = {CAPTURE: (lib.AUTHORIZED,), CANCEL: (lib.AUTHORIZED,), REFUND: (lib.CAPTURED,)}

VERIFY_ITEMS = ("retrieve_result", "paidy_payment_id", "payment_amount", "currency",
                "order_ref", "payment_id", "payment_status", "buyer_email", "buyer_name1",
                "buyer_name2", "buyer_phone", "shipping_zip", "shipping_state",
                "shipping_city", "shipping_line1", "shipping_line2")


# -- payments --------------------------------------------------------------------------
def create_authorized_payment(store, merchant_id: str, trading_id: str, amount: int,
                              details: dict | None = None, paidy_payment_id: str = "") -> dict:
    """What Paidy's webhook makes PAYGENT do: a payment at 20, and a notice to the shop."""
    now = store.now()
    paidy_payment_id = paidy_payment_id or new_paidy_payment_id()
    with store.write() as db:
        payment_id = next_payment_id(db)
        db.execute(
            "INSERT INTO payments(payment_id, merchant_id, trading_id, paidy_payment_id,"
            " payment_type, status, amount, authorized_at, details, created_at, updated_at) "
            "VALUES(?,?,?,?,?,?,?,?,?,?,?)",
            (payment_id, merchant_id, trading_id, paidy_payment_id, lib.PAYMENT_TYPE,
             lib.AUTHORIZED, amount, now, json.dumps(details or {}, ensure_ascii=False),
             now, now))
        payment = get_payment(db, payment_id)
        queue_notice(store, db, payment, "authorize")
    return dict(payment)


def new_paidy_payment_id() -> str:
    return "pay_" + secrets.token_urlsafe(12)


def settle(store, db, payment, now):
    """Move the payment to where time has taken it: a timed-out request settles, and an
    authorisation (30 days) or a capture (90 days) runs out of its window."""
    if payment["pending_target"] and now >= (payment["pending_until"] or 0):
        event = payment["pending_event"]
        partial = payment["pending_amount"]
        if event == "refund" and partial is not None and partial < payment["amount"]:
            payment = update_payment(db, payment, now, status=lib.CAPTURED, pending_target="",
                                     pending_event="", pending_until=None, pending_amount=None)
            _apply_refund(store, db, payment, partial, now)
            return get_payment(db, payment["payment_id"])
        changes = {"status": payment["pending_target"], "pending_target": "",
                   "pending_event": "", "pending_until": None, "pending_amount": None}
        if payment["pending_target"] == lib.CAPTURED:
            changes["captured_at"] = now
        if payment["pending_target"] in CLOSED:
            changes["closed_at"] = now
        payment = update_payment(db, payment, now, **changes)
        queue_notice(store, db, payment, event)
    if payment["status"] == lib.AUTHORIZED and now - payment["authorized_at"] > AUTH_WINDOW:
        payment = update_payment(db, payment, now, status=lib.AUTH_EXPIRED, closed_at=now)
        queue_notice(store, db, payment, "expire")
    if payment["status"] == lib.CAPTURED and now - payment["captured_at"] > REFUND_WINDOW:
        payment = update_payment(db, payment, now, status=lib.CAPTURED_LOCKED)
    return payment


# -- telegrams 340–342 -------------------------------------------------------------------
def operate(store, merchant_id: str, kind: str, fields: dict, timeout: bool = False) -> dict:
    """Run 340/341/342 for a merchant. Returns the reply fields."""
    if kind not in OPERATIONS:
        raise Refusal("P009")
    now = store.now()
    with store.write() as db:
        payment = settle(store, db, find_payment(db, merchant_id, fields), now)
        if timeout:
            return _time_out(store, db, payment, kind, fields, now)
        return OPERATIONS[kind](store, db, payment, fields, now)


def _time_out(store, db, payment, kind, fields, now):
    """Paidy did not answer in time: PAYGENT parks the payment and settles it later."""
    if payment["status"] in TIMEOUT_FROM[kind]:
        parked, target, event = TIMEOUT_STEPS[kind]
        amount = _refund_amount(payment, fields.get("amount")) if kind == REFUND else None
        update_payment(db, payment, now, status=parked, pending_target=target,
                       pending_event=event,
                       pending_until=now + float(store.setting("settle_seconds")),
                       pending_amount=amount)
    # returned, not raised: the parked state must be committed
    return error_reply("24005", DETAILS)


def _capture(store, db, payment, fields, now):
    if payment["status"] == lib.AUTH_EXPIRED:
        raise Refusal("24006")
    if payment["status"] != lib.AUTHORIZED:
        raise Refusal("24003")
    payment = update_payment(db, payment, now, status=lib.CAPTURED, captured_at=now)
    queue_notice(store, db, payment, "capture")
    return {"result": "0", "payment_id": str(payment["payment_id"])}


def _cancel(store, db, payment, fields, now):
    if payment["status"] == lib.AUTH_EXPIRED:
        raise Refusal("24006")
    if payment["status"] != lib.AUTHORIZED:
        raise Refusal("24003")
    payment = update_payment(db, payment, now, status=lib.CANCELLED, closed_at=now)
    queue_notice(store, db, payment, "cancel")
    return {"result": "0", "payment_id": str(payment["payment_id"])}


def _refund(store, db, payment, fields, now):
    if payment["status"] == lib.CAPTURED_LOCKED:
        raise Refusal("24006")
    if payment["status"] != lib.CAPTURED:
        raise Refusal("24003")
    amount = _refund_amount(payment, fields.get("amount"))
    new = _apply_refund(store, db, payment, amount, now)
    return {"result": "0", "payment_id": str(new["payment_id"])}


OPERATIONS = {CAPTURE: _capture, CANCEL: _cancel, REFUND: _refund}


def _refund_amount(payment, raw_amount) -> int | None:
    """The amount of a partial refund, checked as PAYGENT does; None for a full one."""
    if raw_amount in (None, ""):
        return None
    text = str(raw_amount).strip()
    if text.startswith("-") and text[1:].isdigit() or text == "0":
        raise Refusal("P014")
    if not text.isdigit():
        raise Refusal("P009")
    amount = int(text)
    if amount <= 0:
        raise Refusal("P014")
    if amount > payment["amount"]:
        raise Refusal("24007")
    return amount


def _apply_refund(store, db, payment, amount, now):
    """Refund ``amount`` (None: all). Returns the payment the shop must use from now on."""
    old = update_payment(db, payment, now, status=lib.REFUNDED, closed_at=now)
    queue_notice(store, db, old, "refund")
    if amount is None or amount == payment["amount"]:
        return old
    # Partial refund: the rest lives on as a new payment that the shop must use from now on.
    new_id = next_payment_id(db)
    db.execute(
        "INSERT INTO payments(payment_id, merchant_id, trading_id, paidy_payment_id,"
        " payment_type, status, amount, authorized_at, captured_at, parent_payment_id,"
        " details, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (new_id, payment["merchant_id"], payment["trading_id"], payment["paidy_payment_id"],
         payment["payment_type"], lib.CAPTURED, payment["amount"] - amount,
         payment["authorized_at"], payment["captured_at"], payment["payment_id"],
         payment["details"], now, now))
    new = get_payment(db, new_id)
    queue_notice(store, db, new, "refund")
    return new


# -- telegram 343 ------------------------------------------------------------------------
def verify(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    """343 決済情報検証: what PAYGENT holds for a Paidy payment id (pay_…)."""
    if timeout:
        raise Refusal("24005")
    with store.write() as db:
        return _verify(db, merchant_id, fields)


def _verify(db, merchant_id, fields):
    paidy_id = (fields.get("paidy_payment_id") or "").strip()
    if not paidy_id:
        raise Refusal("P009")
    row = db.execute(
        "SELECT * FROM payments WHERE paidy_payment_id=? AND merchant_id=? "
        "ORDER BY payment_id LIMIT 1", (paidy_id, merchant_id)).fetchone()
    if row is None:
        return {"result": "0", "retrieve_result": "1", "paidy_payment_id": paidy_id}
    details = json.loads(row["details"])
    buyer = details.get("buyer") if isinstance(details.get("buyer"), dict) else {}
    shipping = details.get("shipping_address")
    shipping = shipping if isinstance(shipping, dict) else {}
    return {
        "result": "0", "retrieve_result": "0", "paidy_payment_id": paidy_id,
        "payment_amount": str(row["amount"]), "currency": row["currency"],
        "order_ref": row["trading_id"], "payment_id": str(row["payment_id"]),
        "payment_status": row["status"],
        "buyer_email": buyer.get("email"), "buyer_name1": buyer.get("name1"),
        "buyer_name2": buyer.get("name2"), "buyer_phone": buyer.get("phone"),
        "shipping_zip": shipping.get("zip"), "shipping_state": shipping.get("state"),
        "shipping_city": shipping.get("city"), "shipping_line1": shipping.get("line1"),
        "shipping_line2": shipping.get("line2"),
    }


def _operation(kind: str):
    def run(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
        return operate(store, merchant_id, kind, fields, timeout)
    run.__name__ = f"operate_{kind}"
    return run


# -- Paidy Checkout ----------------------------------------------------------------------
STATIC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "static")
REJECTED_EMAIL = "rejected.payment@paidy.com"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
MOBILE = re.compile(r"^0[789]0\d{8}\Z")
MAX_AMOUNT = 500_000  # the sandbox's ceiling for one Paidy checkout

checkout = Blueprint("paidy", __name__, url_prefix="/paidy")


@checkout.get("/checkout.js")
def checkout_js():
    response = send_from_directory(STATIC, "checkout.js", mimetype="application/javascript")
    response.headers["Cache-Control"] = "no-store"
    return response


@checkout.get("/try")
def paidy_try():
    """A page to try the modal by hand with any registered public key."""
    return send_from_directory(STATIC, "try.html", mimetype="text/html")


@checkout.route("/payments", methods=["POST", "OPTIONS"])
def paidy_payments():
    if request.method == "OPTIONS":
        return _cors(Response(status=204))
    store = sandbox().store
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    merchant = store.merchant_by_public_key(str(data.get("api_key", "")))
    if merchant is None:
        return _cors(jsonify(error="invalid_api_key",
                             message="パブリックキーが正しくありません。")), 401
    problem = _payload_problem(data)
    if problem:
        return _cors(jsonify(error="invalid_payload", message=problem)), 400
    payload = data["payload"]
    amount = payload["amount"]
    order = payload["order"]
    email = str(data.get("email") or payload.get("buyer", {}).get("email") or "").strip()
    phone = re.sub(r"\D", "", str(data.get("phone") or payload.get("buyer", {}).get("phone")
                                  or ""))
    created = datetime.fromtimestamp(store.now(), timezone.utc).isoformat(
        timespec="seconds").replace("+00:00", "Z")
    paidy_id = new_paidy_payment_id()
    if email.lower() == REJECTED_EMAIL:
        return _cors(jsonify(id=paidy_id, amount=amount, currency="JPY",
                             created_at=created, status="rejected"))
    if not EMAIL.match(email) or not MOBILE.match(phone):
        return _cors(jsonify(error="invalid_buyer",
                             message="メールアドレスと携帯電話番号を確認してください。")), 400
    buyer = dict(payload.get("buyer") or {}, email=email, phone=phone)
    details = {"buyer": buyer, "order": order,
               "shipping_address": payload.get("shipping_address") or {},
               "description": payload.get("description", "")}
    create_authorized_payment(store, merchant["merchant_id"], str(order["order_ref"]), amount,
                              details, paidy_id)
    return _cors(jsonify(id=paidy_id, amount=amount, currency="JPY", created_at=created,
                         status="authorized"))


def _payload_problem(data: dict) -> str:
    """What Paidy would refuse in a checkout payload, in Japanese; empty when acceptable."""
    payload = data.get("payload")
    if not isinstance(payload, dict):
        return "決済情報が正しくありません。"
    amount, order = payload.get("amount"), payload.get("order")
    buyer = payload.get("buyer", {})
    if not isinstance(order, dict) or not isinstance(buyer, dict) or not order.get("order_ref"):
        return "注文情報が正しくありません。"
    if not _whole_yen(amount) or amount <= 0 or amount > MAX_AMOUNT:
        return "決済金額が正しくありません。"
    if payload.get("currency", "JPY") != "JPY":
        return "通貨はJPYのみご利用いただけます。"
    items = order.get("items") or []
    if not isinstance(items, list) or not all(
            isinstance(i, dict) and _whole_yen(i.get("unit_price"))
            and _whole_yen(i.get("quantity")) for i in items):
        return "商品情報が正しくありません。"
    tax, shipping = order.get("tax", 0), order.get("shipping", 0)
    if items and (not _whole_yen(tax) or not _whole_yen(shipping) or amount != sum(
            i["unit_price"] * i["quantity"] for i in items) + tax + shipping):
        return "決済金額が商品・税・送料の合計と一致しません。"
    return ""


def _whole_yen(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _cors(response):
    # The modal may be served from the sandbox's own port while the shop runs on another.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    return response


# -- the method --------------------------------------------------------------------------
PATH = lib.TELEGRAM_PATH

PAIDY = SandboxMethod(
    lib=lib.PAIDY,
    telegrams=(
        Telegram(CANCEL, PATH, ("payment_id",), _operation(CANCEL), DETAILS),
        Telegram(CAPTURE, PATH, ("payment_id",), _operation(CAPTURE), DETAILS),
        Telegram(REFUND, PATH, ("payment_id",), _operation(REFUND), DETAILS),
        Telegram(VERIFY, PATH, VERIFY_ITEMS, verify, DETAILS),
    ),
    actions={"capture": CAPTURE, "cancel": CANCEL, "refund": REFUND},
    settle=settle,
    blueprint=checkout,
)
