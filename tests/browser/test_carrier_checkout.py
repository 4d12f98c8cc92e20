"""携帯キャリア決済 through real pages, in both carts (``demo`` zero-step, ``demo3`` three-step):
the buyer picks 「ご利用の携帯キャリア」 on the confirmation page, 「注文する」 takes them to the
sandbox's carrier page (au: a redirect; d払い and SoftBank: PAYGENT's page that posts them on),
承認する brings them back to 「ご注文ありがとうございました！」 and staff find the order 新規受付 in
the 受注明細 at オーソリOK with 売上確定 and キャンセル. 承認しない and 中断 bring the buyer back to the
confirmation page with a message, the cart and the input kept, and a second try is approved; a
double click on 「注文する」 makes one 100.

The whole shop runs on a real port with the sandbox mounted at ``/_sandbox`` (``live_shop``);
each test buys a product made for it. Screenshots at desktop width and at 390 px are saved as
``carrier-<page>-<width>.png`` (what sticks out sideways is written to
``carrier-overflow.txt``, to be looked at).
"""
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart.extensions import db
from cart.models import PaymentLog, Shop
from tests.browser.test_checkout import (COURIER, expect_at, expect_completed,
                                         expect_confirmation, fill_buyer, put_in_cart)
from tests.browser import test_deferred_checkout as deferred
from tests.browser.test_deferred_checkout import DESKTOP, OVERFLOWING, PHONE, kv, order_row

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
METHOD = "携帯キャリア決済"
CARRIERS = {"docomo": "d払い", "au": "auかんたん決済", "softbank": "ソフトバンクまとめて支払い"}
DECLINED = "携帯キャリアでのお支払いが承認されませんでした。"
ABANDONED = "携帯キャリアでのお手続きが中断されました。"
SHIPPING = 800
#: ``staff(shop_code)``: a signed-in 管理画面 page per shop, kept for the module (a fixture)
staff = deferred.staff


