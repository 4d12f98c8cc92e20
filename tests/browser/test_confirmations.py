"""The operator's confirmations: 売上確定 / 返金確定 on the 受注明細 and 一括処理を実行 ask once, naming
the 注文番号, the amount and the operation; dismissing sends nothing and leaves the button
usable; accepting sends exactly one telegram even on a double click. The bulk list keeps a
selection of which one order changed meanwhile, naming it. Screenshots at 1280 and 390 px."""
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart import operations
from cart.demo import make_paid_orders
from cart.extensions import db
from cart.models import Order, Payment, Shop
from payments.methods import CAPTURE

from conftest import accept_dialog

pytestmark = pytest.mark.browser

DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


def paid_order(live_shop, code: str) -> dict:
    """A new order of the shop paid through the sandbox (オーソリのみ, オーソリOK)."""
    def make():
        number = make_paid_orders(code, 1)[0]
        order = db.session.scalar(select(Order).join(Shop, Shop.id == Order.shop_id).where(
            Shop.code == code, Order.number == number))
        return {"id": order.id, "number": number, "amount": order.payment.amount,
                "payment_id": order.payment.paygent_payment_id}
    made = live_shop.read(make)
    made["merchant_id"] = live_shop.merchant_id(code)
    return made


def sent(live_shop, kind: str, order: dict) -> int:
    """How many telegrams of ``kind`` the sandbox received for the order's payment."""
    return len([t for t in live_shop.sandbox_store.telegrams(kind)
                if t["payment_id"] == order["payment_id"]
                and t["merchant_id"] == order["merchant_id"]])


def payment_status(live_shop, order_id: int) -> str:
    return live_shop.read(lambda: db.session.scalar(
        select(Payment.status).where(Payment.order_id == order_id)))


