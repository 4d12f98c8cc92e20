"""The sandbox's Paidy Checkout look-alike, driven the way a shopper uses it.

A standalone sandbox serves ``/paidy/try``, whose button launches the modal through
``checkout.js``; the ``closed`` callback's data is shown in ``#result``.
"""
import json
import math
import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Page, expect
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from payments.methods import paidy as st
from payments.sandbox.app import create_sandbox
from payments.sandbox.server import SandboxServer

pytestmark = pytest.mark.browser

PUBLIC_KEY = "pk_test_browser"
MERCHANT_ID = "browser-shop"
MODAL = "#paidy-sandbox-modal"
JST = timezone(timedelta(hours=9))


@pytest.fixture(scope="module")
def sandbox():
    app = create_sandbox(dispatch=False)
    app.extensions["sandbox"].store.upsert_merchant(
        MERCHANT_ID, "browser-connect", "browser-password", "hash", "", PUBLIC_KEY,
        "ブラウザ試験店")
    server = SandboxServer(app).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def store(sandbox):
    return sandbox.app.extensions["sandbox"].store


@pytest.fixture
def try_page(page: Page, sandbox):
    page.goto(f"{sandbox.url}/paidy/try")
    expect(page.get_by_role("heading", name="ペイディ決済モーダルの試験")).to_be_visible()
    page.get_by_label("パブリックキー").fill(PUBLIC_KEY)
    return page


def launch(page: Page, **fields) -> str:
    """Fill the try page's fields, press the pay button, and return the order_ref used."""
    labels = {"email": "メールアドレス", "phone": "携帯電話番号", "amount": "金額（円）",
              "public_key": "パブリックキー", "store_name": "ストア名",
              "logo_url": "ロゴURL（任意）"}
    for name, value in fields.items():
        page.locator("#try-form").get_by_label(labels[name]).fill(str(value))
    order_ref = page.locator("#order-ref").input_value()
    assert order_ref
    page.get_by_role("button", name="ペイディで支払う").click()
    expect(page.locator(MODAL)).to_be_visible()
    return order_ref


def modal(page: Page):
    return page.locator(MODAL)


def result(page: Page) -> dict:
    expect(page.locator("#result")).not_to_be_empty()
    return json.loads(page.locator("#result").inner_text())


def pass_contact_step(page: Page) -> None:
    box = modal(page)
    expect(box.get_by_text("メールアドレスと携帯電話番号の確認")).to_be_visible()
    box.get_by_role("button", name="次へ").click()


def pass_code_step(page: Page, phone_shown: str = "080-0000-0001") -> None:
    box = modal(page)
    expect(box.get_by_text(f"{phone_shown}に届いた4桁の認証コードを入力してください")).to_be_visible()
    box.get_by_label("認証コード").fill("8888")
    box.get_by_role("button", name="次へ").click()


def choose(page: Page, plan_name: str) -> None:
    box = modal(page)
    expect(box.get_by_text("お支払い回数を選ぶ")).to_be_visible()
    option = box.locator(".psb-option").filter(has_text=plan_name)
    option.get_by_role("button", name="選択").click()
    expect(box.get_by_text("お支払い内容の確認")).to_be_visible()


def payments_for(store, order_ref: str) -> list:
    return store.db.execute("SELECT * FROM payments WHERE trading_id=?", (order_ref,)).fetchall()


def next_month_27th() -> str:
    today = datetime.now(JST).date()
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return f"{year}年{month}月27日"


