"""帳票出力 in the browser: 受注明細 › 納品書 at 1280 and 390 px and as printed (the admin's menus
gone), then 領収書 with a 宛名 typed on the page; 受注一覧's CSVダウンロード downloads the file."""
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart.extensions import db
from cart.models import Order, OrderItem, Payment, Shop

pytestmark = pytest.mark.browser


def captured_order(live_shop) -> str:
    """A Paidy order whose payment is captured (消込済), two lines at 8% and 10%."""
    def create():
        demo = db.session.scalar(select(Shop).where(Shop.code == "demo"))
        now = datetime.now(timezone.utc)
        order = Order(shop_id=demo.id, number="order30001", status="new", cart_type="zero",
                      buyer_name="山田 太郎", buyer_kana="ヤマダ タロウ", zip_code="150-0001",
                      prefecture="東京都", city="渋谷区神宮前", street="1-2-3",
                      building="サンプルビル101", tel="0312345678", email="taro@example.com",
                      delivery_name="宅配便", payment_kind="paidy",
                      payment_name="あと払い(ペイディ)", items_total=5460, shipping_fee=800,
                      target10=4100, tax10=372, target8=2160, tax8=160, total=6260,
                      placed_at=now, created_at=now)
        db.session.add(order)
        db.session.flush()
        db.session.add_all([
            OrderItem(shop_id=demo.id, order_id=order.id, code="tea-001",
                      name="静岡煎茶 深蒸し 100g", unit_price=1080, quantity=2, tax_rate=8,
                      subtotal=2160),
            OrderItem(shop_id=demo.id, order_id=order.id, code="cup-001", name="有田焼 湯呑み",
                      unit_price=3300, quantity=1, tax_rate=10, subtotal=3300),
            Payment(shop_id=demo.id, order_id=order.id, method="paidy",
                    paygent_payment_id="200000901", status="40", amount=6260,
                    authorized_at=now - timedelta(hours=2), captured_at=now - timedelta(hours=1))])
        db.session.commit()
        return order.number
    return live_shop.read(create)


def test_delivery_note_and_receipt_print(page: Page, live_shop, sign_in, screenshot):
    number = captured_order(live_shop)
    sign_in("staff@example.com")
    page.get_by_role("link", name="受注管理").click()
    page.locator("table tbody tr").filter(has_text=number).get_by_role("link", name="明細").click()
    links = page.locator("#document-links")
    expect(links).to_contain_text("帳票出力")
    links.scroll_into_view_if_needed()
    screenshot("order-detail-links")

    links.get_by_role("link", name="納品書").click()
    expect(page.get_by_role("heading", name=f"納品書（注文番号：{number}）")).to_be_visible()
    note = page.locator("#delivery-note")
    expect(note.locator("#doc-total")).to_have_text("6,260円")
    expect(note.locator("#doc-taxes")).to_contain_text("8%対象2,160円消費税160円")
    expect(page.locator(".admin-nav")).to_be_visible()
    screenshot("delivery-note-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(note).to_be_visible()
    # the sheet fits the narrow screen (its lines scroll inside it, the page does not)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("delivery-note-390")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="print")
    expect(page.locator(".admin-nav")).to_be_hidden()
    expect(page.locator(".admin-header")).to_be_hidden()
    expect(page.locator(".doc-toolbar")).to_be_hidden()
    expect(note).to_be_visible()
    screenshot("delivery-note-print")
    page.emulate_media(media="screen")

    page.locator(".doc-toolbar").get_by_role("link", name="領収書").click()
    expect(page.locator("#receipt-amount")).to_contain_text("¥6,260-")
    page.get_by_label("宛名").fill("株式会社サンプル")
    page.get_by_label("敬称").select_option("御中")
    page.get_by_label("但し書き").fill("お茶代")
    page.get_by_role("button", name="宛名・但し書きを反映").click()
    expect(page.locator("#receipt-to")).to_have_text("株式会社サンプル 御中")
    expect(page.locator("#receipt-note")).to_have_text("但し お茶代として、上記正に領収いたしました。")
    screenshot("receipt-1280")
    page.emulate_media(media="print")
    expect(page.locator(".receipt-form")).to_be_hidden()
    screenshot("receipt-print")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("receipt-390")


def test_the_list_downloads_its_search_as_csv(page: Page, live_shop, sign_in, screenshot):
    number = captured_order(live_shop) if not live_shop.read(lambda: db.session.scalar(
        select(Order.id).where(Order.number == "order30001"))) else "order30001"
    sign_in("staff@example.com")
    page.get_by_role("link", name="受注管理").click()
    page.locator("summary", has_text="詳細検索フォーム").click()
    page.get_by_label("注文番号", exact=True).fill(number)
    page.get_by_role("button", name="上記条件で検索").click()
    expect(page.locator(".hit")).to_have_text("1-1番目表示 / 1件HIT")
    page.get_by_label("文字コード").select_option("utf8")
    screenshot("list-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#export-form").scroll_into_view_if_needed()
    screenshot("list-390")
    with page.expect_download() as download:
        page.get_by_role("button", name="CSVダウンロード").click()
    csv = download.value
    assert csv.suggested_filename.startswith("orders_") and csv.suggested_filename.endswith(".csv")
    body = open(csv.path(), "rb").read().decode("utf-8-sig").split("\r\n")
    assert body[0].startswith("注文番号,受注日時,対応状況,お名前")
    assert body[1].startswith(f"{number},") and body[2:] == [""]
