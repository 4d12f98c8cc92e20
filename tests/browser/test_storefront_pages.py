"""The storefront at desktop width and on a phone (390 px): 商品一覧, the product page, the
zero-step cart's one page (the Paidy banner at its widest), the three-step cart up to
ご注文内容の確認 and ご注文完了, the footer and its 特定商取引法に基づく表記 and プライバシーポリシー,
and the owner writing the 特定商取引法 page in the admin (errors, 確認画面, 戻る, 設定する).

On every page nothing sticks out of the phone's screen sideways and a long product name keeps
a readable width. Full-page screenshots are saved as ``storefront-<page>-<width>.png``."""
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart.extensions import db
from cart.models import PaymentMethod, Shop
from tests.browser.test_checkout import (BANK, COURIER, PAIDY, choose, expect_completed,
                                         fill_buyer, put_in_cart)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LONG_NAME = "有機栽培 静岡県産 深蒸し煎茶 特上 100g ティーバッグ付き"
#: elements whose right edge passes the viewport and that no scrolling box holds
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const right = el.getBoundingClientRect().right;
    if (right <= width + 0.5) continue;
    let p = el.parentElement, held = false;
    for (; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') { held = true; break; }
    }
    if (!held) out.push(`${el.tagName.toLowerCase()}.${el.className} +${Math.round(right - width)}px`);
  }
  return out;
}"""


def both_widths(page: Page, name: str, names: str | None = None) -> None:
    """Full-page screenshots at 1280 and 390 px. At 390 the page is no wider than the screen,
    and each element matching ``names`` (a product name) is at least 8 characters wide."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, viewport in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SCREENSHOTS / f"storefront-{name}-{label}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    assert page.evaluate(OVERFLOWING) == [], name
    if names:
        boxes = page.locator(names)
        assert boxes.count() > 0, names
        em = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        for i in range(boxes.count()):
            width = boxes.nth(i).evaluate("el => el.getBoundingClientRect().width")
            assert width >= 8 * em, f"{name}: {names} is {width:.0f}px wide at 390 px"
    page.set_viewport_size(DESKTOP)


def footer(page: Page, shop_name: str):
    box = page.locator("footer.store-footer")
    expect(box.get_by_role("link", name="特定商取引法に基づく表記")).to_be_visible()
    expect(box.get_by_role("link", name="プライバシーポリシー")).to_be_visible()
    expect(box).to_contain_text(f"© {shop_name}")
    return box


def widest_paidy_banner(live_shop, shop_code: str) -> None:
    def change():
        shop_id = db.session.scalar(select(Shop.id).where(Shop.code == shop_code))
        method = db.session.scalar(select(PaymentMethod).where(
            PaymentMethod.shop_id == shop_id, PaymentMethod.kind == "paidy"))
        method.banner = "728x90"
        db.session.commit()
    live_shop.read(change)


def test_zero_step_shop_reads_well_at_390(page: Page, live_shop):
    product_id = live_shop.new_product("demo", LONG_NAME, 3240)
    widest_paidy_banner(live_shop, "demo")

    page.goto(live_shop.shop_url("demo"))
    expect(page.get_by_role("heading", name="商品一覧")).to_be_visible()
    footer(page, "サンプル商会")
    both_widths(page, "index", ".product-card .product-name")

    page.get_by_role("link", name=LONG_NAME).click()
    expect(page.get_by_role("heading", name=LONG_NAME)).to_be_visible()
    both_widths(page, "product", ".product-detail h1")

    put_in_cart(page, live_shop, "demo", product_id, quantity=2)
    fill_buyer(page)
    choose(page, COURIER, PAIDY)
    banner = page.locator("img.paidy-banner")
    expect(banner).to_be_visible()
    both_widths(page, "zero-step-cart", "#cart tbody td:first-child")
    page.set_viewport_size(PHONE)
    right = banner.evaluate("el => el.getBoundingClientRect().right")
    assert right <= page.evaluate("document.documentElement.clientWidth")
    page.set_viewport_size(DESKTOP)

    # the footer's pages, as the demo shop wrote them
    footer(page, "サンプル商会").get_by_role("link", name="特定商取引法に基づく表記").click()
    expect(page.get_by_role("heading", name="特定商取引法に基づく表記")).to_be_visible()
    row = page.locator(".legal-table tr").filter(has=page.locator("th", has_text="販売業者"))
    expect(row.locator("td")).to_have_text("サンプル商会")
    expect(page.locator(".legal-table th")).to_have_count(14)
    both_widths(page, "tokushoho", ".legal-table td")
    page.set_viewport_size(PHONE)
    # on a phone each item's name sits above its text, which has the screen's width
    th, td = (page.locator(".legal-table tr").first.locator(tag) for tag in ("th", "td"))
    assert th.evaluate("el => el.getBoundingClientRect().bottom") <= \
        td.evaluate("el => el.getBoundingClientRect().top") + 1
    page.set_viewport_size(DESKTOP)

    footer(page, "サンプル商会").get_by_role("link", name="プライバシーポリシー").click()
    expect(page.get_by_role("heading", name="プライバシーポリシー")).to_be_visible()
    expect(page.locator(".legal-text")).to_contain_text("2. 利用目的")
    both_widths(page, "privacy")


