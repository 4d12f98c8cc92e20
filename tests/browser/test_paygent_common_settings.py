"""An owner whose shop takes only the card changes its PAYGENT connection in Chromium, on
ペイジェント共通設定: reached from 支払方法設定, refused beside the field on bad input, a mistyped
password failing the connection test (nothing saved), 「戻る」 keeping what was typed, the new
password saved; the card's keys
stay known to the sandbox. Screenshots of the form and the 確認画面 at desktop width and 390 px.
"""
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart.cli import create_shop
from cart.extensions import db
from cart.models import CardSettings, PaygentAccount, PaymentMethod, Shop

pytestmark = pytest.mark.browser

CODE, OWNER, OWNER_PASSWORD = "commonshop", "owner@commonshop.test", "password123"
TITLE, CONFIRM_TITLE = "ペイジェント共通設定", "ペイジェント共通設定の確認"
MERCHANT, CONNECT = "900000889", "commonshop_connect"
OLD_PASSWORD, NEW_PASSWORD, TYPO = "common-Old-Pass-1", "common-New-Pass-2", "common-Typo-Pass-3"
HASH_KEY, NEW_HASH_KEY = "common-hash-key-1", "common-hash-key-2"
TOKEN_KEY, TDS_KEY = "common-Token-Key-1", "common-3ds-Hash-1"
MASKED = "********（入力あり）"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def card_only_shop(live_shop) -> None:
    """A shop with the card set up on the local sandbox, and nothing of Paidy's."""
    def make():
        shop = create_shop(CODE, "共通茶舗", OWNER, OWNER_PASSWORD)
        db.session.add(PaygentAccount(shop_id=shop.id, environment="sandbox",
                                      merchant_id=MERCHANT, connect_id=CONNECT,
                                      connect_password=OLD_PASSWORD, notice_hash_key=HASH_KEY))
        db.session.add(CardSettings(shop_id=shop.id, payment_classes="lump",
                                    security_code_required=True, three_d_secure=True,
                                    attempt_auth="none", merchant_name="Common Shop",
                                    token_environment="test", token_key=TOKEN_KEY,
                                    tds_hash_key=TDS_KEY, sales_mode="auth"))
        db.session.add(PaymentMethod(shop_id=shop.id, kind="card", position=1, in_use=True,
                                     configured=True))
        db.session.commit()
    live_shop.read(make)
    live_shop.sandbox_store.upsert_merchant(MERCHANT, CONNECT, OLD_PASSWORD, HASH_KEY, "", "",
                                            "共通茶舗", token_key=TOKEN_KEY,
                                            tds_hash_key=TDS_KEY)


def stored(live_shop) -> dict:
    def load():
        shop = db.session.scalar(select(Shop).where(Shop.code == CODE))
        account = db.session.scalar(select(PaygentAccount).where(
            PaygentAccount.shop_id == shop.id))
        card = db.session.scalar(select(CardSettings).where(CardSettings.shop_id == shop.id))
        return {"account": (account.environment, account.merchant_id, account.connect_id,
                            account.connect_password, account.notice_hash_key,
                            account.paidy_public_key),
                "card": (card.classes, card.merchant_name, card.token_key, card.tds_hash_key),
                "methods": db.session.scalars(select(PaymentMethod.kind).where(
                    PaymentMethod.shop_id == shop.id)).all()}
    return live_shop.read(load)


def flash(page: Page):
    return page.locator(".admin-main > .alert")


def field_error(page: Page, label: str):
    return page.locator(".field", has=page.get_by_label(label, exact=True)).locator(".error")


def confirm_value(page: Page, heading: str):
    return page.locator("table.kv tr").filter(
        has=page.locator("th", has_text=re.compile(f"^{re.escape(heading)}$"))).locator("td")


def no_secret_in(page: Page) -> None:
    html = page.content()
    for secret in (OLD_PASSWORD, NEW_PASSWORD, TYPO, HASH_KEY, NEW_HASH_KEY, TDS_KEY):
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


