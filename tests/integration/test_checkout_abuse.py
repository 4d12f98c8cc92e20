"""The Paidy checkout endpoints used as an attacker would: someone else's order number, a
replayed session, many sessions from one address, stock held by checkouts that never pay."""
from datetime import timedelta

from sqlalchemy import select

from cart import jobs
from cart.extensions import db
from cart.maintenance import release_unpaid_stock
from cart.checkout.orders import TOO_MANY_PENDING_MESSAGE
from cart.models import Order, OrderHistory, OutboxMail

from .checkout_helpers import (add_to_cart, authorize_at_paidy, fill_zero_step, orders,
                               paidy_result, paidy_start, product, token)
from .test_notices import post, queued_notices


def _pending(app, quantity=1):
    """A shopper's client with a 決済処理中 order handed to the modal, and that order."""
    shopper = app.test_client()
    add_to_cart(shopper, quantity=quantity)
    fill_zero_step(shopper)
    start = paidy_start(shopper).get_json()
    return shopper, start


def _history(order_number):
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.number == order_number))
    return [h.text for h in db.session.scalars(select(OrderHistory).where(
        OrderHistory.order_id == order.id).order_by(OrderHistory.id))]


def test_another_sessions_order_number_sends_no_343_and_flags_nothing(app, shops):
    victim, start = _pending(app)
    before = _history(start["order_number"])
    stranger = app.test_client()
    add_to_cart(stranger)  # a session of its own, with a CSRF token
    for _ in range(3):
        reply = paidy_result(stranger, start["order_number"], "authorized", "pay_forged123")
        assert reply.status_code == 200
        assert "complete" not in reply.get_json()["redirect"]
    assert shops.telegrams("343") == []
    [order] = orders()
    assert order.status == "pending_payment" and not order.needs_review
    assert _history(start["order_number"]) == before
    assert db.session.scalars(select(OutboxMail)).all() == []


def test_closed_with_an_accepted_orders_number_shows_no_completion_page(app, shops):
    buyer, start = _pending(app)
    paid = authorize_at_paidy(shops, start["payload"])
    assert "complete" in paidy_result(buyer, start["order_number"], "authorized",
                                      paid["id"]).get_json()["redirect"]
    stranger = app.test_client()
    add_to_cart(stranger)
    reply = paidy_result(stranger, start["order_number"], "closed")
    assert "complete" not in reply.get_json()["redirect"]
    page = stranger.get("/s/demo/checkout/complete")
    assert page.status_code == 302  # no completed order in this session: back to the shop
    assert start["order_number"] not in stranger.get("/s/demo/checkout/complete",
                                                     follow_redirects=True).get_data(True)


def test_an_unverifiable_result_flags_the_order_and_mails_the_shop_once(app, shops):
    buyer, start = _pending(app)
    for _ in range(3):  # the shopper's own session, re-posting an id PAYGENT does not know
        paidy_result(buyer, start["order_number"], "authorized", "pay_unknown123")
    [order] = orders()
    assert order.needs_review and order.status == "pending_payment"
    alerts = db.session.scalars(select(OutboxMail).where(
        OutboxMail.subject.like("【要確認】%"))).all()
    assert len(alerts) == 1
    flagged = [t for t in _history(start["order_number"]) if "検証に失敗" in t]
    assert len(flagged) == 1


def test_a_replayed_session_reuses_its_pending_order(app, shops):
    shopper = app.test_client()
    add_to_cart(shopper, quantity=2)
    fill_zero_step(shopper)
    saved = shopper.get_cookie("session").value  # before the first start: no order named
    stock = product().stock
    numbers = set()
    for _ in range(5):
        shopper.set_cookie("session", saved)
        reply = paidy_start(shopper)
        assert reply.status_code == 200
        numbers.add(reply.get_json()["order_number"])
    assert len(numbers) == 1
    assert len(orders()) == 1
    db.session.expire_all()
    assert product().stock == stock - 2


