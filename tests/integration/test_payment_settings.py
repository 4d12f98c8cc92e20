"""支払方法設定 (P1–P4): the list, the Paidy form, its confirmation and connection test."""
import io
import logging
import re

import pytest
from PIL import Image
from sqlalchemy import select, text

from cart.extensions import db
from cart.models import Order, PaygentAccount, PaymentMethod

from ..conftest import csrf_token
from .certs import CertificateAuthority
from .checkout_helpers import (add_to_cart, fill_zero_step, method, paidy_start,
                               shop)

GOOD = {"public_key": "pk_test_newshop123", "capture_mode": "auth", "environment": "sandbox",
        "merchant_id": "900000777", "connect_id": "new_connect",
        "connect_password": "s3cret-connect-pass", "notice_hash_key": "s3cret-hash-key",
        "hide_from_on": "y", "hide_from": "300000", "note": "注意書きです",
        "note_on_payment_page": "y", "banner": "240x150"}


@pytest.fixture
def new_shop(app, sandbox, runner):
    """A shop made by the CLI: nothing configured yet. Its merchant exists at the sandbox."""
    app.config["SANDBOX_URL"] = sandbox.url
    result = runner.invoke(args=["shops", "create", "tea", "--name", "新茶舗", "--owner-email",
                                 "owner@tea.test", "--owner-password", "password123"])
    assert result.exit_code == 0
    sandbox.store.upsert_merchant("900000777", "new_connect", "s3cret-connect-pass",
                                  "s3cret-hash-key", "", "pk_test_newshop123")
    return shop("tea")


def _form_post(client, data, files=None, path="/admin/payment-methods/paidy"):
    payload = {"csrf_token": csrf_token(client.get(path).get_data(as_text=True)), **data}
    for name, (content, filename) in (files or {}).items():
        payload[name] = (io.BytesIO(content), filename)
    return client.post(path, data=payload, content_type="multipart/form-data")


def _confirm(client, response, force=False):
    location = response.headers["Location"]
    draft = re.search(r"draft=([^&]+)", location).group(1)
    page = client.get(location).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "draft": draft}
    if force:
        data["force"] = "1"
    return page, client.post("/admin/payment-methods/paidy/confirm", data=data)


# -- access -------------------------------------------------------------------------------
@pytest.mark.parametrize("method_, path", [
    ("get", "/admin/payment-methods/"), ("get", "/admin/payment-methods/paidy"),
    ("get", "/admin/payment-methods/paidy/confirm?draft=x"),
    ("post", "/admin/payment-methods/add"), ("post", "/admin/payment-methods/1/remove"),
    ("post", "/admin/payment-methods/1/move"), ("get", "/admin/payment-methods/1/basic")])
def test_staff_get_403_on_every_settings_page(client, login_as, shops, method_, path):
    login_as("staff@example.com", "demo1234")
    page = client.get("/admin/").get_data(as_text=True)
    kwargs = {"data": {"csrf_token": csrf_token(page)}} if method_ == "post" else {}
    assert getattr(client, method_)(path, **kwargs).status_code == 403


# -- the list -----------------------------------------------------------------------------
def test_add_to_list_shows_unconfigured_then_remove(client, login_as, new_shop):
    login_as("owner@tea.test")
    partner = client.get("/admin/payment-methods/?tab=partner").get_data(as_text=True)
    assert "ペイジェント(あと払い(ペイディ))" in partner and "リストに追加" in partner
    client.post("/admin/payment-methods/add", data={"csrf_token": csrf_token(partner),
                                                    "kind": "paidy"})
    listed = client.get("/admin/payment-methods/").get_data(as_text=True)
    assert "あと払い(ペイディ)" in listed and "未設定" in listed and "[×]" in listed
    paidy = db.session.scalar(select(PaymentMethod).where(PaymentMethod.shop_id == new_shop.id))
    assert not paidy.configured
    client.post(f"/admin/payment-methods/{paidy.id}/remove", data={"csrf_token":
                                                                   csrf_token(listed)})
    assert "使用する支払方法がありません" in client.get("/admin/payment-methods/").get_data(
        as_text=True)