def test_three_step_cart_to_completion_reads_well_at_390(page: Page, live_shop):
    product_id = live_shop.new_product("demo3", LONG_NAME, 5400, tax_rate=10)
    put_in_cart(page, live_shop, "demo3", product_id)
    footer(page, "サンプル茶房（3ステップ）")
    both_widths(page, "three-step-cart", "#cart tbody td:first-child")

    page.get_by_role("button", name="注文手続きへ").click()
    fill_buyer(page)
    both_widths(page, "step1")
    page.get_by_role("button", name="次へ").click()
    choose(page, COURIER, BANK)
    both_widths(page, "step2")
    page.get_by_role("button", name="次へ").click()
    expect(page.get_by_role("heading", name="ご注文内容の確認")).to_be_visible()
    both_widths(page, "confirm", ".store-main table.grid tbody td:first-child")

    page.get_by_role("button", name="注文する").click()
    expect_completed(page, live_shop, "demo3")
    footer(page, "サンプル茶房（3ステップ）")
    both_widths(page, "complete")


def test_owner_writes_the_tokushoho_page_through_its_confirm_page(page: Page, live_shop, sign_in):
    sign_in("owner3@example.com")
    page.get_by_role("link", name="特定商取引法・プライバシーポリシー").click()
    expect(page.get_by_role("heading", name="特定商取引法に基づく表記")).to_be_visible()
    page.get_by_label("販売業者").fill("")
    page.get_by_label("電話番号").fill("03-12")
    page.get_by_role("button", name="確認画面へ").click()
    expect(page.locator(".field.has-error .error")).to_have_text([
        "販売業者を入力してください。",
        "電話番号は市外局番から半角数字とハイフンで入力してください（例：03-1234-5678）。"])
    both_widths(page, "admin-tokushoho-errors")
    page.get_by_label("販売業者").fill("株式会社サンプル茶房")
    page.get_by_label("電話番号").fill("０３－５５５５－６６６６")
    page.get_by_role("button", name="確認画面へ").click()
    expect(page.get_by_role("heading", name="特定商取引法に基づく表記の確認")).to_be_visible()
    both_widths(page, "admin-tokushoho-confirm")
    page.get_by_role("link", name="戻る").click()
    expect(page.get_by_label("販売業者")).to_have_value("株式会社サンプル茶房")
    page.get_by_role("button", name="確認画面へ").click()
    page.get_by_role("button", name="設定する").click()
    expect(page.locator(".alert-success")).to_have_text("特定商取引法に基づく表記を設定しました。")

    page.goto(live_shop.shop_url("demo3", "/tokushoho"))
    row = page.locator(".legal-table tr").filter(has=page.locator("th", has_text="電話番号"))
    expect(row.locator("td")).to_have_text("03-5555-6666")
    expect(page.locator(".legal-table td").first).to_have_text("株式会社サンプル茶房")