def test_one_address_holds_at_most_a_few_pending_orders(app, shops):
    app.config["PENDING_ORDERS_PER_ADDRESS"] = 2
    stock = product().stock
    for _ in range(2):
        _pending(app)
    shopper = app.test_client()
    add_to_cart(shopper)
    fill_zero_step(shopper)
    reply = paidy_start(shopper)
    assert reply.status_code == 409
    assert reply.get_json()["error"] == TOO_MANY_PENDING_MESSAGE
    assert len(orders()) == 2
    db.session.expire_all()
    assert product().stock == stock - 2
    # another address is not affected
    elsewhere = shopper.post("/s/demo/checkout/paidy/start", json={},
                             headers={"X-CSRFToken": token(shopper, "/s/demo/checkout/confirm")},
                             environ_overrides={"REMOTE_ADDR": "192.0.2.7"})
    assert elsewhere.status_code == 200


def _age_reservation(number, minutes):
    order = db.session.scalar(select(Order).where(Order.number == number))
    order.reserved_at = order.reserved_at - timedelta(minutes=minutes)
    db.session.commit()


def test_stock_of_an_unpaid_pending_order_goes_back_after_a_short_time(app, shops):
    stock = product().stock
    _, start = _pending(app, quantity=3)
    _, fresh = _pending(app, quantity=1)
    db.session.expire_all()
    assert product().stock == stock - 4
    _age_reservation(start["order_number"], app.config["PENDING_STOCK_MINUTES"] + 1)
    assert release_unpaid_stock() == [start["order_number"]]
    assert release_unpaid_stock() == []  # once
    db.session.expire_all()
    assert product().stock == stock - 1  # the fresh one still holds its unit
    order = db.session.scalar(select(Order).where(Order.number == start["order_number"]))
    assert order.status == "pending_payment" and not order.stock_reserved
    assert any("在庫を戻しました" in t for t in _history(start["order_number"]))


def test_the_periodic_round_releases_unpaid_stock(app, shops):
    stock = product().stock
    _, start = _pending(app, quantity=2)
    _age_reservation(start["order_number"], app.config["PENDING_STOCK_MINUTES"] + 1)
    assert jobs.periodic_round()["released_stock"] == [start["order_number"]]
    db.session.expire_all()
    assert product().stock == stock


def test_a_paid_order_keeps_its_stock(app, shops):
    buyer, start = _pending(app, quantity=2)
    paid = authorize_at_paidy(shops, start["payload"])
    paidy_result(buyer, start["order_number"], "authorized", paid["id"])
    stock = product().stock
    _age_reservation(start["order_number"], app.config["PENDING_STOCK_MINUTES"] + 1)
    assert release_unpaid_stock() == []
    db.session.expire_all()
    assert product().stock == stock


def test_a_payment_after_the_release_takes_the_stock_again(app, shops):
    stock = product().stock
    _, start = _pending(app, quantity=2)
    _age_reservation(start["order_number"], app.config["PENDING_STOCK_MINUTES"] + 1)
    release_unpaid_stock()
    authorize_at_paidy(shops, start["payload"])
    [notice] = queued_notices(shops)
    assert post(app.test_client(), notice).get_data() == b"result=0"
    db.session.expire_all()
    [order] = orders()
    assert order.status == "new" and order.stock_reserved and not order.needs_review
    assert product().stock == stock - 2
    assert any("在庫を再度確保しました" in t for t in _history(start["order_number"]))


def test_a_payment_after_the_shelf_ran_out_is_accepted_and_flagged(app, shops):
    _, start = _pending(app, quantity=2)
    _age_reservation(start["order_number"], app.config["PENDING_STOCK_MINUTES"] + 1)
    release_unpaid_stock()
    item = product()
    item.stock = 1
    db.session.commit()
    authorize_at_paidy(shops, start["payload"])
    [notice] = queued_notices(shops)
    assert post(app.test_client(), notice).get_data() == b"result=0"
    db.session.expire_all()
    [order] = orders()
    assert order.status == "new" and order.needs_review
    assert product().stock == 0
    assert any("在庫が不足しています" in t for t in _history(start["order_number"]))
    assert db.session.scalars(select(OutboxMail).where(
        OutboxMail.subject.like("【要確認】%在庫"))).all()
