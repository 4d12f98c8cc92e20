"""商品画像 in the browser: the owner chooses a file in 商品の編集's 商品画像を追加 and 更新する; the
storefront's product page shows it as the main image, the list and the カゴ as a thumbnail.
Screenshots at 1280 and 390 px wide."""
import io

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

LOADED = "img => img.complete && img.naturalWidth > 0"


def photo(colour=(236, 150, 60), tall=False) -> bytes:
    """A landscape JPEG (orange with a dark band, 1600 × 1000), or a tall PNG."""
    image = Image.new("RGB", (1000, 1600) if tall else (1600, 1000), colour)
    ImageDraw.Draw(image).rectangle((0, 700, 1600, 820), fill=(70, 40, 20))
    out = io.BytesIO()
    image.save(out, format="PNG" if tall else "JPEG", quality=90)
    return out.getvalue()


def expect_loaded(page: Page, selector: str):
    image = page.locator(selector).first
    expect(image).to_be_visible()
    page.wait_for_function(LOADED, arg=image.element_handle())
    return image


def test_an_uploaded_image_shows_on_the_product_page_and_in_the_cart(
        page: Page, live_shop, sign_in, screenshot, full_screenshot):
    product_id = live_shop.new_product("demo", "焙じ茶ラテの素 200g", 1296)
    sign_in("owner@example.com")
    page.goto(f"{live_shop.url}/admin/products/{product_id}/edit")
    page.get_by_label("商品画像を追加").set_input_files(
        files=[{"name": "焙じ茶.jpg", "mimeType": "image/jpeg", "buffer": photo()},
               {"name": "memo.txt", "mimeType": "text/plain", "buffer": "説明".encode()}])
    page.get_by_label("商品説明").fill("香ばしい焙じ茶のラテ用パウダーです。")
    page.get_by_role("button", name="更新する").click()
    # the text file is refused by name, and what was typed stays
    expect(page.locator(".field.has-error")).to_contain_text(
        "「memo.txt」は画像として読み込めませんでした。")
    expect(page.get_by_label("商品説明")).to_have_value("香ばしい焙じ茶のラテ用パウダーです。")
    page.get_by_label("商品画像を追加").set_input_files(
        files=[{"name": "焙じ茶.jpg", "mimeType": "image/jpeg", "buffer": photo()},
               {"name": "縦長.png", "mimeType": "image/png", "buffer": photo((60, 90, 160), True)}])
    page.get_by_role("button", name="更新する").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "商品「焙じ茶ラテの素 200g」を更新しました。画像を2枚追加しました。")
    page.goto(f"{live_shop.url}/admin/products/{product_id}/edit")
    expect_loaded(page, "#product-images img.product-image")
    expect(page.locator("#product-images li").first).to_contain_text("メイン画像")
    page.locator("#product-images li").nth(1).get_by_role("button", name="先頭にする").click()
    expect(page.locator(".alert-success")).to_contain_text("メイン画像を変更しました。")
    page.locator("#product-images").scroll_into_view_if_needed()
    full_screenshot("admin-edit-1280")
    expect(page.locator("#product-images li").first.get_by_role(
        "button", name="先頭にする")).to_have_count(0)  # the main image already
    page.locator("#product-images li").first.get_by_role("button", name="1枚目を後へ").click()
    expect(page.locator(".alert-success")).to_contain_text("画像の順番を変更しました。")

    page.goto(live_shop.shop_url("demo", f"/products/{product_id}"))
    main = expect_loaded(page, ".product-gallery img.product-image-large")
    assert main.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [800, 500]
    box = main.bounding_box()
    assert 300 <= box["width"] <= 420  # beside the text, not the page's whole width
    heading = page.get_by_role("heading", name="焙じ茶ラテの素 200g").bounding_box()
    assert heading["x"] > box["x"] + box["width"]
    screenshot("product-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    main_box = main.bounding_box()
    assert main_box["width"] <= 390 and main_box["x"] >= 0
    assert page.get_by_role("heading", name="焙じ茶ラテの素 200g").bounding_box()["y"] > \
        main_box["y"] + main_box["height"] - 1  # under the image on a phone
    screenshot("product-390")

    page.get_by_role("button", name="カゴに入れる").click()
    thumb = expect_loaded(page, "#cart img.line-thumb")
    row = page.locator("#cart tbody tr", has=page.locator("img.line-thumb")).first
    expect(row).to_contain_text("焙じ茶ラテの素 200g")
    assert thumb.bounding_box()["width"] <= 50
    screenshot("cart-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#cart").scroll_into_view_if_needed()
    screenshot("cart-1280")

    page.goto(live_shop.shop_url("demo", "/"))
    card = page.locator(".product-card", has_text="焙じ茶ラテの素 200g")
    card.scroll_into_view_if_needed()
    expect_loaded(page, ".product-card:has-text('焙じ茶ラテの素 200g') img.product-image")
    # the demo products' drawn images load too
    expect_loaded(page, ".product-card:has-text('静岡煎茶') img.product-image")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot("list-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("list-390")
