"""An owner sets up ペイジェント(クレジット決済) through the 管理画面 in Chromium.

A shop with nothing configured enters the card's settings and, once only, the common PAYGENT
connection; 「確認画面へ」 → 「設定する」 runs the connection test against the embedded sandbox.
Opened again, the page shows the connection read-only. Screenshots of the form and the
確認画面 are taken at desktop width and at 390 px (a phone).
"""
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart.cli import create_shop
from cart.extensions import db
from cart.models import CardSettings, PaygentAccount, PaymentMethod, Shop

pytestmark = pytest.mark.browser

OWNER_PASSWORD = "password123"
SYSTEM_NAME = "ペイジェント(クレジット決済)"
NAME = "クレジットカード決済"
SETTINGS_TITLE = "ペイジェント(クレジット決済) 設定"
CONFIRM_TITLE = "ペイジェント(クレジット決済) 設定の確認"
MASKED = "********（入力あり）"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TOKEN_KEY, TDS_KEY = "browser-Token-Key-01", "browser-3ds-Hash-01"
PASSWORD, HASH_KEY = "cardshop-Secret-9", "cardshop-hash-key-9"


def stored(live_shop, code: str) -> dict:
    def load():
        shop = db.session.scalar(select(Shop).where(Shop.code == code))
        account = db.session.scalar(select(PaygentAccount).where(
            PaygentAccount.shop_id == shop.id))
        card = db.session.scalar(select(CardSettings).where(CardSettings.shop_id == shop.id))
        method = db.session.scalar(select(PaymentMethod).where(
            PaymentMethod.shop_id == shop.id, PaymentMethod.kind == "card"))
        return {
            "account": None if account is None else (
                account.merchant_id, account.connect_id, account.connect_password,
                account.notice_hash_key, account.paidy_public_key),
            "card": None if card is None else (
                card.classes, card.attempt_auth, card.merchant_name, card.tds_hash_key,
                card.token_key, card.sales_mode),
            "method": None if method is None else (method.in_use, method.configured),
        }
    return live_shop.read(load)


def flash(page: Page):
    return page.locator(".admin-main > .alert")


def card_row(page: Page):
    return page.locator("table.payment-list tbody tr").filter(has_text=NAME)


def field_error(page: Page, label: str):
    return page.locator(".field", has=page.get_by_label(label, exact=True)).locator(".error")


def confirm_value(page: Page, heading: str):
    return page.locator("table.kv tr").filter(
        has=page.locator("th", has_text=re.compile(f"^{re.escape(heading)}$"))).locator("td")


def no_secret_in(page: Page) -> None:
    html = page.content()
    for secret in (TOKEN_KEY, TDS_KEY, PASSWORD, HASH_KEY):
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