def test_approved_payment_goes_through_every_step(try_page, store, screenshot):
    page = try_page
    logo = ("data:image/svg+xml," "%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'%3E"
            "%3Crect width='10' height='10' fill='%23336699'/%3E%3C/svg%3E")
    order_ref = launch(page, store_name="ブラウザ試験店", logo_url=logo)
    box = modal(page)

    # Contact: prefilled from the payload, editable.
    expect(box.get_by_text("ブラウザ試験店")).to_be_visible()
    expect(box.locator(".psb-logo img")).to_have_attribute("src", logo)
    expect(box.get_by_label("メールアドレス")).to_have_value("successful.payment@paidy.com")
    expect(box.get_by_label("携帯電話番号")).to_have_value("08000000001")
    expect(box.locator("[data-step-label]")).to_have_attribute("data-step-label", "決済情報確認")
    screenshot("1-contact")
    pass_contact_step(page)

    # Code: a wrong one is refused in place, then the test code passes.
    expect(box.locator("[data-step-label]")).to_have_attribute("data-step-label", "認証コード入力")
    expect(box.get_by_text("080-0000-0001に届いた4桁の認証コードを入力してください")).to_be_visible()
    code = box.get_by_label("認証コード")
    expect(code).to_have_attribute("inputmode", "numeric")
    expect(code).to_have_attribute("maxlength", "4")
    expect(box.get_by_text("認証コードが届かない場合")).to_be_visible()
    code.fill("1234")
    box.get_by_role("button", name="次へ").click()
    expect(box.get_by_role("alert")).to_have_text("認証コードが正しくありません")
    expect(box.get_by_text("お支払い回数を選ぶ")).to_have_count(0)
    screenshot("2-wrong-code")
    code.fill("8888")
    box.get_by_role("button", name="次へ").click()

    # Plans: 4,000 yen may be paid next month or in three.
    expect(box.get_by_text("お支払い回数を選ぶ")).to_be_visible()
    once = box.locator(".psb-option").filter(has_text="翌月あと払い")
    split = box.locator(".psb-option").filter(has_text="3回あと払い")
    expect(once).to_contain_text("¥4,000")
    expect(split).to_contain_text(f"月々¥{math.ceil(4000 / 3):,}")
    expect(split).to_contain_text("分割手数料無料")
    screenshot("3-plans")
    split.get_by_role("button", name="選択").click()

    # Confirmation.
    expect(box.get_by_text("お支払い内容の確認")).to_be_visible()
    summary = box.locator(".psb-summary")
    expect(summary).to_contain_text("お支払い日" + next_month_27th())
    expect(summary).to_contain_text("お支払い回数3回あと払い")
    expect(summary).to_contain_text("お支払い金額¥4,000")
    screenshot("4-confirm")
    box.get_by_role("button", name="お支払いを確定").click()

    expect(box.get_by_text("ありがとうございました")).to_be_visible()
    screenshot("5-thanks")
    expect(page.locator(MODAL)).to_have_count(0, timeout=5000)
    data = result(page)
    assert data["status"] == "authorized"
    assert data["id"].startswith("pay_")
    assert data["amount"] == 4000 and data["currency"] == "JPY"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["created_at"])

    rows = payments_for(store, order_ref)
    assert len(rows) == 1
    payment = rows[0]
    assert payment["status"] == st.AUTHORIZED == "20"
    assert payment["merchant_id"] == MERCHANT_ID
    assert payment["paidy_payment_id"] == data["id"]
    assert payment["amount"] == 4000
    buyer = json.loads(payment["details"])["buyer"]
    assert buyer["email"] == "successful.payment@paidy.com"
    assert buyer["phone"] == "08000000001"
    # The try page moves on to a fresh order reference.
    expect(page.locator("#order-ref")).not_to_have_value(order_ref)


def test_rejected_payment_offers_other_methods(try_page, store, screenshot):
    page = try_page
    order_ref = launch(page, email="rejected.payment@paidy.com")
    pass_contact_step(page)
    pass_code_step(page)
    choose(page, "翌月あと払い")
    box = modal(page)
    expect(box.locator(".psb-summary")).to_contain_text("お支払い回数翌月あと払い")
    box.get_by_role("button", name="お支払いを確定").click()

    expect(box.get_by_text("今回のお支払いは承認されませんでした")).to_be_visible()
    expect(box.get_by_text("恐れ入りますが、他の支払い方法をお選びください。")).to_be_visible()
    expect(box.get_by_text("今回、承認ならなかった理由の詳細はお伝えいたしませんが、ご了承ください。")
           ).to_be_visible()
    screenshot("rejected")
    box.get_by_role("button", name="他の支払い方法を選ぶ").click()

    expect(page.locator(MODAL)).to_have_count(0)
    data = result(page)
    assert data["status"] == "rejected"
    assert data["id"].startswith("pay_")
    assert data["amount"] == 4000 and data["currency"] == "JPY"
    assert payments_for(store, order_ref) == []
    expect(page.locator("#order-ref")).to_have_value(order_ref)


