"""受注明細's rough edges: the refund form asks for 全額 or 一部 (nothing preselected), the
Paidy payment id is shown, and the amount warning of a closed order says what is possible."""
import re

from sqlalchemy import select

from cart.extensions import db
from cart.models import Payment

from ..conftest import csrf_token
from .test_order_list import make_order


def _paidy_order(shop_id, status="20", order_status="new", amount=None):
    order = make_order(shop_id, 1)
    order.status = order_status
    db.session.add(Payment(shop_id=shop_id, order_id=order.id, method="paidy",
                           reference="pay_Abc-123_x", paygent_payment_id="300000111",
                           status=status, amount=order.total if amount is None else amount))
    db.session.commit()
    return order


def test_the_refund_form_preselects_nothing_and_asks(app, client, make_shop, login_as):
    shop = make_shop("edges")
    order = _paidy_order(shop.id, status="40")
    login_as("owner@edges.test")
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    radios = re.findall(r'<input type="radio" name="mode"[^>]*>', page)
    assert len(radios) == 2 and not any("checked" in r for r in radios)
    state = re.search(r'name="state" value="([^"]*)"', page).group(1)
    response = client.post(f"/admin/orders/{order.id}/refund", data={
        "csrf_token": csrf_token(page), "state": state}, follow_redirects=True)
    assert "返金の方法を選択してください。" in response.get_data(as_text=True)
    assert db.session.scalar(select(Payment.status).where(Payment.order_id == order.id)) == "40"


def test_the_paidy_payment_id_is_on_the_order_page(app, client, make_shop, login_as):
    shop = make_shop("edges")
    order = _paidy_order(shop.id)
    login_as("owner@edges.test")
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Paidy決済ID : <strong>pay_Abc-123_x</strong>" in page


def test_a_closed_orders_amount_warning_says_what_is_possible(app, client, make_shop, login_as):
    shop = make_shop("edges")
    order = _paidy_order(shop.id, status="40", order_status="completed", amount=500)
    login_as("owner@edges.test")
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "受注額" in page and "編集モード」で金額調整" not in page
    assert "この受注は受注完了のため編集できません。" in page
