"""A shopper pays by card through real pages: the card form on the confirmation page, the
sandbox's PaygentToken.js look-alike, 3-D Secure 2.0 (frictionless, challenged, failed,
abandoned), 020, and the completion page — in both carts.

The whole shop runs on a real port with the sandbox mounted at ``/_sandbox`` (``live_shop``):
the card goes from the page to the sandbox's ``/card/token`` only, the issuer's page is the
sandbox's, and the term URL brings the buyer back to the shop. Each test buys a product made
for it, in its own browser context.
"""
import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from cart.extensions import db
from cart.gateway import account_for, notice_url
from cart.methods.card.checkout import (DECLINED_MESSAGE, TDS_ABANDONED_MESSAGE,
                                        TDS_FAILED_MESSAGE)
from cart.models import (CardAuthorization, CardSettings, DeliveryMethod, PaymentLog,
                         PaymentMethod, Shop)
from payments.methods import card as lib
from tests.browser.test_checkout import (BUYER, COURIER, expect_at, expect_completed,
                                         expect_confirmation, fill_buyer, grand_total,
                                         put_in_cart)

pytestmark = pytest.mark.browser

CARD = "クレジットカード決済"
APPROVED = "4111111111111111"
CHALLENGED = "4000000000003220"
DECLINED = "4000000000000002"
SECURITY_CODE = "9371"  # a code no page of the cart otherwise shows
HOLDER = "TARO YAMADA"
ONE_TIME_PASSWORD = "1234"
TOKEN_KEYS = {"demo": ("browser-card-token-key-1", "browser-card-3ds-key-1"),
              "demo3": ("browser-card-token-key-3", "browser-card-3ds-key-3")}
BUYER_CELL = f"{BUYER['氏名']}（{BUYER['氏名(フリガナ)']}）"
ERRORS_SUMMARY = "カード情報に誤りがあります。赤字の項目をご確認ください。"
PHONE = {"width": 390, "height": 844}


# -- the shops ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def card_shop(live_shop):
    """Both demo shops offering ペイジェント(クレジット決済) with 3-D Secure 2.0 and the
    security code, as the demo seed sets them up; what the seed left out is added here the way
    a shop owner's settings would, and the sandbox learns each shop's keys."""
    def configure():
        for code in ("demo", "demo3"):
            shop = db.session.scalar(select(Shop).where(Shop.code == code))
            settings = db.session.scalar(select(CardSettings).where(
                CardSettings.shop_id == shop.id))
            if settings is None:
                token_key, tds_key = TOKEN_KEYS[code]
                settings = CardSettings(shop_id=shop.id, token_key=token_key,
                                        tds_hash_key=tds_key)
                db.session.add(settings)
            settings.payment_classes = "lump,split,revo,bonus"
            settings.security_code_required = True
            settings.three_d_secure = True
            settings.attempt_auth = "none"
            settings.merchant_name = settings.merchant_name or "SampleShop"
            settings.sales_mode = "auth"
            method = db.session.scalar(select(PaymentMethod).where(
                PaymentMethod.shop_id == shop.id, PaymentMethod.kind == "card"))
            if method is None:
                last = db.session.scalar(select(func.max(PaymentMethod.position)).where(
                    PaymentMethod.shop_id == shop.id)) or 0
                method = PaymentMethod(shop_id=shop.id, kind="card", position=last + 1,
                                       note_on_payment_page=False)
                db.session.add(method)
            method.in_use, method.configured = True, True
            courier = db.session.scalar(select(DeliveryMethod).where(
                DeliveryMethod.shop_id == shop.id, DeliveryMethod.name == COURIER))
            if courier is not None and method not in courier.payment_methods:
                courier.payment_methods.append(method)
            db.session.commit()
            account = account_for(shop.id)
            live_shop.sandbox_store.upsert_merchant(
                account.merchant_id, account.connect_id, account.connect_password,
                account.notice_hash_key, notice_url(shop), account.paidy_public_key,
                shop.name, token_key=settings.token_key, tds_hash_key=settings.tds_hash_key)
    live_shop.read(configure)
    return live_shop


