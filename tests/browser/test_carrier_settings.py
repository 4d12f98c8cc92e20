"""An owner sets up ペイジェント(携帯キャリア決済) through the 管理画面 in Chromium.

A shop with nothing configured adds 携帯キャリア決済 to its list and enters its settings with the
common PAYGENT connection: unchecking every carrier is refused beside 利用決済 with everything
else kept, 「戻る」 from the 確認画面 keeps the input, and 「設定する」 runs the connection test
against the embedded sandbox and stores the carriers in d払い, au, SoftBank order. Opened again,
the page shows what was saved, the connection read-only. Screenshots of the form, the error
and the 確認画面 are taken at desktop width and at 390 px.
"""
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart.cli import create_shop
from cart.extensions import db
from cart.models import CarrierSettings, PaygentAccount, PaymentMethod, Shop

pytestmark = pytest.mark.browser

OWNER, OWNER_PASSWORD = "owner@carrier.test", "password123"
SHOP = "carrier"
MASKED = "********（入力あり）"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD, HASH_KEY = "carrier-Secret-7", "carrier-hash-key-7"
NAME, SYSTEM_NAME = "携帯キャリア決済", "ペイジェント(携帯キャリア決済)"
DOCOMO, AU = "d払い", "auかんたん決済(au / UQ mobile / povo)"
SOFTBANK = "ソフトバンクまとめて支払い・ワイモバイルまとめて支払い"


def stored(live_shop) -> dict:
    def load():
        shop = db.session.scalar(select(Shop).where(Shop.code == SHOP))
        account = db.session.scalar(select(PaygentAccount).where(
            PaygentAccount.shop_id == shop.id))
        row = db.session.scalar(select(CarrierSettings).where(CarrierSettings.shop_id == shop.id))
        method = db.session.scalar(select(PaymentMethod).where(
            PaymentMethod.shop_id == shop.id, PaymentMethod.kind == "carrier"))
        return {
            "account": None if account is None else (
                account.merchant_id, account.connect_id, account.connect_password,
                account.notice_hash_key),
            "row": None if row is None else (row.carriers, row.sales_mode),
            "method": None if method is None else (method.in_use, method.configured,
                                                   method.hide_under, method.note),
        }
    return live_shop.read(load)


def flash(page: Page):
    return page.locator(".admin-main > .alert")


def method_row(page: Page):
    return page.locator("table.payment-list tbody tr").filter(has_text=NAME)


def field_error(page: Page, label: str):
    return page.locator(".field.has-error", has_text=label).locator(".error")


def confirm_value(page: Page, heading: str):
    return page.locator("table.kv tr").filter(
        has=page.locator("th", has_text=re.compile(f"^{re.escape(heading)}$"))).locator("td")


def carrier(page: Page, name: str):
    return page.get_by_role("checkbox", name=name, exact=True)


def no_secret_in(page: Page) -> None:
    html = page.content()
    for secret in (PASSWORD, HASH_KEY):
        assert secret not in html


def both_widths(page: Page, full_screenshot, label: str) -> None:
    """A full-page screenshot at desktop width and one at 390 px; nothing wider than the
    phone's screen."""
    full_screenshot(f"{label}-desktop")
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth")
    full_screenshot(f"{label}-390px")
    page.set_viewport_size(DESKTOP)
    assert overflow <= PHONE["width"], f"{label}: the page is {overflow}px wide on a phone"


