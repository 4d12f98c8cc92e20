"""受注明細 operations on card orders against the sandbox: 売上 (022), 取消 before (021) and
after capture (023), 金額変更 as オーソリ変更 (028) and 売上変更 (029), each sent once, booked as
PAYGENT answered, with the 60-day authorisation window on the page."""
import re

import pytest
from sqlalchemy import select

from cart.extensions import db
from cart.models import OrderHistory

from ..conftest import csrf_token
from .card_helpers import card_order
from .order_helpers import act, payment_of

CAPTURE_FAILS = "4000000000009995"


@pytest.fixture
def staff(app, client, login_as):
    def log_in():
        login_as("staff@example.com", "demo1234")
    return log_in


def _order(app, sandbox, staff, **kwargs):
    order = card_order(app.test_client(), sandbox, **kwargs)
    staff()
    return order


def _history(order):
    return [h.text for h in db.session.scalars(select(OrderHistory).where(
        OrderHistory.order_id == order.id).order_by(OrderHistory.id))]


def _page(client, order):
    return client.get(f"/admin/orders/{order.id}").get_data(as_text=True)


def _after(client, response):
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _edit_total(client, order, adjust10):
    """編集モード: a 金額調整 (negative lowers the order's total)."""
    page = client.get(f"/admin/orders/{order.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page) or re.search(
        r'value="(\d+)"[^>]*name="version"', page)
    response = client.post(f"/admin/orders/{order.id}/edit", data={
        "csrf_token": csrf_token(page), "version": version.group(1), "adjust_label": "値引き",
        "adjust10": str(adjust10), "adjust8": "0", "shipping_fee": str(order.shipping_fee)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.expire_all()


def test_an_authorised_card_order_offers_capture_and_cancel_within_60_days(
        app, client, card_shop, sandbox, staff):
    order = _order(app, sandbox, staff)
    page = _page(client, order)
    assert "オーソリOK" in page and "売上確定</button>" in page and "キャンセル</button>" in page
    assert "ペイジェント状況 : <strong id=\"paygent-status\">未処理" in page
    assert "オーソリ有効期限 " in page and "売上確定・キャンセル・金額変更の期限（オーソリから60日）" in page
    assert "返金確定" not in page and "オーソリ変更を実行" not in page  # the amounts agree


def test_capture_then_sales_cancel(app, client, card_shop, sandbox, staff):
    order = _order(app, sandbox, staff)
    page = _after(client, act(client, order, "capture"))
    assert "売上処理が正常に完了いたしました。" in page and "売上済" in page
    assert "売上取消</button>" in page and "売上確定</button>" not in page
    payment = payment_of(order)
    assert payment.status == "40" and payment.captured_at is not None
    assert len(sandbox.telegrams("022")) == 1
    page = _after(client, act(client, order, "cancel-payment"))
    assert "キャンセル処理が正常に完了いたしました。" in page
    assert payment_of(order).status == "60" and len(sandbox.telegrams("023")) == 1
    assert any("売上取消を実行" in line for line in _history(order))


def test_cancel_before_capture_sends_021(app, client, card_shop, sandbox, staff):
    order = _order(app, sandbox, staff)
    _after(client, act(client, order, "cancel-payment"))
    assert payment_of(order).status == "32"
    assert len(sandbox.telegrams("021")) == 1 and not sandbox.telegrams("023")


def test_a_lower_total_before_capture_is_an_authorisation_change(
        app, client, card_shop, sandbox, staff):
    order = _order(app, sandbox, staff)
    old_id, total = payment_of(order).paygent_payment_id, order.total
    _edit_total(client, order, -300)
    page = _page(client, order)
    assert "オーソリ変更を実行" in page and "「オーソリ変更を実行」で決済額を受注額に合わせて" in page
    page = _after(client, act(client, order, "change-amount"))
    assert "金額変更処理が正常に完了いたしました。" in page
    payment = payment_of(order)
    assert payment.amount == total - 300 and payment.paygent_payment_id != old_id
    assert payment.status == "20"
    assert "ペイジェント状況 : <strong id=\"paygent-status\">オーソリ変更" in page
    assert any(f"オーソリ変更を実行 金額 : {total:,}円 → {total - 300:,}円" in line
               and old_id in line for line in _history(order))
    (sent,) = sandbox.telegrams("028")
    assert sent["request"].get("payment_amount") == str(total - 300)
    _after(client, act(client, order, "capture"))  # the new payment is the one captured
    assert payment_of(order).status == "40"


def test_a_lower_total_after_capture_is_a_sales_change_the_partial_refund(
        app, client, card_shop, sandbox, staff):
    order = _order(app, sandbox, staff, capture=True)
    total = order.total
    assert payment_of(order).status == "40"
    _edit_total(client, order, -500)
    page = _page(client, order)
    assert "売上変更を実行" in page and "差額 500円 はカード会社を通じて返金されます" in page
    _after(client, act(client, order, "change-amount"))
    payment = payment_of(order)
    assert payment.amount == total - 500 and payment.status == "40"
    assert len(sandbox.telegrams("029")) == 1
    assert any("売上変更を実行" in line for line in _history(order))


def test_an_amount_change_whose_old_payment_stays_says_so_and_flags_the_order(
        app, client, card_shop, sandbox, staff):
    order = _order(app, sandbox, staff)
    old_id = payment_of(order).paygent_payment_id
    _edit_total(client, order, -100)
    sandbox.control("faults", mode="second_half", telegram_kind="028")
    page = _after(client, act(client, order, "change-amount"))
    assert "元の決済が請求される可能性があります" in page and old_id in page
    assert "ペイジェント管理画面で元の決済を取り消してください" in page
    db.session.expire_all()
    payment = payment_of(order)
    assert payment.paygent_payment_id != old_id and payment.amount == order.total
    assert payment.order.needs_review


def test_a_capture_refused_by_paygent_is_explained_and_nothing_moves(
        app, client, card_shop, sandbox, staff):
    order = _order(app, sandbox, staff, number=CAPTURE_FAILS)
    page = _after(client, act(client, order, "capture"))
    assert "alert-error" in page
    assert payment_of(order).status == "20"
    assert any("売上処理でエラー" in line for line in _history(order))


def test_the_change_amount_is_the_orders_never_the_forms(app, client, card_shop, sandbox, staff):
    order = _order(app, sandbox, staff)
    _edit_total(client, order, -200)
    _after(client, act(client, order, "change-amount", amount="1"))
    assert payment_of(order).amount == order.total


def test_change_without_a_difference_is_refused_and_sends_nothing(
        app, client, card_shop, sandbox, staff):
    order = _order(app, sandbox, staff)
    response = act(client, order, "change-amount")
    assert response.status_code == 409
    assert "現在の金額" in response.get_data(as_text=True)
    assert not sandbox.telegrams("028")