def test_new_shop_sets_up_the_card_with_its_connection_then_edits_it(
        page: Page, live_shop, sign_in, full_screenshot):
    owner = "owner@cardshop.test"
    live_shop.read(lambda: create_shop("cardshop", "カード茶舗", owner, OWNER_PASSWORD).id)
    sign_in(owner, OWNER_PASSWORD)

    # 支払方法設定 › 他社連携 › 「リストに追加」
    page.get_by_role("link", name="支払方法設定").click()
    page.get_by_role("link", name="他社連携").click()
    page.locator("tr").filter(has_text=SYSTEM_NAME).get_by_role(
        "button", name="リストに追加").click()
    expect(flash(page)).to_have_text(
        f"「{SYSTEM_NAME}」を使用決済に追加しました。設定を行ってください。")
    card_row(page).get_by_role("link", name="未設定").click()
    expect(page.get_by_role("heading", name=SETTINGS_TITLE)).to_be_visible()

    # A new setup: the recommended values, and the connection asked for.
    expect(page.get_by_role("checkbox", name="一括払い", exact=True)).to_be_checked()
    expect(page.get_by_role("radio", name="2.0", exact=True)).to_be_checked()
    expect(page.get_by_role("radio", name="全て実施しない", exact=True)).to_be_checked()
    expect(page.get_by_role("radio", name="試験環境", exact=True)).to_be_checked()
    expect(page.get_by_text("「全て実施」の場合は、不正利用時に加盟店様負担となることがあります。")
           ).to_be_visible()
    expect(page.get_by_label("接続先", exact=True)).to_have_value("sandbox")
    page.get_by_role("checkbox", name="分割払い", exact=True).check()
    page.get_by_role("checkbox", name="ボーナス一括払い", exact=True).check()
    page.get_by_role("radio", name="正常時のみ実施", exact=True).check()
    page.get_by_label("加盟店名(半角英数字記号)").fill("カード茶舗")  # not half-width
    page.get_by_label("3Dセキュア結果受付ハッシュ鍵").fill(TDS_KEY)
    page.get_by_label("トークン生成鍵").fill(TOKEN_KEY)
    page.get_by_label("マーチャントID", exact=True).fill("900000888")
    page.get_by_label("接続ID", exact=True).fill("cardshop_connect")
    page.get_by_label("接続IDパスワード", exact=True).fill(PASSWORD)
    page.get_by_label("差分通知ハッシュ値生成キー", exact=True).fill(HASH_KEY)
    both_widths(page, full_screenshot, "1-form")
    page.get_by_role("button", name="確認画面へ").click()

    # Refused beside the field, everything else kept, the secrets not sent back.
    expect(page.get_by_role("heading", name=SETTINGS_TITLE)).to_be_visible()
    expect(field_error(page, "加盟店名(半角英数字記号)")).to_have_text(
        "加盟店名は半角英数字記号で入力してください。")
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.get_by_label("加盟店名(半角英数字記号)")).to_have_value("カード茶舗")
    expect(page.get_by_role("checkbox", name="ボーナス一括払い", exact=True)).to_be_checked()
    expect(page.get_by_role("radio", name="正常時のみ実施", exact=True)).to_be_checked()
    expect(page.get_by_label("マーチャントID", exact=True)).to_have_value("900000888")
    expect(page.get_by_label("トークン生成鍵")).to_have_value("")
    expect(page.locator(".field", has=page.get_by_label("トークン生成鍵"))).to_contain_text(
        "設定済みです。変更する場合のみ入力してください。")
    no_secret_in(page)
    both_widths(page, full_screenshot, "2-error")
    assert stored(live_shop, "cardshop")["card"] is None

    page.get_by_label("加盟店名(半角英数字記号)").fill("Cardshop Online")
    page.get_by_role("button", name="確認画面へ").click()

    # 確認画面: the values, the secrets masked; nothing saved yet.
    expect(page).to_have_url(re.compile(r"/admin/payment-methods/card/confirm\?draft=[\w-]+$"))
    expect(page.get_by_role("heading", name=CONFIRM_TITLE)).to_be_visible()
    expect(confirm_value(page, "支払い回数")).to_have_text("一括払い、分割払い、ボーナス一括払い")
    expect(confirm_value(page, "Attemptオーソリ制御区分")).to_have_text("正常時のみ実施")
    expect(confirm_value(page, "加盟店名(半角英数字記号)")).to_have_text("Cardshop Online")
    expect(confirm_value(page, "トークン生成鍵")).to_have_text(MASKED)
    expect(confirm_value(page, "3Dセキュア結果受付ハッシュ鍵")).to_have_text(MASKED)
    expect(confirm_value(page, "マーチャントID")).to_have_text("900000888")
    expect(confirm_value(page, "接続IDパスワード")).to_have_text(MASKED)
    no_secret_in(page)
    both_widths(page, full_screenshot, "3-confirm")
    assert stored(live_shop, "cardshop") == {"account": None, "card": None,
                                             "method": (True, False)}
    page.get_by_role("button", name="設定する").click()

    # Tested, saved, back on the list.
    expect(page.get_by_role("heading", name="支払方法設定")).to_be_visible()
    expect(flash(page)).to_have_text("接続試験に成功し、設定しました。")
    expect(card_row(page).get_by_role("link", name="設定済")).to_be_visible()
    assert stored(live_shop, "cardshop") == {
        "account": ("900000888", "cardshop_connect", PASSWORD, HASH_KEY, ""),
        "card": (["lump", "split", "bonus"], "normal", "Cardshop Online", TDS_KEY, TOKEN_KEY,
                 "auth"),
        "method": (True, True)}
    enrolled = live_shop.sandbox_store.merchant("900000888")
    assert (enrolled["connect_password"], enrolled["token_key"], enrolled["tds_hash_key"]) == (
        PASSWORD, TOKEN_KEY, TDS_KEY)

    # Opened again: the connection is the shop's, shown read-only with where to change it.
    card_row(page).get_by_role("link", name="設定済").click()
    summary = page.locator("fieldset.connection-summary")
    expect(summary).to_contain_text("900000888")
    expect(summary).to_contain_text("cardshop_connect")
    expect(summary).to_contain_text("ローカルサンドボックス")
    expect(summary.get_by_role("link", name="ペイジェント(あと払い(ペイディ)) 設定")
           ).to_have_attribute("href", "/admin/payment-methods/paidy")
    expect(page.get_by_label("接続IDパスワード", exact=True)).to_have_count(0)
    expect(page.get_by_label("加盟店名(半角英数字記号)")).to_have_value("Cardshop Online")
    expect(page.get_by_role("checkbox", name="リボ払い", exact=True)).not_to_be_checked()
    no_secret_in(page)
    both_widths(page, full_screenshot, "4-edit")

    # An edit with the keys left blank keeps them.
    page.get_by_role("radio", name="オーソリ+売上確定", exact=True).check()
    page.get_by_role("button", name="確認画面へ").click()
    expect(confirm_value(page, "トークン生成鍵")).to_have_text("変更なし")
    expect(page.locator("fieldset.connection-summary")).to_contain_text("900000888")
    both_widths(page, full_screenshot, "5-edit-confirm")
    page.get_by_role("button", name="設定する").click()
    expect(flash(page)).to_have_text("接続試験に成功し、設定しました。")
    card = stored(live_shop, "cardshop")["card"]
    assert (card[3], card[4], card[5]) == (TDS_KEY, TOKEN_KEY, "capture")
