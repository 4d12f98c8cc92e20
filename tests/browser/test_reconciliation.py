"""照合レポート in a browser: a capture done on PAYGENT's admin site behind the shop's back is
found by 今すぐ照合する, listed with both 決済状況 (desktop and phone widths), and cleared by
「最新の状態を取得」 pressed on the report; a 094 that gets no answer is 確認できませんでした."""
import pytest
import requests
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart import jobs
from cart.extensions import db
from cart.models import Payment, Shop
from cart.models.base import utcnow
from payments.methods.paidy import PAIDY

pytestmark = pytest.mark.browser

NUMBER = "order95001"


def _control(live_shop, path: str, **body) -> dict:
    response = requests.post(f"{live_shop.url}/_sandbox/control/{path}", json=body,
                             headers={"X-Sandbox-Token": live_shop.sandbox_token}, timeout=10)
    response.raise_for_status()
    return response.json()


def test_a_payment_changed_at_paygent_is_reported_and_refreshed(page: Page, live_shop, sign_in,
                                                               screenshot):
    app = live_shop.app
    kept = {k: app.config[k] for k in ("RECONCILE_PER_ROUND", "RECONCILE_PAUSE_SECONDS")}
    app.config.update(RECONCILE_PER_ROUND=10, RECONCILE_PAUSE_SECONDS=0)
    paid = _control(live_shop, "payments", merchant_id=live_shop.merchant_id("demo"),
                    trading_id=NUMBER, amount=3280)

    def create_order():
        from cart.models import Order
        shop = db.session.scalar(select(Shop).where(Shop.code == "demo"))
        order = Order(shop_id=shop.id, number=NUMBER, status="new", cart_type="zero",
                      buyer_name="照合 花子", buyer_kana="ショウゴウ ハナコ", zip_code="1500001",
                      prefecture="東京都", city="渋谷区", street="1-2-3", tel="0312345678",
                      email="reconcile@example.com", delivery_name="宅配便",
                      payment_kind=PAIDY.code, payment_name=PAIDY.name, items_total=2480,
                      total=3280)
        db.session.add(order)
        db.session.flush()
        db.session.add(Payment(shop_id=shop.id, order_id=order.id, status="20", amount=3280,
                               method=PAIDY.code, paygent_payment_id=paid["payment_id"],
                               authorized_at=utcnow()))
        db.session.commit()
        return order.id
    order_id = live_shop.read(create_order)
    # on PAYGENT's admin site: 売上, with no 差分通知 reaching the shop
    _control(live_shop, f"payments/{paid['payment_id']}/change", action="capture",
             notify=False)
    try:
        sign_in("staff@example.com")
        page.goto(f"{live_shop.url}/admin/")
        page.get_by_role("navigation", name="メニュー").get_by_role(
            "link", name="照合レポート").click()
        expect(page.locator("#reconcile-summary")).to_contain_text("まだ照合していません")
        page.get_by_role("button", name="今すぐ照合する").click()
        expect(page.locator(".flash, .alert, [role=alert]").first).to_contain_text(
            "照合を開始しました")
        assert live_shop.read(lambda: jobs.wait_idle(20))
        page.reload()
        row = page.locator(f"#reconcile-{order_id}")
        expect(row).to_contain_text(NUMBER)
        expect(row).to_contain_text("オーソリOK")
        expect(row).to_contain_text("消込済")
        expect(row).to_contain_text("3,280円")
        expect(page.locator("#reconcile-summary")).to_contain_text("確認した決済")
        screenshot("report-1280")
        page.set_viewport_size({"width": 390, "height": 844})
        expect(row.get_by_role("button", name="最新の状態を取得")).to_be_visible()
        row.get_by_role("button", name="最新の状態を取得").scroll_into_view_if_needed()
        screenshot("report-390")
        page.set_viewport_size({"width": 1280, "height": 900})

        row.get_by_role("button", name="最新の状態を取得").click()
        expect(page.get_by_text("ペイジェントから最新の決済状況を取得しました（消込済）")).to_be_visible()
        expect(page.locator(f"#reconcile-{order_id}")).to_have_count(0)
        expect(page.get_by_text("決済状況が異なる受注はありません。")).to_be_visible()
        assert page.url.endswith("/admin/reconcile/")
        status = live_shop.read(lambda: db.session.scalar(
            select(Payment.status).where(Payment.order_id == order_id)))
        assert status == "40"

        # PAYGENT does not answer the next time: 確認できませんでした, in its own tab
        _control(live_shop, "faults", mode="drop", telegram_kind="094")
        page.get_by_role("button", name="今すぐ照合する").click()
        assert live_shop.read(lambda: jobs.wait_idle(20))
        page.get_by_role("link", name="確認できなかった受注").click()
        row = page.locator(f"#reconcile-{order_id}")
        expect(row).to_contain_text("確認できませんでした")
        expect(page.locator("#reconcile-summary")).to_contain_text("確認できませんでした1件")
        page.set_viewport_size({"width": 390, "height": 844})
        row.get_by_role("button", name="最新の状態を取得").scroll_into_view_if_needed()
        screenshot("unchecked-390")
    finally:
        app.config.update(kept)
