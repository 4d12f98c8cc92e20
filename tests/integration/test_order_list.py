"""受注一覧 (O1): tabs, paging of 50, 詳細検索フォーム including 外部決済注文番号."""
from datetime import datetime, timedelta, timezone

import pytest

from cart.extensions import db
from cart.models import Order, Payment

from .checkout_helpers import setup_shops, shop


def make_order(shop_id, n, **values) -> Order:
    data = dict(shop_id=shop_id, number=f"order{n:05d}", status="new", cart_type="zero",
                buyer_name="山田 太郎", buyer_kana="ヤマダ タロウ", zip_code="150-0001",
                prefecture="東京都", city="渋谷区", street="1-2-3", tel="0312345678",
                email="taro@example.com", delivery_name="宅配便", payment_kind="paidy",
                payment_name="あと払い(ペイディ)", items_total=1000, total=1000)
    data.update(values)
    order = Order(**data)
    db.session.add(order)
    db.session.flush()
    return order


@pytest.fixture
def many(app, sandbox, client, login_as):
    setup_shops(app, sandbox)
    shop_id = shop().id
    start = datetime(2026, 10, 1, 3, 0, tzinfo=timezone.utc)
    for n in range(1, 52):
        make_order(shop_id, n, created_at=start + timedelta(days=n % 30), total=1000 + n)
    special = make_order(shop_id, 900, buyer_name="佐藤 花子", buyer_kana="サトウ ハナコ",
                         email="hanako@example.com", tel="0899999999", total=55555,
                         cart_type="three", created_at=datetime(2026, 11, 20, 1, 0,
                                                                tzinfo=timezone.utc))
    db.session.add(Payment(shop_id=shop_id, order_id=special.id, method="paidy", reference="pay_xyz",
                           paygent_payment_id="200000777", status="20", amount=55555))
    make_order(shop_id, 901, status="completed", buyer_name="完了 太郎")
    make_order(shop_id, 902, status="cancelled", buyer_name="取消 太郎")
    make_order(shop("demo3").id, 1, buyer_name="他店 太郎")
    db.session.commit()
    login_as("staff@example.com", "demo1234")
    return special


def _list(client, **args):
    return client.get("/admin/orders/", query_string=args).get_data(as_text=True)


def test_fifty_a_page_with_the_hit_count(client, many):
    page = _list(client)
    assert "1-50番目表示 / 52件HIT" in page
    assert page.count("明細</a>") == 50
    second = _list(client, page=2)
    assert "51-52番目表示 / 52件HIT" in second and second.count("明細</a>") == 2
    assert "他店 太郎" not in page + second


def test_tabs(client, many):
    assert "完了 太郎" in _list(client, tab="completed")
    assert "取消 太郎" in _list(client, tab="cancelled")
    assert "完了 太郎" not in _list(client) and "取消 太郎" not in _list(client)


def test_trade_id_is_shown_in_the_payment_column(client, many):
    assert "あと払い(ペイディ) (200000777)" in _list(client)


@pytest.mark.parametrize("args", [
    {"trade_id": "200000777"}, {"trade_id": "pay_xyz"}, {"number": "order00900"},
    {"name": "佐藤"}, {"kana": "サトウ"}, {"email": "hanako@example.com"},
    {"phone": "089-999-9999"}, {"amount_min": "50000", "amount_max": "60000"},
    {"date_from": "2026-11-20", "date_to": "2026-11-20"}, {"cart_type": "three"},
])
def test_each_search_condition_finds_the_order(client, many, args):
    page = _list(client, **args)
    assert "1-1番目表示 / 1件HIT" in page and "佐藤 花子" in page


def test_search_finds_nothing_across_shops(client, many):
    assert "0-0番目表示 / 0件HIT" in _list(client, name="他店")


def test_bad_search_input_is_explained_not_a_500(client, many):
    response = client.get("/admin/orders/", query_string={"amount_min": "abc",
                                                           "date_from": "2026-13-45"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "半角数字（整数）で入力してください。" in page and 'value="abc"' in page


@pytest.mark.parametrize("query", [
    {}, {"number": "order00900", "payment_kind": "paidy", "cart_type": "three"},
    {"name": '<b>"山田"</b> & co', "kana": "ヤマダ", "email": "a@example.com", "phone": "03-1",
     "trade_id": "pay_x", "date_from": "2026-11-01", "date_to": "2026-11-30",
     "amount_min": "1,000", "amount_max": "２０００"},
    {"amount_min": "abc", "date_from": "2026-13-45", "number": "x" * 30,
     "payment_kind": "bogus"},
])
def test_the_search_form_is_the_html_wtforms_would_write(app, client, many, query):
    """The list writes its search boxes itself (faster); they must stay what WTForms'
    widgets write, values, escaping, selected options and messages included."""
    from flask import request

    from cart.admin.orders.search import OrderSearchForm
    page = client.get("/admin/orders/", query_string=query).get_data(as_text=True)
    with app.test_request_context("/admin/orders/", query_string=query):
        form = OrderSearchForm(request.args)
        if form.filled():
            form.validate()
        expected = [form.date_from(type="date"), form.date_to(type="date"),
                    form.amount_min(size=8), form.amount_max(size=8)]
        for f in (form.number, form.payment_kind, form.name, form.kana, form.email, form.phone,
                  form.cart_type, form.trade_id):
            expected += [f(), f.label(**{"class": "label"})]
            expected += [f'<p class="error" role="alert">{e}</p>' for e in f.errors]
        expected = [str(fragment) for fragment in expected]
    for fragment in expected:
        assert fragment in page
    if query.get("amount_min") == "abc":
        assert 'class="field has-error"' in page and "25文字以内で入力してください。" in page


def test_a_page_reads_only_what_the_list_shows(app, client, many):
    """Rows come from one statement with the payment joined: no line items, no payment query
    per page, whatever the relationships' loading settings; the 明細 links are orders.show."""
    from flask import url_for
    from sqlalchemy import event

    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = _list(client)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    listing = [s for s in seen if "FROM orders" in s or "FROM payments" in s]
    assert not any("order_items" in s for s in seen)
    assert not any(s.startswith("SELECT payments.") for s in listing)
    assert len(listing) == 2, listing  # the count and the page; the pager's links need none
    with app.test_request_context():
        assert f'<a href="{url_for("orders.show", order_id=many.id)}">明細</a>' in page
