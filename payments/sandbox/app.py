"""The sandbox as a WSGI app: PAYGENT paths, a Paidy Checkout look-alike, a control API.

Mounted under ``/_sandbox`` when the cart is asked to (``SANDBOX_ENABLED``; PAYGENT's root is
then ``/_sandbox/paygent``), or served alone on its own port by ``python -m payments.sandbox``.
The control API answers only requests that carry its token in ``X-Sandbox-Token``: it reads
every shop's buyers and can move the clock, re-register a merchant or wipe the state. The
pages the shopper's browser uses and the PAYGENT paths (connect ID and password) need none.
"""
import hmac
import logging
import os
import re
import secrets
import socket
import threading
import time
from collections import Counter
from datetime import datetime, timezone

from flask import Flask, Response, jsonify, request, send_from_directory

from payments import status as st
from payments.paygent.client import mask
from payments.paygent.codec import decode_form, encode_reply

from . import paygent
from .dispatcher import Dispatcher
from .store import DEFAULT_SETTINGS, Store

log = logging.getLogger("payments.sandbox")
STATIC = os.path.join(os.path.dirname(__file__), "static")
REJECTED_EMAIL = "rejected.payment@paidy.com"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
MOBILE = re.compile(r"^0[789]0\d{8}\Z")
MAX_AMOUNT = 500_000  # the sandbox's ceiling for one Paidy checkout
FAULT_MODES = ("timeout", "drop", "http500", "garbage")
TOKEN_HEADER = "X-Sandbox-Token"
TOKEN_FILE = "sandbox_token"
REPLY_CONTENT_TYPE = "text/plain; charset=Shift_JIS"


class Sandbox:
    """The sandbox's state and its notice dispatcher, shared by the routes."""

    def __init__(self, store: Store, control_token: str):
        self.store = store
        self.control_token = control_token
        self.dispatcher = Dispatcher(store)
        self._arrived, self._lock = Counter(), threading.Lock()

    def arrived(self, kind: str) -> None:
        with self._lock:
            self._arrived[kind] += 1

    def arrivals(self, kind: str) -> int:
        """Telegrams of this kind received so far, answered or still being processed."""
        with self._lock:
            return self._arrived[kind]


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


