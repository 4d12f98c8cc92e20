"""An owner sets up ペイジェント(コンビニ決済), (ATM決済) and (銀行ネット決済) through the 管理画面 in
Chromium.

A shop with nothing configured adds コンビニ決済 to its list and enters its settings with, once
only, the common PAYGENT connection: a store the chosen コンビニ接続タイプ does not offer is
refused beside its field with everything kept, 「戻る」 from the 確認画面 keeps the input, and
「設定する」 runs the connection test against the embedded sandbox. ATM決済 and 銀行ネット決済
then show the connection read-only; their shop names are converted as PAYGENT takes them.
Screenshots of each form, error and 確認画面 are taken at desktop width and at 390 px.
"""
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart.cli import create_shop
from cart.extensions import db
from cart.models import DeferredSettings, PaygentAccount, PaymentMethod, Shop

pytestmark = pytest.mark.browser

OWNER, OWNER_PASSWORD = "owner@deferred.test", "password123"
SHOP = "deferred"
MASKED = "********（入力あり）"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD, HASH_KEY = "deferred-Secret-7", "deferred-hash-key-7"
NAMES = {"conveni": "コンビニ決済", "atm": "ATM決済（ペイジー）", "bank": "銀行ネット決済"}
SYSTEM_NAMES = {"conveni": "ペイジェント(コンビニ決済)", "atm": "ペイジェント(ATM決済)",
                "bank": "ペイジェント(銀行ネット決済)"}


def stored(live_shop, code: str) -> dict:
    def load():
        shop = db.session.scalar(select(Shop).where(Shop.code == SHOP))
        account = db.session.scalar(select(PaygentAccount).where(
            PaygentAccount.shop_id == shop.id))
        row = db.session.scalar(select(DeferredSettings).where(
            DeferredSettings.shop_id == shop.id, DeferredSettings.method == code))
        method = db.session.scalar(select(PaymentMethod).where(
            PaymentMethod.shop_id == shop.id, PaymentMethod.kind == code))
        return {
            "account": None if account is None else (
                account.merchant_id, account.connect_id, account.connect_password,
                account.notice_hash_key),
            "row": None if row is None else {
                "days": row.days, "connection_type": row.connection_type, "stores": row.stores,
                "shop_name": row.shop_name, "shop_name_kana": row.shop_name_kana,
                "copyright": row.copyright, "free_memo": row.free_memo,
                "reminder_days": row.reminder_days},
            "method": None if method is None else (method.in_use, method.configured),
        }
    return live_shop.read(load)


def flash(page: Page):
    return page.locator(".admin-main > .alert")


def method_row(page: Page, code: str):
    return page.locator("table.payment-list tbody tr").filter(has_text=NAMES[code])


def field_error(page: Page, label: str):
    return page.locator(".field.has-error", has_text=label).locator(".error")


def confirm_value(page: Page, heading: str):
    return page.locator("table.kv tr").filter(
        has=page.locator("th", has_text=re.compile(f"^{re.escape(heading)}$"))).locator("td")


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


def add_to_list(page: Page, code: str) -> None:
    """支払方法設定 › 他社連携 › 「リストに追加」, then the new row's 「未設定」."""
    page.get_by_role("link", name="支払方法設定").click()
    page.get_by_role("link", name="他社連携").click()
    page.locator("tr").filter(has_text=SYSTEM_NAMES[code]).get_by_role(
        "button", name="リストに追加").click()
    expect(flash(page)).to_have_text(
        f"「{SYSTEM_NAMES[code]}」を使用決済に追加しました。設定を行ってください。")
    method_row(page, code).get_by_role("link", name="未設定").click()
    expect(page.get_by_role("heading", name=f"{SYSTEM_NAMES[code]} 設定")).to_be_visible()


def saved(page: Page, code: str) -> None:
    page.get_by_role("button", name="設定する").click()
    expect(page.get_by_role("heading", name="支払方法設定")).to_be_visible()
    expect(flash(page)).to_have_text("接続試験に成功し、設定しました。")
    expect(method_row(page, code).get_by_role("link", name="設定済")).to_be_visible()