def telegrams(live_shop, order_id: int) -> list[str]:
    """The kinds of the telegrams the shop sent for an order, in order."""
    return live_shop.read(lambda: db.session.scalars(select(PaymentLog.telegram_kind).where(
        PaymentLog.order_id == order_id).order_by(PaymentLog.id)).all())


def attempts(live_shop, order_id: int) -> list[str]:
    """The stages of the order's card attempts, oldest first."""
    return live_shop.read(lambda: db.session.scalars(select(CardAuthorization.stage).where(
        CardAuthorization.order_id == order_id).order_by(CardAuthorization.id)).all())


# -- what the shopper does ------------------------------------------------------------------
def to_confirm(page: Page, shop, shop_code: str, product: int):
    """Cart, buyer, 宅配便 and the card, up to the confirmation page (either cart)."""
    put_in_cart(page, shop, shop_code, product)
    if shop_code == "demo3":
        page.get_by_role("button", name="注文手続きへ").click()
        fill_buyer(page)
        page.get_by_role("button", name="次へ").click()
        choose_card(page)
        page.get_by_role("button", name="次へ").click()
    else:
        fill_buyer(page)
        choose_card(page)
        page.get_by_role("button", name="注文確認する").click()
    expect_confirmation(page, shop, shop_code)
    expect_card_form_ready(page)


def choose_card(page: Page):
    page.get_by_role("radio", name=COURIER).check()
    page.get_by_role("radio", name=CARD, exact=True).check()


def card_form(page: Page):
    return page.locator("#card")


def pay_button(page: Page):
    return page.locator("#card-pay")


def expect_card_form_ready(page: Page):
    """The form is empty and 「注文する」 works (the token script has loaded)."""
    box = card_form(page)
    expect(box.get_by_role("heading", name="クレジットカード情報")).to_be_visible()
    expect(box.get_by_label("カード番号")).to_have_value("")
    expect(box.get_by_label("セキュリティコード")).to_have_value("")
    expect(pay_button(page)).to_be_enabled()
    expect(pay_button(page)).to_have_text("注文する")


def past_month() -> tuple[str, str]:
    today = date.today()
    return (f"{today.month - 1:02d}", f"{today.year % 100:02d}") if today.month > 1 else (
        "12", f"{(today.year - 1) % 100:02d}")


def fill_card(page: Page, number: str = APPROVED, month: str = "12",
              year: str | None = None, cvc: str = SECURITY_CODE, name: str = HOLDER,
              choice: str | None = None):
    box = card_form(page)
    year = year if year is not None else f"{(date.today().year + 3) % 100:02d}"
    box.get_by_label("カード番号").fill(number)
    if year and box.locator(f'#card-exp-year option[value="{year}"]').count() == 0:
        # a year the page does not list (a past one): as if the buyer's browser had kept it
        page.evaluate("y => { const o = new Option('20' + y, y);"
                      " document.getElementById('card-exp-year').add(o); }", year)
    box.get_by_label("有効期限（月）").select_option(month)
    box.get_by_label("有効期限（年）").select_option(year)
    box.get_by_label("セキュリティコード").fill(cvc)
    box.get_by_label("カード名義").fill(name)
    if choice:
        box.get_by_label("お支払い回数").select_option(label=choice)


def challenge_page(page: Page):
    expect(page.get_by_role("heading", name="本人認証（3Dセキュア）")).to_be_visible()
    return page.locator("main.acs")


def answer_challenge(page: Page, answer: str, amount: str):
    """On the issuer's page: the one-time password, or キャンセル."""
    issuer = challenge_page(page)
    expect(issuer).to_contain_text(f"{amount}円")
    expect(issuer).to_contain_text("400000******3220")
    if answer == "cancel":
        issuer.get_by_role("button", name="キャンセル").click()
    else:
        issuer.get_by_label("ワンタイムパスワード").fill(answer)
        issuer.get_by_role("button", name="認証する").click()


