"""The application of a deferred method (030 コンビニ, 010 ATM, 060 銀行ネット) at 「注文する」, and
what follows it without the buyer: settling an application whose answer never came, asking
PAYGENT about 入金待ち orders past their deadline, and the reminder mail.

「注文する」 writes the 決済処理中 order and claims its application row (``applying``) in one
short transaction; the telegram goes out with no transaction open; its answer is booked after
re-reading the row. An order has one application row, so a double click, a re-post or a second
tab finds the claim and sends nothing more. An accepted application places the order as
入金待ち with what the buyer pays with (``lines``) and queues the thanks mail in the same
transaction.
"""
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta, timezone

from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from cart import history, jobs, mail
from cart.history import OrderRef
from cart.acceptance import accept_payment
from cart.checkout.orders import Draft, write_order
from cart.extensions import begin_write, db, transaction
from cart.gateway import TelegramLog, account_for, client_for
from cart.methods import registry
from cart.methods.deferred import Application, lines_of, split_name
from cart.models import DeferredPayment, Order, Payment, Shop
from cart.models.base import utcnow
from cart.review import flag
from payments.methods import deferred as lib
from payments.methods.deferred import days_left, days_left_text, deadline_text, is_past

log = logging.getLogger("cart.checkout.deferred")

FAILED_MESSAGE = ("お支払い番号を発行できませんでした。ご注文内容をご確認のうえ、もう一度お試しいただくか、"
                  "他のお支払い方法をお選びください。")
UNAVAILABLE_MESSAGE = ("ただいまこのお支払い方法を受け付けられません。時間をおいて再度お試しいただくか、"
                       "他のお支払い方法をお選びください。")
INPUT_MESSAGE = ("ご入力の内容（お名前・フリガナ・電話番号）ではこのお支払い方法をご利用いただけません。"
                 "ご入力内容をご確認いただくか、他のお支払い方法をお選びください。")
BUSY_MESSAGE = "このご注文のお手続きは受付済みです。ご注文の状況をご確認ください。"
#: PAYGENT's own errors (P… settings, E… system and connection, 9… its database)
SYSTEM_CODE_PREFIXES = ("P", "E", "9")
#: a 入金待ち order past its deadline by this much, with no notice, is asked about (094): the
#: 12 支払期限切 notice normally comes first (seed 003 §2.4 warns against acting at once)
OVERDUE_MARGIN = timedelta(hours=6)
#: how often one overdue order is asked again while PAYGENT still says 申込済
RECHECK_AFTER = timedelta(hours=12)


@dataclass
class Step:
    """What the browser is shown next (plain values)."""
    kind: str                       # done | handover | pending | failed
    order_id: int | None = None
    number: str = ""
    key: str = ""
    url: str = ""                   # handover: PAYGENT's page
    message: str = ""


