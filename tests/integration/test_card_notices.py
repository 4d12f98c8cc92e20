"""差分通知 for card payments, row by row of seed 003 §2.3 クレジット: 20/30/31 → 新規受付,
32/33/60 → 注文取消し with the stock given back, 40/41/42/50 → 入金済み; once per notice and
never backwards."""
import itertools

import pytest
from sqlalchemy import select

from cart.extensions import db
from cart.models import OrderHistory, PaymentNotice, Product
from payments.paygent.notices import notice_hash

from .card_helpers import card_order, make_token, pay, to_confirm
from .checkout_helpers import orders, shop
from .order_helpers import payment_of
from .test_notices import HASH_KEY, post

_ids = itertools.count(70_000)


def _notice(order, status, payment_id=None, amount=None):
    fields = {"payment_notice_id": str(next(_ids)), "change_date": "20261201120000",
              "payment_id": payment_id or order.payment.paygent_payment_id,
              "trading_id": order.number, "payment_type": "02", "payment_status": status,
              "payment_amount": str(order.total if amount is None else amount)}
    fields["hc"] = notice_hash(fields, HASH_KEY)
    return fields


def _stock(code="tea-001"):
    db.session.expire_all()
    return db.session.scalar(select(Product.stock).where(Product.code == code,
                                                         Product.shop_id == shop().id))


def _history(order):
    return [h.text for h in db.session.scalars(select(OrderHistory).where(
        OrderHistory.order_id == order.id).order_by(OrderHistory.id))]


@pytest.mark.parametrize("status", ["20", "30", "31", "40", "41", "42", "50"])
def test_a_paid_status_accepts_the_order_whose_buyer_never_came_back(
        client, card_shop, sandbox, status):
    to_confirm(client)
    pay(client, make_token(sandbox))  # 450 sent; the buyer never returns from the issuer
    (order,) = orders()
    assert order.status == "pending_payment"
    fields = _notice(order, status, payment_id="99000001")
    assert post(client, fields).get_data() == b"result=0"
    (order,) = orders()
    assert order.status == "new" and order.payment.method == "card"
    assert order.payment.status == status
    label = order.payment.lib.status(status).order_label
    assert label == ("新規受付" if status in ("20", "30", "31") else "入金済み")


@pytest.mark.parametrize("status", ["32", "33", "60"])
def test_a_closing_status_cancels_the_order_and_gives_the_stock_back(
        app, client, card_shop, sandbox, status):
    order = card_order(app.test_client(), sandbox, capture=status == "60")
    before = _stock()
    assert post(client, _notice(order, status)).get_data() == b"result=0"
    db.session.expire_all()
    (order,) = orders()
    assert order.status == "cancelled" and order.payment.status == status
    assert order.payment.lib.status(status).order_label == "注文取消し"
    assert _stock() == before + 1
    assert any("受注をキャンセルしました（在庫を戻しました）" in t for t in _history(order))


def test_a_card_notice_is_applied_once_and_never_backwards(app, client, card_shop, sandbox):
    order = card_order(app.test_client(), sandbox)
    captured = _notice(order, "40")
    assert post(client, captured).get_data() == b"result=0"
    assert post(client, captured).get_data() == b"result=0"  # PAYGENT's re-send
    assert payment_of(order).status == "40"
    older = _notice(order, "20")
    assert post(client, older).get_data() == b"result=0"
    assert payment_of(order).status == "40"  # an older state arriving late changes nothing
    outcomes = [n.outcome for n in db.session.scalars(select(PaymentNotice).order_by(
        PaymentNotice.id))]
    assert outcomes == ["applied", "ignored"]


def test_a_forged_card_notice_changes_nothing(app, client, card_shop, sandbox):
    order = card_order(app.test_client(), sandbox)
    fields = _notice(order, "32")
    fields["hc"] = "0" * 64
    post(client, fields)
    assert payment_of(order).status == "20"
    assert orders()[-1].status == "new"
