"""差分通知 cases met in operation, checked by what the shop ends up holding: the stored order,
payment and notice, the 変更履歴 text, the mails and the 受注明細 page."""
import json
import re

import pytest
from sqlalchemy import select

from cart.extensions import db
from cart.models import Order, OrderHistory, OutboxMail, Payment, PaymentNotice, Product
from payments.paygent.codec import encode_form

from ..conftest import csrf_token
from .checkout_helpers import (BUYER, add_to_cart, authorize_at_paidy, fill_zero_step,
                               paidy_result, paidy_start, shop)
from .order_helpers import act

STAFF = ("staff@example.com", "demo1234")
CANCELLED_BUT_AUTHORISED = ("キャンセル済みの注文にペイディのオーソリが届きました。"
                            "受注明細からオーソリをキャンセルしてください。")


def _post_notice(client, fields):
    return client.post("/notices/paygent/demo", data=encode_form(fields),
                       content_type="application/x-www-form-urlencoded; charset=Shift_JIS")


def _queued_notices(sandbox) -> list[dict]:
    rows = sandbox.store.db.execute("SELECT fields FROM notices ORDER BY id")
    return [json.loads(r["fields"]) for r in rows]


def _order(number) -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.number == number))


def _history(order_id) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(OrderHistory.text).where(
        OrderHistory.order_id == order_id).order_by(OrderHistory.id)))


def _stock(code="tea-001") -> int:
    db.session.expire_all()
    return db.session.scalar(select(Product.stock).where(Product.code == code,
                                                         Product.shop_id == shop().id))


def _cancel_from_the_order_page(app, order):
    """Staff move the 決済処理中 order to the キャンセル一覧 (受注キャンセル一覧へ移動)."""
    staff = app.test_client()
    page = staff.get("/admin/login").get_data(as_text=True)
    staff.post("/admin/login", data={"csrf_token": csrf_token(page), "email": STAFF[0],
                                     "password": STAFF[1]})
    act(staff, order, "cancel", version=str(order.version))


def _rolled_back_as_stale(app, order):
    """R1: the order stayed 決済処理中 past the shop's period and was rolled back."""
    from datetime import timedelta
    order.created_at = order.created_at - timedelta(days=30)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["orders", "rollback", "--shop", "demo"])
    assert result.exit_code == 0 and order.number in result.output


@pytest.mark.parametrize("cancel", [_cancel_from_the_order_page, _rolled_back_as_stale],
                         ids=["staff-cancelled", "rolled-back"])
def test_an_authorisation_notice_for_a_cancelled_order_flags_it_and_asks_staff_to_cancel(
        app, client, shops, login_as, cancel):
    """The buyer kept the Paidy modal open while the order was cancelled, then approved: the
    authorisation exists at PAYGENT for an order the shop no longer fulfils."""
    before = _stock()
    add_to_cart(client)
    fill_zero_step(client)
    start = paidy_start(client).get_json()
    number = start["order_number"]
    order = _order(number)
    cancel(app, order)
    order = _order(number)
    assert order.status == "cancelled"
    assert _stock() == before  # the stock went back with the cancellation
    lines_before = _history(order.id)

    paid = authorize_at_paidy(shops, start["payload"])
    [notice] = _queued_notices(shops)
    assert (notice["payment_status"], notice["trading_id"]) == ("20", number)
    assert _post_notice(client, notice).get_data() == b"result=0"

    order = _order(number)
    assert order.status == "cancelled" and order.needs_review
    lines = _history(order.id)
    assert lines[:len(lines_before)] == lines_before
    assert lines[len(lines_before):].count(CANCELLED_BUT_AUTHORISED) == 1
    kept = db.session.scalar(select(PaymentNotice).where(
        PaymentNotice.payment_notice_id == notice["payment_notice_id"]))
    assert kept is not None and kept.order_id == order.id
    assert kept.outcome not in ("received", "failed")
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert payment is not None and payment.reference == paid["id"]
    assert (payment.paygent_payment_id, payment.status) == (notice["payment_id"], "20")
    assert _stock() == before  # a cancelled order takes no stock
    assert db.session.scalars(select(OutboxMail).where(
        OutboxMail.order_id == order.id, OutboxMail.to_addr == BUYER["email"])).all() == []

    # PAYGENT re-sends it, and the buyer's browser comes back: nothing more happens
    assert _post_notice(client, notice).get_data() == b"result=0"
    paidy_result(client, number, "authorized", paid["id"])
    order = _order(number)
    assert order.status == "cancelled"
    assert _history(order.id).count(CANCELLED_BUT_AUTHORISED) == 1
    assert len(db.session.scalars(select(PaymentNotice)).all()) == 1
    assert db.session.scalars(select(OutboxMail).where(
        OutboxMail.order_id == order.id, OutboxMail.to_addr == BUYER["email"])).all() == []

    # The 受注明細 says so, and offers the キャンセル that the line asks for
    login_as(*STAFF)
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "この受注は要確認です" in page and CANCELLED_BUT_AUTHORISED in page
    assert "キャンセル</button>" in page and "売上確定</button>" in page
    assert notice["payment_id"] in page
    listed = client.get("/admin/orders/?tab=cancelled").get_data(as_text=True)
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{number}(?:(?!</tr>).)*</tr>", listed, re.S)
    assert row and "要確認" in row.group(0)
    act(client, order, "cancel-payment")
    db.session.expire_all()
    assert db.session.scalar(select(Payment.status).where(Payment.order_id == order.id)) == "32"
    assert shops.control(f"payments/{notice['payment_id']}", method="get")["status"] == "32"
    assert [t["request"]["payment_id"] for t in shops.telegrams("340")] == [notice["payment_id"]]