def flash(page: Page, message: str):
    return page.locator(".store-main .alert").filter(has_text=message)


def expect_back_on_card_form(page: Page, shop, shop_code: str, message: str):
    """Back on the confirmation page at the card form, told why, the rest as it was."""
    expect_at(page, shop, shop_code, "/checkout/confirm", "#card")
    expect(flash(page, message)).to_have_text(message)
    # where the buyer lands (the card form), not above it out of sight
    expect(flash(page, message)).to_be_in_viewport()
    expect(flash(page, message)).to_have_count(1)
    expect(page.get_by_role("cell", name=BUYER_CELL)).to_be_visible()
    expect(page.get_by_role("cell", name=CARD, exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=COURIER, exact=True)).to_be_visible()
    expect_card_form_ready(page)


def only_order(shop, product: int) -> dict:
    orders = shop.orders_with(product)
    assert len(orders) == 1, [(o["number"], o["status"]) for o in orders]
    return orders[0]


def assert_paid_by_card(shop, shop_code: str, order: dict, total: int):
    """新規受付, the card payment at 20 at PAYGENT and in the shop, the thanks mails."""
    assert order["status"] == "new" and order["placed_at"] is not None
    assert order["payment_kind"] == "card" and order["total"] == total
    payment = order["payment"]
    assert payment is not None and payment["method"] == "card"
    assert payment["status"] == lib.AUTHORIZED and payment["amount"] == total
    [at_sandbox] = [p for p in shop.sandbox_payments(shop_code, order["number"])
                    if p["status"] == lib.AUTHORIZED]
    assert str(at_sandbox["payment_id"]) == payment["paygent_payment_id"]
    assert at_sandbox["amount"] == total
    assert sum("オーソリOK" in line for line in order["history"]) == 1, order["history"]
    assert [to for to, _ in order["mails"]][0] == order["email"]


# -- the flows --------------------------------------------------------------------------------
@pytest.mark.parametrize("shop_code", ["demo", "demo3"])
def test_frictionless_card_completes_the_order(page: Page, card_shop, shop_code, screenshot):
    product = card_shop.new_product(shop_code, f"煎茶 カード決済試験 {shop_code}", 1620)
    to_confirm(page, card_shop, shop_code, product)
    assert grand_total(page) == "2,420円"
    box = card_form(page)
    expect(box.get_by_label("お支払い回数")).to_have_value("lump")
    fill_card(page)
    pay_button(page).click()

    number = expect_completed(page, card_shop, shop_code)
    expect(page.get_by_role("heading", name="ご注文ありがとうございました！")).to_be_visible()
    order = only_order(card_shop, product)
    assert order["number"] == number
    assert_paid_by_card(card_shop, shop_code, order, 2420)
    assert telegrams(card_shop, order["id"]) == ["450", "020"]
    assert attempts(card_shop, order["id"]) == ["authorized"]
    assert any("411111******1111" in line for line in order["history"]), order["history"]


def test_challenged_card_with_the_right_password_completes(page: Page, card_shop, screenshot):
    product = card_shop.new_product("demo3", "玉露 本人認証試験", 3240)
    to_confirm(page, card_shop, "demo3", product)
    fill_card(page, CHALLENGED, choice="分割払い（3回）")
    pay_button(page).click()

    answer_challenge(page, ONE_TIME_PASSWORD, "4,040")
    number = expect_completed(page, card_shop, "demo3")
    order = only_order(card_shop, product)
    assert order["number"] == number
    assert_paid_by_card(card_shop, "demo3", order, 4040)
    assert telegrams(card_shop, order["id"]) == ["450", "020"]
    assert any("分割払い 3回" in line for line in order["history"]), order["history"]


