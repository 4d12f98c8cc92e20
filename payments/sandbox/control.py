"""The control API (``/control/…``, JSON) for tests, benchmarks and demos.

It reads every shop's buyers and can move the clock, re-register a merchant or wipe the state,
so every request under ``/control`` must carry the sandbox's token in ``X-Sandbox-Token``
(compared in constant time; missing 401, wrong 403, nothing done), checked before any route
runs, for paths with no route too.
"""
import hmac
import os
import secrets

from flask import Blueprint, jsonify, request

from . import methods
from .base import DAY, Refusal, sandbox
from .methods import card
from .methods.paidy import create_authorized_payment
from .store import DEFAULT_SETTINGS

TOKEN_HEADER = "X-Sandbox-Token"
TOKEN_FILE = "sandbox_token"
FAULT_MODES = ("timeout", "drop", "http500", "garbage", "second_half")

blueprint = Blueprint("control", __name__, url_prefix="/control")


def token_in_folder(folder: str) -> str:
    """The control token kept in ``folder/sandbox_token`` (mode 0600), made on first use.

    Written under a temporary name and linked into place, so that processes starting
    together all end up with the one token that won.
    """
    path = os.path.join(folder, TOKEN_FILE)
    if not os.path.exists(path):
        os.makedirs(folder, exist_ok=True)
        draft = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    with open(path) as fh:
        return fh.read().strip()


@blueprint.before_app_request
def guard_control():
    """Refuse a control request without the token, before any route runs (so also for a
    path under /control that has no route, or a method it does not take)."""
    if request.path != "/control" and not request.path.startswith("/control/"):
        return None
    given = request.headers.get(TOKEN_HEADER, "")
    if not given:
        return jsonify(error="control_token_required",
                       message=f"{TOKEN_HEADER} ヘッダーにサンドボックスのトークンを"
                               "指定してください。"), 401
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"),
                               sandbox().control_token.encode("utf-8")):
        return jsonify(error="control_token_invalid",
                       message="サンドボックスのトークンが正しくありません。"), 403
    return None


@blueprint.post("/reset")
def control_reset():
    body = request.get_json(silent=True) or {}
    sandbox().store.reset(keep_merchants=bool(body.get("keep_merchants", True)))
    return jsonify(ok=True)


@blueprint.post("/merchants")
def control_merchant():
    body = request.get_json(force=True)
    sandbox().store.upsert_merchant(**{k: str(body.get(k, "")) for k in (
        "merchant_id", "connect_id", "connect_password", "hash_key", "notice_url",
        "paidy_public_key", "store_name", "token_key", "tds_hash_key")})
    return jsonify(ok=True)


@blueprint.post("/settings")
def control_settings():
    store = sandbox().store
    body = request.get_json(force=True)
    unknown = set(body) - set(DEFAULT_SETTINGS)
    if unknown:
        return jsonify(error=f"unknown settings: {sorted(unknown)}"), 400
    for key, value in body.items():
        store.set_setting(key, value)
    return jsonify({k: store.setting(k) for k in DEFAULT_SETTINGS})


@blueprint.post("/clock")
def control_clock():
    store = sandbox().store
    body = request.get_json(force=True)
    offset = float(store.setting("clock_offset"))
    if "advance_days" in body:
        offset += float(body["advance_days"]) * DAY
    if "offset_days" in body:
        offset = float(body["offset_days"]) * DAY
    if "advance_seconds" in body:
        offset += float(body["advance_seconds"])
    store.set_setting("clock_offset", offset)
    return jsonify(clock_offset=offset, now=store.now())


@blueprint.post("/faults")
def control_faults():
    body = request.get_json(force=True)
    mode = body.get("mode")
    if mode not in FAULT_MODES:
        return jsonify(error=f"mode must be one of {FAULT_MODES}"), 400
    sandbox().store.add_fault(mode, str(body.get("telegram_kind", "")),
                              int(body.get("count", 1)), bool(body.get("apply", False)))
    return jsonify(ok=True)


@blueprint.delete("/faults")
def control_clear_faults():
    sandbox().store.clear_faults()
    return jsonify(ok=True)


@blueprint.post("/payments")
def control_create_payment():
    """A Paidy payment at 20, as if the buyer had completed the checkout."""
    body = request.get_json(force=True)
    payment = create_authorized_payment(
        sandbox().store, str(body["merchant_id"]), str(body["trading_id"]), int(body["amount"]),
        body.get("details") or {})
    return jsonify(_payment_json(payment))


@blueprint.post("/card/payments")
def control_create_card_payment():
    """A card payment at 20 (40 with ``capture``), as if the buyer had paid with ``card`` (a
    test card number, default the one approved without a challenge)."""
    body = request.get_json(force=True)
    payment = card.create_authorized_payment(
        sandbox().store, str(body["merchant_id"]), str(body["trading_id"]), int(body["amount"]),
        str(body.get("card") or card.APPROVED_CARD), bool(body.get("capture", False)))
    return jsonify(_payment_json(payment))


@blueprint.get("/payments/<int:payment_id>")
def control_payment(payment_id):
    row = sandbox().store.db.execute("SELECT * FROM payments WHERE payment_id=?",
                                     (payment_id,)).fetchone()
    if row is None:
        return jsonify(error="not found"), 404
    return jsonify(_payment_json(row))


@blueprint.post("/payments/<int:payment_id>/change")
def control_change(payment_id):
    """Do what an operator on PAYGENT's admin site would do, behind the shop's back: what
    the telegram the payment's method declares for the action does, with no credentials."""
    store = sandbox().store
    body = request.get_json(force=True)
    row = store.db.execute("SELECT * FROM payments WHERE payment_id=?",
                           (payment_id,)).fetchone()
    method = methods.by_payment_type(row["payment_type"]) if row is not None else None
    kind = method.actions.get(body.get("action")) if method is not None else None
    if kind is None:
        return jsonify(error="unknown payment or action"), 404
    telegram = next(t for t in method.telegrams if t.kind == kind)
    last = store.db.execute("SELECT COALESCE(MAX(id), 0) FROM notices").fetchone()[0]
    fields = {"payment_id": str(payment_id)}
    if body.get("amount") is not None:
        fields[method.amount_field] = str(body["amount"])
    try:
        reply = telegram.run(store, row["merchant_id"], fields)
    except Refusal as refusal:
        return jsonify(error=refusal.code), 409
    if not body.get("notify", True):
        with store.write() as db:
            db.execute("UPDATE notices SET acknowledged=1 WHERE id > ?", (last,))
    return jsonify(reply)


@blueprint.get("/telegrams")
def control_telegrams():
    return jsonify(sandbox().store.telegrams(request.args.get("kind")))


@blueprint.get("/notices")
def control_notices():
    rows = sandbox().store.db.execute("SELECT payment_notice_id, merchant_id, payment_id, "
                                      "acknowledged, attempts, last_reply FROM notices "
                                      "ORDER BY id").fetchall()
    return jsonify([dict(r) for r in rows])


def _payment_json(row) -> dict:
    data = dict(row)
    data["status_name"] = methods.status_name(row["payment_type"], row["status"])
    data["payment_id"] = str(row["payment_id"])
    return data
