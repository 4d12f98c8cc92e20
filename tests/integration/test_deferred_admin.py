"""The admin's side of コンビニ, ATM and 銀行ネット orders: 受注一覧's 対応状況 filter (入金待ち /
入金済み), 受注明細 with the numbers, the deadline and the days left and no button PAYGENT would
refuse, and a paid order moving on to 受注完了."""
import pytest

from cart.extensions import db
from tests.conftest import csrf_token
from tests.integration.checkout_helpers import orders, setup_shops
from tests.integration.deferred_helpers import application, notice, order_with
from tests.integration.test_notices import HASH_KEY, post


@pytest.fixture
def shops(app, sandbox):
    with app.app_context():
        setup_shops(app, sandbox)
        yield


@pytest.fixture
def two_orders(app, client, shops):
    """A 入金待ち ATM order and a 入金済み コンビニ order of shop demo."""
    order_with(app.test_client(), "atm")
    order_with(app.test_client(), "conveni")
    waiting, paid = orders()
    assert post(client, notice(paid, "40", "conveni", HASH_KEY)).get_data() == b"result=0"
    db.session.expire_all()
    return orders()


def _rows(client, **args):
    html = client.get("/admin/orders/", query_string={"tab": "active", **args}).get_data(
        as_text=True)
    return html


def test_the_list_filters_by_awaiting_and_paid(client, login_as, two_orders):
    waiting, paid = two_orders
    assert waiting.status == "awaiting_payment" and paid.status == "paid"
    assert login_as("owner@example.com", "demo1234").status_code == 302
    everything = _rows(client)
    assert waiting.number in everything and paid.number in everything
    assert "入金待ち" in everything and "入金済み" in everything
    only_waiting = _rows(client, status="awaiting_payment")
    assert waiting.number in only_waiting and paid.number not in only_waiting
    only_paid = _rows(client, status="paid")
    assert paid.number in only_paid and waiting.number not in only_paid
    assert "1件HIT" in only_paid
    refused = _rows(client, status="bogus")
    assert "対応状況は一覧から選択してください。" in refused


def test_the_order_page_shows_the_numbers_and_days_left_and_no_capture(
        client, login_as, two_orders):
    waiting, paid = two_orders
    login_as("owner@example.com", "demo1234")
    html = client.get(f"/admin/orders/{waiting.id}").get_data(as_text=True)
    import json
    for label, value in json.loads(application(waiting.id).lines):
        assert label in html and value in html
    assert "残り日数" in html and "あと" in html
    assert "入金待ち" in html and "未入金" in html
    assert ">売上確定<" not in html and "返金確定" not in html and "編集モード" not in html
    assert "受注完了一覧へ移動" not in html  # not before the money is in
    paid_page = client.get(f"/admin/orders/{paid.id}").get_data(as_text=True)
    assert "入金済み" in paid_page and "入金日時" in paid_page
    assert "受注完了一覧へ移動" in paid_page
    # a paid order moves on to 受注完了
    response = client.post(f"/admin/orders/{paid.id}/complete", data={
        "csrf_token": csrf_token(paid_page), "version": str(paid.version)})
    assert response.status_code == 302
    db.session.expire_all()
    assert [o.status for o in orders()] == ["awaiting_payment", "completed"]
