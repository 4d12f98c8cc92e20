"""What the sandbox's deferred methods share (コンビニ決済 ``conveni.py``, ATM決済 ``atm.py``, 銀行ネット
決済 ``bank.py``): their payments' rows and state rules, the buyer's side of paying (the store
terminal at ``/cvs/terminal``, the bank selection look-alike at ``/bank/select/…``) and the
control API that makes a payment happen (``/control/deferred/…``).

State rules (PAYGENT's, as docs/deferred-payments.md gives them):
- an 申込 (030/010/050/060) makes a payment at 10 申込済 with its deadline on the sandbox clock;
- paying moves it to 40 消込済; at a store that reports a 速報 first, 10 → 43 速報検知済 → 40,
  or 43 → 61 速報取消済 when the store takes the payment back (コンビニ only);
- leaving the bank's page (中断) moves a bank payment to 15 申込中断;
- the deadline passing on the sandbox clock moves a 10 to 12 支払期限切 (noticed unasked, by the
  dispatcher, or when a 094 asks);
- anything else is refused (409 from the control API, a message on the pages).
Every move queues its 差分通知 (with its ``hc``) through the dispatcher.
"""
import html
import json
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request, url_for

from payments.methods import atm as atm_lib
from payments.methods import bank as bank_lib
from payments.methods import conveni as conveni_lib
from payments.methods import deferred as lib

from ..base import (DAY, DETAILS as COMMON_DETAILS, JST, Refusal, get_payment, next_payment_id,
                    queue_notice, sandbox, update_payment)

DETAILS = {
    **COMMON_DETAILS,
    "P005": "必須項目が指定されていません。",
    "P014": "金額は1以上を指定してください。",
    "E001": "システムエラーが発生しました。",
}
DEFERRED_TYPES = (conveni_lib.PAYMENT_TYPE, atm_lib.PAYMENT_TYPE, bank_lib.PAYMENT_TYPE)
NAMES = {conveni_lib.PAYMENT_TYPE: conveni_lib.CONVENI, atm_lib.PAYMENT_TYPE: atm_lib.ATM,
         bank_lib.PAYMENT_TYPE: bank_lib.BANK}


# -- checking a telegram's values ----------------------------------------------------------
def amount(raw, max_amount: int) -> int:
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise Refusal("P005")
    if text == "0" or text.startswith("-") and text[1:].isdigit():
        raise Refusal("P014")
    if not text.isascii() or not text.isdigit() or int(text) > max_amount:
        raise Refusal("P009")
    return int(text)


def required(fields: dict, name: str) -> str:
    value = (fields.get(name) or "").strip()
    if not value:
        raise Refusal("P005")
    return value


def limit_days(fields: dict, rule) -> int:
    """``payment_limit_date`` (days from today) as PAYGENT takes it."""
    text = required(fields, "payment_limit_date")
    if not text.isascii() or not text.isdigit() or not rule.min_days <= int(text) <= rule.max_days:
        raise Refusal("P009")
    return int(text)


def end_of_day(now: float, days: int) -> float:
    """The end (23:59:59 JST) of the day ``days`` after today, on the sandbox clock."""
    today = datetime.fromtimestamp(now, JST).date()
    last = datetime.combine(today + timedelta(days=days), datetime.min.time(), JST)
    return last.timestamp() + DAY - 1


def limit_date(deadline: float) -> str:
    return datetime.fromtimestamp(deadline, JST).strftime("%Y%m%d")


def unique_number(db, key: str, digits: int, prefix: str = "") -> str:
    """A payment number no open payment of the sandbox holds under ``key``."""
    while True:
        number = prefix + "".join(secrets.choice("0123456789")
                                  for _ in range(digits - len(prefix)))
        taken = db.execute(
            "SELECT 1 FROM payments WHERE json_extract(details, ?) = ? LIMIT 1",
            (f"$.{key}", number)).fetchone()
        if taken is None:
            return number


# -- payments ----------------------------------------------------------------------------
def create(store, db, merchant_id: str, trading_id: str, payment_amount: int,
           payment_type: str, deadline: float, details: dict):
    """A payment at 10 申込済 whose deadline the clock will run out (pending 12)."""
    now = store.now()
    payment_id = next_payment_id(db)
    db.execute(
        "INSERT INTO payments(payment_id, merchant_id, trading_id, paidy_payment_id,"
        " payment_type, status, amount, pending_target, pending_until, details, created_at,"
        " updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
        (payment_id, merchant_id, trading_id, "", payment_type, lib.APPLIED, payment_amount,
         lib.EXPIRED, deadline, json.dumps({**details, "deadline": deadline},
                                           ensure_ascii=False), now, now))
    payment = get_payment(db, payment_id)
    queue_notice(store, db, payment, "")
    return payment


