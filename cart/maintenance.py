"""Housekeeping: roll back stale 決済処理中 orders (R1), catch up on missed notices (N2)."""
from datetime import timedelta

from sqlalchemy import select, update

from cart import history
from cart.checkout.services import release_stock, settings_for
from cart.extensions import db
from cart.models import Order, Shop
from cart.models.base import utcnow


def rollback_stale_orders(shop: Shop, staff=None) -> list[str]:
    """Cancel 決済処理中 orders older than the shop's period and give their stock back.

    Each order is taken with a conditional update, so a notice accepting it at the same moment
    wins or loses cleanly; an order whose buyer did pay is never cancelled here."""
    days = settings_for(shop.id).pending_cancel_days or 7
    cutoff = utcnow() - timedelta(days=days)
    candidates = db.session.scalars(select(Order.id).where(
        Order.shop_id == shop.id, Order.status == "pending_payment",
        Order.created_at < cutoff)).all()
    cancelled = []
    for order_id in candidates:
        taken = db.session.execute(
            update(Order).where(Order.id == order_id, Order.status == "pending_payment")
            .values(status="cancelled", cancelled_at=utcnow(), version=Order.version + 1)
            .execution_options(synchronize_session=False)).rowcount
        if taken != 1:
            db.session.rollback()
            continue
        order = db.session.get(Order, order_id)
        db.session.refresh(order)
        if order.payment is not None:  # paid after all: leave it for the shop to look at
            db.session.rollback()
            continue
        release_stock(order)
        history.record(order, f"注文番号 : {order.number} 決済処理中のまま{days}日を経過したため"
                              f"取り消し、在庫を戻しました", staff)
        db.session.commit()
        cancelled.append(order.number)
    return cancelled
