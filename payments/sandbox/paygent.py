"""PAYGENT's side of the Paidy telegrams, as the shop can observe it.

State rules: 20 → 40 (341), 20 → 32 (340), 20 → 33 after 30 days (Paidy's authorisation
window in PAYGENT's test environment, which the sandbox stands for; 90 in production),
40 → 60 (342 full), 40 → 60 plus a new payment at 40 for the remainder (342 partial), 40 → 41
90 days after capture. Anything else is 24003; past a window 24006; refunding more than is
left 24007.

Every reply names all the items of its telegram kind, empty when there is nothing to say.
"""
import json
import secrets
from datetime import datetime, timedelta, timezone

from payments import status as st
from payments.paygent.codec import CHARSET
from payments.paygent.notices import notice_hash

from .store import FIRST_PAYMENT_ID

DAY = 86400.0
AUTH_WINDOW = 30 * DAY  # Paidy in PAYGENT's test environment (production: 90 days)
REFUND_WINDOW = 90 * DAY
NOTICE_RETENTION = 7 * DAY
JST = timezone(timedelta(hours=9))

DETAILS = {
    "P002": "接続ID、または接続パスワードが不正です。",
    "P003": "電文バージョンが不正です。",
    "P009": "項目の値が不正です。",
    "P014": "金額は1以上を指定してください。",
    "9004": "差分照会が同時に実行されています。",
    "24001": "該当する決済が存在しません。",
    "24002": "取引IDが重複しています。",
    "24003": "決済ステータスが不正です。",
    "24005": "Paidyとの通信がタイムアウトしました。",
    "24006": "処理可能な期限を過ぎています。",
    "24007": "返金額が決済金額を超えています。",
}

KIND_PATHS = {"340": "paidy", "341": "paidy", "342": "paidy", "343": "paidy",
              "091": "paynotice", "094": "paymentref"}

# Where a Paidy timeout leaves a payment, and where it settles.
TIMEOUT_STEPS = {"341": (st.CAPTURE_REQUESTED, st.CAPTURED, "capture"),
                 "340": (st.CANCEL_REQUESTED, st.CANCELLED, "cancel"),
                 "342": (st.REFUND_REQUESTED, st.REFUNDED, "refund")}