def test_arrows_change_the_order_checkout_shows(client, app, login_as, shops):
    login_as("owner@example.com", "demo1234")
    page = client.get("/admin/payment-methods/").get_data(as_text=True)
    client.post(f"/admin/payment-methods/{method('cod').id}/move",
                data={"csrf_token": csrf_token(page), "direction": "up"})
    shopper = app.test_client()
    add_to_cart(shopper)
    html = shopper.get("/s/demo/cart").get_data(as_text=True)
    assert html.index("> 代金引換</label>") < html.index("> 銀行振込</label>")


# -- the Paidy form -------------------------------------------------------------------------
@pytest.mark.parametrize("field, value, message", [
    ("public_key", "sk_live_abcdefgh", "pk_live_ または pk_test_ で始まる"),
    ("public_key", "", "パブリックキーを入力してください。"),
    ("merchant_id", "12345678a", "9桁の半角数字"),
    ("merchant_id", "", "マーチャントIDを入力してください。"),
    ("connect_id", "", "接続IDを入力してください。"),
    ("connect_password", "", "接続IDパスワードを入力してください。"),
    ("notice_hash_key", "", "差分通知ハッシュ値生成キーを入力してください。"),
    ("hide_from", "", "金額を入力してください。"),
    ("hide_from", "3万", "半角数字（整数）で入力してください。"),
])
def test_bad_input_is_explained_kept_and_nothing_saved(client, login_as, new_shop, field, value,
                                                       message):
    login_as("owner@tea.test")
    response = _form_post(client, dict(GOOD, **{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    if field != "connect_id":
        assert 'value="new_connect"' in page
    assert "s3cret-connect-pass" not in page and "s3cret-hash-key" not in page
    assert db.session.scalar(select(PaygentAccount)) is None or \
        db.session.scalar(select(PaygentAccount).where(
            PaygentAccount.shop_id == new_shop.id)) is None


@pytest.mark.parametrize("name, content, filename, message", [
    ("logo", b"not an image", "logo.png", "画像ファイルとして読み込めませんでした"),
    ("logo", b"x" * (2 * 1024 * 1024 + 1), "big.png", "ファイルが大きすぎます"),
    ("client_cert", b"hello", "client.pem", "証明書が含まれていません"),
    ("ca_file", b"hello", "ca.pem", "CA証明書として読み込めませんでした"),
])
def test_bad_uploads_are_explained_beside_the_field(client, login_as, new_shop, name, content,
                                                    filename, message):
    login_as("owner@tea.test")
    page = _form_post(client, GOOD, {name: (content, filename)}).get_data(as_text=True)
    assert message in page and 'value="pk_test_newshop123"' in page


def test_secrets_typed_before_an_error_are_not_lost(client, login_as, new_shop):
    login_as("owner@tea.test")
    first = _form_post(client, dict(GOOD, merchant_id="bad")).get_data(as_text=True)
    draft = re.search(r'name="draft" type="hidden" value="([^"]+)"', first).group(1)
    fixed = dict(GOOD, connect_password="", notice_hash_key="", draft=draft)
    response = _form_post(client, fixed)
    assert response.status_code == 302  # the password typed the first time was kept
    page, saved = _confirm(client, response)
    assert "********（入力あり）" in page
    assert saved.status_code == 302
    account = db.session.scalar(select(PaygentAccount).where(
        PaygentAccount.shop_id == new_shop.id))
    assert account.connect_password == "s3cret-connect-pass"


def test_full_setup_tests_the_connection_and_saves(client, app, login_as, new_shop, sandbox,
                                                   caplog):
    login_as("owner@tea.test")
    with caplog.at_level(logging.DEBUG):
        response = _form_post(client, GOOD)
        assert response.status_code == 302
        page, saved = _confirm(client, response)
        assert saved.headers["Location"].endswith("/admin/payment-methods/")
    assert "接続試験に成功し、設定しました。" in client.get("/admin/payment-methods/").get_data(
        as_text=True)
    account = db.session.scalar(select(PaygentAccount).where(
        PaygentAccount.shop_id == new_shop.id))
    assert (account.merchant_id, account.connect_id, account.paidy_public_key) == (
        "900000777", "new_connect", "pk_test_newshop123")
    raw = db.session.execute(text("SELECT connect_password, notice_hash_key FROM "
                                  "paygent_accounts WHERE shop_id = :s"), {"s": new_shop.id}).one()
    assert "s3cret" not in raw[0] + raw[1]
    for html in (page, client.get("/admin/payment-methods/paidy").get_data(as_text=True)):
        assert "s3cret-connect-pass" not in html and "s3cret-hash-key" not in html
    assert "s3cret" not in caplog.text
    paidy = db.session.scalar(select(PaymentMethod).where(
        PaymentMethod.shop_id == new_shop.id, PaymentMethod.kind == "paidy"))
    assert paidy.configured and paidy.in_use and paidy.hide_from == 300000
    assert paidy.banner == "240x150" and paidy.note == "注意書きです"
    assert [t["telegram_kind"] for t in sandbox.telegrams()] == ["094"]


def test_wrong_password_fails_the_test_and_saves_nothing_unless_asked(client, login_as,
                                                                      new_shop):
    login_as("owner@tea.test")
    response = _form_post(client, dict(GOOD, connect_password="wrong-password"))
    page, tested = _confirm(client, response)
    html = tested.get_data(as_text=True)
    assert "接続試験に失敗しました" in html and "認証に失敗しました" in html
    assert db.session.scalar(select(PaygentAccount).where(
        PaygentAccount.shop_id == new_shop.id)) is None
    draft = re.search(r'name="draft" value="([^"]+)"', html).group(1)
    forced = client.post("/admin/payment-methods/paidy/confirm", data={
        "csrf_token": csrf_token(html), "draft": draft, "force": "1"})
    assert forced.status_code == 302
    assert db.session.scalar(select(PaygentAccount).where(
        PaygentAccount.shop_id == new_shop.id)) is not None


def test_unreachable_paygent_is_explained(client, app, login_as, new_shop):
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config["SANDBOX_URL"] = f"http://127.0.0.1:{port}"
    login_as("owner@tea.test")
    _, tested = _confirm(client, _form_post(client, GOOD))
    html = tested.get_data(as_text=True)
    assert "接続試験に失敗しました" in html and "接続できませんでした" in html


def test_blank_secrets_keep_the_stored_ones(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    data = dict(GOOD, merchant_id="900000001", connect_id="demo_connect",
                public_key="pk_test_demo_shop_0001", connect_password="", notice_hash_key="")
    _, saved = _confirm(client, _form_post(client, data))
    assert saved.status_code == 302
    account = db.session.scalar(select(PaygentAccount).where(PaygentAccount.shop_id == shop().id))
    db.session.refresh(account)
    assert account.connect_password == "demo-connect-pass"
    assert account.notice_hash_key == "demo-hash-key-0001"


def test_certificates_and_logo_are_checked_and_stored(client, login_as, new_shop):
    ca = CertificateAuthority("PAYGENT CA")
    cert, key = ca.issue("shop")
    image = io.BytesIO()
    Image.new("RGB", (400, 200), "white").save(image, format="PNG")
    login_as("owner@tea.test")
    response = _form_post(client, dict(GOOD, environment="sandbox"), {
        "client_cert": ((cert + key).encode(), "client.pem"), "ca_file": (ca.pem.encode(),
                                                                          "ca.pem"),
        "logo": (image.getvalue(), "logo.png")})
    assert response.status_code == 302
    page, saved = _confirm(client, response, force=True)
    assert "新しい証明書" in page and "BEGIN" not in page
    account = db.session.scalar(select(PaygentAccount).where(
        PaygentAccount.shop_id == new_shop.id))
    assert account.client_cert_pem == cert + key and account.ca_pem == ca.pem
    raw = db.session.execute(text("SELECT client_cert_pem FROM paygent_accounts WHERE "
                                  "shop_id = :s"), {"s": new_shop.id}).scalar()
    assert "PRIVATE KEY" not in raw
    logo = client.get("/s/tea/paidy-logo.png")
    assert logo.status_code == 200 and logo.mimetype == "image/png"
    with Image.open(io.BytesIO(logo.data)) as shown:
        assert shown.size == (184, 184)


def test_orders_keep_the_capture_flag_they_were_made_with(client, app, login_as, shops):
    shopper = app.test_client()
    add_to_cart(shopper)
    fill_zero_step(shopper)
    paidy_start(shopper)
    login_as("owner@example.com", "demo1234")
    data = dict(GOOD, merchant_id="900000001", connect_id="demo_connect",
                public_key="pk_test_demo_shop_0001", connect_password="", notice_hash_key="",
                capture_mode="auth_capture")
    _confirm(client, _form_post(client, data))
    second = app.test_client()
    add_to_cart(second)
    fill_zero_step(second)
    paidy_start(second)
    db.session.expire_all()
    modes = [o.capture_mode for o in db.session.scalars(select(Order).order_by(Order.id))]
    assert modes == ["auth", "auth_capture"]


def test_configured_paidy_is_offered_at_checkout(client, app, login_as, new_shop):
    login_as("owner@tea.test")
    _confirm(client, _form_post(client, GOOD))
    page = client.get("/admin/settings/deliveries/new").get_data(as_text=True)
    paidy = db.session.scalar(select(PaymentMethod).where(PaymentMethod.shop_id == new_shop.id))
    response = client.post("/admin/settings/deliveries/new", data={
        "csrf_token": csrf_token(page), "name": "宅配便", "fee": "700", "active": "y",
        "payment_methods": [str(paidy.id)]})
    client.post("/admin/settings/deliveries/save", data={  # 確認画面's 「設定する」
        "csrf_token": csrf_token(page), "draft": response.headers["Location"].rsplit("=", 1)[1]})
    from cart.models import Product
    db.session.add(Product(shop_id=new_shop.id, code="x", name="新茶", price=2000, stock=3))
    db.session.commit()
    shopper = app.test_client()
    add_to_cart(shopper, "x", shop_code="tea")
    html = shopper.get("/s/tea/cart").get_data(as_text=True)
    assert f'name="payment_method" value="{paidy.id}"' in html and "注意書きです" in html


def test_back_from_the_confirmation_keeps_what_was_typed(client, login_as, new_shop):
    """「戻る」 on the 確認画面 of a first setup brings the draft back, secrets kept but not
    shown; another owner's draft token shows a fresh form."""
    login_as("owner@tea.test")
    response = _form_post(client, GOOD)
    confirm = client.get(response.headers["Location"]).get_data(as_text=True)
    back = re.search(r'<a class="btn" href="([^"]+)">戻る</a>', confirm).group(1)
    assert "draft=" in back
    form = client.get(back).get_data(as_text=True)
    for name, value in (("public_key", "pk_test_newshop123"), ("merchant_id", "900000777"),
                        ("connect_id", "new_connect"), ("hide_from", "300000")):
        assert re.search(rf'name="{name}"[^>]*value="{value}"|value="{value}"[^>]*name="{name}"',
                         form), name
    assert "注意書きです" in form
    assert re.search(r'<input checked[^>]*name="banner"[^>]*value="240x150"', form)
    assert "s3cret-connect-pass" not in form and "s3cret-hash-key" not in form
    # confirmed again from the kept draft, the secrets typed the first time are used
    draft = re.search(r"draft=([^&\"]+)", back).group(1)
    again = _form_post(client, dict(GOOD, connect_password="", notice_hash_key="", draft=draft))
    assert again.status_code == 302
    fresh = client.get("/admin/payment-methods/paidy?draft=not-a-draft").get_data(as_text=True)
    assert "pk_test_newshop123" not in fresh
