"""Staff find a 差分通知 no order matched, and apply it with 再照合 once the order exists."""
import pytest
import requests
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart.extensions import db
from cart.models import OrderHistory, Payment, PaymentNotice, Shop
from payments.paygent.codec import encode_form
from payments.paygent.notices import notice_hash

pytestmark = pytest.mark.browser

HASH_KEY = "demo-hash-key-0001"
STRAY = {"payment_notice_id": "990001", "payment_id": "290000001",
         "trading_id": "order90001", "payment_type": "22", "payment_status": "40",
         "payment_amount": "3280", "paidy_payment_id": "pay_browser_stray"}


def test_an_unmatched_notice_is_found_from_the_dashboard_and_rematched(
        page: Page, live_shop, sign_in, screenshot):
    fields = {**STRAY, "hc": notice_hash(STRAY, HASH_KEY)}
    reply = requests.post(f"{live_shop.url}/notices/paygent/demo", data=encode_form(fields),
                          headers={"Content-Type": "application/x-www-form-urlencoded"},
                          timeout=10)
    assert reply.text == "result=0"

    sign_in("staff@example.com")
    page.goto(f"{live_shop.url}/admin/")
    warning = page.locator(".alert-warning")
    expect(warning).to_contain_text("受注を特定できなかった差分通知が1件あります。")
    screenshot("dashboard")
    warning.get_by_role("link", name="照合できない通知を確認する").click()
    row = page.locator("tr.row-attention", has_text="order90001")
    expect(row).to_contain_text("照合できません（要確認）")
    expect(row).to_contain_text("3,280円")
    expect(row).to_contain_text("消込済")
    screenshot("unmatched-tab")
    row.get_by_role("link").first.click()
    expect(page.locator("table.kv").last).to_contain_text("pay_browser_stray")

    # the order turns up (entered again by the shop); the notice can now be applied
    def create_order():
        from cart.models import Order
        shop = db.session.scalar(select(Shop).where(Shop.code == "demo"))
        order = Order(shop_id=shop.id, number="order90001", status="new", cart_type="zero",
                      buyer_name="照合 太郎", buyer_kana="ショウゴウ タロウ", zip_code="1500001",
                      prefecture="東京都", city="渋谷区", street="1-2-3", tel="0312345678",
                      email="match@example.com", delivery_name="宅配便", payment_kind="paidy",
                      payment_name="あと払い(ペイディ)", items_total=2480, total=3280)
        db.session.add(order)
        db.session.flush()
        db.session.add(Payment(shop_id=shop.id, order_id=order.id, status="20", amount=3280,
                               method="paidy", reference="pay_browser_stray",
                               paygent_payment_id="290000001"))
        db.session.commit()
        return order.id
    order_id = live_shop.read(create_order)

    page.get_by_role("button", name="再照合").dblclick()
    expect(page.locator(".alert-success")).to_have_text("再照合しました：反映しました")
    expect(page.locator("table.kv").first).to_contain_text("反映しました")
    screenshot("rematched")

    def booked():
        notice = db.session.scalar(select(PaymentNotice).where(
            PaymentNotice.payment_notice_id == "990001"))
        lines = db.session.scalars(select(OrderHistory.text).where(
            OrderHistory.order_id == order_id)).all()
        status = db.session.scalar(select(Payment.status).where(Payment.order_id == order_id))
        return notice.outcome, status, [t for t in lines if "差分通知" in t]
    outcome, status, lines = live_shop.read(booked)
    assert (outcome, status) == ("applied", "40")
    assert len(lines) == 1  # a double click applies it once

    page.get_by_role("link", name="order90001").click()
    expect(page.locator("body")).to_contain_text("照合 太郎")