class Refusal(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def stamp(ts: float | None) -> str:
    if not ts:
        return ""
    return datetime.fromtimestamp(ts, JST).strftime("%Y%m%d%H%M%S")


def error_reply(code: str) -> dict:
    return {"result": "1", "response_code": code, "response_detail": DETAILS.get(code, "")}


COMMON_ITEMS = ("result", "response_code", "response_detail")
PAYMENT_ITEMS = ("payment_id", "trading_id", "payment_type", "payment_status",
                 "payment_amount", "currency", "paidy_payment_id", "payment_init_date",
                 "authorized_date", "payment_date")
NOTICE_ITEMS = ("payment_notice_id", *PAYMENT_ITEMS, "change_date", "event", "event_result",
                "event_error_code")
VERIFY_ITEMS = ("retrieve_result", "paidy_payment_id", "payment_amount", "currency",
                "order_ref", "payment_id", "payment_status", "buyer_email", "buyer_name1",
                "buyer_name2", "buyer_phone", "shipping_zip", "shipping_state",
                "shipping_city", "shipping_line1", "shipping_line2")
REPLY_ITEMS = {"340": ("payment_id",), "341": ("payment_id",), "342": ("payment_id",),
               "343": VERIFY_ITEMS, "091": ("success_code", *NOTICE_ITEMS),
               "094": PAYMENT_ITEMS}


def full_reply(kind: str, fields: dict) -> dict:
    """The reply with every item of its telegram kind, as PAYGENT sends them: present even
    when empty (``response_code=`` on success); unknown kinds get the common items only.
    Each value is one line of Shift_JIS text (``one_line``), whatever the buyer typed."""
    reply = {key: "" for key in (*COMMON_ITEMS, *REPLY_ITEMS.get(kind, ()))}
    reply.update({key: value if key.endswith("_html") else one_line(value)
                  for key, value in fields.items()})
    return reply


def one_line(value) -> str:
    """Free text (a buyer's name, an address) as a reply value: one line of Shift_JIS.

    A raw reply value ends at CRLF, so a line break typed into the Paidy form would end the
    item and could forge another (``result=…``): it travels as a space. A character Shift_JIS
    cannot carry becomes ``?``, as a Shift_JIS system would print it.
    """
    text = " ".join(("" if value is None else str(value)).splitlines())
    return text.encode(CHARSET, errors="replace").decode(CHARSET)


# -- payments --------------------------------------------------------------------------
def create_authorized_payment(store, merchant_id: str, trading_id: str, amount: int,
                              details: dict | None = None, paidy_payment_id: str = "") -> dict:
    """What Paidy's webhook makes PAYGENT do: a payment at 20, and a notice to the shop."""
    now = store.now()
    paidy_payment_id = paidy_payment_id or new_paidy_payment_id()
    with store.write() as db:
        first = db.execute("SELECT MAX(payment_id) FROM payments").fetchone()[0]
        payment_id = (first or FIRST_PAYMENT_ID - 1) + 1
        db.execute(
            "INSERT INTO payments(payment_id, merchant_id, trading_id, paidy_payment_id, status,"
            " amount, authorized_at, details, created_at, updated_at) "
            "VALUES(?,?,?,?,?,?,?,?,?,?)",
            (payment_id, merchant_id, trading_id, paidy_payment_id, st.AUTHORIZED, amount, now,
             json.dumps(details or {}, ensure_ascii=False), now, now))
        payment = _get(db, payment_id)
        _notice(store, db, payment, "authorize")
    return dict(payment)


def new_paidy_payment_id() -> str:
    return "pay_" + secrets.token_urlsafe(12)


def _get(db, payment_id):
    return db.execute("SELECT * FROM payments WHERE payment_id=?", (payment_id,)).fetchone()


def _find(db, merchant_id: str, fields: dict):
    """The payment a telegram names by payment_id, else by trading_id."""
    payment_id = (fields.get("payment_id") or "").strip()
    if payment_id:
        if not payment_id.isdigit() or len(payment_id) > 18:
            raise Refusal("P009")
        row = db.execute("SELECT * FROM payments WHERE payment_id=? AND merchant_id=?",
                         (int(payment_id), merchant_id)).fetchone()
        if row is None:
            raise Refusal("24001")
        return row
    trading_id = (fields.get("trading_id") or "").strip()
    if not trading_id:
        raise Refusal("P009")
    rows = db.execute("SELECT * FROM payments WHERE trading_id=? AND merchant_id=?",
                      (trading_id, merchant_id)).fetchall()
    if not rows:
        raise Refusal("24001")
    if len(rows) > 1:
        raise Refusal("24002")
    return rows[0]


def _update(db, payment, now, **changes):
    changes["updated_at"] = now
    cols = ", ".join(f"{k}=?" for k in changes)
    db.execute(f"UPDATE payments SET {cols} WHERE payment_id=?",
               (*changes.values(), payment["payment_id"]))
    return _get(db, payment["payment_id"])


def settle(store, db, payment, now):
    """Move the payment to where time has taken it: a timed-out request settles, and an
    authorisation (30 days) or a capture (90 days) runs out of its window."""
    if payment["pending_target"] and now >= (payment["pending_until"] or 0):
        event = payment["pending_event"]
        partial = payment["pending_amount"]
        if event == "refund" and partial is not None and partial < payment["amount"]:
            payment = _update(db, payment, now, status=st.CAPTURED, pending_target="",
                              pending_event="", pending_until=None, pending_amount=None)
            _apply_refund(store, db, payment, partial, now)
            return _get(db, payment["payment_id"])
        changes = {"status": payment["pending_target"], "pending_target": "",
                   "pending_event": "", "pending_until": None, "pending_amount": None}
        if payment["pending_target"] == st.CAPTURED:
            changes["captured_at"] = now
        if payment["pending_target"] in st.FINAL:
            changes["closed_at"] = now
        payment = _update(db, payment, now, **changes)
        _notice(store, db, payment, event)
    if payment["status"] == st.AUTHORIZED and now - payment["authorized_at"] > AUTH_WINDOW:
        payment = _update(db, payment, now, status=st.AUTH_EXPIRED, closed_at=now)
        _notice(store, db, payment, "expire")
    if payment["status"] == st.CAPTURED and now - payment["captured_at"] > REFUND_WINDOW:
        payment = _update(db, payment, now, status=st.CAPTURED_LOCKED)
    return payment


def operate(store, merchant_id: str, kind: str, fields: dict, timeout_fault: bool = False):
    """Run 340/341/342/343/094 for a merchant. Returns the reply fields."""
    now = store.now()
    with store.write() as db:
        if kind == "343":
            return _verify(db, merchant_id, fields)
        payment = settle(store, db, _find(db, merchant_id, fields), now)
        if kind == "094":
            return {"result": "0", **payment_fields(payment)}
        if timeout_fault:
            return _time_out(store, db, payment, kind, fields, now)
        if kind == "341":
            return _capture(store, db, payment, now)
        if kind == "340":
            return _cancel(store, db, payment, now)
        if kind == "342":
            return _refund(store, db, payment, fields.get("amount"), now)
    raise Refusal("P009")


def _time_out(store, db, payment, kind, fields, now):
    """Paidy did not answer in time: PAYGENT parks the payment and settles it later."""
    allowed = {"341": (st.AUTHORIZED,), "340": (st.AUTHORIZED,), "342": (st.CAPTURED,)}
    if kind in TIMEOUT_STEPS and payment["status"] in allowed[kind]:
        parked, target, event = TIMEOUT_STEPS[kind]
        amount = _refund_amount(payment, fields.get("amount")) if kind == "342" else None
        _update(db, payment, now, status=parked, pending_target=target, pending_event=event,
                pending_until=now + float(store.setting("settle_seconds")),
                pending_amount=amount)
    return error_reply("24005")  # returned, not raised: the parked state must be committed


def _capture(store, db, payment, now):
    if payment["status"] == st.AUTH_EXPIRED:
        raise Refusal("24006")
    if payment["status"] != st.AUTHORIZED:
        raise Refusal("24003")
    payment = _update(db, payment, now, status=st.CAPTURED, captured_at=now)
    _notice(store, db, payment, "capture")
    return {"result": "0", "payment_id": str(payment["payment_id"])}


def _cancel(store, db, payment, now):
    if payment["status"] == st.AUTH_EXPIRED:
        raise Refusal("24006")
    if payment["status"] != st.AUTHORIZED:
        raise Refusal("24003")
    payment = _update(db, payment, now, status=st.CANCELLED, closed_at=now)
    _notice(store, db, payment, "cancel")
    return {"result": "0", "payment_id": str(payment["payment_id"])}


def _refund(store, db, payment, raw_amount, now):
    if payment["status"] == st.CAPTURED_LOCKED:
        raise Refusal("24006")
    if payment["status"] != st.CAPTURED:
        raise Refusal("24003")
    new = _apply_refund(store, db, payment, _refund_amount(payment, raw_amount), now)
    return {"result": "0", "payment_id": str(new["payment_id"])}


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
    old = _update(db, payment, now, status=st.REFUNDED, closed_at=now)
    _notice(store, db, old, "refund")
    if amount is None or amount == payment["amount"]:
        return old
    # Partial refund: the rest lives on as a new payment that the shop must use from now on.
    new_id = db.execute("SELECT MAX(payment_id) FROM payments").fetchone()[0] + 1
    db.execute(
        "INSERT INTO payments(payment_id, merchant_id, trading_id, paidy_payment_id, status,"
        " amount, authorized_at, captured_at, parent_payment_id, details, created_at,"
        " updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
        (new_id, payment["merchant_id"], payment["trading_id"], payment["paidy_payment_id"],
         st.CAPTURED, payment["amount"] - amount, payment["authorized_at"],
         payment["captured_at"], payment["payment_id"], payment["details"], now, now))
    new = _get(db, new_id)
    _notice(store, db, new, "refund")
    return new


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


def payment_fields(payment) -> dict:
    return {
        "payment_id": str(payment["payment_id"]),
        "trading_id": payment["trading_id"],
        "payment_type": payment["payment_type"],
        "payment_status": payment["status"],
        "payment_amount": str(payment["amount"]),
        "currency": payment["currency"],
        "paidy_payment_id": payment["paidy_payment_id"],
        "payment_init_date": stamp(payment["created_at"]),
        "authorized_date": stamp(payment["authorized_at"]),
        "payment_date": stamp(payment["captured_at"]),
    }


# -- notices ---------------------------------------------------------------------------
def _notice(store, db, payment, event: str) -> None:
    """Queue a 差分通知 for the payment's new state (sent by the dispatcher, or fetched)."""
    merchant = db.execute("SELECT * FROM merchants WHERE merchant_id=?",
                          (payment["merchant_id"],)).fetchone()
    now = store.now()
    # payment_notice_id counts per merchant, as PAYGENT numbers each merchant's notices; the
    # write transaction this runs in keeps two notices from taking the same number.
    notice_id = db.execute("SELECT COALESCE(MAX(payment_notice_id), 0) + 1 FROM notices "
                           "WHERE merchant_id=?", (payment["merchant_id"],)).fetchone()[0]
    fields = {"payment_notice_id": str(notice_id), **payment_fields(payment),
              "change_date": stamp(now), "event": event, "event_result": "success",
              "event_error_code": ""}
    fields["hc"] = notice_hash(fields, merchant["hash_key"] if merchant else "")
    db.execute("INSERT INTO notices(merchant_id, payment_notice_id, payment_id, fields, "
               "created_at) VALUES(?,?,?,?,?)",
               (payment["merchant_id"], notice_id, payment["payment_id"],
                json.dumps(fields, ensure_ascii=False), now))
    if store.on_notice:
        store.on_notice()


def fetch_notice(store, merchant_id: str, fields: dict) -> dict:
    """091: one notice not yet acknowledged (or the one asked for); success_code=1 if none."""
    lock = f"091:{merchant_id}"
    if not store.try_lock(lock):
        raise Refusal("9004")
    try:
        wanted = (fields.get("payment_notice_id") or "").strip()
        since = store.now() - NOTICE_RETENTION
        with store.write() as db:
            if wanted:
                if not wanted.isdigit() or len(wanted) > 18:
                    raise Refusal("P009")
                row = db.execute("SELECT * FROM notices WHERE merchant_id=? AND "
                                 "payment_notice_id=? AND created_at >= ?",
                                 (merchant_id, int(wanted), since)).fetchone()
            else:
                row = db.execute("SELECT * FROM notices WHERE merchant_id=? AND acknowledged=0"
                                 " AND created_at >= ? ORDER BY id LIMIT 1",
                                 (merchant_id, since)).fetchone()
            if row is None:
                return {"result": "0", "success_code": "1"}
            db.execute("UPDATE notices SET acknowledged=1 WHERE id=?", (row["id"],))
            notice = json.loads(row["fields"])
            notice.pop("hc", None)
            return {"result": "0", "success_code": "0", **notice}
    finally:
        store.unlock(lock)