def details(payment) -> dict:
    try:
        data = json.loads(payment["details"] or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def settle(store, db, payment, now):
    """A payment still at 申込済 (or 申込中断: the buyer may come back) when its deadline has
    passed is 支払期限切."""
    if (payment["status"] in (lib.APPLIED, lib.ABANDONED)
            and payment["pending_target"] == lib.EXPIRED
            and now >= (payment["pending_until"] or 0)):
        payment = update_payment(db, payment, now, status=lib.EXPIRED, closed_at=now,
                                 pending_target="", pending_until=None)
        queue_notice(store, db, payment, "")
    return payment


#: what may follow what, and the payment types each move is for
MOVES = {
    "pay": {lib.APPLIED: lib.CLEARED, lib.DETECTED: lib.CLEARED, lib.ABANDONED: lib.CLEARED},
    "detect": {lib.APPLIED: lib.DETECTED},
    "cancel_detection": {lib.DETECTED: lib.DETECTION_CANCELLED},
    "abandon": {lib.APPLIED: lib.ABANDONED},
}
MOVE_TYPES = {"pay": DEFERRED_TYPES, "detect": (conveni_lib.PAYMENT_TYPE,),
              "cancel_detection": (conveni_lib.PAYMENT_TYPE,),
              "abandon": (bank_lib.PAYMENT_TYPE,)}
MOVE_NAMES = {"pay": "入金", "detect": "速報検知", "cancel_detection": "速報取消",
              "abandon": "申込中断"}


class NotNow(Exception):
    """The move does not apply to the payment as it is now (the message says why)."""


def move(store, payment_id: int, action: str):
    """Move a deferred payment as the buyer, the store or the bank would; NotNow if it can't."""
    now = store.now()
    with store.write() as db:
        payment = get_payment(db, payment_id)
        if payment is None or payment["payment_type"] not in DEFERRED_TYPES:
            raise LookupError(payment_id)
        if payment["payment_type"] not in MOVE_TYPES[action]:
            raise NotNow(f"{NAMES[payment['payment_type']].name}には{MOVE_NAMES[action]}は"
                         "ありません。")
        payment = settle(store, db, payment, now)
        target = MOVES[action].get(payment["status"])
        if target is None:
            method = NAMES[payment["payment_type"]]
            raise NotNow(f"決済ステータスが「{method.status_name(payment['status'])}」のため、"
                         f"{MOVE_NAMES[action]}できません。")
        changes = {"status": target, "pending_target": "", "pending_until": None}
        if target == lib.ABANDONED:  # the deadline still runs: the buyer may come back
            changes = {"status": target}
        if target in (lib.CLEARED, lib.DETECTED) and payment["captured_at"] is None:
            changes["captured_at"] = now
        if NAMES[payment["payment_type"]].status(target).closes_order:
            changes["closed_at"] = now
        payment = update_payment(db, payment, now, **changes)
        queue_notice(store, db, payment, "")
        return payment


# -- pages and the control API -------------------------------------------------------------
pages = Blueprint("deferred", __name__)
BANKS = {"0001": "みずほ銀行", "0005": "三菱UFJ銀行", "0009": "三井住友銀行",
         "0010": "りそな銀行", "9900": "ゆうちょ銀行"}


def _payment_json(row) -> dict:
    data = dict(row)
    data["payment_id"] = str(row["payment_id"])
    data["status_name"] = NAMES[row["payment_type"]].status_name(row["status"])
    data["details"] = details(row)
    return data


@pages.post("/control/deferred/payments/<int:payment_id>/<action>")
def control_move(payment_id, action):
    """``pay`` (→ 40, also 43 → 40), ``detect`` (コンビニ: → 43 速報検知済), ``cancel_detection``
    (コンビニ: 43 → 61 速報取消済), ``abandon`` (銀行ネット: → 15 申込中断): each with its notice."""
    if action not in MOVES:
        return jsonify(error="unknown action", actions=sorted(MOVES)), 404
    try:
        payment = move(sandbox().store, payment_id, action)
    except LookupError:
        return jsonify(error="no such deferred payment"), 404
    except NotNow as refused:
        row = sandbox().store.db.execute("SELECT status FROM payments WHERE payment_id=?",
                                         (payment_id,)).fetchone()
        return jsonify(error=str(refused), status=row["status"] if row else ""), 409
    return jsonify(_payment_json(payment))


@pages.get("/control/deferred/payments/<int:payment_id>")
def control_payment(payment_id):
    row = sandbox().store.db.execute("SELECT * FROM payments WHERE payment_id=?",
                                     (payment_id,)).fetchone()
    if row is None or row["payment_type"] not in DEFERRED_TYPES:
        return jsonify(error="no such deferred payment"), 404
    return jsonify(_payment_json(row))


STYLE = ("body{font-family:sans-serif;background:#f3f4f6;margin:0}main{max-width:480px;"
         "margin:40px auto;background:#fff;border:1px solid #ccd;border-radius:8px;"
         "padding:24px}h1{font-size:18px}h2{font-size:16px;margin-top:24px}"
         "input[type=text]{font-size:18px;padding:6px;width:14em}button{font-size:16px;"
         "padding:8px 16px;margin:12px 8px 0 0}.error{color:#b00}.ok{color:#070}"
         ".note{color:#666;font-size:13px}dl{display:grid;grid-template-columns:auto 1fr;"
         "gap:4px 12px}dt{color:#555}label{display:block;margin:4px 0}")


def _page(title: str, body: str, status: int = 200) -> Response:
    page = (f"<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
            f"<body><main>{body}</main></body></html>")
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the store terminal (コンビニ) and the ATM -----------------------------------------------
#: which payment number each counter takes
COUNTERS = {"cvs": (conveni_lib.PAYMENT_TYPE, "receipt_number", "コンビニ店頭端末",
                    "受付番号・お客様番号・払込票番号など"),
            "atm": (atm_lib.PAYMENT_TYPE, "customer_number", "ATM（ペイジー）", "お客様番号")}


def _terminal(message: str = "", ok: bool = False, status: int = 200) -> Response:
    action = html.escape(url_for("deferred.terminal_pay"))
    parts = ["<h1>お支払い端末（テスト環境）</h1>"]
    if message:
        parts.append(f"<p class=\"{'ok' if ok else 'error'}\" id=\"result\">"
                     f"{html.escape(message)}</p>")
    for counter, (_, _, title, label) in COUNTERS.items():
        parts.append(
            f"<h2>{html.escape(title)}</h2><form method=\"post\" action=\"{action}\">"
            f"<input type=\"hidden\" name=\"counter\" value=\"{counter}\">"
            f"<label>{html.escape(label)} <input type=\"text\" name=\"number\" "
            f"id=\"{counter}-number\" inputmode=\"numeric\" autocomplete=\"off\"></label>"
            f"<button type=\"submit\" id=\"{counter}-pay\">支払う</button></form>")
    parts.append("<p class=\"note\">テスト環境のため実際のお支払いは発生しません。入力した番号の決済が"
                 "消込済になり、ショップに差分通知が送られます。</p>")
    return _page("お支払い端末", "".join(parts), status)


@pages.get("/cvs/terminal")
def terminal():
    return _terminal()


@pages.post("/cvs/terminal")
def terminal_pay():
    counter = request.form.get("counter", "cvs")
    if counter not in COUNTERS:
        return _terminal("支払方法が正しくありません。", status=400)
    payment_type, key, _, label = COUNTERS[counter]
    number = "".join((request.form.get("number") or "").split()).replace("-", "")
    if not number:
        return _terminal(f"{label}を入力してください。", status=400)
    store = sandbox().store
    row = store.db.execute(
        "SELECT payment_id FROM payments WHERE payment_type=? AND json_extract(details, ?) = ? "
        "ORDER BY payment_id DESC LIMIT 1", (payment_type, f"$.{key}", number)).fetchone()
    if row is None:
        return _terminal("お支払い番号が見つかりません。番号をご確認ください。", status=404)
    try:
        payment = move(store, row["payment_id"], "pay")
    except NotNow as refused:
        return _terminal(str(refused), status=409)
    return _terminal(f"{payment['amount']:,}円のお支払いが完了しました。", ok=True)


@pages.get("/cvs/slip/<token>")
def slip(token):
    """The 払込票 a store's receipt_print_url points at."""
    row = sandbox().store.db.execute(
        "SELECT * FROM payments WHERE payment_type=? AND json_extract(details, '$.slip') = ?",
        (conveni_lib.PAYMENT_TYPE, token)).fetchone()
    if row is None:
        return _page("払込票", "<p class=\"error\">払込票が見つかりません。</p>", 404)
    data = details(row)
    body = ("<h1>払込票（テスト環境）</h1><dl>"
            f"<dt>お支払い先</dt><dd>{html.escape(conveni_lib.store_name(data['store']))}</dd>"
            f"<dt>払込票番号</dt><dd id=\"receipt-number\">{html.escape(data['receipt_number'])}"
            f"</dd><dt>金額</dt><dd>{row['amount']:,}円</dd>"
            f"<dt>お支払い期限</dt><dd>{limit_date(data['deadline'])}</dd></dl>")
    return _page("払込票", body)


# -- the bank selection page ---------------------------------------------------------------
def _bank_payment(token: str):
    if not token:
        return None
    return sandbox().store.db.execute(
        "SELECT * FROM payments WHERE payment_type=? AND json_extract(details, '$.page') = ?",
        (bank_lib.PAYMENT_TYPE, token)).fetchone()


def _bank_page(payment, message: str = "", status: int = 200) -> Response:
    data = details(payment)
    chosen = request.values.get("bank") or data.get("bank_code") or ""
    action = html.escape(url_for("deferred.bank_answer", token=data["page"]))
    banks = "".join(
        f"<label><input type=\"radio\" name=\"bank\" value=\"{code}\" id=\"bank-{code}\""
        f"{' checked' if code == chosen else ''}> {html.escape(name)}</label>"
        for code, name in BANKS.items())
    memo = (f"<p id=\"free-memo\">{html.escape(data.get('free_memo', ''))}</p>"
            if data.get("free_memo") else "")
    error = f"<p class=\"error\" id=\"result\">{html.escape(message)}</p>" if message else ""
    body = ("<h1>ネットバンク選択（テスト環境）</h1>" + error +
            f"<dl><dt>ご請求元</dt><dd id=\"claim\">{html.escape(data.get('claim_kanji', ''))}"
            f"</dd><dt>金額</dt><dd id=\"amount\">{payment['amount']:,}円</dd>"
            f"<dt>お支払い期限</dt><dd>"
            f"{datetime.fromtimestamp(data['deadline'], JST).strftime('%Y/%m/%d %H:%M')}</dd>"
            f"</dl>{memo}<form method=\"post\" action=\"{action}\">{banks}"
            "<button type=\"submit\" name=\"action\" value=\"pay\" id=\"bank-pay\">支払う</button>"
            "<button type=\"submit\" name=\"action\" value=\"abandon\" id=\"bank-abandon\" "
            "formnovalidate>中断</button></form>"
            f"<p class=\"note\">{html.escape(data.get('copy_right', ''))}</p>")
    return _page("ネットバンク選択", body, status)


def _closed_page(payment) -> Response:
    method = NAMES[payment["payment_type"]]
    if payment["status"] == lib.EXPIRED:
        return _page("ネットバンク選択", "<p class=\"error\" id=\"result\">支払期限を過ぎたため、"
                     "お支払いいただけません。</p>", 410)
    return _page("ネットバンク選択", "<p class=\"error\" id=\"result\">この決済は"
                 f"「{html.escape(method.status_name(payment['status']))}」です。</p>", 409)


@pages.get("/bank/select/<token>")
def bank_select(token):
    store = sandbox().store
    payment = _bank_payment(token)
    if payment is None:
        return _page("ネットバンク選択", "<p class=\"error\">決済が見つかりません。</p>", 404)
    with store.write() as db:
        payment = settle(store, db, payment, store.now())
    if payment["status"] not in (lib.APPLIED, lib.ABANDONED):
        return _closed_page(payment)
    return _bank_page(payment)


@pages.post("/bank/select/<token>")
def bank_answer(token):
    """支払う (with a bank chosen) → 40 and back to the shop's return_url; 中断 → 15 and back to
    its stop_return_url. A buyer who left may come back and pay until the deadline (seed 001);
    once paid, the page is closed."""
    payment = _bank_payment(token)
    if payment is None:
        return _page("ネットバンク選択", "<p class=\"error\">決済が見つかりません。</p>", 404)
    abandon = request.form.get("action") == "abandon"
    if not abandon and request.form.get("bank") not in BANKS:
        return _bank_page(payment, "お支払いに使う金融機関を選択してください。", 400)
    try:
        if abandon and payment["status"] == lib.ABANDONED:  # left again: nothing moves
            store = sandbox().store
            with store.write() as db:
                payment = settle(store, db, payment, store.now())
            if payment["status"] != lib.ABANDONED:
                raise NotNow("")
        else:
            payment = move(sandbox().store, payment["payment_id"], "abandon" if abandon else "pay")
    except NotNow:
        return _closed_page(get_payment(sandbox().store.db, payment["payment_id"]))
    data = details(payment)
    target = data["stop_return_url"] if abandon else data["return_url"]
    params = urlencode({"trading_id": payment["trading_id"],
                        "payment_id": payment["payment_id"]})
    response = Response(status=303)
    response.headers["Location"] = target + ("&" if "?" in target else "?") + params
    response.headers["Cache-Control"] = "no-store"
    return response


def new_token() -> str:
    return secrets.token_urlsafe(18)


__all__ = ["DETAILS", "create", "move", "pages", "settle"]
