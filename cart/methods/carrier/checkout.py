"""The carrier payment step: 「注文する」 writes the 決済処理中 order and claims its application
(one row per order, as the deferred methods' ``DeferredPayment``), 100 hands the buyer over to
the carrier's page, and back at the shop a 094 decides: authorised (20/21, or later) → the order
is accepted (新規受付); 申込中断 or nothing → back to the payment choice with a Japanese message,
the order kept for another try. Nothing the browser brings back is believed; a 差分通知 of the
authorisation accepts the order just the same (``cart.notices``), whichever comes first.
"""
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cart import history, jobs
from cart.history import OrderRef
from cart.acceptance import accept_payment
from cart.checkout.orders import Draft, write_order
from cart.extensions import db, transaction
from cart.gateway import TelegramLog, account_for, client_for
from cart.methods import registry
from cart.methods.deferred import lines_of
from cart.methods.deferred.checkout import locked_application
from cart.models import DeferredPayment, Order, Shop
from cart.models.base import utcnow
from payments.methods import carrier as lib
from payments.paygent import carrier as wire

log = logging.getLogger("cart.checkout.carrier")

CHOICE_MESSAGE = "ご利用の携帯キャリアを選択してください。"
DECLINED_MESSAGE = ("携帯キャリアでのお支払いが承認されませんでした。他のお支払い方法をお選びいただくか、"
                    "もう一度お試しください。")
ABANDONED_MESSAGE = "携帯キャリアでのお手続きが中断されました。もう一度お試しいただくか、他のお支払い方法をお選びください。"
UNAVAILABLE_MESSAGE = ("ただいま携帯キャリア決済を受け付けられません。時間をおいて再度お試しいただくか、"
                       "他のお支払い方法をお選びください。")
BUSY_MESSAGE = "このご注文のお手続きは受付済みです。ご注文の状況をご確認ください。"
#: a buyer who has not come back from the carrier's page by then has left it
LEFT_AFTER = timedelta(minutes=30)
NOT_FOUND = "24001"


class CarrierInputError(Exception):
    """What the buyer chose cannot start the payment (Japanese message)."""


@dataclass
class Step:
    kind: str                   # handover | done | pending | failed
    order_id: int | None = None
    number: str = ""
    url: str = ""               # the carrier's page (redirect)
    html: str = ""              # or the page that takes the buyer there, shown as it stands
    message: str = ""


def carrier_of(order) -> str:
    """The carrier the buyer chose for this order ("" when none is known)."""
    return db.session.scalar(select(DeferredPayment.store).where(
        DeferredPayment.order_id == order.id, DeferredPayment.shop_id == order.shop_id,
        DeferredPayment.method == lib.CODE)) or ""


def start(shop: Shop, current: Draft, pending_id, form, urls_for) -> Step:
    """「注文する」: the order, its claim, 100 and the hand-over. ``urls_for(key)`` gives the
    return, cancel and other URLs of the carrier's page."""
    method = registry.get(current.method.kind)
    carrier = (form.get("carrier") or "").strip()
    if carrier not in method.offered(shop.id):
        raise CarrierInputError(CHOICE_MESSAGE)
    if pending_id:
        busy = db.session.execute(select(DeferredPayment, Order.number).join(
            Order, Order.id == DeferredPayment.order_id).where(
            DeferredPayment.shop_id == shop.id, DeferredPayment.order_id == pending_id,
            DeferredPayment.stage.in_(("applying", "unknown")))).first()
        if busy is not None:
            return Step("pending", busy[0].order_id, busy[1])
    key = secrets.token_urlsafe(32)
    try:
        with transaction():
            order = write_order(shop, current, pending_id)
            row = db.session.scalar(select(DeferredPayment).where(
                DeferredPayment.order_id == order.id)) if order.id == pending_id else None
            if row is None:
                row = DeferredPayment(shop_id=shop.id, order_id=order.id, method=lib.CODE,
                                      key=key)
                db.session.add(row)
            elif row.stage in ("applying", "unknown"):
                raise IntegrityError("busy", None, Exception("busy"))
            # a failed try, or one handed over and left: a new application
            row.key, row.method, row.stage, row.store = key, lib.CODE, "applying", carrier
            row.code = row.message = row.handover_url = ""
            row.lines = "[]"
            row.created_at = utcnow()
            db.session.flush()
            row_id, order_id, number, total = row.id, order.id, order.number, order.total
    except IntegrityError:
        db.session.rollback()
        return Step("failed", message=BUSY_MESSAGE)
    ref = OrderRef(shop.id, order_id, number)
    telegrams = TelegramLog(shop.id, order_id)
    client = client_for(account_for(shop.id), order_id, telegrams)
    return_url, cancel_url, other_url = urls_for(key)
    try:
        result = wire.send_apply(client, trading_id=number, amount=total, carrier=carrier,
                                 return_url=return_url, cancel_url=cancel_url,
                                 other_url=other_url)
    except (ValueError, TypeError) as refused:  # nothing was sent
        log.info("carrier application of order %s not sent: %s", order_id, refused)
        with telegrams.booking():
            row = locked_application(row_id, "applying")
            if row is not None:
                _fail(row, ref, "INPUT", UNAVAILABLE_MESSAGE, "申込できませんでした")
        return Step("failed", order_id, number, message=UNAVAILABLE_MESSAGE)
    handover = wire.read_apply(result)
    name = lib.CARRIER_NAMES[carrier]
    with telegrams.booking():
        row = locked_application(row_id, "applying")
        if row is None:
            return Step("failed", order_id, number, message=BUSY_MESSAGE)
        if result.unknown:
            row.stage, row.code = "unknown", (result.code or "")[:10]
            history.record(ref, f"注文番号 : {number} 携帯キャリア決済（{name}） 申込の結果を確認中"
                                f"（エラーコード:{result.code}）")
            return Step("pending", order_id, number)
        if handover is None:
            _fail(row, ref, result.code or "ERROR", UNAVAILABLE_MESSAGE, "申込NG")
            return Step("failed", order_id, number, message=UNAVAILABLE_MESSAGE)
        row.stage = "applied"
        row.handover_url = handover.url or handover.html
        # this try's payment: a 094 asks about it, not about an earlier try of the order
        row.lines = json.dumps([["取引ID", handover.payment_id]])
        history.record(ref, f"注文番号 : {number} 携帯キャリア決済（{name}）の認証画面へ"
                            f"（取引ID : {handover.payment_id}）")
    return Step("handover", order_id, number, url=handover.url, html=handover.html)


