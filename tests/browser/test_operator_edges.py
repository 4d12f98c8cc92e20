"""Rough edges a new shop operator and a shopper hit (issue 18), seen in real pages at 1280 and
390 px: 必須 marks and red errors on the one-page form, the cart's stock message, a rejected
Paidy payment in 変更履歴, and the 差分通知 pages' vocabulary."""
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart.extensions import db
from cart.models import Product
from test_checkout import (REJECTED_EMAIL, choose, fill_buyer, modal, open_modal, put_in_cart,
                           through_to_confirm)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _both_widths(page: Page, screenshot, label: str):
    screenshot(f"{label}-1280")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(f"{label}-390")
    page.set_viewport_size(DESKTOP)


def _color(locator) -> str:
    return locator.evaluate("e => getComputedStyle(e).color")


def test_the_one_page_form_marks_required_fields_and_says_errors_in_red(page: Page, live_shop,
                                                                         full_screenshot):
    product = live_shop.new_product("demo", "玉露 必須表示", 1620, stock=3)
    put_in_cart(page, live_shop, "demo", product, 2)
    page.get_by_role("button", name="注文確認する").click()

    banner = page.locator(".alert-error", has_text="赤字の項目をご確認ください")
    expect(banner).to_be_visible()
    for label in ("氏名", "郵便番号", "メールアドレス"):
        expect(page.locator(".field", has=page.get_by_label(label, exact=True))
               .locator(".required-mark")).to_have_text("必須")
    expect(page.locator(".field", has=page.get_by_label("建物", exact=True))
           .locator(".required-mark")).to_have_count(0)
    for block in ("#delivery", "#payment"):
        expect(page.locator(f"{block} legend .required-mark")).to_have_text("必須")
        error = page.locator(f"{block} .error")
        expect(error).to_be_visible()
        assert _color(error) == _color(banner)  # red, as the banner says
    _both_widths(page, full_screenshot, "1-required")

    # sold meanwhile: the cart says how many are left and the order goes no further
    def sell():
        db.session.scalar(select(Product).where(Product.id == product)).stock = 1
        db.session.commit()
    live_shop.read(sell)
    fill_buyer(page)
    choose(page)
    page.get_by_role("button", name="注文確認する").click()
    expect(page.locator(".store-main .alert-error").first).to_contain_text(
        "「玉露 必須表示」の在庫が不足しています（残り1点）。数量を変更してください。")
    expect(page.locator("#cart .stock-short")).to_have_text("在庫が不足しています（残り1点）。")
    expect(page.get_by_label("氏名", exact=True)).to_have_value("山田 太郎")  # nothing lost
    _both_widths(page, full_screenshot, "2-stock")


def test_staff_read_a_rejected_payment_and_the_notices_in_one_vocabulary(page: Page, live_shop,
                                                                          sign_in,
                                                                          full_screenshot):
    product = live_shop.new_product("demo", "煎茶 否認履歴", 1080)
    put_in_cart(page, live_shop, "demo", product)
    fill_buyer(page, メールアドレス=REJECTED_EMAIL)
    choose(page)
    page.get_by_role("button", name="注文確認する").click()
    open_modal(page, "ペイディで支払う", "1,880円")
    through_to_confirm(page, REJECTED_EMAIL)
    modal(page).get_by_role("button", name="お支払いを確定").click()
    modal(page).get_by_role("button", name="他の支払い方法を選ぶ").click()
    expect(modal(page)).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/s/demo/cart#payment$"))  # back at the choice
    [order] = live_shop.orders_with(product)

    sign_in("staff@example.com")
    page.goto(f"{live_shop.url}/admin/orders/{order['id']}")
    expect(page.get_by_text(
        "ペイディでのお支払いが承認されませんでした（購入者には他のお支払い方法をご案内しました）"
        "（注文は決済処理中のままです）", exact=False).first).to_be_visible()
    amount = page.locator("table.grid td.num", has_text="1,880円")
    _both_widths(page, full_screenshot, "3-history")
    page.set_viewport_size(PHONE)
    lines = amount.first.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }")
    assert lines == 1  # 「1,880円」 on one line, not 「1,880」 over 「円」
    page.set_viewport_size(DESKTOP)

    page.goto(f"{live_shop.url}/admin/notices/")
    header = page.locator("table.grid thead")
    expect(header).to_contain_text("注文番号")
    expect(header).to_contain_text("取引ID")
    expect(header).not_to_contain_text("決済ID")
    _both_widths(page, full_screenshot, "4-notices")


def test_removing_a_stored_card_asks_first_and_a_no_keeps_it(page: Page, live_shop,
                                                              screenshot):
    """マイページ › 登録カード's 削除 asks through confirm-action.js (no inline handler:
    the same script the admin's strict CSP allows), and 「キャンセル」 sends nothing."""
    from test_checkout import field
    from conftest import accept_dialog
    page.goto(live_shop.shop_url("demo", "/member/login"))
    field(page, "メールアドレス").fill("member@example.com")
    field(page, "パスワード").fill("demo1234")
    page.get_by_role("button", name="ログイン").click()
    page.goto(live_shop.shop_url("demo", "/member/cards"))
    card = page.locator(".stored-card").first
    expect(card).to_be_visible()
    label = card.locator("strong").inner_text()
    asked = []
    page.remove_listener("dialog", accept_dialog)

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()
    page.on("dialog", dismiss)
    card.get_by_role("button", name="削除").click()
    expect(page.locator(".stored-card").first).to_contain_text(label)
    assert asked == [f"このカード（{label}）を削除します。よろしいですか？"]
    expect(card.get_by_role("button", name="削除")).to_be_enabled()  # still usable
    _both_widths(page, screenshot, "cards")
