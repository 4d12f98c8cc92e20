"""Stale 決済処理中 orders rolled back (R1); missed notices fetched with 091 (N2)."""
from datetime import timedelta

from sqlalchemy import select

from cart.extensions import db
from cart.models import Order, OrderHistory, Payment, PaymentNotice, Product

from ..conftest import csrf_token
from .checkout_helpers import (add_to_cart, authorize_at_paidy, fill_zero_step, orders,
                               paidy_start, shop)


def _pending(app, days_old):
    shopper = app.test_client()
    add_to_cart(shopper, "cup-001", 2)
    fill_zero_step(shopper)
    start = paidy_start(shopper).get_json()
    order = db.session.scalar(select(Order).where(Order.number == start["order_number"]))
    order.created_at = order.created_at - timedelta(days=days_old)
    db.session.commit()
    return order, start


def _stock():
    return db.session.scalar(select(Product.stock).where(
        Product.code == "cup-001", Product.shop_id == shop().id))


def test_cli_rolls_back_only_stale_pending_orders(app, runner, shops):
    before = _stock()
    stale, _ = _pending(app, 8)
    fresh, _ = _pending(app, 1)
    assert _stock() == before - 4
    result = runner.invoke(args=["orders", "rollback", "--shop", "demo"])
    assert result.exit_code == 0 and stale.number in result.output
    db.session.expire_all()
    assert (stale.status, fresh.status) == ("cancelled", "pending_payment")
    assert _stock() == before - 2
    lines = [h.text for h in db.session.scalars(select(OrderHistory).where(
        OrderHistory.order_id == stale.id))]
    assert any("取り消し、在庫を戻しました" in t for t in lines)
    again = runner.invoke(args=["orders", "rollback", "--shop", "demo"])
    assert "0 cancelled" in again.output and _stock() == before - 2


def test_a_pending_order_that_was_paid_is_not_rolled_back(app, runner, shops):
    order, start = _pending(app, 8)
    paid = authorize_at_paidy(shops, start["payload"])
    db.session.add(Payment(shop_id=order.shop_id, order_id=order.id,
                           method="paidy", reference=paid["id"], amount=order.total, status="20"))
    db.session.commit()
    runner.invoke(args=["orders", "rollback"])
    db.session.expire_all()
    assert order.status == "pending_payment"


def test_owner_button_and_staff_403(client, app, login_as, shops):
    stale, _ = _pending(app, 30)
    login_as("staff@example.com", "demo1234")
    page = client.get("/admin/orders/").get_data(as_text=True)
    assert "決済処理中の注文の取消" not in page
    assert client.post("/admin/orders/rollback",
                       data={"csrf_token": csrf_token(page)}).status_code == 403
    owner = app.test_client()
    login = owner.get("/admin/login").get_data(as_text=True)
    owner.post("/admin/login", data={"csrf_token": csrf_token(login),
                                     "email": "owner@example.com", "password": "demo1234"})
    page = owner.get("/admin/orders/").get_data(as_text=True)
    done = owner.post("/admin/orders/rollback", data={"csrf_token": csrf_token(page)})
    assert "1件取り消しました" in owner.get(done.headers["Location"]).get_data(as_text=True)


def test_missed_notices_are_fetched_and_applied_once(app, runner, client, shops):
    """The shop's endpoint was down: the buyer paid, no notice arrived; 091 catches up."""
    add_to_cart(client)
    fill_zero_step(client)
    start = paidy_start(client).get_json()
    authorize_at_paidy(shops, start["payload"])
    first = runner.invoke(args=["notices", "fetch", "--shop", "demo"])
    assert first.exit_code == 0 and "applied 1" in first.output
    [order] = orders()
    assert order.status == "new" and order.payment.paygent_payment_id
    second = runner.invoke(args=["notices", "fetch", "--shop", "demo"])
    assert "nothing new" in second.output
    assert len(db.session.scalars(select(PaymentNotice)).all()) == 1


def test_the_periodic_poll_catches_up_every_shop(app, client, shops):
    from cart.notices.services import poll_missed_notices
    add_to_cart(client)
    fill_zero_step(client)
    start = paidy_start(client).get_json()
    authorize_at_paidy(shops, start["payload"])
    counts = poll_missed_notices()
    assert counts["demo"] == {"applied": 1} and counts["demo3"] == {}
    assert orders()[0].status == "new"
