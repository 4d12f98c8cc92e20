"""A shopper's checkout through real pages: the cart, the Paidy modal, the completion page.

The whole shop runs on a real port with the sandbox mounted at ``/_sandbox`` (``live_shop``):
the modal is the sandbox's look-alike, the 343 check goes to the sandbox over HTTP, and the
sandbox's 差分通知 come back to the same server. Each test buys a product made for it.
"""
import re
import time

import pytest
from playwright.sync_api import Page, expect

from cart.methods.paidy import FEE_UNDETERMINED_MESSAGE, PAIDY_NOTE
from cart.methods.paidy.checkout import CLOSED_MESSAGE, REJECTED_MESSAGE
from cart.mail import COPY_PREFIX
from payments.methods import paidy as st

pytestmark = pytest.mark.browser

MODAL = "#paidy-sandbox-modal"
APPROVED_EMAIL = "successful.payment@paidy.com"
REJECTED_EMAIL = "rejected.payment@paidy.com"
SHOP_MAIL = {"demo": "owner@example.com", "demo3": "owner3@example.com"}
BUYER = {
    "氏名": "山田 太郎",
    "氏名(フリガナ)": "ヤマダ タロウ",
    "郵便番号": "150-0001",
    "市区町村": "渋谷区神宮前",
    "番地": "1-2-3",
    "建物": "サンプルビル101",
    "TEL": "03-1234-5678",
    "携帯電話番号": "090-1234-5678",
    "メールアドレス": APPROVED_EMAIL,
}
PREFECTURE = "東京都"
COURIER = "宅配便"
FREIGHT = "大型配送"
PAIDY = "あと払い(ペイディ)"
BANK = "銀行振込"
ORDER_NUMBER = re.compile(r"order\d{5}")


# -- what the shopper does ---------------------------------------------------------------
def put_in_cart(page: Page, live_shop, shop_code: str, product_id: int, quantity: int = 1):
    page.goto(live_shop.shop_url(shop_code, f"/products/{product_id}"))
    page.get_by_label("数量").fill(str(quantity))
    page.get_by_role("button", name="カゴに入れる").click()
    expect_at(page, live_shop, shop_code, "/cart")


def expect_at(page: Page, live_shop, shop_code: str, path: str, fragment: str = ""):
    """On this page; a fragment, if not given, may linger from the page posted from."""
    ending = re.escape(fragment) if fragment else "(#.*)?"
    expect(page).to_have_url(re.compile(re.escape(live_shop.shop_url(shop_code, path)) + ending
                                        + "$"))


def expect_confirmation(page: Page, live_shop, shop_code: str):
    """ご注文内容の確認, the answer of the form that completed the order's details (no
    redirect, no second request), at its own URL (the page sets it: a reload is a GET)."""
    expect_at(page, live_shop, shop_code, "/checkout/confirm")
    expect(page.get_by_role("heading", name="ご注文内容の確認")).to_be_visible()


def field(page: Page, label: str):
    return page.get_by_label(label, exact=True)


def fill_buyer(page: Page, **changes):
    """Type the 購入者情報; ``changes`` maps a label to another value."""
    values = {**BUYER, **changes}
    for label, value in values.items():
        field(page, label).fill(value)
    field(page, "都道府県").select_option(PREFECTURE)


# How a page shows the buyer's input again once the form has taken it: numbers as digits
# only (the confirmation page still shows 〒150-0001).
SAVED = {"郵便番号": "1500001", "TEL": "0312345678", "携帯電話番号": "09012345678"}


def expect_buyer_kept(page: Page, **changes):
    values = {**BUYER, **changes}
    for label, value in values.items():
        expect(field(page, label)).to_have_value(value)
    expect(field(page, "都道府県")).to_have_value(PREFECTURE)


def choose(page: Page, delivery: str = COURIER, payment: str = PAIDY):
    page.get_by_role("radio", name=delivery).check()
    page.get_by_role("radio", name=payment).check()


def payment_error(page: Page):
    return page.locator("#payment .error")


def field_error(page: Page, label: str):
    return page.locator(".field", has=field(page, label)).locator(".error")