@pytest.mark.parametrize("answer, message", [
    ("cancel", TDS_ABANDONED_MESSAGE),
    ("9999", TDS_FAILED_MESSAGE),
], ids=["abandoned", "wrong-password"])
def test_unfinished_challenge_goes_back_and_the_next_card_completes_the_same_order(
        page: Page, card_shop, answer, message, screenshot):
    product = card_shop.new_product("demo", f"抹茶 本人認証中断試験 {answer}", 2160)
    stock = card_shop.stock(product)
    to_confirm(page, card_shop, "demo", product)
    fill_card(page, CHALLENGED, choice="リボ払い")
    pay_button(page).click()
    answer_challenge(page, answer, "2,960")

    expect_back_on_card_form(page, card_shop, "demo", message)
    expect(card_form(page).get_by_label("お支払い回数")).to_have_value("revo")
    screenshot("1-back")
    [pending] = card_shop.orders_with(product)
    assert pending["status"] == "pending_payment" and pending["payment"] is None
    assert telegrams(card_shop, pending["id"]) == ["450"]  # no 020 without the authentication
    assert any("3Dセキュア" in line for line in pending["history"]), pending["history"]
    assert pending["mails"] == []

    fill_card(page, APPROVED, choice="一括払い")
    pay_button(page).click()
    number = expect_completed(page, card_shop, "demo")
    order = only_order(card_shop, product)
    assert order["number"] == number == pending["number"]
    assert_paid_by_card(card_shop, "demo", order, 2960)
    assert attempts(card_shop, order["id"]) == ["declined", "authorized"]
    assert card_shop.stock(product) == stock - 1  # reserved once


def test_declined_card_is_explained_on_the_card_form(page: Page, card_shop, screenshot):
    product = card_shop.new_product("demo3", "番茶 承認否認試験", 540)
    to_confirm(page, card_shop, "demo3", product)
    fill_card(page, DECLINED)
    pay_button(page).click()

    expect_back_on_card_form(page, card_shop, "demo3", DECLINED_MESSAGE)
    assert DECLINED_MESSAGE.startswith("カード会社の承認が得られなかった")
    [pending] = card_shop.orders_with(product)
    assert pending["status"] == "pending_payment" and pending["payment"] is None
    assert telegrams(card_shop, pending["id"]) == ["450", "020"]
    assert any("オーソリNG" in line for line in pending["history"]), pending["history"]

    fill_card(page, APPROVED)
    pay_button(page).click()
    assert expect_completed(page, card_shop, "demo3") == pending["number"]
    assert only_order(card_shop, product)["status"] == "new"


CHECKS = [
    ("empty-number", dict(number=""), "number", "カード番号を入力してください。"),
    ("short-number", dict(number="411111111"), "number",
     "カード番号は13〜19桁の半角数字で入力してください。"),
    ("past-expiry", "past", "expiry", "有効期限が過ぎています。ご確認ください。"),
    ("no-security-code", dict(cvc=""), "cvc",
     "セキュリティコードは3桁または4桁の半角数字で入力してください。"),
]


