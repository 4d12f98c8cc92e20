"""携帯キャリア決済 at the sandbox: PAYGENT's side of 100–103 at ``/n/c/request`` (payment_type
06), and a look-alike of each carrier's authorisation page (``/carrier/auth/…``).

State rules (the sandbox's own, standing for PAYGENT's and seed 003 §2.2.2; only the status
codes come from the library):
- 100 makes a payment at 10 申込済 for the carrier ``career_type`` names (4 au, 5 d払い,
  6 SoftBank) and answers the carrier page's URL (au: ``redirect_url``) or a page that posts
  the buyer there (d払い, SoftBank: ``redirect_html``);
- on the carrier's page 承認する moves it to 20 オーソリOK and sends the buyer to the shop's
  ``return_url``; 承認しない (the carrier declines) to 15 申込中断 and ``other_url``; 中断する to 15
  and ``cancel_url`` (each with ``trading_id`` and ``payment_id`` added);
- 101 売上, 102 取消 and 103 補正売上 only from the statuses the payment's carrier allows
  (``ALLOWED``), else 24003; 101 and 103 from before capture → 40 消込済, 102 → 32 before
  capture, → 60 from 消込済, → 62 from 消込完了; 103 takes a lower amount only (P009) and from 消込完了
  leaves the payment there with the new amount;
- 消込済 becomes 消込完了 on the sandbox clock: at 03:30 JST the next day when reached before
  20:00 JST, the day after otherwise (noticed unasked by the dispatcher, or when a 094 asks);
- the control API moves what the carrier or time would: ``complete_authorization`` (20 → 21,
  d払い and SoftBank), ``expire`` (20/21 → 33), ``approve`` / ``decline`` / ``abandon`` as the page.
Every move queues its 差分通知 (with its ``hc``). A ``timeout`` fault is answered E001 with
nothing done (the client takes an E001 as nothing happened; see docs/carrier-payments.md).
"""
import html
import json
import secrets
from datetime import datetime, time, timedelta
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, jsonify, request, url_for

from payments.methods import carrier as lib

from ..base import (DETAILS as COMMON_DETAILS, JST, Refusal, SandboxMethod, Telegram,
                    find_payment, get_payment, next_payment_id, queue_notice, sandbox,
                    update_payment)

APPLY, CAPTURE, CANCEL, CORRECT = (lib.APPLY, lib.CAPTURE_KIND, lib.CANCEL_KIND,
                                   lib.CORRECT_KIND)
PATH = lib.TELEGRAM_PATH
MAX_AMOUNT = 100_000
DOCOMO, AU, SOFTBANK = "5", "4", "6"                   # career_type
CARRIER_NAMES = {DOCOMO: "d払い", AU: "auかんたん決済", SOFTBANK: "ソフトバンクまとめて支払い"}
DEVICES = ("0", "1", "2", "3", "4")                    # pc_mobile_type

DETAILS = {
    **COMMON_DETAILS,
    "P005": "必須項目が指定されていません。",
    "P014": "金額は1以上を指定してください。",
    "24003": "決済ステータスが不正です。",
    "E001": "システムエラーが発生しました。",
}

A, AC, C, CC = lib.AUTHORIZED, lib.AUTH_COMPLETED, lib.CAPTURED, lib.COMPLETED
#: (telegram, carrier) → the statuses the carrier allows it from (seed 003 §2.2.2)
ALLOWED = {
    (CAPTURE, DOCOMO): {A, AC}, (CANCEL, DOCOMO): {A, AC, CC}, (CORRECT, DOCOMO): {A, AC, CC},
    (CAPTURE, SOFTBANK): {A, AC}, (CANCEL, SOFTBANK): {A, AC, C}, (CORRECT, SOFTBANK): {A, AC},
    (CAPTURE, AU): {A}, (CANCEL, AU): {A, C}, (CORRECT, AU): {A},
}
CANCELLED_FROM = {A: lib.CANCELLED, AC: lib.CANCELLED, C: lib.SALES_CANCELLED,
                  CC: lib.CANCEL_COMPLETED}
CLOSED = frozenset({lib.CANCELLED, lib.AUTH_EXPIRED, lib.SALES_CANCELLED,
                    lib.CANCEL_COMPLETED})
CUTOFF, COMPLETES_AT = time(20, 0), time(3, 30)


# -- checking a telegram's values ----------------------------------------------------------
def _amount(raw) -> int:
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise Refusal("P005")
    if text == "0" or text.startswith("-") and text[1:].isdigit():
        raise Refusal("P014")
    if not text.isascii() or not text.isdigit() or int(text) > MAX_AMOUNT:
        raise Refusal("P009")
    return int(text)


