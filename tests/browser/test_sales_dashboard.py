"""ダッシュボードの売上集計 in the browser: the demo shop with a month of payments, at 1280 and
390 px; the charts fit the width, their bars tell their figures, the table opens."""
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart.extensions import db
from cart.models import Order, Payment, PaymentAttempt, Shop
from cart.models.base import utcnow

pytestmark = pytest.mark.browser

#: (days ago, method, amount, refunded later) — a month of the demo shop's payments
HISTORY = [(d, ("paidy", "card", "carrier", "conveni")[d % 4], 1080 * (1 + d % 7) + 800, d % 6 == 0)
           for d in range(0, 29)] + [(2, "card", 55000, False), (9, "paidy", 128000, False)]


def _history(shop_code: str) -> int:
    shop = db.session.scalar(select(Shop).where(Shop.code == shop_code))
    now = utcnow()
    captured_total = 0
    for n, (ago, method, amount, refund) in enumerate(HISTORY):
        at = now - timedelta(days=ago, minutes=5)
        order = Order(shop_id=shop.id, number=f"sales{n:04d}", status="completed",
                      cart_type="zero", buyer_name="集計 太郎", buyer_kana="シュウケイ タロウ",
                      zip_code="1500001", prefecture="東京都", city="渋谷区", street="1-2-3",
                      tel="0312345678", email="sales@example.com", delivery_name="宅配便",
                      payment_kind=method, payment_name=method, items_total=amount,
                      total=amount, created_at=at, placed_at=at)
        db.session.add(order)
        db.session.flush()
        payment = Payment(shop_id=shop.id, order_id=order.id, method=method, status="40",
                          paygent_payment_id=str(uuid.uuid4().int)[:9], amount=amount,
                          authorized_at=at, captured_at=at + timedelta(minutes=1))
        db.session.add(payment)
        db.session.flush()
        captured_total += amount
        if refund and method == "paidy":
            payment.amount -= 500
            payment.refunded = 500
            db.session.add(PaymentAttempt(
                shop_id=shop.id, key=uuid.uuid4().hex, payment_id=payment.id,
                order_id=order.id, action="refund", amount=500, outcome="succeeded",
                paygent_payment_id=payment.paygent_payment_id,
                created_at=at + timedelta(minutes=2), finished_at=at + timedelta(minutes=2)))
    db.session.commit()
    return captured_total


def test_the_sales_charts_at_desktop_and_phone_width(page: Page, live_shop, sign_in,
                                                    screenshot):
    captured = live_shop.read(lambda: _history("demo"))
    sign_in("staff@example.com")
    page.goto(f"{live_shop.url}/admin/")
    sales = page.locator("#sales")
    expect(sales.locator("h2")).to_have_text("売上集計")
    totals = sales.locator("table.sales-totals")
    expect(totals.locator("tr", has_text="売上（入金）").locator("td").last).to_have_text(
        f"{captured:,}円")
    bars = sales.locator("svg.chart-captured rect.bar")
    expect(bars).to_have_count(len(HISTORY))
    expect(sales.locator("svg.chart-flow polyline")).to_have_count(3)
    expect(sales.locator("ul.sales-legend").first).to_contain_text("クレジットカード決済")
    expect(page.locator("#open-work")).to_contain_text("入金待ち")
    assert "128,000円" in page.locator("svg.chart-captured").inner_html()

    page.set_viewport_size({"width": 1280, "height": 900})
    sales.scroll_into_view_if_needed()
    screenshot("desktop")
    box = sales.locator("svg.chart-captured").bounding_box()
    assert box["width"] > 600

    sales.locator("summary").click()
    expect(sales.locator("table.sales-table tbody tr")).to_have_count(30)
    screenshot("desktop-table")
    sales.locator("summary").click()

    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#open-work").scroll_into_view_if_needed()
    screenshot("phone-counts")
    sales.locator("svg.chart-captured").scroll_into_view_if_needed()
    screenshot("phone-chart")
    # nothing wider than the screen: the charts shrink with their viewBox
    for selector in ("svg.chart-captured", "svg.chart-flow", "table.sales-totals",
                     "#open-work"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