def test_close_button_asks_before_interrupting(try_page, store, screenshot):
    page = try_page
    order_ref = launch(page)
    pass_contact_step(page)
    box = modal(page)
    code = box.get_by_label("認証コード")
    code.fill("12")
    close = box.get_by_role("button", name="ペイディの画面を閉じる")

    close.click()
    expect(box.get_by_text("閉じるとお支払いが中断されます。")).to_be_visible()
    expect(box.get_by_text("それでもよろしいですか？")).to_be_visible()
    expect(code).to_be_hidden()
    screenshot("confirm-close")
    box.get_by_role("button", name="キャンセル").click()

    # Back on the same step, with what the buyer typed.
    expect(box.get_by_text("閉じるとお支払いが中断されます。")).to_have_count(0)
    expect(box.get_by_text("080-0000-0001に届いた4桁の認証コードを入力してください")).to_be_visible()
    expect(code).to_have_value("12")
    expect(page.locator("#result")).to_be_empty()

    close.click()
    expect(box.get_by_text("それでもよろしいですか？")).to_be_visible()
    box.get_by_role("button", name="OK").click()

    expect(page.locator(MODAL)).to_have_count(0)
    data = result(page)
    assert data["status"] == "closed"
    assert data["id"] == ""
    assert data["amount"] == 4000 and data["currency"] == "JPY"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["created_at"])
    assert payments_for(store, order_ref) == []


def test_landline_number_is_refused_until_fixed_in_the_modal(try_page, store, screenshot):
    page = try_page
    order_ref = launch(page, phone="0312345678")
    box = modal(page)
    phone = box.get_by_label("携帯電話番号")
    expect(phone).to_have_value("0312345678")
    box.get_by_role("button", name="次へ").click()

    expect(box.get_by_role("alert")).to_have_text("携帯電話番号を入力してください")
    expect(box.get_by_text("メールアドレスと携帯電話番号の確認")).to_be_visible()
    expect(box.get_by_text("4桁の認証コードを入力してください")).to_have_count(0)
    screenshot("landline")

    # An empty e-mail address is refused too.
    box.get_by_label("メールアドレス").fill("")
    box.get_by_role("button", name="次へ").click()
    expect(box.get_by_role("alert")).to_contain_text("メールアドレスを入力してください")
    expect(box.get_by_role("alert")).to_contain_text("携帯電話番号を入力してください")

    # The buyer corrects both in the modal (hyphens are fine) and pays with them;
    # the shop's page keeps what it had.
    box.get_by_label("メールアドレス").fill("fixed.buyer@example.jp")
    phone.fill("090-1234-5678")
    box.get_by_role("button", name="次へ").click()
    pass_code_step(page, phone_shown="090-1234-5678")
    choose(page, "翌月あと払い")
    box.get_by_role("button", name="お支払いを確定").click()
    assert result(page)["status"] == "authorized"
    expect(page.locator("#phone")).to_have_value("0312345678")
    expect(page.locator("#email")).to_have_value("successful.payment@paidy.com")
    (payment,) = payments_for(store, order_ref)
    buyer = json.loads(payment["details"])["buyer"]
    assert (buyer["email"], buyer["phone"]) == ("fixed.buyer@example.jp", "09012345678")


def test_unknown_public_key_shows_the_error(try_page, store, screenshot):
    page = try_page
    order_ref = launch(page, public_key="pk_test_nobody")
    pass_contact_step(page)
    pass_code_step(page)
    choose(page, "翌月あと払い")
    box = modal(page)
    box.get_by_role("button", name="お支払いを確定").click()

    expect(box.get_by_role("alert")).to_have_text("パブリックキーが正しくありません。")
    screenshot("error")
    box.get_by_role("button", name="閉じる", exact=True).click()
    expect(page.locator(MODAL)).to_have_count(0)
    data = result(page)
    assert data["status"] == "closed"
    assert data["id"] == ""
    assert payments_for(store, order_ref) == []