def flash(page: Page):
    """The message after Paidy: beside お支払い方法 on the zero-step page, at the top otherwise."""
    return page.locator(".store-main .alert")


def modal(page: Page):
    return page.locator(MODAL)


def open_modal(page: Page, button: str, total: str):
    page.get_by_role("button", name=button).click()
    box = modal(page)
    expect(box).to_be_visible()
    expect(box.locator(".psb-amount-top")).to_contain_text(total.replace("円", ""))
    return box


def through_to_confirm(page: Page, email: str = APPROVED_EMAIL):
    """Contact, SMS code and plan steps of the modal, up to 「お支払いを確定」."""
    box = modal(page)
    expect(box.get_by_label("メールアドレス")).to_have_value(email)
    expect(box.get_by_label("携帯電話番号")).to_have_value("09012345678")
    box.get_by_role("button", name="次へ").click()
    expect(box.get_by_text("090-1234-5678に届いた4桁の認証コードを入力してください")).to_be_visible()
    box.get_by_label("認証コード").fill("8888")
    box.get_by_role("button", name="次へ").click()
    box.locator(".psb-option").filter(has_text="翌月あと払い").get_by_role(
        "button", name="選択").click()
    expect(box.get_by_text("お支払い内容の確認")).to_be_visible()


def pay_in_modal(page: Page):
    through_to_confirm(page)
    box = modal(page)
    box.get_by_role("button", name="お支払いを確定").click()
    expect(box.get_by_text("ありがとうございました")).to_be_visible()


def expect_completed(page: Page, live_shop, shop_code: str) -> str:
    """The completion page; returns the order number it shows."""
    expect_at(page, live_shop, shop_code, "/checkout/complete")
    expect(page.get_by_role("heading", name="ご注文ありがとうございました！")).to_be_visible()
    number = page.locator("#order-number").inner_text()
    assert ORDER_NUMBER.fullmatch(number), number
    expect(page.locator(".order-number")).to_have_text(f"注文番号：{number}")
    expect(page.get_by_role("link", name="商品ページへ戻る")).to_have_attribute(
        "href", f"/s/{shop_code}/")
    return number


def grand_total(page: Page) -> str:
    return page.locator("tr.grand td").inner_text()


# -- what the shop stored ----------------------------------------------------------------
def only_order(live_shop, product_id: int) -> dict:
    orders = live_shop.orders_with(product_id)
    assert len(orders) == 1, [(o["number"], o["status"]) for o in orders]
    return orders[0]


def assert_thanks_mails(order: dict, shop_code: str):
    assert [to for to, _ in order["mails"]] == [order["email"], SHOP_MAIL[shop_code]]
    (_, subject), (_, copy) = order["mails"]
    assert subject and copy == COPY_PREFIX + subject


def assert_paid_with_paidy(live_shop, shop_code: str, order: dict):
    assert order["status"] == "new" and order["placed_at"] is not None
    assert order["payment_kind"] == "paidy"
    payment = order["payment"]
    assert payment is not None
    assert payment["reference"].startswith("pay_")
    assert payment["amount"] == order["total"] and payment["status"] == st.AUTHORIZED
    # Accepted once, whichever came first: the modal's callback or the 差分通知.
    assert sum("オーソリOK" in line for line in order["history"]) == 1, order["history"]
    assert_thanks_mails(order, shop_code)
    [at_sandbox] = live_shop.sandbox_payments(shop_code, order["number"])
    assert at_sandbox["status"] == st.AUTHORIZED == "20"
    assert at_sandbox["amount"] == order["total"]
    assert at_sandbox["paidy_payment_id"] == payment["reference"]
    assert str(at_sandbox["payment_id"]) == payment["paygent_payment_id"]


def assert_notice_delivered(live_shop, shop_code: str, order: dict, timeout: float = 5.0):
    """The sandbox's オーソリOK 差分通知 reached the shop, which answered result=0."""
    deadline = time.monotonic() + timeout
    while True:
        notices = live_shop.sandbox_notices(shop_code, order["number"])
        if notices and all(n["acknowledged"] for n in notices):
            break
        assert time.monotonic() < deadline, f"notices not acknowledged: {notices}"
        time.sleep(0.1)
    received = live_shop.received_notices(order["id"])
    assert [n["payment_status"] for n in received] == [st.AUTHORIZED], received