# -- 「注文する」 ------------------------------------------------------------------------------
def apply(shop: Shop, current: Draft, pending_id, form, urls_for) -> Step:
    """Write the order, claim its application, send the method's telegram, book the answer.
    ``urls_for(key)`` gives (return_url, stop_url) for methods that hand the buyer over."""
    method = registry.get(current.method.kind)
    settings = method.settings(shop.id)
    store = method.choice(settings, form)  # DeferredInputError
    busy = _in_progress(shop.id, pending_id)
    if busy is not None:
        return busy
    key = secrets.token_urlsafe(32)
    try:
        with transaction():
            order = write_order(shop, current, pending_id)
            # an order just made has no application; the rebuilt pending one may have one
            row = db.session.scalar(select(DeferredPayment).where(
                DeferredPayment.order_id == order.id)) if order.id == pending_id else None
            if row is None:
                row = DeferredPayment(shop_id=shop.id, order_id=order.id, method=method.code,
                                      key=key)
                db.session.add(row)
            elif row.stage != "failed":
                raise _Busy()
            row.key, row.method, row.stage, row.store = key, method.code, "applying", store
            row.code = row.message = ""
            row.lines, row.handover_url, row.deadline = "[]", "", None
            row.created_at = utcnow()
            db.session.flush()
            family, given = split_name(order.buyer_name)
            family_kana, given_kana = split_name(order.buyer_kana)
            return_url, stop_url = urls_for(key) if method.hands_over else ("", "")
            application = Application(order.number, order.total, family, given, family_kana,
                                      given_kana, order.tel or order.mobile, store,
                                      return_url, stop_url)
            row_id, order_id, number = row.id, order.id, order.number
    except (_Busy, IntegrityError):
        db.session.rollback()
        return _in_progress(shop.id, pending_id) or Step("failed", message=BUSY_MESSAGE)
    telegrams = TelegramLog(shop.id, order_id)
    client = client_for(account_for(shop.id), order_id, telegrams)
    try:
        result = method.send(client, settings, application)
    except (ValueError, TypeError) as refused:  # nothing was sent: the input cannot go
        log.info("application of order %s not sent: %s", order_id, refused)
        with telegrams.booking():
            row = locked_application(row_id, "applying")
            if row is not None:
                _fail(row, number, "INPUT", INPUT_MESSAGE, method.history_name)
        return Step("failed", order_id, number, key, message=INPUT_MESSAGE)
    applied = method.read(result, settings, application)
    with telegrams.booking():
        row = locked_application(row_id, "applying")
        if row is None:  # cannot happen: only the claimant books
            return _step_of_row(row_id)
        name = method.history_name
        if result.unknown:
            row.stage, row.code = "unknown", (result.code or "")[:10]
            history.record(OrderRef(shop.id, order_id, number),
                           f"注文番号 : {number} {name} 申込の結果を確認中（エラーコード:{result.code}）")
            return Step("pending", order_id, number, key)
        if applied is None:
            message = _message(result.code)
            _fail(row, number, result.code or "ERROR", message, name)
            return Step("failed", order_id, number, key, message=message)
        _book(row, applied, shop.id, order_id, method, "決済画面")
    if applied.handover_url:
        return Step("handover", order_id, number, key, url=applied.handover_url)
    return Step("done", order_id, number, key)


class _Busy(Exception):
    pass


def _in_progress(shop_id: int, pending_id) -> Step | None:
    """The shopper's pending order already has an application that is not a failure: what it
    became (a double click or a second tab sends nothing more)."""
    if not pending_id:
        return None
    found = db.session.execute(select(DeferredPayment, Order.number).join(
        Order, Order.id == DeferredPayment.order_id).where(
        DeferredPayment.shop_id == shop_id, DeferredPayment.order_id == pending_id,
        DeferredPayment.stage != "failed")).first()
    if found is None:
        return None
    row, number = found
    return _step(row, number)


def _step(row: DeferredPayment, number: str) -> Step:
    if row.stage == "applied":
        if row.handover_url:
            return Step("handover", row.order_id, number, row.key, url=row.handover_url)
        return Step("done", row.order_id, number, row.key)
    if row.stage == "failed":
        return Step("failed", row.order_id, number, row.key, message=row.message)
    return Step("pending", row.order_id, number, row.key)


def _step_of_row(row_id: int) -> Step:
    db.session.rollback()
    row = db.session.get(DeferredPayment, row_id)
    number = db.session.scalar(select(Order.number).where(Order.id == row.order_id))
    return _step(row, number)


def _book(row: DeferredPayment, applied, shop_id: int, order_id: int, method, source: str):
    """An accepted application: its lines and deadline kept, the order placed as 入金待ち (the
    thanks mail, which shows the lines, queued with it)."""
    row.stage, row.finished_at = "applied", utcnow()
    row.lines = json.dumps([list(pair) for pair in applied.lines], ensure_ascii=False)
    # stored in UTC, as every time is (SQLite keeps no offset)
    row.deadline = applied.deadline.astimezone(timezone.utc) if applied.deadline else None
    row.handover_url = applied.handover_url or ""
    db.session.flush()
    order = db.session.get(Order, order_id)
    accept_payment(order, method.lib, None, applied.payment_id, lib.APPLIED, order.total, source)