# -- screenshots -----------------------------------------------------------------------------
def both_widths(page: Page, name: str) -> dict:
    """The whole page at desktop width and at 390 px; returns what sticks out sideways per
    width (also written to ``carrier-overflow.txt``). The page keeps the size it had."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    found = {}
    for label, viewport in (("desktop", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        found[label] = page.evaluate(OVERFLOWING)
        page.screenshot(path=str(SCREENSHOTS / f"carrier-{name}-{label}.png"), full_page=True)
        if found[label]:
            with open(SCREENSHOTS / "carrier-overflow.txt", "a", encoding="utf-8") as out:
                out.write(f"{name} at {label}: {found[label]}\n")
    page.set_viewport_size(size)
    return found


# -- the buyer -------------------------------------------------------------------------------
def to_confirm(page: Page, shop, shop_code: str, product: int):
    """Cart, buyer, 宅配便 and 携帯キャリア決済, up to ご注文内容の確認 (either cart)."""
    put_in_cart(page, shop, shop_code, product)
    if shop_code == "demo3":
        page.get_by_role("button", name="注文手続きへ").click()
        fill_buyer(page)
        page.get_by_role("button", name="次へ").click()
        choose(page)
        page.get_by_role("button", name="次へ").click()
        expect(page.locator(".steps .current")).to_have_text("Step 3 ご注文内容の確認")
    else:
        fill_buyer(page)
        choose(page)
        page.get_by_role("button", name="注文確認する").click()
    expect_confirmation(page, shop, shop_code)


def choose(page: Page):
    page.get_by_role("radio", name=COURIER).check()
    page.get_by_role("radio", name=METHOD, exact=True).check()


def expect_confirm(page: Page, shop, shop_code: str):
    expect_at(page, shop, shop_code, "/checkout/confirm")
    expect(page.get_by_role("heading", name="ご注文内容の確認")).to_be_visible()
    expect(page.locator("table.kv tr", has_text="お支払い方法").locator("td")).to_have_text(METHOD)


def carriers_box(page: Page):
    return page.locator("#carrier fieldset")


def order_button(page: Page):
    return page.get_by_role("button", name="注文する", exact=True)


def shop_name(shop, shop_code: str) -> str:
    return shop.read(lambda: db.session.scalar(select(Shop.name).where(Shop.code == shop_code)))


def carrier_page(page: Page, shop, shop_code: str, carrier: str, amount: int):
    """The sandbox's authorisation page of the carrier, with the shop's name and the amount."""
    expect(page).to_have_url(re.compile(re.escape(shop.url) + r"/_sandbox/carrier/auth/[\w-]+\??$"))
    expect(page.get_by_role("heading", name=f"{CARRIERS[carrier]}（テスト環境）")).to_be_visible()
    expect(page.locator("#amount")).to_have_text(f"{amount:,}円")
    expect(page.locator("#shop")).to_have_text(shop_name(shop, shop_code))
    for name in ("承認する", "承認しない（利用不可）", "中断してショップに戻る"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()


def telegrams(shop, order_id: int) -> list[str]:
    return shop.read(lambda: db.session.scalars(select(PaymentLog.telegram_kind).where(
        PaymentLog.order_id == order_id).order_by(PaymentLog.id)).all())


def only_order(shop, product: int) -> dict:
    found = shop.orders_with(product)
    assert len(found) == 1, [(o["number"], o["status"]) for o in found]
    return found[0]


def expect_accepted(shop, product: int, number: str, carrier: str, total: int) -> dict:
    order = only_order(shop, product)
    assert order["number"] == number and order["status"] == "new"
    assert order["payment_kind"] == "carrier" and order["total"] == total
    payment = order["payment"]
    assert payment["method"] == "carrier" and payment["status"] == "20"
    assert payment["variant"] == carrier and payment["amount"] == total
    assert payment["authorized_at"] is not None and payment["paygent_payment_id"]
    return order


# -- staff -----------------------------------------------------------------------------------
def expect_order_page(admin: Page, shop, order: dict):
    """受注一覧 narrowed to 新規受付 holds the order (売上未確定); its 受注明細 at オーソリOK with 売上確定 and キャンセル."""
    admin.goto(f"{shop.url}/admin/orders/")
    admin.locator("details.search-form summary").click()
    admin.get_by_label("対応状況").select_option(label="新規受付")
    admin.get_by_role("button", name="上記条件で検索").click()
    expect(admin.get_by_label("対応状況")).to_have_value("new")
    row = order_row(admin, order["number"])
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_text(["売上未確定"])  # オーソリOK, not 決済処理中
    row.get_by_role("link", name="明細").click()
    expect(admin.get_by_role("heading", name=f"受注明細（注文番号：{order['number']}）")) \
        .to_be_visible()
    expect(kv(admin, "受注状況")).to_have_text("新規受付")
    expect(kv(admin, "支払方法")).to_contain_text(METHOD)
    expect(admin.locator("#payment-status")).to_have_text("オーソリOK")
    expect(admin.locator("#trade-id")).to_have_text(order["payment"]["paygent_payment_id"])
    box = admin.locator("#payment-box")
    expect(box.get_by_role("button", name="売上確定")).to_be_visible()
    expect(box.get_by_role("button", name="キャンセル")).to_be_visible()


# -- the flows -------------------------------------------------------------------------------
CASES = [(carrier, shop_code) for shop_code in ("demo", "demo3") for carrier in CARRIERS]


@pytest.mark.parametrize("carrier, shop_code", CASES, ids=[f"{c}-{s}" for c, s in CASES])
def test_approved_at_the_carrier_places_the_order(page: Page, live_shop, staff, carrier,
                                                  shop_code):
    price = 1620
    total = price + SHIPPING
    product = live_shop.new_product(shop_code, f"煎茶 {CARRIERS[carrier]}試験 {shop_code}", price)
    stock = live_shop.stock(product)
    shots = shop_code == "demo"
    to_confirm(page, live_shop, shop_code, product)

    box = carriers_box(page)
    expect(box.locator("legend")).to_have_text("ご利用の携帯キャリア 必須")
    expect(box.get_by_role("radio")).to_have_count(len(CARRIERS))
    for name in CARRIERS.values():
        expect(box.get_by_role("radio", name=name)).not_to_be_checked()
    if shots and carrier == "docomo":
        both_widths(page, "confirm-choice")
    box.get_by_role("radio", name=CARRIERS[carrier]).check()
    order_button(page).click()

    carrier_page(page, live_shop, shop_code, carrier, total)
    pending = only_order(live_shop, product)
    assert pending["status"] == "pending_payment" and pending["payment"] is None
    assert telegrams(live_shop, pending["id"]) == ["100"]
    if shots:
        both_widths(page, f"sandbox-page-{carrier}")
    page.get_by_role("button", name="承認する", exact=True).click()

    number = expect_completed(page, live_shop, shop_code)
    if shots and carrier == "docomo":
        both_widths(page, "complete")
    order = expect_accepted(live_shop, product, number, carrier, total)
    # the buyer's return asks PAYGENT (094) unless the notice accepted the order first
    assert telegrams(live_shop, order["id"]) in (["100", "094"], ["100"])
    assert live_shop.stock(product) == stock - 1
    assert [to for to, _ in order["mails"]].count(order["email"]) == 1  # the thanks mail
    [at_sandbox] = live_shop.sandbox_payments(shop_code, number)
    assert at_sandbox["status"] == "20" and at_sandbox["amount"] == total
    assert str(at_sandbox["payment_id"]) == order["payment"]["paygent_payment_id"]

    admin = staff(shop_code)
    expect_order_page(admin, live_shop, order)
    if shots and carrier == "docomo":
        both_widths(admin, "admin-order")


RETRIES = [("decline", "demo3", "au", DECLINED), ("abandon", "demo", "softbank", ABANDONED)]


@pytest.mark.parametrize("action, shop_code, first, message", RETRIES,
                         ids=[f"{a}-{s}" for a, s, _, _ in RETRIES])
def test_declined_or_abandoned_goes_back_to_the_confirmation_and_a_second_try_is_approved(
        page: Page, live_shop, staff, action, shop_code, first, message):
    price = 2160
    total = price + SHIPPING
    product = live_shop.new_product(shop_code, f"玉露 キャリア{action}試験 {shop_code}", price)
    stock = live_shop.stock(product)
    to_confirm(page, live_shop, shop_code, product)
    carriers_box(page).get_by_role("radio", name=CARRIERS[first]).check()
    order_button(page).click()
    carrier_page(page, live_shop, shop_code, first, total)
    button = "承認しない（利用不可）" if action == "decline" else "中断してショップに戻る"
    page.get_by_role("button", name=button, exact=True).click()

    expect_at(page, live_shop, shop_code, "/checkout/confirm", "#carrier")
    expect_confirm(page, live_shop, shop_code)
    expect(page.locator("#carrier .choice-error", has_text=message)).to_be_visible()
    # nothing entered is lost: the cart, the buyer and the carrier chosen
    expect(page.locator("table.grid")).to_contain_text(f"玉露 キャリア{action}試験")
    expect(page.locator("tr.grand td")).to_have_text(f"{total:,}円")
    expect(page.locator("table.kv", has_text="氏名")).to_contain_text("山田 太郎")
    expect(carriers_box(page).get_by_role("radio", name=CARRIERS[first])).to_be_checked()
    both_widths(page, f"confirm-{action}")
    waiting = only_order(live_shop, product)
    assert waiting["status"] == "pending_payment" and waiting["payment"] is None
    assert live_shop.stock(product) == stock - 1  # held for the order, which is kept

    carriers_box(page).get_by_role("radio", name=CARRIERS["docomo"]).check()
    order_button(page).click()
    carrier_page(page, live_shop, shop_code, "docomo", total)
    page.get_by_role("button", name="承認する", exact=True).click()
    number = expect_completed(page, live_shop, shop_code)
    assert number == waiting["number"]  # the same order, tried again
    order = expect_accepted(live_shop, product, number, "docomo", total)
    assert telegrams(live_shop, order["id"]) in (["100", "094", "100", "094"],
                                                 ["100", "094", "100"])
    assert len(live_shop.sandbox_payments(shop_code, number)) == 2
    assert live_shop.stock(product) == stock - 1
    expect_order_page(staff(shop_code), live_shop, order)


def test_double_click_on_order_makes_one_application(page: Page, live_shop):
    price = 1100
    total = price + SHIPPING
    product = live_shop.new_product("demo", "湯呑み キャリア二度押し試験", price, tax_rate=10)
    to_confirm(page, live_shop, "demo", product)
    carriers_box(page).get_by_role("radio", name=CARRIERS["docomo"]).check()
    order_button(page).dblclick()
    carrier_page(page, live_shop, "demo", "docomo", total)
    pending = only_order(live_shop, product)
    assert telegrams(live_shop, pending["id"]) == ["100"]
    assert len(live_shop.sandbox_payments("demo", pending["number"])) == 1
    page.get_by_role("button", name="承認する", exact=True).click()
    number = expect_completed(page, live_shop, "demo")
    order = expect_accepted(live_shop, product, number, "docomo", total)
    assert telegrams(live_shop, order["id"]) in (["100", "094"], ["100"])


IN_VIEW = """(selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  return {top: Math.round(box.top), bottom: Math.round(box.bottom), height: innerHeight,
          scrolled: Math.round(scrollY)};
}"""


def test_the_message_is_in_view_when_the_buyer_comes_back(page: Page, live_shop):
    product = live_shop.new_product("demo", "番茶 キャリア戻り表示試験", 540)
    to_confirm(page, live_shop, "demo", product)
    carriers_box(page).get_by_role("radio", name=CARRIERS["au"]).check()
    order_button(page).click()
    carrier_page(page, live_shop, "demo", "au", 540 + SHIPPING)
    page.get_by_role("button", name="中断してショップに戻る", exact=True).click()
    expect_at(page, live_shop, "demo", "/checkout/confirm", "#carrier")
    alert = page.locator("#carrier .choice-error", has_text=ABANDONED)  # next to the choice
    expect(alert).to_be_visible()
    expect(carriers_box(page)).to_be_in_viewport()  # the fragment's scroll has happened
    seen = page.evaluate(IN_VIEW, "#carrier .choice-error")
    assert seen["bottom"] > 0 and seen["top"] < seen["height"], seen