def test_a_card_only_shop_changes_its_connection_on_the_common_page(
        page: Page, live_shop, sign_in, full_screenshot):
    card_only_shop(live_shop)
    before = stored(live_shop)
    sign_in(OWNER, OWNER_PASSWORD)

    # 支払方法設定: the way there, beside the tabs (at 390 px too).
    page.get_by_role("link", name="支払方法設定").click()
    aside = page.locator(".tabs-aside")
    expect(aside).to_contain_text("ペイジェント接続：ローカルサンドボックス")
    both_widths(page, full_screenshot, "0-list")
    aside.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    lead = page.locator(".admin-main > p.muted").first
    expect(lead).to_contain_text("ペイジェント(あと払い(ペイディ))")
    expect(lead).to_contain_text("ペイジェント(クレジット決済)")

    # The stored connection, secrets left blank; seed 003's 入力説明 beside each field.
    expect(page.get_by_label("接続先", exact=True)).to_have_value("sandbox")
    expect(page.get_by_label("マーチャントID", exact=True)).to_have_value(MERCHANT)
    expect(page.get_by_label("接続ID", exact=True)).to_have_value(CONNECT)
    expect(page.get_by_label("接続パスワード", exact=True)).to_have_value("")
    expect(page.locator(".field", has=page.get_by_label("マーチャントID", exact=True))
           ).to_contain_text("※試験・本番で値が異なります。本番運用開始時に変更してください。")
    expect(page.locator(".field", has=page.get_by_label("接続パスワード", exact=True))
           ).to_contain_text("設定済みです。変更する場合のみ入力してください。")
    expect(page.get_by_label("パブリックキー")).to_have_count(0)
    no_secret_in(page)

    # Bad input: said beside its field, the rest kept, the password not sent back.
    page.get_by_label("マーチャントID", exact=True).fill("90000088")
    page.get_by_label("接続パスワード", exact=True).fill(TYPO)
    page.get_by_label("差分通知ハッシュ値生成キー", exact=True).fill(NEW_HASH_KEY)
    page.get_by_role("button", name="確認画面へ").click()
    expect(field_error(page, "マーチャントID")).to_have_text(
        "マーチャントIDは9桁の半角数字で入力してください。")
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.get_by_label("マーチャントID", exact=True)).to_have_value("90000088")
    expect(page.get_by_label("接続ID", exact=True)).to_have_value(CONNECT)
    expect(page.get_by_label("接続パスワード", exact=True)).to_have_value("")
    no_secret_in(page)
    both_widths(page, full_screenshot, "1-error")

    # PAYGENT has issued a new password; the owner mistypes it: the test fails, nothing saved.
    live_shop.sandbox_store.upsert_merchant(MERCHANT, CONNECT, NEW_PASSWORD, HASH_KEY, "", "",
                                            "共通茶舗", token_key=TOKEN_KEY,
                                            tds_hash_key=TDS_KEY)
    page.get_by_label("マーチャントID", exact=True).fill(MERCHANT)
    page.get_by_role("button", name="確認画面へ").click()  # the typo and hash key kept in the draft
    expect(page.get_by_role("heading", name=CONFIRM_TITLE)).to_be_visible()
    expect(confirm_value(page, "接続パスワード")).to_have_text(MASKED)
    expect(confirm_value(page, "差分通知ハッシュ値生成キー")).to_have_text(MASKED)
    page.get_by_role("button", name="設定する").click()
    failure = page.locator(".alert-error")
    expect(failure).to_contain_text("接続試験に失敗しました")
    expect(failure).to_contain_text("認証に失敗しました。")
    expect(failure).to_contain_text("設定は保存されていません。")
    expect(page.get_by_role("button", name="接続試験の結果にかかわらず保存する")).to_have_count(0)
    no_secret_in(page)
    both_widths(page, full_screenshot, "2-failed")
    assert stored(live_shop) == before

    # 「戻る」: the form as typed (the hash key still in the draft), the right password now.
    page.get_by_role("link", name="戻る").click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.get_by_label("マーチャントID", exact=True)).to_have_value(MERCHANT)
    expect(page.get_by_label("接続パスワード", exact=True)).to_have_value("")
    page.get_by_label("接続パスワード", exact=True).fill(NEW_PASSWORD)
    both_widths(page, full_screenshot, "3-form")
    page.get_by_role("button", name="確認画面へ").click()
    expect(confirm_value(page, "マーチャントID")).to_have_text(MERCHANT)
    expect(confirm_value(page, "接続パスワード")).to_have_text(MASKED)
    expect(confirm_value(page, "差分通知ハッシュ値生成キー")).to_have_text(MASKED)
    no_secret_in(page)
    both_widths(page, full_screenshot, "4-confirm")
    page.get_by_role("button", name="設定する").click()
    expect(page.get_by_role("heading", name="支払方法設定")).to_be_visible()
    expect(flash(page)).to_have_text("接続試験に成功し、ペイジェント共通設定を保存しました。")
    after = stored(live_shop)
    assert after["account"] == ("sandbox", MERCHANT, CONNECT, NEW_PASSWORD, NEW_HASH_KEY, "")
    assert after["card"] == before["card"] and after["methods"] == ["card"]
    enrolled = live_shop.sandbox_store.merchant(MERCHANT)
    assert (enrolled["connect_password"], enrolled["hash_key"], enrolled["token_key"],
            enrolled["tds_hash_key"]) == (NEW_PASSWORD, NEW_HASH_KEY, TOKEN_KEY, TDS_KEY)

    # The card page's summary leads here.
    page.locator("table.payment-list tbody tr").filter(has_text="クレジットカード決済"
                                                       ).get_by_role("link", name="設定済").click()
    summary = page.locator("fieldset.connection-summary")
    expect(summary.get_by_role("link", name=TITLE)).to_have_attribute(
        "href", "/admin/payment-methods/paygent")
    summary.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