def _fail(row: DeferredPayment, number: str, code: str, message: str, name: str) -> None:
    row.stage, row.code, row.message = "failed", (code or "")[:10], message[:300]
    row.finished_at = utcnow()
    history.record(OrderRef(row.shop_id, row.order_id, number),
                   f"注文番号 : {number} {name} 申込NG（エラーコード:{code}）")


def _message(code: str) -> str:
    if code and code[:1] in SYSTEM_CODE_PREFIXES:
        return UNAVAILABLE_MESSAGE
    return FAILED_MESSAGE


def locked_application(row_id: int, stage: str) -> DeferredPayment | None:
    """The application re-read in the writer's transaction, if still at ``stage``."""
    begin_write()
    row = db.session.scalar(select(DeferredPayment).where(
        DeferredPayment.id == row_id).with_for_update().execution_options(
        populate_existing=True))
    return row if row is not None and row.stage == stage else None


# -- what the buyer sees after ordering ------------------------------------------------------
@dataclass
class PaymentView:
    """An order's deferred payment as the completion page, the mail, the signed page and the
    order page show it."""
    key: str
    method_name: str
    number: str
    total: int
    order_status: str
    payment_status: str             # PAYGENT's status code ("" before a payment exists)
    status_name: str
    lines: list = field(default_factory=list)
    deadline: object = None
    handover_url: str = ""
    shop_code: str = ""

    @property
    def deadline_text(self) -> str:
        return deadline_text(self.deadline) if self.deadline else ""

    def days_left_text(self, now=None) -> str:
        return days_left_text(self.deadline, now or utcnow()) if self.deadline else ""

    @property
    def awaiting(self) -> bool:
        return self.order_status == "awaiting_payment"

    @property
    def paid(self) -> bool:
        return self.order_status in ("paid", "completed") or self.payment_status in (
            lib.CLEARED, lib.DETECTED)

    @property
    def can_hand_over(self) -> bool:
        """The bank selection page is still open to the buyer (seed 001: until the deadline)."""
        return bool(self.handover_url) and self.awaiting and not (
            self.deadline and is_past(self.deadline, utcnow()))

    @property
    def link(self) -> str:
        return payment_link(self.shop_code, self.key)

    def mail_text(self) -> str:
        return render_template("methods/deferred/mail.txt", view=self)


def payment_view(shop_id: int, order_id: int | None = None, number: str | None = None,
                 key: str | None = None) -> PaymentView | None:
    """The order's deferred payment within the shop (by order id, number or key), or None."""
    query = select(DeferredPayment, Order.number, Order.total, Order.status, Order.payment_name,
                   Payment.status, Shop.code).join(Order, Order.id == DeferredPayment.order_id).join(
        Shop, Shop.id == DeferredPayment.shop_id).outerjoin(
        Payment, Payment.order_id == Order.id).where(DeferredPayment.shop_id == shop_id,
                                                     DeferredPayment.stage == "applied")
    if order_id is not None:
        query = query.where(DeferredPayment.order_id == order_id)
    elif number is not None:
        query = query.where(Order.shop_id == shop_id, Order.number == number)
    elif key is not None:
        query = query.where(DeferredPayment.key == key)
    else:
        return None
    found = db.session.execute(query).first()
    if found is None:
        return None
    row, number, total, order_status, payment_name, status, shop_code = found
    method = registry.get(row.method).lib
    if order_status == "cancelled":
        closed = method.status(status) if status else None
        shown = closed.shown if closed is not None and closed.closes_order else "ご注文取消し"
    elif status:
        shown = method.status(status).shown or method.status_name(status)
    else:
        shown = "入金待ち"
    return PaymentView(row.key, payment_name, number, total, order_status, status or "", shown,
                       lines_of(row), row.deadline, row.handover_url, shop_code)


def application_note(order) -> str:
    """What the order page says of an application that placed no order (yet)."""
    row = db.session.scalar(select(DeferredPayment).where(
        DeferredPayment.order_id == order.id, DeferredPayment.shop_id == order.shop_id))
    if row is None:
        return ""
    if row.stage == "failed":
        return f"お支払い番号の発行に失敗しました（エラーコード:{row.code}）。お客様はご注文を完了していません。"
    if row.stage in ("unknown", "applying"):
        return ("ペイジェントへの申込の結果を確認中です。定期処理で決済情報を照会し、"
                "結果を反映します。")
    return ""


