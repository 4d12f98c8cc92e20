"""Housekeeping: roll back stale 決済処理中 orders (R1), give back the stock of 決済処理中 orders
no payment reached, catch up on missed notices (N2)."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import exists, select, update

from cart import history
from cart.methods import registry
from cart.shop_settings import settings_for
from cart.stock import give_back as give_back_stock
from cart.stock import release as release_stock
from cart.extensions import db, transaction
from cart.models import Order, Payment, Shop
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
        order = db.session.get(Order, order_id)
        if order is not None and registry.get(order.payment_kind).keeps_pending(order):
            continue
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


def release_unpaid_stock() -> list[str]:
    """Give back the stock of 決済処理中 orders that no payment has reached within
    PENDING_STOCK_MINUTES of reserving it (a checkout abandoned before or inside the payment
    page, or a session replayed to hold stock). The order stays 決済処理中 until the shop's
    rollback period; a payment that still arrives takes the stock again and is flagged if the
    shelf ran out. Each order is taken with a conditional update, so a payment being booked at
    the same moment either keeps the reservation or finds it released, never half."""
    minutes = float(current_app.config["PENDING_STOCK_MINUTES"])
    cutoff = utcnow() - timedelta(minutes=minutes)
    unpaid = ~exists().where(Payment.order_id == Order.id)
    candidates = db.session.scalars(select(Order.id).where(
        Order.status == "pending_payment", Order.reserved_at < cutoff,
        Order.stock_reserved.is_(True), unpaid)).all()
    db.session.commit()
    released = []
    for order_id in candidates:
        with transaction():
            taken = db.session.execute(update(Order).where(
                Order.id == order_id, Order.status == "pending_payment",
                Order.stock_reserved.is_(True), Order.reserved_at < cutoff, unpaid
            ).values(stock_reserved=False).execution_options(
                synchronize_session=False)).rowcount
            if taken != 1:
                continue
            order = db.session.get(Order, order_id, populate_existing=True)
            give_back_stock(order)
            history.record(order, f"注文番号 : {order.number} {order.payment_name}のお支払いが"
                                  f"{minutes:g}分以内に確認できなかったため、確保していた在庫を"
                                  "戻しました（注文は決済処理中のままです）")
            released.append(order.number)
    return released
