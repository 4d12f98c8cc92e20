"""PAYGENT's common part: the telegram endpoint and the telegrams of every payment method.

Each telegram arrives at ``/paygent`` + its path. The endpoint checks the merchant's connect ID
and password (P002), the telegram version (P003) and that the kind belongs at that path (P009),
applies an armed fault and the latency setting, then hands the telegram to whoever declares
its kind: 091 差分照会 (``/n/ref/paynotice``) and 094 決済情報照会 (``/n/ref/paymentref``)
here, each method's own kinds in its module under ``methods/``. Every telegram is logged with
its password masked.

Every reply names all the items of its telegram kind, empty when there is nothing to say.
"""
import json
import socket
import time

from flask import Blueprint, Response, request

from payments.paygent.client import mask
from payments.paygent.codec import decode_form, encode_reply

from . import methods
from .base import (DAY, PAYMENT_ITEMS, Refusal, Telegram, error_reply, find_payment,
                   full_reply, payment_fields, sandbox)
# Kept importable from here for callers of this module from before the method modules.

NOTICE_RETENTION = 7 * DAY
#: Fault modes a telegram plays itself when it declares them (Telegram.faults); they reach no
#: transport (the reply goes out as usual).
PLAYED_FAULTS = ("second_half",)
REPLY_CONTENT_TYPE = "text/plain; charset=Shift_JIS"
NOTICE_ITEMS = ("payment_notice_id", *PAYMENT_ITEMS, "change_date", "event", "event_result",
                "event_error_code")


# -- 091 差分照会 ------------------------------------------------------------------------
def fetch_notice(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    """091: one notice not yet acknowledged (or the one asked for); success_code=1 if none.

    Answered by PAYGENT alone, so a ``timeout`` fault changes nothing."""
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


# -- 094 決済情報照会 --------------------------------------------------------------------
def payment_ref(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    """094: the payment as PAYGENT holds it now, once time has settled it by its method's
    rules."""
    if timeout:
        raise Refusal("24005")
    now = store.now()
    with store.write() as db:
        payment = methods.settle(store, db, find_payment(db, merchant_id, fields), now)
        return {"result": "0", **payment_fields(payment)}


COMMON = (
    Telegram("091", "/n/ref/paynotice", ("success_code", *NOTICE_ITEMS), fetch_notice),
    Telegram("094", "/n/ref/paymentref", PAYMENT_ITEMS, payment_ref),
)


def _registry() -> dict[str, Telegram]:
    registry: dict[str, Telegram] = {}
    for telegram in (*COMMON, *methods.telegrams()):
        if telegram.kind in registry:
            raise RuntimeError(f"telegram kind {telegram.kind} is declared twice")
        registry[telegram.kind] = telegram
    return registry


#: Every telegram kind the sandbox answers, with whoever declares it.
TELEGRAMS = _registry()
PATHS = tuple(dict.fromkeys(t.path for t in TELEGRAMS.values()))


# -- the endpoint ------------------------------------------------------------------------
blueprint = Blueprint("paygent", __name__, url_prefix="/paygent")


def telegram(path: str):
    """One telegram arriving at ``path``, as PAYGENT takes it."""
    state = sandbox()
    store = state.store
    fields = decode_form(request.get_data())
    kind = fields.get("telegram_kind", "")
    state.arrived(kind)
    declared = TELEGRAMS.get(kind)
    merchant_id = fields.get("merchant_id", "")
    merchant = store.merchant(merchant_id)
    fault = None
    if (merchant is None or fields.get("connect_id") != merchant["connect_id"]
            or fields.get("connect_password") != merchant["connect_password"]):
        reply = error_reply("P002")
    elif fields.get("telegram_version") != "1.0":
        reply = error_reply("P003")
    elif declared is None or declared.path != path:
        reply = error_reply("P009")
    else:
        fault = store.take_fault(kind)
        latency = int(store.setting("latency_ms"))
        if latency:
            time.sleep(latency / 1000)
        reply = _run(store, declared, merchant_id, fields, fault)
    if reply is not None:
        reply = full_reply(declared.items if declared else (), reply)
    target = fields.get("payment_id") or fields.get("trading_id") or ""
    store.log_telegram(merchant_id, kind, target, mask(fields), _loggable(reply or {}),
                       fault["mode"] if fault else "")
    return _deliver(reply, fault, declared.encode if declared else None)


def _loggable(reply: dict) -> dict:
    """The reply as the log keeps it: a file by its size."""
    return {k: f"({len(v)} characters)" if k == "_file" else v for k, v in reply.items()}


for _path in PATHS:
    blueprint.add_url_rule(_path, endpoint=_path.strip("/").replace("/", "_"),
                           view_func=telegram, methods=["POST"], defaults={"path": _path})


def _run(store, declared: Telegram, merchant_id: str, fields: dict, fault):
    mode = fault["mode"] if fault else ""
    if mode in PLAYED_FAULTS:
        extra = {"fault": mode} if mode in declared.faults else {}
        mode = ""  # a telegram that does not play it answers as if none were armed
    else:
        extra = {}
    if mode and mode != "timeout" and not fault["apply"]:
        return None  # the fault hits before PAYGENT does anything
    try:
        return declared.run(store, merchant_id, fields, timeout=mode == "timeout", **extra)
    except Refusal as refusal:
        return error_reply(refusal.code, declared.details)


def _deliver(reply, fault, encode=None):
    mode = fault["mode"] if fault else ""
    if mode in PLAYED_FAULTS:
        mode = ""
    if mode == "drop":
        _drop_connection()
        return Response(b"", status=500)
    if mode == "http500":
        return Response("Internal Server Error", status=500, mimetype="text/plain")
    if mode == "garbage":
        return Response(b"<html><body>\x83\x47\x83\x89\x81\x5b</body></html>\xff\xfe",
                        status=200, mimetype="text/html")
    # content_type, not mimetype: Flask would append its own charset (utf-8) to a mimetype
    body = encode(reply) if encode else encode_reply(reply)
    return Response(body, content_type=REPLY_CONTENT_TYPE)


def _drop_connection() -> None:
    """Close the client's socket without a reply, as a network failure would."""
    sock = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


__all__ = ["COMMON", "NOTICE_ITEMS", "PATHS", "TELEGRAMS", "blueprint",
           "fetch_notice", "payment_ref"]
