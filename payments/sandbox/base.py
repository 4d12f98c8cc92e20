"""What the sandbox's PAYGENT part and its method modules share: the declarations a method
module makes, refusals and replies, the payment rows and the queueing of 差分通知.

Nothing here knows a particular payment method; ``methods/`` holds one module per method and
``paygent.py`` the telegram endpoint that dispatches to them.
"""
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flask import Blueprint, current_app

from payments.methods import Method
from payments.paygent.codec import CHARSET
from payments.paygent.notices import notice_hash

from .store import FIRST_PAYMENT_ID

DAY = 86400.0
JST = timezone(timedelta(hours=9))

#: The codes the PAYGENT part answers with whatever the method; a method module adds its own.
DETAILS = {
    "P002": "接続ID、または接続パスワードが不正です。",
    "P003": "電文バージョンが不正です。",
    "P009": "項目の値が不正です。",
    "9004": "差分照会が同時に実行されています。",
    "24001": "該当する決済が存在しません。",
    "24002": "取引IDが重複しています。",
    "24005": "Paidyとの通信がタイムアウトしました。",
}

COMMON_ITEMS = ("result", "response_code", "response_detail")
#: A payment as 094 answers it and a 差分通知 carries it.
PAYMENT_ITEMS = ("payment_id", "trading_id", "payment_type", "payment_status",
                 "payment_amount", "currency", "paidy_payment_id", "payment_init_date",
                 "authorized_date", "payment_date")


class Refusal(Exception):
    """PAYGENT refuses the telegram with ``code``; nothing happened."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Telegram:
    """One telegram kind the sandbox answers: the PAYGENT path it must arrive at, the items
    its reply names, and what PAYGENT does with it.

    ``run(store, merchant_id, fields, timeout)`` returns the reply fields or raises Refusal;
    ``timeout`` is true when a ``timeout`` fault is armed for this telegram (Paidy does not
    answer in time). A Refusal's detail is looked up in ``details``. ``faults`` names further
    fault modes the telegram plays itself: ``run`` then gets ``fault=<mode>``. ``encode``
    turns the reply into its body when the kind is not answered in ``key=value`` lines (027's
    and 201's CSV); reply keys starting with ``_`` are not items but what it reads.
    """
    kind: str
    path: str
    items: tuple[str, ...]
    run: Callable[..., dict]
    details: Mapping[str, str] = field(default_factory=lambda: DETAILS)
    faults: tuple[str, ...] = ()
    encode: Callable[[dict], bytes] | None = None


@dataclass(frozen=True)
class SandboxMethod:
    """What a method module of the sandbox declares.

    ``lib`` is the library's declaration of the method (its payment_type and status names);
    ``telegrams`` the method's own telegram kinds; ``actions`` what an operator on PAYGENT's
    admin site can do to one of its payments (action → telegram kind); ``settle(store, db,
    payment, now)`` moves a payment to where time has taken it and returns the row;
    ``blueprint`` the method's own pages, if any (registered by ``create_sandbox``);
    ``amount_field`` the request field an admin-site action's amount travels in.
    """
    lib: Method
    telegrams: tuple[Telegram, ...]
    actions: Mapping[str, str]
    settle: Callable
    blueprint: Blueprint | None = None
    amount_field: str = "amount"


def sandbox():
    """The sandbox of the app handling the request (``app.extensions["sandbox"]``)."""
    return current_app.extensions["sandbox"]


def error_reply(code: str, details: Mapping[str, str] = DETAILS) -> dict:
    return {"result": "1", "response_code": code, "response_detail": details.get(code, "")}


def full_reply(items: tuple[str, ...], fields: dict) -> dict:
    """The reply with every item of its telegram kind, as PAYGENT sends them: present even
    when empty (``response_code=`` on success); unknown kinds get the common items only.
    Each value is one line of Shift_JIS text (``one_line``), whatever the buyer typed."""
    reply = {key: "" for key in (*COMMON_ITEMS, *items)}
    reply.update({key: value if key.endswith("_html") or key.startswith("_")
                  else one_line(value) for key, value in fields.items()})
    return reply


def one_line(value) -> str:
    """Free text (a buyer's name, an address) as a reply value: one line of Shift_JIS.

    A raw reply value ends at CRLF, so a line break typed into the Paidy form would end the
    item and could forge another (``result=…``): it travels as a space. A character Shift_JIS
    cannot carry becomes ``?``, as a Shift_JIS system would print it.
    """
    text = " ".join(("" if value is None else str(value)).splitlines())
    return text.encode(CHARSET, errors="replace").decode(CHARSET)


def stamp(ts: float | None) -> str:
    if not ts:
        return ""
    return datetime.fromtimestamp(ts, JST).strftime("%Y%m%d%H%M%S")


# -- payments --------------------------------------------------------------------------
def next_payment_id(db) -> int:
    """PAYGENT's payment IDs are sequential digits, shared by every merchant and method."""
    highest = db.execute("SELECT MAX(payment_id) FROM payments").fetchone()[0]
    return (highest or FIRST_PAYMENT_ID - 1) + 1


def get_payment(db, payment_id):
    return db.execute("SELECT * FROM payments WHERE payment_id=?", (payment_id,)).fetchone()


def find_payment(db, merchant_id: str, fields: dict):
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


def update_payment(db, payment, now, **changes):
    changes["updated_at"] = now
    cols = ", ".join(f"{k}=?" for k in changes)
    db.execute(f"UPDATE payments SET {cols} WHERE payment_id=?",
               (*changes.values(), payment["payment_id"]))
    return get_payment(db, payment["payment_id"])


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
def queue_notice(store, db, payment, event: str) -> None:
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