def test_small_amount_offers_only_next_month(try_page):
    page = try_page
    launch(page, amount=2999)
    pass_contact_step(page)
    pass_code_step(page)
    box = modal(page)
    expect(box.get_by_text("お支払い回数を選ぶ")).to_be_visible()
    expect(box.locator(".psb-option")).to_have_count(1)
    expect(box.locator(".psb-option")).to_contain_text("翌月あと払い")
    expect(box.locator(".psb-option")).to_contain_text("¥2,999")
    expect(box.get_by_text("3回あと払い")).to_have_count(0)


def test_confirm_button_is_disabled_while_posting(try_page, store, sandbox):
    page = try_page
    held = []
    page.route(f"{sandbox.url}/paidy/payments", lambda route: held.append(route))
    order_ref = launch(page)
    pass_contact_step(page)
    pass_code_step(page)
    choose(page, "翌月あと払い")
    box = modal(page)
    pay = box.locator("[data-role=pay]")
    pay.dblclick()

    expect(pay).to_be_disabled()
    expect(box.get_by_role("button", name="ペイディの画面を閉じる")).to_be_hidden()
    page.wait_for_timeout(300)
    assert len(held) == 1, "the modal posted more than once"
    body = json.loads(held[0].request.post_data)
    assert body["api_key"] == PUBLIC_KEY
    assert body["email"] == "successful.payment@paidy.com" and body["phone"] == "08000000001"
    assert body["payload"]["order"]["order_ref"] == order_ref
    assert body["payload"]["amount"] == 4000
    held[0].continue_()

    expect(box.get_by_text("ありがとうございました")).to_be_visible()
    assert result(page)["status"] == "authorized"
    assert len(payments_for(store, order_ref)) == 1


def test_shop_text_is_shown_as_text(try_page):
    page = try_page
    name = '<img src=x onerror="document.title=\'owned\'">店'
    launch(page, store_name=name)
    box = modal(page)
    expect(box.locator("[data-role=store-name]")).to_have_text(name)
    expect(box.locator("img")).to_have_count(0)
    assert page.title() == "ペイディ決済モーダルの試験"


def test_shop_styles_do_not_reshape_the_modal(try_page, screenshot):
    page = try_page
    page.add_style_tag(content=(
        "form{display:grid;grid-template-columns:10em 1fr} h2{font-size:40px;margin:60px}"
        " button{display:none} input{width:20px} div{padding:30px} p{color:#fff}"))
    page.locator("#try-form").evaluate("form => form.requestSubmit()")  # its button is hidden too
    box = modal(page)
    expect(box).to_be_visible()
    card = box.locator(".psb-card").bounding_box()
    assert 380 <= card["width"] <= 420
    email = box.get_by_label("メールアドレス").bounding_box()
    assert email["width"] > 300, "the inputs should span the card"
    expect(box.get_by_role("button", name="次へ")).to_be_visible()
    expect(box.get_by_role("heading", name="メールアドレスと携帯電話番号の確認")).to_have_css(
        "font-size", "17px")
    screenshot("hostile-styles")


def test_modal_posts_next_to_its_script_when_mounted_under_a_prefix(page, screenshot):
    """In the product the sandbox lives under /_sandbox; the modal must post there too."""
    app = create_sandbox(dispatch=False)
    store = app.extensions["sandbox"].store
    store.upsert_merchant(MERCHANT_ID, "c", "p", "h", "", PUBLIC_KEY, "ブラウザ試験店")
    shop = Response("shop", mimetype="text/plain")
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    with SandboxServer(DispatcherMiddleware(shop, {"/_sandbox": app})) as server:
        page.goto(f"{server.url}/_sandbox/paidy/try")
        page.get_by_label("パブリックキー").fill(PUBLIC_KEY)
        order_ref = launch(page)
        pass_contact_step(page)
        pass_code_step(page)
        choose(page, "翌月あと払い")
        modal(page).get_by_role("button", name="お支払いを確定").click()
        expect(page.locator(MODAL)).to_have_count(0, timeout=5000)
        data = result(page)
    assert data["status"] == "authorized"
    assert posted == [f"{server.url}/_sandbox/paidy/payments"]
    assert [r["paidy_payment_id"] for r in payments_for(store, order_ref)] == [data["id"]]