@pytest.mark.parametrize("case, change, where, message", CHECKS, ids=[c[0] for c in CHECKS])
def test_card_form_checks_show_next_to_the_field_and_send_nothing(
        page: Page, card_shop, case, change, where, message):
    product = card_shop.new_product("demo", f"湯呑み 入力確認試験 {case}", 1100, tax_rate=10)
    to_confirm(page, card_shop, "demo", product)
    if change == "past":
        month, year = past_month()
        change = dict(month=month, year=year)
    fill_card(page, **change)
    sent = []
    page.on("request", lambda request: sent.append(request.url))
    pay_button(page).click()

    field = card_form(page).locator(f'.field[data-for="{where}"]')
    expect(field.locator(".error")).to_have_text(message)
    expect(field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(card_form(page).locator(".field.has-error")).to_have_count(1)
    expect(page.locator("#card-error")).to_have_text(ERRORS_SUMMARY)
    expect(field.locator(".error")).to_be_in_viewport()
    expect(field.locator("input, select").first).to_be_focused()
    expect(pay_button(page)).to_be_enabled()
    expect_confirmation(page, card_shop, "demo")  # still the page the form answered with
    assert sent == []  # neither the token service nor the cart heard of it
    assert card_shop.orders_with(product) == []

    # Corrected, the same page goes on: the old messages go away and the order completes.
    fill_card(page)
    pay_button(page).click()
    expect_completed(page, card_shop, "demo")
    assert only_order(card_shop, product)["status"] == "new"


def test_no_request_to_the_cart_carries_the_card(page: Page, card_shop):
    product = card_shop.new_product("demo", "急須 カード番号送信試験", 4400, tax_rate=10)
    requests = []

    def record(request):
        try:
            body = request.post_data or ""
        except Exception:  # a body that is not text cannot hold the typed card number
            body = ""
        requests.append((request.method, request.url, body))
    page.on("request", record)

    to_confirm(page, card_shop, "demo", product)
    fill_card(page, CHALLENGED)
    pay_button(page).click()
    answer_challenge(page, ONE_TIME_PASSWORD, "5,200")
    expect_completed(page, card_shop, "demo")

    token_url = card_shop.url + "/_sandbox/card/token"
    carrying = [(method, url) for method, url, body in requests
                if any(secret in url or secret in body for secret in (CHALLENGED, SECURITY_CODE))]
    assert carrying == [("POST", token_url)], carrying
    to_cart = [url for _, url, _ in requests if url.startswith(card_shop.url + "/s/")]
    assert any(url.endswith("/checkout/card/pay") for url in to_cart), to_cart
    assert any("/checkout/card/secure/" in url for url in to_cart), to_cart
    pay = [body for method, url, body in requests if url.endswith("/checkout/card/pay")]
    assert len(pay) == 1 and "card_token=tok_" in pay[0] and "400000" in pay[0], pay
    # the shop's own records hold only the masked number
    order = only_order(card_shop, product)
    logs = card_shop.read(lambda: db.session.scalars(select(PaymentLog.request).where(
        PaymentLog.order_id == order["id"])).all())
    assert logs and not any(CHALLENGED in log or SECURITY_CODE in log for log in logs)


def test_double_click_makes_one_order_and_one_authorization(page: Page, card_shop):
    product = card_shop.new_product("demo", "茶筒 二度押し試験", 2200, tax_rate=10)
    to_confirm(page, card_shop, "demo", product)
    fill_card(page)
    pay_button(page).dblclick()
    expect_completed(page, card_shop, "demo")

    order = only_order(card_shop, product)
    assert order["status"] == "new"
    assert telegrams(card_shop, order["id"]) == ["450", "020"]
    assert attempts(card_shop, order["id"]) == ["authorized"]
    assert len(card_shop.sandbox_payments("demo", order["number"])) == 1


# -- how the card pages look ------------------------------------------------------------------
@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_card_pages_look_right(page: Page, card_shop, viewport, full_screenshot, screenshot):
    if viewport:
        page.set_viewport_size(viewport)
    product = card_shop.new_product("demo", "深蒸し茶 画面確認", 1620)
    to_confirm(page, card_shop, "demo", product)
    width = page.viewport_size["width"]
    for part in (card_form(page), pay_button(page)):  # nothing of the card's is cut off
        box = part.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (part, box, width)
    full_screenshot("1-confirm-card-form")

    fill_card(page, number="4111", cvc="", month="", year="")
    pay_button(page).click()
    expect(page.locator("#card-error")).to_have_text(ERRORS_SUMMARY)
    expect(card_form(page).locator(".field.has-error")).to_have_count(3)
    full_screenshot("2-field-errors")

    fill_card(page, DECLINED)
    pay_button(page).click()
    expect_back_on_card_form(page, card_shop, "demo", DECLINED_MESSAGE)
    screenshot("3-declined-where-the-buyer-lands")
    full_screenshot("3-declined")

    fill_card(page, CHALLENGED)
    pay_button(page).click()
    challenge_page(page)
    full_screenshot("4-challenge")
    answer_challenge(page, ONE_TIME_PASSWORD, "2,420")
    expect_completed(page, card_shop, "demo")
    full_screenshot("5-complete")
