from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from cart import deadlines
from cart.admin import bp, sales
from cart.extensions import db
from cart.gateway import notice_url
from cart.models import Order, PaygentAccount, PaymentNotice, Product
from cart.tenancy import scoped


@bp.get("/")
def dashboard():
    """Show the shop's overview."""
    shop = current_user.shop
    product_count = db.session.scalar(
        select(func.count()).select_from(scoped(Product).subquery()))
    account = db.session.scalar(scoped(PaygentAccount))
    unmatched = db.session.scalar(select(func.count()).select_from(
        scoped(PaymentNotice).where(PaymentNotice.outcome == "unmatched").subquery()))
    review = scoped(Order).where(Order.needs_review.is_(True))
    review_count = db.session.scalar(select(func.count()).select_from(review.subquery()))
    review_orders = db.session.scalars(review.order_by(Order.id.desc()).limit(10)).all() \
        if review_count else []
    return render_template("admin/dashboard.html", shop=shop, product_count=product_count,
                           account=account, notice_url=notice_url(shop), unmatched=unmatched,
                           expiring=deadlines.watch(shop.id),
                           review_count=review_count, review_orders=review_orders,
                           sales=sales.dashboard(shop.id, review_count, unmatched))