def returned(shop: Shop, key: str, how: str) -> Step | None:
    """Back from the carrier's page (``how``: return, cancel or other). None: no such
    application of this shop."""
    found = db.session.execute(select(DeferredPayment, Order.number, Order.status).join(
        Order, Order.id == DeferredPayment.order_id).where(
        DeferredPayment.shop_id == shop.id, DeferredPayment.key == key,
        DeferredPayment.method == lib.CODE)).first()
    if found is None:
        return None
    row, number, status = found
    if status == "new" or row.stage != "applied":
        return _step(row, number, status)
    return _settle(row.id, how)


def _step(row: DeferredPayment, number: str, order_status: str) -> Step:
    if order_status == "new":
        return Step("done", row.order_id, number)
    if row.stage == "failed":
        return Step("failed", row.order_id, number, message=row.message)
    return Step("pending", row.order_id, number)


def _settle(row_id: int, how: str = "round") -> Step:
    """Ask PAYGENT (094, by the order's 取引ID) what became of a handed-over (or unanswered)
    application, and book it."""
    row = db.session.get(DeferredPayment, row_id)
    stage, order_id, shop_id, carrier = row.stage, row.order_id, row.shop_id, row.store
    payment_id = dict(lines_of(row)).get("取引ID", "")
    order = db.session.get(Order, order_id)
    number = order.number
    telegrams = TelegramLog(shop_id, order_id)
    account = account_for(shop_id)
    db.session.commit()  # nothing stays open while PAYGENT answers
    result = client_for(account, order_id, telegrams).inquire(
        **({"payment_id": payment_id} if payment_id else {"trading_id": number}))
    status = result.get("payment_status") if result.ok else ""
    if not result.ok and result.code != NOT_FOUND:
        telegrams.write_alone()
        return Step("pending", order_id, number)
    ref = OrderRef(shop_id, order_id, number)
    name = lib.CARRIER_NAMES.get(carrier, carrier)
    with telegrams.booking():
        row = locked_application(row_id, stage)
        order = db.session.get(Order, order_id)
        if row is None:
            return _step(db.session.get(DeferredPayment, row_id), number, order.status)
        if status in lib.CARRIER.paid_statuses():
            row.finished_at = utcnow()
            accepted = accept_payment(order, lib.CARRIER, None, result.get("payment_id"),
                                      status, order.total,
                                      "決済画面" if how != "round" else "決済情報照会")
            if accepted or order.status == "new":
                return Step("done", order_id, number)
            return Step("failed", order_id, number, message=BUSY_MESSAGE)
        message = ABANDONED_MESSAGE if how == "cancel" else DECLINED_MESSAGE
        code = result.code if not result.ok else f"ST{status}"
        _fail(row, ref, code, message,
              "中断されました" if how == "cancel" else f"承認されませんでした（{name}）")
        return Step("failed", order_id, number, message=message)


def _fail(row: DeferredPayment, ref: OrderRef, code: str, message: str, what: str) -> None:
    row.stage, row.code, row.message = "failed", (code or "")[:10], message[:300]
    row.finished_at = utcnow()
    name = lib.CARRIER_NAMES.get(row.store, row.store)
    history.record(ref, f"注文番号 : {ref.number} 携帯キャリア決済（{name}） {what}"
                        f"（エラーコード:{code}）")


def settle_open_handovers(limit: int = 200) -> dict:
    """The periodic round: applications whose 100 answer never came, and buyers who have not
    come back from the carrier's page for a while, settled by 094 (a notice may have accepted
    the order meanwhile: then nothing is left to do)."""
    from cart.operations import claim_timeout
    now = utcnow()
    ids = db.session.scalars(select(DeferredPayment.id).join(
        Order, Order.id == DeferredPayment.order_id).where(
        DeferredPayment.method == lib.CODE, Order.status == "pending_payment",
        (DeferredPayment.stage == "unknown")
        | ((DeferredPayment.stage == "applying")
           & (DeferredPayment.created_at < now - claim_timeout()))
        | ((DeferredPayment.stage == "applied")
           & (DeferredPayment.created_at < now - LEFT_AFTER)))
        .order_by(DeferredPayment.id).limit(limit)).all()
    db.session.commit()
    return jobs.each_counted(ids, lambda row_id: _settle(row_id).kind, "carrier application")