def refresh_view(shop_id: int, key: str) -> PaymentView | None:
    """The payment as PAYGENT has it now (094; forward only, as every answer is booked), for
    a buyer back from the bank's site before the notice; None when PAYGENT did not answer."""
    from cart import operations
    order_id = db.session.scalar(select(DeferredPayment.order_id).where(
        DeferredPayment.shop_id == shop_id, DeferredPayment.key == key))
    if order_id is None:
        return None
    try:
        operations.refresh(shop_id, order_id)
    except operations.Refused:
        db.session.rollback()
        return None
    return payment_view(shop_id, key=key)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="deferred-payment")


def payment_link(shop_code: str, key: str) -> str:
    """The mail's link to the payment page (signed: it opens that page and nothing else), on
    the shop's public address (the mail is read anywhere, the periodic round sends some)."""
    return (f"{current_app.config['PUBLIC_BASE_URL']}/s/{shop_code}/payment/"
            f"{_serializer().dumps(key)}")


def key_of_link(token: str) -> str | None:
    try:
        key = _serializer().loads(token)
    except BadSignature:
        return None
    return key if isinstance(key, str) and len(key) <= 64 else None


def keeps_pending(order, method) -> bool:
    """A 決済処理中 order whose application may have reached PAYGENT (its answer never came)
    is not rolled back before the buyer's time to pay, plus a margin, has run out: PAYGENT may
    hold a payment the buyer can still make (seed 003 §2.4). 094 settles it meanwhile."""
    row = db.session.scalar(select(DeferredPayment).where(
        DeferredPayment.order_id == order.id, DeferredPayment.shop_id == order.shop_id))
    if row is None or row.stage == "failed":
        return False
    settings = method.settings(order.shop_id)
    days = settings.days if settings is not None else None
    deadline = row.deadline or method.deadline_rule.deadline(row.created_at, days)
    return not is_past(deadline, utcnow(), OVERDUE_MARGIN)


# -- the periodic round ---------------------------------------------------------------------
def settle_open_applications(method_code: str, limit: int = 200) -> dict:
    """Applications whose answer never came (``unknown``, or ``applying`` past the claim
    timeout): PAYGENT is asked (094, by the order's 取引ID). A payment it holds places the order
    as 入金待ち; the numbers went with the lost answer, so the order is flagged for staff to
    give them to the buyer. No payment: the application failed."""
    from cart.operations import claim_timeout
    now = utcnow()
    ids = db.session.scalars(select(DeferredPayment.id).where(
        DeferredPayment.method == method_code,
        (DeferredPayment.stage == "unknown")
        | ((DeferredPayment.stage == "applying")
           & (DeferredPayment.created_at < now - claim_timeout())))
        .order_by(DeferredPayment.id).limit(limit)).all()
    db.session.commit()
    return jobs.each_counted(ids, settle_application, "deferred application")


NOT_FOUND = "24001"     # 094: PAYGENT has no payment under that 取引ID


def settle_application(row_id: int) -> str:
    row = db.session.get(DeferredPayment, row_id)
    if row is None or row.stage not in ("unknown", "applying"):
        return row.stage if row else "missing"
    stage, order_id, shop_id = row.stage, row.order_id, row.shop_id
    order = db.session.get(Order, order_id)
    number = order.number
    method = registry.get(row.method)
    telegrams = TelegramLog(shop_id, order_id)
    account = account_for(shop_id)
    db.session.commit()
    result = client_for(account, order_id, telegrams).inquire(trading_id=number)
    if not result.ok and result.code != NOT_FOUND:
        telegrams.write_alone()
        return "unknown"
    with telegrams.booking():
        row = locked_application(row_id, stage)
        if row is None:
            return "unknown"
        if not result.ok:
            _fail(row, number, result.code, FAILED_MESSAGE, method.history_name)
            return "failed"
        order = db.session.get(Order, order_id)
        status = result.get("payment_status") or lib.APPLIED
        row.stage, row.finished_at = "applied", utcnow()
        accept_payment(order, method.lib, None, result.get("payment_id"), status, order.total,
                       "決済情報照会")
        flag(order, f"注文番号 : {number} {method.history_name}の申込の応答を受け取れなかったため、"
                    "お支払い番号をお客様にご案内できていません。ペイジェントの管理画面で番号を"
                    "確認し、お客様にご連絡ください。")
    return "applied"


