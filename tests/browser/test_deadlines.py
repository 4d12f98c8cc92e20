"""Payment deadlines in the browser: 受注明細's オーソリ有効期限 (and the wording once it has
passed), 受注一覧's 期限 notes and the dashboard's オーソリ期限切れ間近 panel, at 1280 and 390 px
wide (docs/deadlines.md)."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cart import operations
from cart.extensions import db
from cart.models import Order, Payment, Shop

pytestmark = pytest.mark.browser

DAY = timedelta(days=1)
WIDTHS = {"desktop": 1280, "phone": 390}


def _orders(live_shop) -> dict:
    """Two authorisations of demo lapsing within 7 days, one far from it, one expired."""
    def create():
        shop = db.session.scalar(select(Shop).where(Shop.code == "demo"))
        now = operations.now()
        made = {}
        for key, number, total, kind, name, age in (
                ("soon", "dl-00001", 3000, "paidy", "あと払い(ペイディ)", 87),
                ("card", "dl-00002", 4500, "card", "クレジットカード決済", 55),
                ("far", "dl-00003", 2000, "paidy", "あと払い(ペイディ)", 30),
                ("expired", "dl-00004", 1500, "paidy", "あと払い(ペイディ)", 92)):
            order = Order(shop_id=shop.id, number=number, status="new", cart_type="zero",
                          buyer_name="期限 太郎", buyer_kana="キゲン タロウ", zip_code="150-0001",
                          prefecture="東京都", city="渋谷区", street="1-2-3", tel="0312345678",
                          email="kigen@example.com", delivery_name="宅配便", items_total=total,
                          total=total, payment_kind=kind, payment_name=name)
            db.session.add(order)
            db.session.flush()
            db.session.add(Payment(shop_id=shop.id, order_id=order.id, method=kind,
                                   reference=f"pay_{number}" if kind == "paidy" else None,
                                   paygent_payment_id=f"8{order.id:08d}", status="20",
                                   amount=total, authorized_at=now - age * DAY))
            made[key] = order.id
        db.session.commit()
        return made
    return live_shop.read(create)


def _both_widths(page, screenshot, label, shown=None):
    for name, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        if shown is not None:
            shown.scroll_into_view_if_needed()
        screenshot(f"{label}-{name}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_deadlines_on_the_order_page_the_list_and_the_dashboard(page, live_shop, sign_in,
                                                                screenshot):
    made = _orders(live_shop)
    sign_in("owner@example.com")

    page.goto(f"{live_shop.url}/admin/")
    panel = page.locator("#expiring")
    expect(panel.get_by_role("heading", name="オーソリ期限切れ間近の受注")).to_be_visible()
    expect(panel.locator("#expiring-count")).to_have_text("2件")
    expect(panel.locator("#expiring-total")).to_have_text("7,500円")
    expect(panel.locator("tbody tr").first).to_contain_text("dl-00001")
    expect(panel).not_to_contain_text("dl-00003")
    _both_widths(page, screenshot, "dashboard", panel)

    page.set_viewport_size({"width": 1280, "height": 900})
    panel.get_by_role("link", name="未処理一覧で売上確定する（2件）").click()
    expect(page.locator("#expiring-filter")).to_contain_text("7日以内に切れる受注のみ")
    rows = page.locator("#bulk-select tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="dl-00001")).to_contain_text("オーソリ期限 残り3日")

    page.goto(f"{live_shop.url}/admin/orders/")
    soon = page.locator("table.orders tbody tr").filter(has_text="dl-00001")
    expect(soon.locator(".deadline-note")).to_have_text("オーソリ期限 残り3日")
    expect(soon.locator(".deadline-note")).to_have_class("badge deadline-note badge-warn")
    expect(page.locator("table.orders tbody tr").filter(has_text="dl-00003")
           .locator(".deadline-note")).to_have_text("オーソリ期限 残り60日")
    expect(page.locator("table.orders tbody tr").filter(has_text="dl-00004")
           .locator(".deadline-note")).to_have_text("オーソリ期限 期限切れ")
    _both_widths(page, screenshot, "order-list", soon)
    page.set_viewport_size({"width": 390, "height": 900})   # the table scrolls sideways there
    page.locator("table.orders").evaluate("table => { table.scrollLeft = table.scrollWidth; }")
    soon.scroll_into_view_if_needed()
    expect(soon.locator(".deadline-note")).to_be_in_viewport()
    screenshot("order-list-phone-notes")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_shop.url}/admin/orders/{made['soon']}")
    expect(page.locator("#deadlines")).to_contain_text("まで（残り3日）")
    expect(page.locator("#captured-at")).to_have_text("キャプチャー(売上確定)を実施してください")
    _both_widths(page, screenshot, "order-page", page.locator("#payment-box"))

    page.goto(f"{live_shop.url}/admin/orders/{made['expired']}")
    expect(page.locator(".deadline-expired")).to_contain_text(
        "を過ぎたため、売上確定はできません。ペイジェント管理画面で状態をご確認のうえ、"
        "必要であればキャンセルしてください。")
    expect(page.get_by_role("button", name="売上確定")).to_have_count(0)
    expect(page.locator("#captured-at")).not_to_contain_text("キャプチャー")
    _both_widths(page, screenshot, "order-page-expired", page.locator("#payment-box"))