def _url(fields: dict, name: str, required: bool = True) -> str:
    url = (fields.get(name) or "").strip()
    if not url:
        if required:
            raise Refusal("P005")
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Refusal("P009")
    return url


def details(payment) -> dict:
    try:
        data = json.loads(payment["details"] or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def completion_time(captured: float) -> float:
    """When a payment that reached 消込済 at ``captured`` is 消込完了 (sandbox clock)."""
    local = datetime.fromtimestamp(captured, JST)
    days = 1 if local.time() < CUTOFF else 2
    return datetime.combine(local.date() + timedelta(days=days), COMPLETES_AT, JST).timestamp()


# -- 100 申込 -------------------------------------------------------------------------------
def apply(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    amount = _amount(fields.get("amount"))
    carrier = (fields.get("career_type") or "").strip()
    if not carrier:
        raise Refusal("P005")
    if carrier not in CARRIER_NAMES:
        raise Refusal("P009")
    return_url = _url(fields, "return_url")
    cancel_url = _url(fields, "cancel_url")
    other_url = _url(fields, "other_url", required=False) or cancel_url
    device = (fields.get("pc_mobile_type") or "0").strip()
    if device not in DEVICES:
        raise Refusal("P009")
    if timeout:
        raise Refusal("E001")
    now = store.now()
    token = secrets.token_urlsafe(18)
    with store.write() as db:
        payment_id = next_payment_id(db)
        db.execute(
            "INSERT INTO payments(payment_id, merchant_id, trading_id, paidy_payment_id,"
            " payment_type, status, amount, details, created_at, updated_at)"
            " VALUES(?,?,?,?,?,?,?,?,?,?)",
            (payment_id, merchant_id, (fields.get("trading_id") or "").strip(), "",
             lib.PAYMENT_TYPE, lib.APPLIED, amount, json.dumps(
                 {"career_type": carrier, "page": token, "return_url": return_url,
                  "cancel_url": cancel_url, "other_url": other_url, "pc_mobile_type": device,
                  "open_id": (fields.get("open_id") or "").strip()}, ensure_ascii=False),
             now, now))
        payment = get_payment(db, payment_id)
        queue_notice(store, db, payment, "")
    page = url_for("carrier.auth_page", token=token, _external=True)
    reply = {"result": "0", "payment_id": str(payment_id), "trading_id": payment["trading_id"]}
    if carrier == AU:
        return {**reply, "redirect_url": page}
    return {**reply, "redirect_html": "\r\n".join((
        "<html><head><meta charset=\"Shift_JIS\"><title>携帯キャリア決済</title></head>",
        "<body onload=\"document.forms[0].submit();\">",
        f"<form action=\"{html.escape(page)}\" method=\"GET\">",
        "<p>携帯キャリアのページへ移動します。</p>",
        "<noscript><button type=\"submit\">次へ</button></noscript>",
        "</form></body></html>"))}


# -- 101 / 102 / 103 ------------------------------------------------------------------------
def operate(store, merchant_id: str, kind: str, fields: dict, timeout: bool = False) -> dict:
    now = store.now()
    amount = _amount(fields.get("amount")) if kind == CORRECT else None
    if timeout:
        raise Refusal("E001")
    with store.write() as db:
        payment = find_payment(db, merchant_id, fields)
        if payment["payment_type"] != lib.PAYMENT_TYPE:
            raise Refusal("24003")
        payment = settle(store, db, payment, now)
        carrier = details(payment).get("career_type", "")
        if payment["status"] not in ALLOWED.get((kind, carrier), ()):
            raise Refusal("24003")
        source = payment["status"]
        if kind == CANCEL:
            changes = {"status": CANCELLED_FROM[source], "closed_at": now,
                       "pending_target": "", "pending_until": None}
        else:
            if kind == CORRECT and amount >= payment["amount"]:
                raise Refusal("P009")   # 補正売上 lowers the amount; the same one is a 101
            changes = {"amount": amount} if kind == CORRECT else {}
            if source != CC:            # captured now: 消込完了 follows on the clock
                changes.update(status=C, captured_at=now, pending_target=CC,
                               pending_until=completion_time(now))
        payment = update_payment(db, payment, now, **changes)
        queue_notice(store, db, payment, "")
        return {"result": "0", "payment_id": str(payment["payment_id"])}


def _operation(kind: str):
    def run(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
        return operate(store, merchant_id, kind, fields, timeout)
    run.__name__ = f"operate_{kind}"
    return run


def settle(store, db, payment, now):
    """A 消込済 payment whose time has come is 消込完了."""
    if (payment["status"] == C and payment["pending_target"] == CC
            and now >= (payment["pending_until"] or 0)):
        payment = update_payment(db, payment, now, status=CC, pending_target="",
                                 pending_until=None)
        queue_notice(store, db, payment, "")
    return payment


# -- moves by the carrier (its page, the control API) ----------------------------------------
#: move → (the statuses it runs from, where it leaves the payment, the carriers it is for)
MOVES = {
    "approve": ({lib.APPLIED}, lib.AUTHORIZED, set(CARRIER_NAMES)),
    "decline": ({lib.APPLIED}, lib.ABANDONED, set(CARRIER_NAMES)),
    "abandon": ({lib.APPLIED}, lib.ABANDONED, set(CARRIER_NAMES)),
    "complete_authorization": ({A}, AC, {DOCOMO, SOFTBANK}),
    "expire": ({A, AC}, lib.AUTH_EXPIRED, set(CARRIER_NAMES)),
}
MOVE_NAMES = {"approve": "承認", "decline": "承認拒否", "abandon": "中断",
              "complete_authorization": "オーソリ完了", "expire": "オーソリ期限切れ"}


class NotNow(Exception):
    """The move does not apply to the payment as it is now (the message says why)."""


def move(store, payment_id: int, action: str):
    now = store.now()
    with store.write() as db:
        payment = get_payment(db, payment_id)
        if payment is None or payment["payment_type"] != lib.PAYMENT_TYPE:
            raise LookupError(payment_id)
        payment = settle(store, db, payment, now)
        sources, target, carriers = MOVES[action]
        carrier = details(payment).get("career_type", "")
        if carrier not in carriers:
            raise NotNow(f"{CARRIER_NAMES.get(carrier, carrier)}には{MOVE_NAMES[action]}は"
                         "ありません。")
        if payment["status"] not in sources:
            raise NotNow(f"決済ステータスが「{lib.CARRIER.status_name(payment['status'])}」"
                         f"のため、{MOVE_NAMES[action]}できません。")
        changes = {"status": target}
        if target == lib.AUTHORIZED:
            changes["authorized_at"] = now
        if target in CLOSED:
            changes["closed_at"] = now
        if action == "decline":
            changes["details"] = json.dumps({**details(payment), "declined": True},
                                            ensure_ascii=False)
        payment = update_payment(db, payment, now, **changes)
        queue_notice(store, db, payment, "")
        return payment


pages = Blueprint("carrier", __name__)


def _payment_json(row) -> dict:
    data = dict(row)
    data["payment_id"] = str(row["payment_id"])
    data["status_name"] = lib.CARRIER.status_name(row["status"])
    data["details"] = details(row)
    return data


@pages.post("/control/carrier/payments/<int:payment_id>/<action>")
def control_move(payment_id, action):
    if action not in MOVES:
        return jsonify(error="unknown action", actions=sorted(MOVES)), 404
    try:
        payment = move(sandbox().store, payment_id, action)
    except LookupError:
        return jsonify(error="no such carrier payment"), 404
    except NotNow as refused:
        row = get_payment(sandbox().store.db, payment_id)
        return jsonify(error=str(refused), status=row["status"] if row else ""), 409
    return jsonify(_payment_json(payment))


@pages.get("/control/carrier/payments/<int:payment_id>")
def control_payment(payment_id):
    row = get_payment(sandbox().store.db, payment_id)
    if row is None or row["payment_type"] != lib.PAYMENT_TYPE:
        return jsonify(error="no such carrier payment"), 404
    return jsonify(_payment_json(row))


# -- the carrier's authorisation page --------------------------------------------------------
STYLE = ("body{font-family:sans-serif;background:#f3f4f6;margin:0}main{max-width:420px;"
         "margin:40px auto;background:#fff;border:1px solid #ccd;border-radius:8px;"
         "padding:24px}h1{font-size:18px}dl{display:grid;grid-template-columns:auto 1fr;"
         "gap:4px 12px}dt{color:#555}button{font-size:16px;padding:8px 16px;"
         "margin:12px 8px 0 0}.error{color:#b00}.note{color:#666;font-size:13px}")
COLOURS = {DOCOMO: "#c03", AU: "#eb5505", SOFTBANK: "#555"}


def _page(title: str, body: str, status: int = 200, colour: str = "#333") -> Response:
    page = (f"<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}"
            f"h1{{border-bottom:3px solid {colour};padding-bottom:8px}}</style></head>"
            f"<body><main>{body}</main></body></html>")
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _by_token(token: str):
    if not token:
        return None
    return sandbox().store.db.execute(
        "SELECT * FROM payments WHERE payment_type=? AND json_extract(details, '$.page') = ?",
        (lib.PAYMENT_TYPE, token)).fetchone()


def _shop_name(payment) -> str:
    row = sandbox().store.db.execute("SELECT store_name FROM merchants WHERE merchant_id=?",
                                     (payment["merchant_id"],)).fetchone()
    return row["store_name"] if row and row["store_name"] else "-"


@pages.get("/carrier/auth/<token>")
def auth_page(token):
    payment = _by_token(token)
    if payment is None:
        return _page("携帯キャリア決済", "<p class=\"error\">決済が見つかりません。</p>", 404)
    carrier = details(payment).get("career_type", "")
    name = CARRIER_NAMES.get(carrier, "携帯キャリア決済")
    if payment["status"] != lib.APPLIED:
        return _closed(payment, name)
    action = html.escape(url_for("carrier.auth_answer", token=token))
    body = (f"<h1>{html.escape(name)}（テスト環境）</h1>"
            "<p>ご利用の携帯電話の料金と合わせてお支払いいただきます。</p>"
            f"<dl><dt>ご利用店舗</dt><dd id=\"shop\">{html.escape(_shop_name(payment))}</dd>"
            f"<dt>お支払い金額</dt><dd id=\"amount\">{payment['amount']:,}円</dd></dl>"
            f"<form method=\"post\" action=\"{action}\">"
            "<button type=\"submit\" name=\"action\" value=\"approve\" id=\"carrier-approve\">"
            "承認する</button>"
            "<button type=\"submit\" name=\"action\" value=\"decline\" id=\"carrier-decline\">"
            "承認しない（利用不可）</button>"
            "<button type=\"submit\" name=\"action\" value=\"abandon\" id=\"carrier-abandon\">"
            "中断してショップに戻る</button></form>"
            "<p class=\"note\">テスト環境のため実際のご請求は発生しません。「承認しない」は"
            "キャリアがご利用をお断りした場合を再現します。</p>")
    return _page(name, body, colour=COLOURS.get(carrier, "#333"))


def _closed(payment, name: str) -> Response:
    return _page(name, "<p class=\"error\" id=\"result\">この決済は「"
                 f"{html.escape(lib.CARRIER.status_name(payment['status']))}」です。</p>", 409)


@pages.post("/carrier/auth/<token>")
def auth_answer(token):
    """承認する → 20 and the shop's return_url; 承認しない → 15 and its other_url; 中断する →
    15 and its cancel_url. Once only."""
    payment = _by_token(token)
    if payment is None:
        return _page("携帯キャリア決済", "<p class=\"error\">決済が見つかりません。</p>", 404)
    action = request.form.get("action")
    if action not in ("approve", "decline", "abandon"):
        return _page("携帯キャリア決済", "<p class=\"error\">操作を選択してください。</p>", 400)
    data = details(payment)
    try:
        payment = move(sandbox().store, payment["payment_id"], action)
    except NotNow:
        return _closed(get_payment(sandbox().store.db, payment["payment_id"]),
                       CARRIER_NAMES.get(data.get("career_type", ""), "携帯キャリア決済"))
    target = {"approve": data["return_url"], "decline": data["other_url"],
              "abandon": data["cancel_url"]}[action]
    params = urlencode({"trading_id": payment["trading_id"],
                        "payment_id": payment["payment_id"]})
    response = Response(status=303)
    response.headers["Location"] = target + ("&" if urlsplit(target).query else "?") + params
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the method --------------------------------------------------------------------------
APPLY_ITEMS = ("payment_id", "trading_id", "redirect_url", "redirect_html")
PAYMENT_ITEMS = ("payment_id",)

CARRIER = SandboxMethod(
    lib=lib.CARRIER,
    telegrams=(
        Telegram(APPLY, PATH, APPLY_ITEMS, apply, DETAILS),
        Telegram(CAPTURE, PATH, PAYMENT_ITEMS, _operation(CAPTURE), DETAILS),
        Telegram(CANCEL, PATH, PAYMENT_ITEMS, _operation(CANCEL), DETAILS),
        Telegram(CORRECT, PATH, PAYMENT_ITEMS, _operation(CORRECT), DETAILS),
    ),
    actions={"capture": CAPTURE, "cancel": CANCEL, "correct": CORRECT},
    settle=settle,
    blueprint=pages,
)