def check_overdue(method_code: str, limit: int = 200) -> dict:
    """入金待ち orders past their deadline plus a margin with no notice: PAYGENT is asked (094),
    never guessed; its answer moves the order (12 → 注文取消し with the stock back, 40 →
    入金済み). Asked again after a while if PAYGENT still says 申込済."""
    from cart import operations
    now = utcnow()
    rows = db.session.execute(select(DeferredPayment.id, DeferredPayment.shop_id,
                                     DeferredPayment.order_id).join(
        Order, Order.id == DeferredPayment.order_id).where(
        DeferredPayment.method == method_code, DeferredPayment.stage == "applied",
        Order.status == "awaiting_payment", DeferredPayment.deadline < now - OVERDUE_MARGIN,
        (DeferredPayment.checked_at.is_(None))
        | (DeferredPayment.checked_at < now - RECHECK_AFTER))
        .order_by(DeferredPayment.deadline).limit(limit)).all()
    db.session.commit()
    counts: dict[str, int] = {}
    for row_id, shop_id, order_id in rows:
        with transaction():
            db.session.execute(update(DeferredPayment).where(DeferredPayment.id == row_id)
                               .values(checked_at=utcnow())
                               .execution_options(synchronize_session=False))
        try:
            operations.refresh(shop_id, order_id)
            outcome = "checked"
        except operations.Refused as refused:
            log.info("overdue order %s not checked: %s", order_id, refused)
            outcome = "unknown"
        except Exception:
            db.session.rollback()
            log.exception("overdue order %s could not be checked", order_id)
            outcome = "failed"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def send_reminders(method_code: str, limit: int = 500) -> dict:
    """お支払い期限のお知らせ: once per order, the shop's N days before the deadline, to buyers
    whose order is still 入金待ち (off unless the shop set N)."""
    from cart.models import DeferredSettings
    now = utcnow()
    candidates = db.session.execute(select(DeferredPayment.id, DeferredSettings.reminder_days)
                                    .join(Order, Order.id == DeferredPayment.order_id)
                                    .join(DeferredSettings,
                                          (DeferredSettings.shop_id == DeferredPayment.shop_id)
                                          & (DeferredSettings.method == DeferredPayment.method))
                                    .where(DeferredPayment.method == method_code,
                                           DeferredPayment.stage == "applied",
                                           DeferredPayment.reminded_at.is_(None),
                                           DeferredPayment.deadline > now,
                                           DeferredSettings.reminder_days > 0,
                                           Order.status == "awaiting_payment")
                                    .order_by(DeferredPayment.deadline).limit(limit)).all()
    db.session.commit()
    sent = 0
    for row_id, days in candidates:
        row = db.session.get(DeferredPayment, row_id)
        if row is None or days_left(row.deadline, now) > days:
            db.session.rollback()
            continue
        with transaction():
            taken = db.session.execute(update(DeferredPayment).where(
                DeferredPayment.id == row_id, DeferredPayment.reminded_at.is_(None))
                .values(reminded_at=utcnow()).execution_options(
                synchronize_session=False)).rowcount
            if taken != 1:
                continue
            order = db.session.get(Order, row.order_id)
            if order.status != "awaiting_payment":
                db.session.rollback()
                continue
            view = payment_view(order.shop_id, order_id=order.id)
            shop = db.session.get(Shop, order.shop_id)
            body = render_template("methods/deferred/reminder.txt", order=order, shop=shop,
                                   view=view)
            mail.queue(order.shop_id, order.email, f"【{shop.name}】お支払い期限のお知らせ", body,
                       order.id)
            history.record(order, f"注文番号 : {order.number} お支払い期限のお知らせメールを送信"
                                  f"（{view.deadline_text}）")
            sent += 1
    return {"sent": sent}