# -- the flows -----------------------------------------------------------------------------
def test_zero_step_cart_paid_with_paidy(page: Page, live_shop, screenshot):
    product = live_shop.new_product("demo", "煎茶 ゼロステップ試験", 1620)
    stock = live_shop.stock(product)
    put_in_cart(page, live_shop, "demo", product, 2)

    # One page: the cart, the buyer, delivery and payment.
    expect(page.get_by_role("heading", name="ご注文手続き")).to_be_visible()
    expect(page.locator("#cart")).to_contain_text("煎茶 ゼロステップ試験")
    expect(page.locator("#cart tfoot")).to_contain_text("3,240円")
    fill_buyer(page)
    choose(page)
    expect(page.locator("#payment .method-note")).to_have_text(PAIDY_NOTE)
    screenshot("1-order-form")
    requests = []
    page.on("request", lambda r: requests.append((r.method, r.url)) if r.resource_type ==
            "document" else None)
    page.get_by_role("button", name="注文確認する").click()

    # 注文確認: the Paidy note and the total (3,240 + 800 shipping), the answer of one POST;
    # a reload asks for it again with a GET, re-posting nothing.
    expect_confirmation(page, live_shop, "demo")
    assert requests == [("POST", live_shop.shop_url("demo", "/cart"))]
    page.reload()
    expect_confirmation(page, live_shop, "demo")
    assert requests[1:] == [("GET", live_shop.shop_url("demo", "/checkout/confirm"))]
    expect(page.locator(".paidy-note")).to_have_text(PAIDY_NOTE)
    assert grand_total(page) == "4,040円"
    expect(page.get_by_role("cell", name="山田 太郎（ヤマダ タロウ）")).to_be_visible()
    expect(page.get_by_role("cell", name=PAIDY, exact=True)).to_be_visible()
    screenshot("2-confirm")

    box = open_modal(page, "ペイディで支払う", "4,040円")
    expect(box.get_by_text("サンプル商会")).to_be_visible()
    [pending] = live_shop.orders_with(product)
    assert pending["status"] == "pending_payment" and pending["payment"] is None
    screenshot("3-modal")
    pay_in_modal(page)

    number = expect_completed(page, live_shop, "demo")
    screenshot("4-complete")
    order = only_order(live_shop, product)
    assert order["number"] == number == pending["number"]
    assert (order["total"], order["shipping_fee"], order["cart_type"]) == (4040, 800, "zero")
    assert (order["buyer_name"], order["zip_code"], order["mobile"]) == (
        "山田 太郎", "150-0001", "09012345678")
    assert order["items"] == [(product, 2, 3240)]
    assert_paid_with_paidy(live_shop, "demo", order)
    assert live_shop.stock(product) == stock - 2
    assert_notice_delivered(live_shop, "demo", order)

    # The cart is empty afterwards.
    page.get_by_role("link", name="商品ページへ戻る").click()
    expect_at(page, live_shop, "demo", "/")
    page.goto(live_shop.shop_url("demo", "/cart"))
    expect(page.get_by_text("カゴに商品が入っていません。")).to_be_visible()