def test_new_shop_sets_up_carrier_billing(page: Page, live_shop, sign_in, full_screenshot):
    live_shop.read(lambda: create_shop(SHOP, "キャリア茶舗", OWNER, OWNER_PASSWORD).id)
    sign_in(OWNER, OWNER_PASSWORD)

    # 支払方法設定 › 他社連携 › 「リストに追加」, then the new row's 「未設定」
    page.get_by_role("link", name="支払方法設定").click()
    page.get_by_role("link", name="他社連携").click()
    page.locator("tr").filter(has_text=SYSTEM_NAME).get_by_role(
        "button", name="リストに追加").click()
    expect(flash(page)).to_have_text(
        f"「{SYSTEM_NAME}」を使用決済に追加しました。設定を行ってください。")
    method_row(page).get_by_role("link", name="未設定").click()
    expect(page.get_by_role("heading", name=f"{SYSTEM_NAME} 設定")).to_be_visible()

    # The seed's defaults: every carrier, オーソリのみ; no 支払期限日 on this page.
    for name in (DOCOMO, AU, SOFTBANK):
        expect(carrier(page, name)).to_be_checked()
    expect(page.get_by_role("radio", name="オーソリのみ", exact=True)).to_be_checked()
    expect(page.get_by_text("利用可能な決済をチェックしてください。")).to_be_visible()
    expect(page.get_by_label("支払期限日")).to_have_count(0)
    expect(page.get_by_label("接続先", exact=True)).to_have_value("sandbox")

    for name in (DOCOMO, AU, SOFTBANK):
        carrier(page, name).uncheck()
    page.get_by_role("radio", name="オーソリ+売上確定", exact=True).check()
    page.get_by_label("マーチャントID", exact=True).fill("900000888")
    page.get_by_label("接続ID", exact=True).fill("carrier_connect")
    page.get_by_label("接続IDパスワード", exact=True).fill(PASSWORD)
    page.get_by_label("差分通知ハッシュ値生成キー", exact=True).fill(HASH_KEY)
    page.locator("#hide_under_on").check()
    page.locator("#hide_under").fill("１,０００")
    page.locator("#note").fill("携帯電話の利用料金と合わせてお支払いいただけます。")
    both_widths(page, full_screenshot, "1-carrier-form")
    page.get_by_role("button", name="確認画面へ").click()

    # Refused beside 利用決済, everything else kept, the secrets not sent back.
    expect(field_error(page, "利用決済")).to_have_text("利用決済を1つ以上選択してください。")
    expect(page.locator(".field.has-error")).to_have_count(1)
    for name in (DOCOMO, AU, SOFTBANK):
        expect(carrier(page, name)).not_to_be_checked()
    expect(page.get_by_role("radio", name="オーソリ+売上確定", exact=True)).to_be_checked()
    expect(page.get_by_label("マーチャントID", exact=True)).to_have_value("900000888")
    expect(page.locator("#hide_under")).to_have_value("１,０００")
    expect(page.locator("#note")).to_have_value(
        "携帯電話の利用料金と合わせてお支払いいただけます。")
    expect(page.get_by_label("接続IDパスワード", exact=True)).to_have_value("")
    expect(page.locator(".field", has=page.get_by_label("接続IDパスワード", exact=True))
           ).to_contain_text("設定済みです。変更する場合のみ入力してください。")
    no_secret_in(page)
    both_widths(page, full_screenshot, "2-carrier-error")
    assert stored(live_shop)["row"] is None

    carrier(page, SOFTBANK).check()
    carrier(page, DOCOMO).check()
    page.get_by_role("button", name="確認画面へ").click()
    expect(page).to_have_url(re.compile(r"/admin/payment-methods/carrier/confirm\?draft=[\w-]+$"))
    expect(page.get_by_role("heading", name=f"{SYSTEM_NAME} 設定の確認")).to_be_visible()
    expect(confirm_value(page, "利用決済")).to_have_text(f"{DOCOMO}、{SOFTBANK}")
    expect(confirm_value(page, "同時売上")).to_have_text("オーソリ+売上確定")
    expect(confirm_value(page, "支払方法の名称")).to_have_text(NAME)
    expect(confirm_value(page, "適用条件")).to_contain_text("商品金額が1,000円未満の場合は表示しない")
    expect(confirm_value(page, "接続IDパスワード")).to_have_text(MASKED)
    no_secret_in(page)
    both_widths(page, full_screenshot, "3-carrier-confirm")

    # 「戻る」 brings the input back; a change goes through the 確認画面 again.
    page.get_by_role("link", name="戻る").click()
    expect(carrier(page, DOCOMO)).to_be_checked()
    expect(carrier(page, AU)).not_to_be_checked()
    expect(carrier(page, SOFTBANK)).to_be_checked()
    expect(page.get_by_role("radio", name="オーソリ+売上確定", exact=True)).to_be_checked()
    expect(page.get_by_label("マーチャントID", exact=True)).to_have_value("900000888")
    carrier(page, AU).check()
    page.get_by_role("button", name="確認画面へ").click()
    expect(confirm_value(page, "利用決済")).to_have_text(f"{DOCOMO}、{AU}、{SOFTBANK}")
    expect(confirm_value(page, "接続IDパスワード")).to_have_text(MASKED)
    assert stored(live_shop) == {"account": None, "row": None,
                                 "method": (True, False, None, "")}

    page.get_by_role("button", name="設定する").click()
    expect(page.get_by_role("heading", name="支払方法設定")).to_be_visible()
    expect(flash(page)).to_have_text("接続試験に成功し、設定しました。")
    expect(method_row(page).get_by_role("link", name="設定済")).to_be_visible()
    assert stored(live_shop) == {
        "account": ("900000888", "carrier_connect", PASSWORD, HASH_KEY),
        "row": ("docomo,au,softbank", "capture"),
        "method": (True, True, 1000, "携帯電話の利用料金と合わせてお支払いいただけます。")}
    assert live_shop.sandbox_store.merchant("900000888")["connect_password"] == PASSWORD

    # Opened again: what was saved, the connection read-only; one carrier less is saved.
    method_row(page).get_by_role("link", name="設定済").click()
    expect(page.locator("fieldset.connection-summary")).to_contain_text("900000888")
    expect(page.get_by_label("接続IDパスワード", exact=True)).to_have_count(0)
    for name in (DOCOMO, AU, SOFTBANK):
        expect(carrier(page, name)).to_be_checked()
    expect(page.get_by_role("radio", name="オーソリ+売上確定", exact=True)).to_be_checked()
    no_secret_in(page)
    both_widths(page, full_screenshot, "4-carrier-edit")
    carrier(page, DOCOMO).uncheck()
    page.get_by_role("radio", name="オーソリのみ", exact=True).check()
    page.get_by_role("button", name="確認画面へ").click()
    expect(confirm_value(page, "利用決済")).to_have_text(f"{AU}、{SOFTBANK}")
    expect(confirm_value(page, "同時売上")).to_have_text("オーソリのみ")
    expect(page.locator("fieldset.connection-summary")).to_contain_text("900000888")
    both_widths(page, full_screenshot, "5-carrier-confirm-edit")
    page.get_by_role("button", name="設定する").click()
    expect(flash(page)).to_have_text("接続試験に成功し、設定しました。")
    assert stored(live_shop)["row"] == ("au,softbank", "auth")
