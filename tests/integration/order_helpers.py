"""Orders paid with Paidy through the sandbox, ready for the order pages."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from cart.extensions import db
from cart.models import Order, Payment

from ..conftest import csrf_token
from .checkout_helpers import (add_to_cart, authorize_at_paidy, fill_zero_step, paidy_result,
                               paidy_start)


def paid_order(app, sandbox, shop_code="demo") -> Order:
    """A 新規受付 order whose Paidy payment is at オーソリOK (取引ID attached)."""
    shopper = app.test_client()
    add_to_cart(shopper)
    fill_zero_step(shopper)
    start = paidy_start(shopper).get_json()
    paid = authorize_at_paidy(sandbox, start["payload"])
    paidy_result(shopper, start["order_number"], "authorized", paid["id"])
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.number == start["order_number"]))
    assert order.status == "new" and order.payment.paygent_payment_id
    return order


def wait_jobs():
    assert current_app.extensions["jobs"].wait_idle(20)
    db.session.expire_all()


def act(client, order, action, **data):
    """POST a payment button of the order page, as the page drew it."""
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    import re
    state = re.search(r'name="state" value="([^"]*)"', page)
    payload = {"csrf_token": csrf_token(page), **data}
    if state and "state" not in data:
        payload["state"] = state.group(1)
    return client.post(f"/admin/orders/{order.id}/{action}", data=payload)


def payment_of(order) -> Payment:
    db.session.expire_all()
    return db.session.scalar(select(Payment).where(Payment.order_id == order.id))


def age_authorization(order, days: int) -> None:
    payment = payment_of(order)
    payment.authorized_at = payment.authorized_at - timedelta(days=days)
    db.session.commit()
