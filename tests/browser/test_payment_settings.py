"""An owner sets up Paidy via PAYGENT through the 管理画面, and shoppers can then pay with it.

A shop made for each test starts with nothing configured: 支払方法設定 → 他社連携 →
「リストに追加」, the settings form, 「確認画面へ」 → 「設定する」 (which runs the connection
test against the embedded sandbox), then a 宅配便 accepting the method, then the storefront.
"""
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart.cli import create_shop
from cart.demo import DEMO_PAYGENT, PAIDY_NOTE
from cart.extensions import db
from cart.models import DeliveryMethod, PaygentAccount, PaymentMethod, Shop
from payments.methods import paidy as st
from test_checkout import (PAIDY, choose, expect_completed, fill_buyer, grand_total,
                           only_order, open_modal, pay_in_modal, put_in_cart)

pytestmark = pytest.mark.browser

OWNER_PASSWORD = "password123"
SYSTEM_NAME = "ペイジェント(あと払い(ペイディ))"
SETTINGS_TITLE = "ペイジェント(あと払い(ペイディ)) 設定"
CONFIRM_TITLE = "ペイジェント(あと払い(ペイディ)) 設定の確認"
MASKED = "********（入力あり）"
AUTH_FAILED = "認証に失敗しました。マーチャントID・接続ID・接続IDパスワードをご確認ください。"
LABELS = {
    "public_key": "① パブリックキー",
    "logo": "② 決済モーダル用ロゴ画像",
    "environment": "接続先",
    "merchant_id": "④ マーチャントID",
    "connect_id": "⑤ 接続ID",
    "connect_password": "⑥ 接続IDパスワード",
    "notice_hash_key": "差分通知ハッシュ値生成キー",
}


# -- a shop with nothing configured ------------------------------------------------------
def new_shop(live_shop, code: str, name: str) -> tuple[str, int]:
    """A fresh shop (owner ``owner@CODE.test``) with one published product."""
    owner = f"owner@{code}.test"
    live_shop.read(lambda: create_shop(code, name, owner, OWNER_PASSWORD).id)
    product = live_shop.new_product(code, f"{name}の新茶", 2160)
    return owner, product


def logo_png() -> bytes:
    """A wide two-coloured PNG: the form crops its middle square and scales it to 184px."""
    image = Image.new("RGB", (300, 200), (20, 120, 60))
    for x in range(100, 200):
        for y in range(200):
            image.putpixel((x, y), (230, 180, 20))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def stored(live_shop, code: str) -> dict:
    """What the shop saved: its PAYGENT account and its Paidy method, as plain data."""
    def load():
        shop = db.session.scalar(select(Shop).where(Shop.code == code))
        account = db.session.scalar(select(PaygentAccount).where(
            PaygentAccount.shop_id == shop.id))
        method = db.session.scalar(select(PaymentMethod).where(
            PaymentMethod.shop_id == shop.id, PaymentMethod.kind == "paidy"))
        return {
            "account": None if account is None else {
                name: getattr(account, name) for name in (
                    "environment", "merchant_id", "connect_id", "connect_password",
                    "notice_hash_key", "paidy_public_key", "capture_mode", "logo_png")},
            "method": None if method is None else {
                name: getattr(method, name) for name in (
                    "in_use", "configured", "note", "note_on_payment_page", "hide_from")},
            "deliveries": [(d.name, d.fee, [m.kind for m in d.payment_methods])
                           for d in db.session.scalars(select(DeliveryMethod).where(
                               DeliveryMethod.shop_id == shop.id))],
        }
    return live_shop.read(load)


# -- what the owner does -----------------------------------------------------------------
def flash(page: Page):
    return page.locator(".admin-main > .alert")


def paidy_row(page: Page):
    return page.locator("table.payment-list tbody tr").filter(has_text=PAIDY)


def add_paidy_to_the_list(page: Page):
    page.get_by_role("link", name="支払方法設定").click()
    expect(page.get_by_role("heading", name="支払方法設定")).to_be_visible()
    expect(page.get_by_text("使用する支払方法がありません。")).to_be_visible()
    page.get_by_role("link", name="他社連携").click()
    page.locator("tr").filter(has_text=SYSTEM_NAME).get_by_role(
        "button", name="リストに追加").click()
    expect(flash(page)).to_have_text(
        f"「{SYSTEM_NAME}」を使用決済に追加しました。設定を行ってください。")
    row = paidy_row(page)
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name="未設定")).to_be_visible()
    expect(row).to_contain_text("[×]")  # no 宅配便 accepts it yet


def open_paidy_form(page: Page):
    paidy_row(page).get_by_role("link", name="未設定").click()
    expect(page.get_by_role("heading", name=SETTINGS_TITLE)).to_be_visible()


def settings_field(page: Page, name: str):
    return page.get_by_label(LABELS[name], exact=True)


