"""A payment reaching a 決済処理中 order: the order is accepted (新規受付) exactly once, whether
the buyer's browser (after the method's own verification) or PAYGENT's notice says so first."""
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from cart import history, mail, stock
from cart.extensions import after_commit, db, transaction
from cart.methods import registry
from cart.models import Order, Payment
from cart.models.base import utcnow
from cart.models.order import status_named
from cart.review import flag
from cart.subscriptions.starting import start_for as start_subscriptions
from payments.methods import CAPTURE, Method


def accept_and_commit(order: Order, method: Method, reference: str, paygent_payment_id: str,
                      status: str, amount: int, source: str = "決済画面",
                      telegrams=None) -> bool:
    """``accept_payment`` in a transaction of its own (the browser callback, the demo data),
    with the payment log of the telegram that verified it (``telegrams``)."""
    with transaction():
        if telegrams is not None:
            telegrams.book()
        return accept_payment(order, method, reference, paygent_payment_id, status, amount,
                              source)


def accept_payment(order: Order, method: Method, reference: str, paygent_payment_id: str,
                   status: str, amount: int, source: str) -> bool:
    """Record the payment on the order and accept it (新規受付) in the caller's transaction;
    the mail and the automatic capture follow its commit. The conditional update lets exactly
    one of the racing paths accept the order and send the mail. An order cancelled meanwhile
    keeps the payment for staff to cancel it."""
    placed_at = utcnow()
    accepted_as = accepted_status(method, status)
    won = db.session.execute(update(Order).where(
        Order.id == order.id, Order.status == "pending_payment"
    ).values(status=accepted_as, placed_at=placed_at).execution_options(
        synchronize_session=False)).rowcount == 1
    if won:  # what the update wrote, without reading the order again
        set_committed_value(order, "status", accepted_as)
        set_committed_value(order, "placed_at", placed_at)
        loaded = inspect(order).attrs.payment.loaded_value
        # read in this writer's transaction before the update, none can have been written
        # since: only the path that wins the update writes the payment
        payment = None if loaded is None else db.session.scalar(
            select(Payment).where(Payment.order_id == order.id))
    else:  # the order as the path that won left it, with the payment it wrote, in one query
        db.session.scalar(select(Order).options(joinedload(Order.payment)).where(
            Order.id == order.id).execution_options(populate_existing=True))
        payment = order.payment
    if payment is None:
        payment = Payment(shop_id=order.shop_id, order_id=order.id, method=method.code,
                          reference=reference or None, amount=amount, status=status,
                          paygent_payment_id=paygent_payment_id or "", authorized_at=placed_at,
                          variant=registry.get(method.code).variant_for(order))
        known = method.status(status)
        if known is not None and known.stamps:  # e.g. 売上確定日時 of a card's 同時売上
            setattr(payment, known.stamps, placed_at)
        db.session.add(payment)
    elif paygent_payment_id and not payment.paygent_payment_id:
        payment.paygent_payment_id = paygent_payment_id
    name = registry.get(method.code).history_name or method.name
    if won:
        history.record(order, f"注文番号 : {order.number} {name} {method.status_name(status)}"
                              f"（{source}） 取引ID : {paygent_payment_id or '未通知'}"
                              f" 金額 : {amount:,}円")
        if not order.stock_reserved:
            _retake_lapsed_stock(order)
        start_subscriptions(order)
        mail.queue_order_mails(order)
        if order.capture_mode == "auth_capture" and method.transition(status, CAPTURE):
            # only from a status it captures from: a payment captured with its authorisation
            # (a card's 同時売上) arrives past it
            from cart import jobs, operations
            after_commit(jobs.submit, operations.auto_capture_job, order.shop_id, order.id)
    elif order.status == "cancelled":
        flag(order, f"キャンセル済みの注文に{name}のオーソリが届きました。"
                    "受注明細からオーソリをキャンセルしてください。")
    return won


def accepted_status(method: Method, status: str) -> str:
    """The order status a payment places its order in: 新規受付, or for methods whose orders
    wait for the money (``order_created_as``) the 対応状況 of the payment's status (入金待ち, or
    入金済み when PAYGENT's first word already says it is paid)."""
    if not method.order_created_as:
        return "new"
    waiting = status_named(method.order_created_as)
    known = method.status(status)
    return status_named(known.order_label, waiting) if known is not None else waiting


def _retake_lapsed_stock(order: Order) -> None:
    """The buyer paid after the reservation of a 決済処理中 order had lapsed."""
    short = stock.retake(order)
    text = f"注文番号 : {order.number} お支払いの確認により在庫を再度確保しました"
    if short:
        text = (f"注文番号 : {order.number} お支払いを確認しましたが、在庫が不足しています"
                f"（{'、'.join(short)}）。在庫と発送をご確認ください。")
        flag(order, text, subject=f"【要確認】注文番号 {order.number} の在庫")
    else:
        history.record(order, text)