def test_new_shop_sets_up_conveni_atm_and_bank(page: Page, live_shop, sign_in,
                                               full_screenshot):
    live_shop.read(lambda: create_shop(SHOP, "後払い茶舗", OWNER, OWNER_PASSWORD).id)
    sign_in(OWNER, OWNER_PASSWORD)

    # -- コンビニ決済: the first PAYGENT method, so the connection is asked for -------------
    add_to_list(page, "conveni")
    days = page.get_by_label("支払期限日")
    expect(days).to_have_value("15")
    expect(page.get_by_role("radio", name="A/B/D", exact=True)).to_be_checked()
    for store in ("セブン-イレブン", "ローソン", "ミニストップ", "ファミリーマート",
                  "デイリーヤマザキ", "セイコーマート"):
        expect(page.get_by_role("checkbox", name=store, exact=True)).to_be_checked()
    reminder = page.get_by_label("お支払い期限のお知らせメール")
    expect(reminder).to_have_value("0")
    expect(page.get_by_label("接続先", exact=True)).to_have_value("sandbox")
    days.fill("２０")
    page.get_by_role("radio", name="F", exact=True).check()  # ミニストップ left checked
    page.get_by_role("checkbox", name="デイリーヤマザキ", exact=True).uncheck()
    reminder.select_option(label="期限の3日前")
    page.get_by_label("マーチャントID", exact=True).fill("900000999")
    page.get_by_label("接続ID", exact=True).fill("deferred_connect")
    page.get_by_label("接続IDパスワード", exact=True).fill(PASSWORD)
    page.get_by_label("差分通知ハッシュ値生成キー", exact=True).fill(HASH_KEY)
    both_widths(page, full_screenshot, "1-conveni-form")
    page.get_by_role("button", name="確認画面へ").click()

    # Refused beside the field, everything else kept, the secrets not sent back.
    expect(field_error(page, "利用コンビニ")).to_have_text(
        "ミニストップはコンビニ接続タイプ「F」では選択できません。")
    expect(page.locator(".field.has-error")).to_have_count(1)
    expect(page.get_by_label("支払期限日")).to_have_value("２０")
    expect(page.get_by_role("radio", name="F", exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="デイリーヤマザキ", exact=True)).not_to_be_checked()
    expect(page.get_by_label("お支払い期限のお知らせメール")).to_have_value("3")
    expect(page.get_by_label("マーチャントID", exact=True)).to_have_value("900000999")
    expect(page.get_by_label("接続IDパスワード", exact=True)).to_have_value("")
    expect(page.locator(".field", has=page.get_by_label("接続IDパスワード", exact=True))
           ).to_contain_text("設定済みです。変更する場合のみ入力してください。")
    no_secret_in(page)
    both_widths(page, full_screenshot, "2-conveni-error")
    assert stored(live_shop, "conveni")["row"] is None

    page.get_by_role("checkbox", name="ミニストップ", exact=True).uncheck()
    page.get_by_role("button", name="確認画面へ").click()
    expect(page).to_have_url(re.compile(r"/admin/payment-methods/conveni/confirm\?draft=[\w-]+$"))
    expect(page.get_by_role("heading", name="ペイジェント(コンビニ決済) 設定の確認")).to_be_visible()
    expect(confirm_value(page, "支払期限日")).to_have_text("購入日より20日")
    expect(confirm_value(page, "コンビニ接続タイプ")).to_have_text("F")
    expect(confirm_value(page, "利用コンビニ")).to_have_text(
        "セブン-イレブン、ローソン・ミニストップ、ファミリーマート、セイコーマート")
    expect(confirm_value(page, "お支払い期限のお知らせメール")).to_have_text("期限の3日前")
    expect(confirm_value(page, "接続IDパスワード")).to_have_text(MASKED)
    no_secret_in(page)
    both_widths(page, full_screenshot, "3-conveni-confirm")

    # 「戻る」 brings the input back; a change goes through the 確認画面 again.
    page.get_by_role("link", name="戻る").click()
    expect(page.get_by_label("支払期限日")).to_have_value("20")
    expect(page.get_by_role("radio", name="F", exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="ミニストップ", exact=True)).not_to_be_checked()
    expect(page.get_by_label("マーチャントID", exact=True)).to_have_value("900000999")
    page.get_by_label("支払期限日").fill("21")
    page.get_by_role("button", name="確認画面へ").click()
    expect(confirm_value(page, "支払期限日")).to_have_text("購入日より21日")
    expect(confirm_value(page, "接続IDパスワード")).to_have_text(MASKED)
    assert stored(live_shop, "conveni") == {"account": None, "row": None,
                                            "method": (True, False)}
    saved(page, "conveni")
    assert stored(live_shop, "conveni") == {
        "account": ("900000999", "deferred_connect", PASSWORD, HASH_KEY),
        "row": {"days": 21, "connection_type": "F", "stores": "00C001,00C002,00C005,00C016",
                "shop_name": "", "shop_name_kana": "", "copyright": "", "free_memo": "",
                "reminder_days": 3},
        "method": (True, True)}
    assert live_shop.sandbox_store.merchant("900000999")["connect_password"] == PASSWORD

    # -- ATM決済: the connection is the shop's now, shown read-only ------------------------
    add_to_list(page, "atm")
    summary = page.locator("fieldset.connection-summary")
    expect(summary).to_contain_text("900000999")
    expect(page.get_by_label("接続IDパスワード", exact=True)).to_have_count(0)
    expect(page.get_by_label("支払期限日")).to_have_value("30")
    page.get_by_label("店舗名(カナ)").fill("お茶の店")
    page.get_by_label("お支払い期限のお知らせメール").select_option(label="期限の7日前")
    page.get_by_role("button", name="確認画面へ").click()
    expect(field_error(page, "店舗名(カナ)")).to_have_text(
        "店舗名(カナ)に半角カナにできない文字（「茶」「店」）が含まれています。"
        "カタカナ・ひらがな・英数字で入力してください。")
    expect(page.get_by_label("店舗名(カナ)")).to_have_value("お茶の店")
    both_widths(page, full_screenshot, "4-atm-error")
    page.get_by_label("店舗名(カナ)").fill("おちゃのみせ")
    page.get_by_role("button", name="確認画面へ").click()
    expect(confirm_value(page, "店舗名(カナ)")).to_have_text("ｵﾁｬﾉﾐｾ")
    expect(confirm_value(page, "支払期限日")).to_have_text("購入日より30日")
    expect(confirm_value(page, "お支払い期限のお知らせメール")).to_have_text("期限の7日前")
    expect(page.locator("fieldset.connection-summary")).to_contain_text("900000999")
    both_widths(page, full_screenshot, "5-atm-confirm")
    saved(page, "atm")
    assert stored(live_shop, "atm")["row"]["shop_name_kana"] == "ｵﾁｬﾉﾐｾ"

    # -- 銀行ネット決済 ------------------------------------------------------------------------
    add_to_list(page, "bank")
    expect(page.get_by_label("支払期限日")).to_have_value("7")
    page.get_by_label("支払期限日").fill("100")
    page.get_by_label("店舗名(全角)").fill("Tea茶舗")
    page.get_by_label("店舗名(カナ)").fill("ティーチャホ")
    page.get_by_label("コピーライト(半角英数)").fill("Copyright (c) Tea")
    page.get_by_label("自由メモ欄(全角)").fill("ご利用ありがとうございます")
    both_widths(page, full_screenshot, "6-bank-form")
    page.get_by_role("button", name="確認画面へ").click()
    expect(field_error(page, "支払期限日")).to_have_text("支払期限日は1～99日で入力してください。")
    expect(page.get_by_label("店舗名(全角)")).to_have_value("Tea茶舗")
    expect(page.get_by_label("自由メモ欄(全角)")).to_have_value("ご利用ありがとうございます")
    page.get_by_label("支払期限日").fill("10")
    page.get_by_role("button", name="確認画面へ").click()
    expect(confirm_value(page, "店舗名(全角)")).to_have_text("Ｔｅａ茶舗")
    expect(confirm_value(page, "店舗名(カナ)")).to_have_text("ﾃｨｰﾁｬﾎ")
    expect(confirm_value(page, "コピーライト(半角英数)")).to_have_text("Copyright (c) Tea")
    expect(confirm_value(page, "自由メモ欄(全角)")).to_have_text("ご利用ありがとうございます")
    expect(confirm_value(page, "お支払い期限のお知らせメール")).to_have_text("送らない")
    both_widths(page, full_screenshot, "7-bank-confirm")
    saved(page, "bank")
    assert stored(live_shop, "bank")["row"] == {
        "days": 10, "connection_type": "ABD", "stores": "", "shop_name": "Ｔｅａ茶舗",
        "shop_name_kana": "ﾃｨｰﾁｬﾎ", "copyright": "Copyright (c) Tea",
        "free_memo": "ご利用ありがとうございます", "reminder_days": 0}

    # Opened again, the page shows what was saved.
    method_row(page, "bank").get_by_role("link", name="設定済").click()
    expect(page.get_by_label("支払期限日")).to_have_value("10")
    expect(page.get_by_label("店舗名(全角)")).to_have_value("Ｔｅａ茶舗")
    no_secret_in(page)
    both_widths(page, full_screenshot, "8-bank-edit")
