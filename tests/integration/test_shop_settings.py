"""Owner settings (cart type, 購入者情報欄, 宅配便) and the mail outbox."""
import pytest
from sqlalchemy import select

from cart.extensions import db
from cart.models import DeliveryMethod, OutboxMail

from ..conftest import csrf_token
from .checkout_helpers import add_to_cart, delivery, method, shop


def _post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_token(client.get(path).get_data(
        as_text=True)), **data})


def _set_delivery(client, path, data):
    """宅配便: 「確認画面へ」, then 「設定する」 on the 確認画面."""
    response = _post(client, path, data)
    assert "/admin/settings/deliveries/confirm?draft=" in response.headers["Location"]
    draft = response.headers["Location"].rsplit("draft=", 1)[1]
    return client.post("/admin/settings/deliveries/save", data={
        "csrf_token": csrf_token(client.get(path).get_data(as_text=True)), "draft": draft})


@pytest.mark.parametrize("path", ["/admin/settings/shop", "/admin/settings/deliveries",
                                  "/admin/settings/deliveries/new"])
def test_staff_cannot_open_settings(client, login_as, shops, path):
    login_as("staff@example.com", "demo1234")
    assert client.get(path).status_code == 403


def test_owner_switches_the_cart_to_three_steps(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    response = _post(client, "/admin/settings/shop", {
        "cart_type": "three", "mobile_visible": "y", "mobile_required": "y",
        "shop_email": "shop@example.com", "thanks_mail_subject": "ご注文承りました",
        "conversion_tag": "<!-- tag -->", "pending_cancel_days": "7"})
    assert response.status_code == 302
    shopper = client.application.test_client()
    add_to_cart(shopper)
    assert "注文手続きへ" in shopper.get("/s/demo/cart").get_data(as_text=True)


def test_bad_settings_are_explained_and_kept(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    page = _post(client, "/admin/settings/shop", {
        "cart_type": "zero", "shop_email": "not mail", "thanks_mail_subject": "件名",
        "pending_cancel_days": "0"}).get_data(as_text=True)
    assert "メールアドレスの形式が正しくありません。" in page
    assert "1〜90日で入力してください。" in page
    assert 'value="件名"' in page


def test_delivery_pairing_decides_what_checkout_offers(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    courier = delivery()
    response = _set_delivery(client, f"/admin/settings/deliveries/{courier.id}", {
        "name": "宅配便", "fee": "600", "active": "y",
        "payment_methods": [str(method("bank_transfer").id)]})
    assert response.status_code == 302
    db.session.expire_all()
    assert courier.fee == 600 and courier.payment_methods == [method("bank_transfer")]
    table = client.get("/admin/settings/deliveries").get_data(as_text=True)
    assert "600円" in table and "○" in table and "×" in table


def test_fee_undetermined_delivery_is_added(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    _set_delivery(client, "/admin/settings/deliveries/new", {
        "name": "チャーター便", "fee": "0", "fee_undetermined": "y", "active": "y"})
    added = db.session.scalar(select(DeliveryMethod).where(DeliveryMethod.name == "チャーター便"))
    assert added.fee_undetermined and added.shop_id == shop().id


def test_outbox_shows_the_shops_mail_only(client, app, login_as, shops):
    db.session.add_all([
        OutboxMail(shop_id=shop().id, to_addr="a@example.com", subject="demoのメール", body="本文A"),
        OutboxMail(shop_id=shop("demo3").id, to_addr="b@example.com", subject="demo3のメール",
                   body="本文B")])
    db.session.commit()
    other = db.session.scalar(select(OutboxMail).where(OutboxMail.subject == "demo3のメール"))
    login_as("staff@example.com", "demo1234")
    page = client.get("/admin/mails/").get_data(as_text=True)
    assert "demoのメール" in page and "demo3のメール" not in page
    assert client.get(f"/admin/mails/{other.id}").status_code == 404
    mine = db.session.scalar(select(OutboxMail).where(OutboxMail.subject == "demoのメール"))
    assert "本文A" in client.get(f"/admin/mails/{mine.id}").get_data(as_text=True)


def test_another_shops_delivery_is_404(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    theirs = delivery(shop_code="demo3")
    assert client.get(f"/admin/settings/deliveries/{theirs.id}").status_code == 404