def wait_until(page: Page, condition, what: str, timeout: float = 10.0):
    """Poll ``condition`` while letting Playwright deliver its events (the dialogs)."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        page.wait_for_timeout(50)
    assert condition(), what


class Dialogs:
    """Answers every dialog as told and keeps what each one said."""

    def __init__(self, page: Page, accept: bool):
        page.remove_listener("dialog", accept_dialog)
        self.accept, self.messages = accept, []
        page.on("dialog", self._answer)

    def _answer(self, dialog):
        self.messages.append(dialog.message)
        dialog.accept() if self.accept else dialog.dismiss()


def test_order_page_confirms_capture_and_refund(page: Page, live_shop, sign_in, screenshot):
    order = paid_order(live_shop, "demo")
    sign_in("staff@example.com")
    page.goto(f"{live_shop.url}/admin/orders/{order['id']}")
    capture = page.locator("#payment-box").get_by_role("button", name="売上確定")
    dialogs = Dialogs(page, accept=False)

    # いいえ: nothing is sent, the payment is as it was, the button still works
    capture.click()
    wait_until(page, lambda: dialogs.messages, "no dialog")
    assert dialogs.messages == [f"注文番号 {order['number']} の売上確定（{order['amount']:,}円）"
                                "を実行します。よろしいですか？"]
    expect(capture).to_be_enabled()
    expect(page.locator("#payment-status")).to_have_text("オーソリOK")
    assert sent(live_shop, "341", order) == 0
    assert payment_status(live_shop, order["id"]) == "20"
    page.set_viewport_size(DESKTOP)
    screenshot("order-1280")
    page.set_viewport_size(PHONE)
    screenshot("order-390")
    page.set_viewport_size(DESKTOP)

    # はい, on a double click: asked once, one 341
    dialogs.accept = True
    capture.dblclick()
    expect(page.get_by_text("売上処理が正常に完了いたしました。")).to_be_visible()
    assert len(dialogs.messages) == 2
    assert sent(live_shop, "341", order) == 1
    assert payment_status(live_shop, order["id"]) == "40"

    # 返金確定 says which refund: the typed amount (full-width digits too)
    refund = page.locator("form.refund-form")
    refund.get_by_role("radio", name=re.compile(r"^一部")).check()
    refund.get_by_role("textbox", name="返金額").fill("１，０００")
    dialogs.accept = False
    refund.get_by_role("button", name="返金確定").click()
    wait_until(page, lambda: len(dialogs.messages) == 3, "no 返金 dialog")
    assert dialogs.messages[-1] == (
        f"注文番号 {order['number']} の返金確定（一部 1,000円 / 返金可能額 "
        f"{order['amount']:,}円）を実行します。よろしいですか？")
    expect(refund.get_by_role("button", name="返金確定")).to_be_enabled()
    assert sent(live_shop, "342", order) == 0
    refund.get_by_role("radio", name=re.compile(r"^全額")).check()
    refund.get_by_role("button", name="返金確定").click()
    wait_until(page, lambda: len(dialogs.messages) == 4, "no 全額 dialog")
    assert dialogs.messages[-1] == (f"注文番号 {order['number']} の返金確定（全額 "
                                    f"{order['amount']:,}円）を実行します。よろしいですか？")
    assert sent(live_shop, "342", order) == 0
    assert page.page_errors == []


def test_bulk_keeps_the_selection_names_the_changed_order_and_confirms_the_run(
        page: Page, live_shop, sign_in, screenshot):
    orders = [paid_order(live_shop, "demo3") for _ in range(3)]
    changed, kept = orders[1], [orders[0], orders[2]]
    sign_in("staff3@example.com")
    page.goto(f"{live_shop.url}/admin/bulk/")
    for o in orders:
        page.get_by_role("checkbox", name=f"{o['number']}を選択").check()
    expect(page.locator("#selected-count")).to_have_text("3")

    # captured from its 受注明細 by someone else while the list is open
    shop_id = live_shop.read(lambda: db.session.scalar(
        select(Order.shop_id).where(Order.id == changed["id"])))
    assert live_shop.read(lambda: operations.run(shop_id, changed["id"], CAPTURE).kind) == "done"

    page.get_by_role("button", name="処理対象を確定し次へ").click()
    expect(page.get_by_text(f"注文番号 {changed['number']} は他の操作で状態が変わったため"))\
        .to_be_visible()
    for o in kept:
        expect(page.get_by_role("checkbox", name=f"{o['number']}を選択")).to_be_checked()
    expect(page.get_by_role("checkbox", name=f"{changed['number']}を選択")).to_have_count(0)
    expect(page.locator("#selected-count")).to_have_text("2")
    page.set_viewport_size(DESKTOP)
    screenshot("bulk-dropped-1280")
    page.set_viewport_size(PHONE)
    screenshot("bulk-dropped-390")
    page.set_viewport_size(DESKTOP)

    page.get_by_role("button", name="処理対象を確定し次へ").click()
    page.get_by_role("button", name="処理内容を確認し次へ").click()
    expect(page.locator("#bulk-summary")).to_have_text("2件の受注に対して以下の処理を行います。")
    dialogs = Dialogs(page, accept=False)
    run = page.get_by_role("button", name="一括処理を実行")
    run.click()
    wait_until(page, lambda: dialogs.messages, "no dialog")
    total = sum(o["amount"] for o in kept)
    listed = "、".join(o["number"] for o in sorted(kept, key=lambda o: o["id"], reverse=True))
    assert dialogs.messages == [f"2件の受注（注文番号 {listed}）の売上確定処理（合計 {total:,}円）"
                                "を実行します。よろしいですか？"]
    expect(run).to_be_enabled()
    assert all(sent(live_shop, "341", o) == 0 for o in kept)

    dialogs.accept = True
    run.dblclick()
    expect(page.locator(".bulk-results")).to_be_visible(timeout=30_000)
    assert len(dialogs.messages) == 2
    assert [sent(live_shop, "341", o) for o in orders] == [1, 1, 1]
    assert page.page_errors == []