def fill_settings(page: Page, values: dict):
    for name, value in values.items():
        settings_field(page, name).fill(value)


def field_error(page: Page, name: str):
    return page.locator(".field", has=settings_field(page, name)).locator(".error")


def confirm_value(page: Page, heading: str):
    return page.locator("table.kv tr").filter(
        has=page.locator("th", has_text=heading)).locator("td")


def assert_secrets_hidden(page: Page, *secrets: str):
    html = page.content()
    for secret in secrets:
        assert secret not in html


# -- the flows ---------------------------------------------------------------------------
def test_new_shop_sets_up_paidy_and_a_shopper_pays_with_it(page: Page, live_shop, sign_in,
                                                          screenshot):
    owner, product = new_shop(live_shop, "newshop", "新しい茶舗")
    assert stored(live_shop, "newshop") == {"account": None, "method": None, "deliveries": []}
    values = {"public_key": "pk_test_newshop_0001", "merchant_id": "900000555",
              "connect_id": "newshop_connect", "connect_password": "newshop-Secret-77",
              "notice_hash_key": "newshop-hash-key-77"}
    sign_in(owner, OWNER_PASSWORD)

    add_paidy_to_the_list(page)
    state = stored(live_shop, "newshop")
    assert state["account"] is None
    assert (state["method"]["in_use"], state["method"]["configured"]) == (True, False)
    open_paidy_form(page)

    # The form for a new setup: the sandbox, the recommended note.
    expect(settings_field(page, "environment")).to_have_value("sandbox")
    expect(settings_field(page, "environment").locator("option:checked")).to_have_text(
        "ローカルサンドボックス")
    expect(page.locator("code.notice-url")).to_have_text(
        f"{live_shop.url}/notices/paygent/newshop")
    fill_settings(page, values)
    settings_field(page, "logo").set_input_files(files=[{
        "name": "logo.png", "mimeType": "image/png", "buffer": logo_png()}])
    screenshot("1-form")
    page.get_by_role("button", name="確認画面へ").click()

    # 確認画面: the values, secrets masked, the cropped logo.
    expect(page).to_have_url(re.compile(r"/admin/payment-methods/paidy/confirm\?draft=[\w-]+$"))
    expect(page.get_by_role("heading", name=CONFIRM_TITLE)).to_be_visible()
    expect(confirm_value(page, "① パブリックキー")).to_have_text("pk_test_newshop_0001")
    expect(confirm_value(page, "④ マーチャントID")).to_have_text("900000555")
    expect(confirm_value(page, "⑤ 接続ID")).to_have_text("newshop_connect")
    expect(confirm_value(page, "⑥ 接続IDパスワード")).to_have_text(MASKED)
    expect(confirm_value(page, "差分通知ハッシュ値生成キー")).to_have_text(MASKED)
    expect(confirm_value(page, "接続先")).to_have_text("ローカルサンドボックス")
    preview = confirm_value(page, "② 決済モーダル用ロゴ画像").get_by_role("img", name="ロゴ画像")
    expect(preview).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    assert preview.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [184, 184]
    assert_secrets_hidden(page, values["connect_password"], values["notice_hash_key"])
    assert stored(live_shop, "newshop")["account"] is None  # nothing saved before 設定する
    assert live_shop.sandbox_store.merchant("900000555") is None
    screenshot("2-confirm")

    # 「戻る」 brings back what was typed (secrets kept, not shown), and on again.
    page.get_by_role("link", name="戻る").click()
    expect(settings_field(page, "public_key")).to_have_value("pk_test_newshop_0001")
    expect(settings_field(page, "merchant_id")).to_have_value("900000555")
    expect(settings_field(page, "connect_id")).to_have_value("newshop_connect")
    expect(settings_field(page, "connect_password")).to_have_value("")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("2b-back-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="確認画面へ").click()
    expect(confirm_value(page, "⑥ 接続IDパスワード")).to_have_text(MASKED)
    expect(preview).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    page.get_by_role("button", name="設定する").click()

    # Tested, saved, back on the list.
    expect(page.get_by_role("heading", name="支払方法設定")).to_be_visible()
    expect(flash(page)).to_have_text("接続試験に成功し、設定しました。")
    expect(paidy_row(page).get_by_role("link", name="設定済")).to_be_visible()
    assert_secrets_hidden(page, values["connect_password"], values["notice_hash_key"])
    screenshot("3-list")
    state = stored(live_shop, "newshop")
    account = state["account"]
    logo = account.pop("logo_png")
    assert account == {"environment": "sandbox", "merchant_id": "900000555",
                       "connect_id": "newshop_connect", "connect_password": "newshop-Secret-77",
                       "notice_hash_key": "newshop-hash-key-77",
                       "paidy_public_key": "pk_test_newshop_0001", "capture_mode": "auth"}
    with Image.open(io.BytesIO(logo)) as image:
        assert (image.format, image.size) == ("PNG", (184, 184))
        assert image.convert("RGB").getpixel((92, 92)) == (230, 180, 20)  # the middle kept
    assert state["method"] == {"in_use": True, "configured": True, "note": PAIDY_NOTE,
                               "note_on_payment_page": True, "hide_from": 300_000}
    enrolled = live_shop.sandbox_store.merchant("900000555")
    assert (enrolled["connect_id"], enrolled["connect_password"], enrolled["hash_key"],
            enrolled["paidy_public_key"], enrolled["store_name"]) == (
        "newshop_connect", "newshop-Secret-77", "newshop-hash-key-77",
        "pk_test_newshop_0001", "新しい茶舗")
    assert enrolled["notice_url"] == f"{live_shop.url}/notices/paygent/newshop"

    # A 宅配便 that accepts it.
    page.get_by_role("link", name="宅配便・送料設定").click()
    expect(page.get_by_text("宅配便が登録されていません。")).to_be_visible()
    page.get_by_role("link", name="宅配便を追加する").click()
    page.get_by_label("宅配便の名称").fill("ゆうパック")
    page.get_by_label("送料（税込）").fill("700")
    page.get_by_label(SYSTEM_NAME).check()
    page.get_by_role("button", name="確認画面へ").click()
    expect(page.locator("#delivery-confirm")).to_contain_text("ゆうパック")
    page.get_by_role("button", name="設定する").click()
    expect(flash(page)).to_have_text("宅配便「ゆうパック」を保存しました。")
    expect(page.locator("table.grid tbody tr").filter(has_text="ゆうパック")).to_contain_text(
        "○")
    assert stored(live_shop, "newshop")["deliveries"] == [("ゆうパック", 700, ["paidy"])]
    page.get_by_role("link", name="支払方法設定").click()
    expect(paidy_row(page)).to_contain_text("[○] ゆうパック")

    # A shopper is offered あと払い(ペイディ) with its note, and pays.
    page.context.clear_cookies()
    put_in_cart(page, live_shop, "newshop", product)
    expect(page.get_by_role("radio")).to_have_count(2)  # one 宅配便, one payment method
    expect(page.locator("#payment .method-note")).to_have_text(PAIDY_NOTE)
    fill_buyer(page)
    choose(page, delivery="ゆうパック")
    screenshot("4-offered")
    page.get_by_role("button", name="注文確認する").click()
    expect(page.locator(".paidy-note")).to_have_text(PAIDY_NOTE)
    assert grand_total(page) == "2,860円"
    box = open_modal(page, "ペイディで支払う", "2,860円")
    expect(box.get_by_text("新しい茶舗")).to_be_visible()
    image = box.locator(".psb-logo img")
    expect(image).to_have_attribute("src", re.compile(
        re.escape(live_shop.shop_url("newshop", "/paidy-logo.png")) + r"\?v=[\d.]+$"))
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [184, 184]
    assert page.request.get(image.get_attribute("src")).body() == logo
    screenshot("5-modal")
    pay_in_modal(page)

    number = expect_completed(page, live_shop, "newshop")
    order = only_order(live_shop, product)
    assert (order["number"], order["status"], order["payment_kind"]) == (number, "new", "paidy")
    assert order["total"] == order["payment"]["amount"] == 2860
    assert order["payment"]["status"] == st.AUTHORIZED
    [at_sandbox] = live_shop.sandbox_payments("newshop", number)
    assert (at_sandbox["status"], at_sandbox["amount"]) == (st.AUTHORIZED, 2860)


def test_wrong_password_fails_the_connection_test_and_saves_only_when_told(
        page: Page, live_shop, sign_in, screenshot):
    owner, _ = new_shop(live_shop, "wrongpw", "誤り茶舗")
    known = dict(live_shop.sandbox_store.merchant(DEMO_PAYGENT["merchant_id"]))
    wrong = "not-the-demo-password"
    sign_in(owner, OWNER_PASSWORD)
    add_paidy_to_the_list(page)
    open_paidy_form(page)
    fill_settings(page, {"public_key": "pk_test_wrongpw_0001",
                         "merchant_id": DEMO_PAYGENT["merchant_id"],
                         "connect_id": DEMO_PAYGENT["connect_id"], "connect_password": wrong,
                         "notice_hash_key": "wrongpw-hash-key"})
    page.get_by_role("button", name="確認画面へ").click()
    expect(page.get_by_role("heading", name=CONFIRM_TITLE)).to_be_visible()
    page.get_by_role("button", name="設定する").click()

    # Still on 確認画面, told why; nothing saved, the sandbox's merchant untouched.
    expect(page.get_by_role("heading", name=CONFIRM_TITLE)).to_be_visible()
    failure = page.get_by_role("alert").filter(has_text="接続試験に失敗しました")
    expect(failure).to_contain_text(AUTH_FAILED)
    expect(failure).to_contain_text("設定は保存されていません。")
    expect(confirm_value(page, "⑥ 接続IDパスワード")).to_have_text(MASKED)
    assert_secrets_hidden(page, wrong, "wrongpw-hash-key")
    screenshot("1-failed")
    state = stored(live_shop, "wrongpw")
    assert state["account"] is None and state["method"]["configured"] is False
    assert dict(live_shop.sandbox_store.merchant(DEMO_PAYGENT["merchant_id"])) == known

    page.get_by_role("button", name="接続試験の結果にかかわらず保存する").click()
    expect(page.get_by_role("heading", name="支払方法設定")).to_be_visible()
    expect(flash(page)).to_have_text(
        "接続試験に失敗しましたが、設定を保存しました。接続情報をご確認ください。")
    expect(paidy_row(page).get_by_role("link", name="設定済")).to_be_visible()
    state = stored(live_shop, "wrongpw")
    assert state["method"]["configured"] is True
    assert (state["account"]["merchant_id"], state["account"]["connect_password"]) == (
        DEMO_PAYGENT["merchant_id"], wrong)
    assert dict(live_shop.sandbox_store.merchant(DEMO_PAYGENT["merchant_id"])) == known


def test_bad_input_is_shown_next_to_the_fields_and_the_rest_is_kept(page: Page, live_shop,
                                                                    sign_in, screenshot):
    owner, _ = new_shop(live_shop, "badinput", "入力誤り茶舗")
    sign_in(owner, OWNER_PASSWORD)
    add_paidy_to_the_list(page)
    open_paidy_form(page)
    password, hash_key = "badinput-Secret-3", "badinput-hash-3"
    fill_settings(page, {"public_key": "sk_live_x", "merchant_id": "12ab",
                         "connect_id": "badinput_connect", "connect_password": password,
                         "notice_hash_key": hash_key})
    page.get_by_role("button", name="確認画面へ").click()

    expect(page.get_by_role("heading", name=SETTINGS_TITLE)).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="入力内容に誤りがあります")).to_be_visible()
    expect(field_error(page, "public_key")).to_have_text(
        "パブリックキーは pk_live_ または pk_test_ で始まる英数字で入力してください。")
    expect(field_error(page, "merchant_id")).to_have_text(
        "マーチャントIDは9桁の半角数字で入力してください。")
    expect(page.locator(".field.has-error")).to_have_count(2)
    expect(settings_field(page, "public_key")).to_have_value("sk_live_x")
    expect(settings_field(page, "merchant_id")).to_have_value("12ab")
    expect(settings_field(page, "connect_id")).to_have_value("badinput_connect")
    expect(settings_field(page, "environment")).to_have_value("sandbox")
    # The secrets are kept on the server, never sent back to the page.
    expect(settings_field(page, "connect_password")).to_have_value("")
    expect(page.locator(".field", has=settings_field(page, "connect_password"))).to_contain_text(
        "設定済みです。変更する場合のみ入力してください。")
    assert_secrets_hidden(page, password, hash_key)
    screenshot("1-errors")
    assert stored(live_shop, "badinput")["account"] is None

    # Corrected, the secrets typed before still count.
    fill_settings(page, {"public_key": "pk_test_badinput_0001", "merchant_id": "900000556"})
    page.get_by_role("button", name="確認画面へ").click()
    expect(page.get_by_role("heading", name=CONFIRM_TITLE)).to_be_visible()
    expect(confirm_value(page, "① パブリックキー")).to_have_text("pk_test_badinput_0001")
    expect(confirm_value(page, "④ マーチャントID")).to_have_text("900000556")
    expect(confirm_value(page, "⑥ 接続IDパスワード")).to_have_text(MASKED)
    expect(confirm_value(page, "差分通知ハッシュ値生成キー")).to_have_text(MASKED)
    page.get_by_role("button", name="設定する").click()
    expect(flash(page)).to_have_text("接続試験に成功し、設定しました。")
    account = stored(live_shop, "badinput")["account"]
    assert (account["merchant_id"], account["connect_password"], account["notice_hash_key"],
            account["logo_png"]) == ("900000556", password, hash_key, None)

    # Opened again: the stored values, the secrets only said to be set.
    paidy_row(page).get_by_role("link", name="設定済").click()
    expect(settings_field(page, "public_key")).to_have_value("pk_test_badinput_0001")
    expect(settings_field(page, "merchant_id")).to_have_value("900000556")
    expect(settings_field(page, "connect_password")).to_have_value("")
    expect(settings_field(page, "notice_hash_key")).to_have_value("")
    expect(page.get_by_text("設定済みです。変更する場合のみ入力してください。")).to_have_count(2)
    assert_secrets_hidden(page, password, hash_key)