def create_sandbox(store_path: str | None = None, dispatch: bool = True,
                   control_token: str | None = None) -> Flask:
    """The sandbox app on the store at ``store_path`` (None: a throwaway one).

    Its control API needs ``control_token``; without one a random token is made, which only
    code holding the app can read (``app.extensions["sandbox"].control_token``).
    """
    app = Flask(__name__, static_folder=None)
    sandbox = Sandbox(Store(store_path), control_token or secrets.token_urlsafe(32))
    app.extensions["sandbox"] = sandbox
    store = sandbox.store

    if dispatch:
        # Started by the first request rather than at import, so CLI commands that build
        # the app do not leave a sender thread behind.
        app.before_request(sandbox.dispatcher.start)

    @app.before_request
    def guard_control():
        """Refuse a control request without the token, before any route runs."""
        if request.path != "/control" and not request.path.startswith("/control/"):
            return None
        given = request.headers.get(TOKEN_HEADER, "")
        if not given:
            return jsonify(error="control_token_required",
                           message=f"{TOKEN_HEADER} ヘッダーにサンドボックスのトークンを"
                                   "指定してください。"), 401
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"),
                                   sandbox.control_token.encode("utf-8")):
            return jsonify(error="control_token_invalid",
                           message="サンドボックスのトークンが正しくありません。"), 403
        return None

    # -- PAYGENT ---------------------------------------------------------------------
    @app.post("/paygent/n/paidy/request")
    def paidy_request():
        return _telegram("paidy")

    @app.post("/paygent/n/ref/paynotice")
    def paynotice():
        return _telegram("paynotice")

    @app.post("/paygent/n/ref/paymentref")
    def paymentref():
        return _telegram("paymentref")

    def _telegram(path_kind: str):
        fields = decode_form(request.get_data())
        kind = fields.get("telegram_kind", "")
        sandbox.arrived(kind)
        merchant_id = fields.get("merchant_id", "")
        merchant = store.merchant(merchant_id)
        fault = None
        if (merchant is None or fields.get("connect_id") != merchant["connect_id"]
                or fields.get("connect_password") != merchant["connect_password"]):
            reply = paygent.error_reply("P002")
        elif fields.get("telegram_version") != "1.0":
            reply = paygent.error_reply("P003")
        elif paygent.KIND_PATHS.get(kind) != path_kind:
            reply = paygent.error_reply("P009")
        else:
            fault = store.take_fault(kind)
            latency = int(store.setting("latency_ms"))
            if latency:
                time.sleep(latency / 1000)
            reply = _run(merchant_id, kind, fields, fault)
        if reply is not None:
            reply = paygent.full_reply(kind, reply)
        target = fields.get("payment_id") or fields.get("trading_id") or ""
        store.log_telegram(merchant_id, kind, target, mask(fields), reply or {},
                           fault["mode"] if fault else "")
        return _deliver(reply, fault)

    def _run(merchant_id, kind, fields, fault):
        mode = fault["mode"] if fault else ""
        if mode and mode != "timeout" and not fault["apply"]:
            return None  # the fault hits before PAYGENT does anything
        try:
            if kind == "091":
                return paygent.fetch_notice(store, merchant_id, fields)
            if mode == "timeout" and kind not in paygent.TIMEOUT_STEPS:
                raise paygent.Refusal("24005")
            return paygent.operate(store, merchant_id, kind, fields,
                                   timeout_fault=mode == "timeout")
        except paygent.Refusal as refusal:
            return paygent.error_reply(refusal.code)

    def _deliver(reply, fault):
        mode = fault["mode"] if fault else ""
        if mode == "drop":
            _drop_connection()
            return Response(b"", status=500)
        if mode == "http500":
            return Response("Internal Server Error", status=500, mimetype="text/plain")
        if mode == "garbage":
            return Response(b"<html><body>\x83\x47\x83\x89\x81\x5b</body></html>\xff\xfe",
                            status=200, mimetype="text/html")
        # content_type, not mimetype: Flask would append its own charset (utf-8) to a mimetype
        return Response(encode_reply(reply), content_type=REPLY_CONTENT_TYPE)

    # -- Paidy Checkout ----------------------------------------------------------------
    @app.get("/paidy/checkout.js")
    def checkout_js():
        response = send_from_directory(STATIC, "checkout.js", mimetype="application/javascript")
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/paidy/try")
    def paidy_try():
        """A page to try the modal by hand with any registered public key."""
        return send_from_directory(STATIC, "try.html", mimetype="text/html")

    @app.route("/paidy/payments", methods=["POST", "OPTIONS"])
    def paidy_payments():
        if request.method == "OPTIONS":
            return _cors(Response(status=204))
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
        paidy_id = paygent.new_paidy_payment_id()
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
        paygent.create_authorized_payment(store, merchant["merchant_id"],
                                          str(order["order_ref"]), amount, details, paidy_id)
        return _cors(jsonify(id=paidy_id, amount=amount, currency="JPY", created_at=created,
                             status="authorized"))

    # -- control API (tests, benchmarks, demos) --------------------------------------
    @app.post("/control/reset")
    def control_reset():
        body = request.get_json(silent=True) or {}
        store.reset(keep_merchants=bool(body.get("keep_merchants", True)))
        return jsonify(ok=True)

    @app.post("/control/merchants")
    def control_merchant():
        body = request.get_json(force=True)
        store.upsert_merchant(**{k: str(body.get(k, "")) for k in (
            "merchant_id", "connect_id", "connect_password", "hash_key", "notice_url",
            "paidy_public_key", "store_name")})
        return jsonify(ok=True)

    @app.post("/control/settings")
    def control_settings():
        body = request.get_json(force=True)
        unknown = set(body) - set(DEFAULT_SETTINGS)
        if unknown:
            return jsonify(error=f"unknown settings: {sorted(unknown)}"), 400
        for key, value in body.items():
            store.set_setting(key, value)
        return jsonify({k: store.setting(k) for k in DEFAULT_SETTINGS})

    @app.post("/control/clock")
    def control_clock():
        body = request.get_json(force=True)
        offset = float(store.setting("clock_offset"))
        if "advance_days" in body:
            offset += float(body["advance_days"]) * paygent.DAY
        if "offset_days" in body:
            offset = float(body["offset_days"]) * paygent.DAY
        store.set_setting("clock_offset", offset)
        return jsonify(clock_offset=offset, now=store.now())

    @app.post("/control/faults")
    def control_faults():
        body = request.get_json(force=True)
        mode = body.get("mode")
        if mode not in FAULT_MODES:
            return jsonify(error=f"mode must be one of {FAULT_MODES}"), 400
        store.add_fault(mode, str(body.get("telegram_kind", "")), int(body.get("count", 1)),
                        bool(body.get("apply", False)))
        return jsonify(ok=True)

    @app.delete("/control/faults")
    def control_clear_faults():
        store.clear_faults()
        return jsonify(ok=True)

    @app.post("/control/payments")
    def control_create_payment():
        body = request.get_json(force=True)
        payment = paygent.create_authorized_payment(
            store, str(body["merchant_id"]), str(body["trading_id"]), int(body["amount"]),
            body.get("details") or {})
        return jsonify(_payment_json(payment))

    @app.get("/control/payments/<int:payment_id>")
    def control_payment(payment_id):
        row = store.db.execute("SELECT * FROM payments WHERE payment_id=?",
                               (payment_id,)).fetchone()
        if row is None:
            return jsonify(error="not found"), 404
        return jsonify(_payment_json(row))

    @app.post("/control/payments/<int:payment_id>/change")
    def control_change(payment_id):
        """Do what an operator on PAYGENT's admin site would do, behind the shop's back."""
        body = request.get_json(force=True)
        kinds = {"capture": "341", "cancel": "340", "refund": "342"}
        row = store.db.execute("SELECT * FROM payments WHERE payment_id=?",
                               (payment_id,)).fetchone()
        if row is None or body.get("action") not in kinds:
            return jsonify(error="unknown payment or action"), 404
        last = store.db.execute("SELECT COALESCE(MAX(id), 0) FROM notices").fetchone()[0]
        fields = {"payment_id": str(payment_id)}
        if body.get("amount") is not None:
            fields["amount"] = str(body["amount"])
        try:
            reply = paygent.operate(store, row["merchant_id"], kinds[body["action"]], fields)
        except paygent.Refusal as refusal:
            return jsonify(error=refusal.code), 409
        if not body.get("notify", True):
            with store.write() as db:
                db.execute("UPDATE notices SET acknowledged=1 WHERE id > ?", (last,))
        return jsonify(reply)

    @app.get("/control/telegrams")
    def control_telegrams():
        return jsonify(store.telegrams(request.args.get("kind")))

    @app.get("/control/notices")
    def control_notices():
        rows = store.db.execute("SELECT payment_notice_id, merchant_id, payment_id, "
                                "acknowledged, attempts, last_reply FROM notices "
                                "ORDER BY id").fetchall()
        return jsonify([dict(r) for r in rows])

    return app


def _payment_json(row) -> dict:
    data = dict(row)
    data["status_name"] = st.name(row["status"])
    data["payment_id"] = str(row["payment_id"])
    return data


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