def test_three_step_cart_paid_with_paidy(page: Page, live_shop, screenshot):
    product = live_shop.new_product("demo3", "玉露 3ステップ試験", 3240)
    put_in_cart(page, live_shop, "demo3", product)

    expect(page.get_by_role("heading", name="カゴの中身")).to_be_visible()
    expect(page.locator("#cart")).to_contain_text("玉露 3ステップ試験")
    page.get_by_role("button", name="注文手続きへ").click()

    # Step 1: 購入者情報.
    expect_at(page, live_shop, "demo3", "/checkout/step1")
    expect(page.locator(".steps .current")).to_have_text("Step 1 購入者情報")
    fill_buyer(page)
    page.get_by_role("button", name="次へ").click()

    # Step 2: 配送方法 and お支払い方法.
    expect_at(page, live_shop, "demo3", "/checkout/step2")
    expect(page.locator(".steps .current")).to_have_text("Step 2 お支払い方法")
    choose(page)
    screenshot("1-step2")
    page.get_by_role("button", name="次へ").click()

    # Step 3: the confirmation, ordered with 「注文する」 through the modal.
    expect_confirmation(page, live_shop, "demo3")
    expect(page.locator(".steps .current")).to_have_text("Step 3 ご注文内容の確認")
    expect(page.locator(".paidy-note")).to_have_text(PAIDY_NOTE)
    assert grand_total(page) == "4,040円"
    screenshot("2-step3")
    box = open_modal(page, "注文する", "4,040円")
    expect(box.get_by_text("サンプル茶房（3ステップ）")).to_be_visible()
    pay_in_modal(page)

    number = expect_completed(page, live_shop, "demo3")
    screenshot("3-complete")
    order = only_order(live_shop, product)
    assert order["number"] == number
    assert (order["total"], order["cart_type"]) == (4040, "three")
    assert_paid_with_paidy(live_shop, "demo3", order)
    assert_notice_delivered(live_shop, "demo3", order)


def test_rejected_paidy_then_bank_transfer_reuses_the_order(page: Page, live_shop, screenshot):
    product = live_shop.new_product("demo", "抹茶 否認試験", 2160)
    stock = live_shop.stock(product)
    put_in_cart(page, live_shop, "demo", product)
    fill_buyer(page, メールアドレス=REJECTED_EMAIL)
    choose(page)
    page.get_by_role("button", name="注文確認する").click()
    assert grand_total(page) == "2,960円"
    open_modal(page, "ペイディで支払う", "2,960円")
    through_to_confirm(page, REJECTED_EMAIL)
    box = modal(page)
    box.get_by_role("button", name="お支払いを確定").click()
    expect(box.get_by_text("今回のお支払いは承認されませんでした")).to_be_visible()
    screenshot("1-rejected")
    box.get_by_role("button", name="他の支払い方法を選ぶ").click()

    # Back on the payment choice, told why, with everything typed still there.
    expect(modal(page)).to_have_count(0)
    expect_at(page, live_shop, "demo", "/cart", "#payment")
    expect(flash(page)).to_have_text(REJECTED_MESSAGE)
    expect(flash(page)).to_be_in_viewport()
    expect_buyer_kept(page, **SAVED, メールアドレス=REJECTED_EMAIL)
    expect(page.get_by_role("radio", name=COURIER)).to_be_checked()
    screenshot("2-back-to-choice")
    [pending] = live_shop.orders_with(product)
    assert pending["status"] == "pending_payment" and pending["payment"] is None
    assert pending["mails"] == []
    assert live_shop.sandbox_payments("demo", pending["number"]) == []

    # Paid by bank transfer instead.
    page.get_by_role("radio", name=BANK).check()
    page.get_by_role("button", name="注文確認する").click()
    expect_confirmation(page, live_shop, "demo")
    expect(page.get_by_role("cell", name=BANK, exact=True)).to_be_visible()
    expect(page.locator(".paidy-note")).to_have_count(0)
    assert grand_total(page) == "2,960円"
    page.get_by_role("button", name="注文する").click()

    number = expect_completed(page, live_shop, "demo")
    screenshot("3-complete")
    order = only_order(live_shop, product)
    assert order["number"] == number == pending["number"]
    assert (order["status"], order["payment_kind"]) == ("new", "bank_transfer")
    assert order["payment"] is None and order["total"] == 2960
    assert any("再作成" in line for line in order["history"]), order["history"]
    assert any("受注（銀行振込）" in line for line in order["history"]), order["history"]
    assert_thanks_mails(order, "demo")
    assert order["mails"][0][0] == REJECTED_EMAIL
    assert live_shop.stock(product) == stock - 1  # reserved once, not twice


