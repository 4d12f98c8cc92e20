"""要確認: an order staff must look at, with the reason in its 変更履歴."""
from sqlalchemy import exists, select, update

from cart import history, mail
from cart.extensions import db
from cart.models import Order, OrderHistory


def flag(order: Order, text: str, subject: str | None = None) -> None:
    """Mark an order 要確認 with a history line, in the caller's transaction. The shop is
    alerted by mail when the order becomes 要確認, not again while it stays so, and a line
    already written for the order is not written twice (a re-posted request changes nothing)."""
    first = db.session.execute(update(Order).where(
        Order.id == order.id, Order.needs_review.is_(False)).values(needs_review=True)
        .execution_options(synchronize_session=False)).rowcount == 1
    order.needs_review = True
    written = db.session.scalar(select(exists().where(
        OrderHistory.order_id == order.id, OrderHistory.text == text)))
    if not written:
        history.record(order, text)
    if first:
        mail.queue_shop_alert(order, subject or f"【要確認】注文番号 {order.number} の決済", text)