def test_closed_modal_then_retried_and_paid(page: Page, live_shop, screenshot):
    product = live_shop.new_product("demo3", "湯呑み 中断試験", 3300, tax_rate=10)
    put_in_cart(page, live_shop, "demo3", product)
    page.get_by_role("button", name="注文手続きへ").click()
    fill_buyer(page)
    page.get_by_role("button", name="次へ").click()
    choose(page)
    page.get_by_role("button", name="次へ").click()
    assert grand_total(page) == "4,100円"
    box = open_modal(page, "注文する", "4,100円")
    box.get_by_role("button", name="次へ").click()  # on to the SMS code, then give up
    box.get_by_role("button", name="ペイディの画面を閉じる").click()
    expect(box.get_by_text("閉じるとお支払いが中断されます。")).to_be_visible()
    screenshot("1-confirm-close")
    box.get_by_role("button", name="OK").click()

    # Back on Step 2 with a message, the choice still made.
    expect(modal(page)).to_have_count(0)
    expect_at(page, live_shop, "demo3", "/checkout/step2")
    expect(flash(page)).to_have_text(CLOSED_MESSAGE)
    expect(flash(page)).to_be_in_viewport()
    expect(page.get_by_role("radio", name=COURIER)).to_be_checked()
    expect(page.get_by_role("radio", name=PAIDY)).to_be_checked()
    screenshot("2-back-to-step2")
    [pending] = live_shop.orders_with(product)
    assert pending["status"] == "pending_payment" and pending["payment"] is None

    # The buyer's Step 1 input is intact too.
    page.get_by_role("link", name="戻る").click()
    expect_buyer_kept(page, **SAVED)
    page.get_by_role("button", name="次へ").click()
    page.get_by_role("button", name="次へ").click()

    # Once more, and approved.
    expect(page.get_by_role("cell", name="山田 太郎（ヤマダ タロウ）")).to_be_visible()
    open_modal(page, "注文する", "4,100円")
    pay_in_modal(page)
    number = expect_completed(page, live_shop, "demo3")
    order = only_order(live_shop, product)
    assert order["number"] == number == pending["number"]
    assert any("再作成" in line for line in order["history"]), order["history"]
    assert_paid_with_paidy(live_shop, "demo3", order)


def test_undetermined_shipping_refuses_paidy(page: Page, live_shop, screenshot):
    product = live_shop.new_product("demo", "大型ギフト 送料別途試験", 5500, tax_rate=10)
    put_in_cart(page, live_shop, "demo", product)
    fill_buyer(page)
    choose(page, delivery=FREIGHT)
    page.get_by_role("button", name="注文確認する").click()

    expect_at(page, live_shop, "demo", "/cart")
    expect(payment_error(page)).to_have_text(FEE_UNDETERMINED_MESSAGE)
    expect(page.locator("#payment")).to_have_class(re.compile(r"\bhas-error\b"))
    expect_buyer_kept(page, **SAVED)
    expect(page.get_by_role("radio", name=FREIGHT)).to_be_checked()
    expect(page.get_by_role("radio", name=PAIDY)).to_be_checked()
    screenshot("error")
    assert live_shop.orders_with(product) == []


def test_field_errors_show_next_to_the_field_and_keep_the_rest(page: Page, live_shop,
                                                                screenshot):
    product = live_shop.new_product("demo", "番茶 入力誤り試験", 540)
    put_in_cart(page, live_shop, "demo", product)
    fill_buyer(page, 氏名="", 郵便番号="150-01")
    choose(page, payment=BANK)
    page.get_by_role("button", name="注文確認する").click()

    expect_at(page, live_shop, "demo", "/cart")
    expect(page.get_by_role("alert").filter(has_text="入力内容に誤りがあります")).to_be_visible()
    expect(field_error(page, "氏名")).to_have_text("氏名を入力してください。")
    expect(field_error(page, "郵便番号")).to_have_text(
        "郵便番号は7桁の数字で入力してください（例：150-0001）。")
    expect(page.locator(".field.has-error")).to_have_count(2)
    expect_buyer_kept(page, **{**SAVED, "氏名": "", "郵便番号": "15001"})
    expect(page.get_by_role("radio", name=COURIER)).to_be_checked()
    expect(page.get_by_role("radio", name=BANK)).to_be_checked()
    screenshot("errors")
    assert live_shop.orders_with(product) == []
