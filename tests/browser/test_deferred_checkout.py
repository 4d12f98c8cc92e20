"""コンビニ決済, ATM決済（ペイジー） and 銀行ネット決済 through real pages, in both carts: the
buyer orders (the store chosen on the confirmation page for コンビニ), is given the numbers on
the completion page, in the mail and behind the mail's signed link, pays at the sandbox's store
terminal or on its bank selection page, and the sandbox's 差分通知 make the order 入金済み in
the 管理画面 (受注一覧 with its 対応状況 filter, 受注明細). The bank's 中断, a コンビニ order whose
deadline passes on the sandbox clock (注文取消し, stock back) and a double click on 「注文する」
are covered too.

The whole shop runs on a real port with the sandbox mounted at ``/_sandbox`` (``live_shop``);
each test buys a product made for it. Staff look at the orders from one signed-in context per
shop, kept for the module. Screenshots of the pages the buyer and staff read are saved at
desktop width and at 390 px as ``deferred-<page>-<width>.png``.
"""
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart.demo import DEMO_PASSWORD
from cart.extensions import db
from cart.models import DeferredPayment, OutboxMail, PaymentLog
from tests.browser.test_checkout import (BUYER, COURIER, expect_completed,
                                         expect_confirmation, fill_buyer, put_in_cart)
from tests.integration.http_helpers import wait_until

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000
NOTICE_WAIT = 15.0  # seconds for a sandbox move to reach the shop as a 差分通知

METHODS = {"conveni": "コンビニ決済", "atm": "ATM決済（ペイジー）", "bank": "銀行ネット決済"}
TELEGRAM = {"conveni": "030", "atm": "010", "bank": "060"}
STAFF = {"demo": "staff@example.com", "demo3": "staff3@example.com"}
STORES = {"00C001": "セブン-イレブン", "00C002": "ローソン", "00C004": "ミニストップ",
          "00C005": "ファミリーマート", "00C014": "デイリーヤマザキ", "00C016": "セイコーマート"}
#: what the store's terminal takes: the number the completion page shows first for the store
STORE_NUMBER = {"00C001": "払込票番号", "00C002": "お客様番号", "00C004": "お客様番号",
                "00C005": "お客様番号", "00C014": "オンライン決済番号", "00C016": "受付番号"}
DEADLINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日\([月火水木金土日]\) 23:59まで$")
BANK_DEADLINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日\([月火水木金土日]\) \d{2}:\d{2}まで$")
JST = timezone(timedelta(hours=9))
ADMIN_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


# -- screenshots -----------------------------------------------------------------------------
def both_widths(page: Page, name: str) -> dict:
    """The whole page at desktop width and at 390 px. Returns, per width, what sticks out
    sideways past the page's width (tag.class and how many px; empty when nothing does); it
    is also written to ``deferred-overflow.txt`` beside the screenshots, to be looked at
    rather than asserted: some of it is the shop's layout, not these payments' pages. The
    page is left at the size it had."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    found = {}
    for label, viewport in (("desktop", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(viewport)
        found[label] = page.evaluate(OVERFLOWING)
        page.screenshot(path=str(SCREENSHOTS / f"deferred-{name}-{label}.png"), full_page=True)
        if found[label]:
            with open(SCREENSHOTS / "deferred-overflow.txt", "a", encoding="utf-8") as out:
                out.write(f"{name} at {label}: {found[label]}\n")
    page.set_viewport_size(size)
    return found


#: the innermost elements whose right edge passes the page's width (not inside a scroller)
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const right = el.getBoundingClientRect().right + window.scrollX;
    if (right <= width + 0.5) continue;
    let p = el.parentElement, clipped = false;
    while (p && p !== document.body) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') { clipped = true; break; }
      p = p.parentElement;
    }
    if (clipped) continue;
    if ([...el.children].some(c => c.getBoundingClientRect().right + window.scrollX > width + 0.5))
      continue;
    const cls = el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    out.push(`${el.tagName.toLowerCase()}${cls} "${(el.innerText || '').trim().slice(0, 30)}" +${Math.round(right - width)}px`);
  }
  return out;
}"""


# -- staff -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def staff(browser, live_shop):
    """``staff(shop_code)``: a page signed in as that shop's staff, in its own context (no
    shopper cookies), made on first use and kept for the module."""
    pages = {}

    def page_for(shop_code: str) -> Page:
        if shop_code not in pages:
            context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo",
                                          viewport=DESKTOP)
            context.set_default_timeout(TIMEOUT_MS)
            admin = context.new_page()
            admin.page_errors = []
            admin.on("pageerror", lambda exc: admin.page_errors.append(str(exc)))
            admin.goto(f"{live_shop.url}/admin/login")
            admin.get_by_label("メールアドレス").fill(STAFF[shop_code])
            admin.get_by_label("パスワード").fill(DEMO_PASSWORD)
            admin.get_by_role("button", name="ログイン").click()
            expect(admin.locator(".admin-header .who")).to_contain_text(STAFF[shop_code])
            pages[shop_code] = admin
        return pages[shop_code]

    yield page_for
    errors = [e for admin in pages.values() for e in admin.page_errors]
    for admin in pages.values():
        admin.context.close()
    assert not errors, errors


def order_row(admin: Page, number: str):
    return admin.locator("table.orders tbody tr").filter(has_text=number)


def open_list(admin: Page, live_shop, status: str = ""):
    """受注一覧, narrowed by 対応状況 through the 詳細検索フォーム when ``status`` is given."""
    admin.goto(f"{live_shop.url}/admin/orders/")
    if status:
        admin.locator("details.search-form summary").click()
        admin.get_by_label("対応状況").select_option(label=status)
        admin.get_by_role("button", name="上記条件で検索").click()
        expect(admin.get_by_label("対応状況")).to_have_value(
            {"入金待ち": "awaiting_payment", "入金済み": "paid"}[status])


def open_order(admin: Page, live_shop, number: str, status: str):
    """受注一覧 narrowed to ``status`` shows the order with that badge; its 明細."""
    open_list(admin, live_shop, status)
    row = order_row(admin, number)
    expect(row).to_have_count(1)
    expect(row.locator(".badge").first).to_have_text(status)
    row.get_by_role("link", name="明細").click()
    expect(admin.get_by_role("heading", name=f"受注明細（注文番号：{number}）")).to_be_visible()


def kv(admin: Page, heading: str):
    """The value cell of a row of the 受注情報 table."""
    return admin.locator("section.panel", has=admin.get_by_role("heading", name="受注情報")) \
        .locator("tr", has=admin.locator("th", has_text=heading)).locator("td")


def expect_order_page(admin: Page, method: str, lines: dict, paid: bool):
    """受注明細 of a deferred order: 受注状況, 決済状況, 入金日時, the numbers, 残り日数."""
    expect(kv(admin, "受注状況")).to_have_text("入金済み" if paid else "入金待ち")
    expect(admin.locator("#payment-status")).to_have_text("入金済" if paid else "入金待ち")
    if paid:
        expect(admin.locator("#paid-at")).to_have_text(ADMIN_DATETIME)
        expect(admin.locator("#days-left")).to_have_text("入金済み")
    else:
        expect(admin.locator("#paid-at")).to_have_text("未入金")
        expect(admin.locator("#days-left")).to_have_text(re.compile(r"^(あと\d+日|本日まで)$"))
    expect(kv(admin, "支払方法")).to_contain_text(METHODS[method])
    panel = admin.locator("#deferred-panel")
    for label, value in lines.items():
        cell = panel.locator("tr", has=admin.locator("th", has_text=label)).locator("td")
        expect(cell).to_have_text(value)


def expect_mail_logged(admin: Page, live_shop, order: dict, lines: dict) -> str:
    """送信メール holds the thanks mail with the numbers and the signed link; returns the link."""
    mail_id = live_shop.read(lambda: db.session.scalar(select(OutboxMail.id).where(
        OutboxMail.order_id == order["id"], OutboxMail.to_addr == order["email"])
        .order_by(OutboxMail.id)))
    admin.get_by_role("link", name="送信メール").click()
    admin.locator(f'a[href$="/admin/mails/{mail_id}"]').click()
    body = admin.locator("pre.mail-body")
    expect(body).to_contain_text(order["number"])
    for label, value in lines.items():
        expect(body).to_contain_text(f"{label}：{value}")
    expect(body).to_contain_text(f"お支払い金額：{order['total']:,}円")
    link = re.search(rf"{re.escape(live_shop.url)}/s/\w+/payment/\S+", body.inner_text())
    assert link, body.inner_text()
    return link.group(0)


# -- the buyer -------------------------------------------------------------------------------
def to_confirm(page: Page, shop, shop_code: str, product: int, method: str):
    """Cart, buyer, 宅配便 and the method, up to ご注文内容の確認 (either cart)."""
    put_in_cart(page, shop, shop_code, product)
    if shop_code == "demo3":
        page.get_by_role("button", name="注文手続きへ").click()
        fill_buyer(page)
        page.get_by_role("button", name="次へ").click()
        choose(page, method)
        page.get_by_role("button", name="次へ").click()
        expect(page.locator(".steps .current")).to_have_text("Step 3 ご注文内容の確認")
    else:
        fill_buyer(page)
        choose(page, method)
        page.get_by_role("button", name="注文確認する").click()
    expect_confirmation(page, shop, shop_code)
    expect(page.locator("table.kv tr", has_text="お支払い方法").locator("td")).to_have_text(
        METHODS[method])


def choose(page: Page, method: str):
    page.get_by_role("radio", name=COURIER).check()
    page.get_by_role("radio", name=METHODS[method], exact=True).check()


def stores_box(page: Page):
    return page.locator("fieldset.cvs-stores")


def order_button(page: Page, method: str):
    return page.get_by_role("button", name="注文してお支払いへ進む" if method == "bank"
                            else "注文する", exact=True)


def payment_lines(page: Page) -> dict:
    """The (label → value) rows of the お支払いについて table, in order."""
    rows = page.locator("#payment-instructions table.payment-lines tr")
    expect(rows.first).to_be_visible()
    return {row.locator("th").inner_text(): row.locator("td").inner_text()
            for row in rows.all()}


def expect_awaiting(page: Page, method: str, lines: dict, store: str = ""):
    """The numbers as the completion page and the signed page show them while 入金待ち."""
    expect(page.locator("#payment-status")).to_have_text("入金待ち")
    expect(page.locator(".payment-state")).to_have_text("お支払い状況：入金待ち")
    assert DEADLINE.match(lines["お支払い期限"]), lines
    assert re.fullmatch(r"あと\d+日", lines["残り日数"]), lines
    if method == "atm":
        assert lines["収納機関番号"] == "58091", lines
        assert re.fullmatch(r"\d{16}", lines["お客様番号"]), lines
        assert re.fullmatch(r"\d{6}", lines["確認番号"]), lines
    else:
        assert lines["お支払い先"].startswith(STORES[store]), lines
        labels = list(lines)
        assert labels[1] == STORE_NUMBER[store], labels  # the number the store asks first
        assert re.fullmatch(r"\d{6,13}", lines[STORE_NUMBER[store]]), lines
        if store == "00C001":
            slip = page.get_by_role("link", name="払込票を表示する")
            expect(slip).to_have_attribute("href", re.compile(r"/_sandbox/cvs/slip/"))
            expect(slip).to_have_attribute("target", "_blank")


def given_lines(lines: dict) -> dict:
    """The lines PAYGENT's answer gave (what the mail and 受注明細 show too)."""
    return {k: v for k, v in lines.items()
            if k not in ("お支払い金額", "残り日数", "払込票URL")}


def number_to_pay(method: str, lines: dict, store: str = "") -> str:
    return lines["お客様番号"] if method == "atm" else lines[STORE_NUMBER[store]]


def pay_at_terminal(page: Page, shop, method: str, number: str, amount: int):
    """At the sandbox's store terminal: the number in the コンビニ or the ATM field, 支払う."""
    page.goto(f"{shop.url}/_sandbox/cvs/terminal")
    expect(page.get_by_role("heading", name="お支払い端末（テスト環境）")).to_be_visible()
    counter = "cvs" if method == "conveni" else "atm"
    page.locator(f"#{counter}-number").fill(number)
    page.locator(f"#{counter}-pay").click()
    expect(page.locator("#result")).to_have_text(f"{amount:,}円のお支払いが完了しました。")


def bank_page(page: Page, shop, amount: int):
    expect(page).to_have_url(re.compile(re.escape(shop.url) + r"/_sandbox/bank/select/"))
    expect(page.get_by_role("heading", name="ネットバンク選択（テスト環境）")).to_be_visible()
    expect(page.locator("#amount")).to_have_text(f"{amount:,}円")
    expect(page.locator("#claim")).to_have_text("サンプル商会")
    expect(page.get_by_role("radio")).to_have_count(5)


def order_of(shop, product: int) -> dict:
    orders = shop.orders_with(product)
    assert len(orders) == 1, [(o["number"], o["status"]) for o in orders]
    return orders[0]


def wait_for_status(shop, product: int, status: str) -> dict:
    return wait_until(lambda: next((o for o in shop.orders_with(product)
                                    if o["status"] == status), None),
                      NOTICE_WAIT, f"the order to be {status}")


def telegrams(shop, order_id: int) -> list[str]:
    return shop.read(lambda: db.session.scalars(select(PaymentLog.telegram_kind).where(
        PaymentLog.order_id == order_id).order_by(PaymentLog.id)).all())


# -- the flows -------------------------------------------------------------------------------
CASES = [("conveni", "demo", "00C001"), ("conveni", "demo3", "00C005"),
         ("atm", "demo", ""), ("atm", "demo3", ""), ("bank", "demo", ""), ("bank", "demo3", "")]


@pytest.mark.parametrize("method, shop_code, store", CASES,
                         ids=[f"{m}-{s}" for m, s, _ in CASES])
def test_ordered_paid_through_the_sandbox_and_paid_in_the_admin(
        page: Page, live_shop, staff, method, shop_code, store):
    price = {"conveni": 1620, "atm": 3240, "bank": 2160}[method]
    total = price + 800
    product = live_shop.new_product(shop_code, f"煎茶 {METHODS[method]}試験 {shop_code}", price)
    stock = live_shop.stock(product)
    shots = shop_code == "demo"
    to_confirm(page, live_shop, shop_code, product, method)

    if method == "conveni":
        box = stores_box(page)
        expect(box.locator("legend")).to_have_text("お支払いいただくコンビニエンスストア 必須")
        expect(box.get_by_role("radio")).to_have_count(len(STORES))
        for name in STORES.values():
            expect(box.get_by_role("radio", name=name)).not_to_be_checked()
        if shots:
            both_widths(page, "confirm-store-choice")
        box.get_by_role("radio", name=STORES[store]).check()
    else:
        expect(stores_box(page)).to_have_count(0)
    order_button(page, method).click()

    if method == "bank":
        bank_page(page, live_shop, total)
        [pending] = live_shop.orders_with(product)
        assert pending["status"] == "awaiting_payment"
        page.get_by_role("radio", name="みずほ銀行").check()
        page.get_by_role("button", name="支払う").click()
        expect(page).to_have_url(re.compile(re.escape(live_shop.shop_url(
            shop_code, "/checkout/bank/return/")) + r"[\w-]+\?trading_id="))
        expect(page.get_by_role("heading", name="お支払い手続きを受け付けました")).to_be_visible()
        expect(page.locator("#order-number")).to_have_text(pending["number"])
        lines = payment_lines(page)
        assert lines["お支払い方法"].startswith("ネットバンク選択画面で"), lines
        assert BANK_DEADLINE.match(lines["お支払い期限"]), lines
        expect(page.locator("#payment-status")).to_have_text("入金済")
        expect(page.locator("#handover-link")).to_have_count(0)
        number = pending["number"]
    else:
        number = expect_completed(page, live_shop, shop_code)
        lines = payment_lines(page)
        expect_awaiting(page, method, lines, store)
        assert lines["お支払い金額"] == f"{total:,}円"
        if shots:
            both_widths(page, f"complete-{method}")
        awaiting = order_of(live_shop, product)
        assert awaiting["status"] == "awaiting_payment" and awaiting["number"] == number
        admin = staff(shop_code)
        open_order(admin, live_shop, number, "入金待ち")
        expect_order_page(admin, method, given_lines(lines), paid=False)
        if shots and method == "conveni":
            both_widths(admin, "admin-order-awaiting")
        pay_at_terminal(page, live_shop, method, number_to_pay(method, lines, store), total)

    order = wait_for_status(live_shop, product, "paid")
    assert order["number"] == number and order["total"] == total
    assert order["payment_kind"] == method and order["cart_type"] == (
        "zero" if shop_code == "demo" else "three")
    assert order["payment"]["status"] == "40" and order["payment"]["captured_at"] is not None
    assert live_shop.stock(product) == stock - 1
    assert telegrams(live_shop, order["id"])[0] == TELEGRAM[method]
    assert any("ご入金を確認しました" in line for line in order["history"]), order["history"]
    wait_until(lambda: all(n["acknowledged"] for n in live_shop.sandbox_notices(
        shop_code, number)), NOTICE_WAIT, "the shop to take every notice")
    assert "40" in [n["payment_status"] for n in live_shop.received_notices(order["id"])]

    admin = staff(shop_code)
    open_order(admin, live_shop, number, "入金済み")
    expect_order_page(admin, method, given_lines(lines), paid=True)
    if shots and method == "conveni":
        both_widths(admin, "admin-order-paid")
        open_list(admin, live_shop, "入金済み")
        expect(order_row(admin, number)).to_have_count(1)
        both_widths(admin, "admin-list-status-filter")
    open_list(admin, live_shop, "入金待ち")
    expect(order_row(admin, number)).to_have_count(0)
    expect_mail_logged(admin, live_shop, order, given_lines(lines))


def test_signed_link_opens_the_numbers_without_a_session(page: Page, live_shop, staff,
                                                         browser):
    product = live_shop.new_product("demo3", "玉露 署名付きリンク試験", 3240)
    to_confirm(page, live_shop, "demo3", product, "conveni")
    stores_box(page).get_by_role("radio", name=STORES["00C016"]).check()
    order_button(page, "conveni").click()
    number = expect_completed(page, live_shop, "demo3")
    lines = payment_lines(page)
    expect_awaiting(page, "conveni", lines, "00C016")
    assert lines["電話番号"] == re.sub(r"\D", "", BUYER["TEL"]), lines
    order = order_of(live_shop, product)
    link = expect_mail_logged(staff("demo3"), live_shop, order, given_lines(lines))

    fresh = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport=DESKTOP)
    try:
        assert fresh.cookies() == []
        buyer = fresh.new_page()
        buyer.set_default_timeout(TIMEOUT_MS)
        buyer.goto(link)
        expect(buyer.get_by_role("heading", name="お支払い情報", exact=True)).to_be_visible()
        expect(buyer.locator("#order-number")).to_have_text(number)
        expect(buyer.locator(".order-number")).to_contain_text(METHODS["conveni"])
        assert payment_lines(buyer) == lines
        expect_awaiting(buyer, "conveni", lines, "00C016")
        both_widths(buyer, "signed-payment-page")
        # nothing else of the shop opens without signing in, and a changed link opens nothing
        buyer.goto(f"{live_shop.url}/admin/orders/{order['id']}")
        expect(buyer).to_have_url(re.compile(re.escape(live_shop.url) + r"/admin/login"))
        assert buyer.goto(link[:-3] + "xyz").status == 404

        pay_at_terminal(page, live_shop, "conveni", lines["受付番号"], order["total"])
        wait_for_status(live_shop, product, "paid")
        buyer.goto(link)
        expect(buyer.locator("#payment-status")).to_have_text("入金済")
        expect(buyer.get_by_text("お支払い期限を過ぎますと")).to_have_count(0)
    finally:
        fresh.close()


def test_bank_buyer_who_stops_sees_abandoned_and_the_way_back(page: Page, live_shop, staff):
    product = live_shop.new_product("demo3", "抹茶 銀行ネット中断試験", 2160)
    to_confirm(page, live_shop, "demo3", product, "bank")
    order_button(page, "bank").click()
    bank_page(page, live_shop, 2960)
    page.get_by_role("button", name="中断").click()

    expect(page).to_have_url(re.compile(re.escape(live_shop.shop_url(
        "demo3", "/checkout/bank/stopped/")) + r"[\w-]+\?trading_id="))
    expect(page.get_by_role("heading", name="お支払いが中断されました")).to_be_visible()
    expect(page.locator("#payment-status")).to_have_text("申込中断")
    expect(page.locator(".alert-warning")).to_contain_text("お支払いは完了していません。")
    back = page.get_by_role("link", name="ネットバンク選択画面へ進む")
    expect(back).to_have_attribute("href", re.compile(re.escape(live_shop.url)
                                                      + r"/_sandbox/bank/select/"))
    both_widths(page, "bank-stopped")
    order = order_of(live_shop, product)
    assert order["status"] == "awaiting_payment" and order["payment"]["status"] == "15"
    assert telegrams(live_shop, order["id"])[0] == "060"
    admin = staff("demo3")
    open_order(admin, live_shop, order["number"], "入金待ち")
    expect(admin.locator("#payment-status")).to_have_text("申込中断")


def test_bank_buyer_who_stopped_can_go_back_to_the_bank_page_and_pay(page: Page, live_shop):
    product = live_shop.new_product("demo", "番茶 銀行ネット再開試験", 540)
    to_confirm(page, live_shop, "demo", product, "bank")
    order_button(page, "bank").click()
    bank_page(page, live_shop, 1340)
    page.get_by_role("button", name="中断").click()
    expect(page.get_by_role("heading", name="お支払いが中断されました")).to_be_visible()
    with page.expect_response(lambda r: "/_sandbox/bank/select/" in r.url) as answer:
        page.get_by_role("link", name="ネットバンク選択画面へ進む").click()
    assert answer.value.status == 200, (answer.value.status, page.locator("main").inner_text())
    bank_page(page, live_shop, 1340)
    page.get_by_role("radio", name="ゆうちょ銀行").check()
    page.get_by_role("button", name="支払う").click()
    expect(page.get_by_role("heading", name="お支払い手続きを受け付けました")).to_be_visible()
    wait_for_status(live_shop, product, "paid")


def test_double_click_on_order_makes_one_order_and_one_application(page: Page, live_shop):
    product = live_shop.new_product("demo", "湯呑み 二度押し試験", 1100, tax_rate=10)
    stock = live_shop.stock(product)
    to_confirm(page, live_shop, "demo", product, "atm")
    order_button(page, "atm").dblclick()
    number = expect_completed(page, live_shop, "demo")
    expect_awaiting(page, "atm", payment_lines(page))

    order = order_of(live_shop, product)
    assert order["number"] == number and order["status"] == "awaiting_payment"
    assert telegrams(live_shop, order["id"]) == ["010"]
    assert len(live_shop.sandbox_payments("demo", number)) == 1
    assert live_shop.stock(product) == stock - 1
    assert [to for to, _ in order["mails"]].count(order["email"]) == 1


def control(shop, path: str, **body) -> dict:
    response = requests.post(f"{shop.url}/_sandbox/control/{path}", json=body,
                             headers={"X-Sandbox-Token": shop.sandbox_token}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_deadline_is_kept_as_the_moment_it_ends(page: Page, live_shop):
    product = live_shop.new_product("demo", "茶托 支払期限試験", 1100, tax_rate=10)
    to_confirm(page, live_shop, "demo", product, "atm")
    order_button(page, "atm").click()
    expect_completed(page, live_shop, "demo")
    lines = payment_lines(page)
    shown = re.match(r"(\d{4})年(\d{1,2})月(\d{1,2})日", lines["お支払い期限"])
    last_day = date(*map(int, shown.groups()))
    order = order_of(live_shop, product)
    kept = live_shop.read(lambda: db.session.scalar(select(DeferredPayment.deadline).where(
        DeferredPayment.order_id == order["id"])))
    kept = (kept if kept.tzinfo else kept.replace(tzinfo=timezone.utc)).astimezone(JST)
    today = datetime.now(JST).date()
    assert lines["残り日数"] == f"あと{(last_day - today).days}日", (lines, today)
    assert (kept.date(), kept.hour, kept.minute) == (last_day, 23, 59), kept


@pytest.fixture(scope="module")
def expired_order(browser, live_shop):
    """A コンビニ order (ローソン, demo) left unpaid until the sandbox clock passes its deadline:
    the sandbox expires it by itself and notifies 12. Used by the last tests of the module,
    since the clock moves for every payment the sandbox holds (it is set back afterwards)."""
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        product = live_shop.new_product("demo", "急須 支払期限切れ試験", 4400, tax_rate=10,
                                        stock=5)
        to_confirm(page, live_shop, "demo", product, "conveni")
        stores_box(page).get_by_role("radio", name=STORES["00C002"]).check()
        order_button(page, "conveni").click()
        number = expect_completed(page, live_shop, "demo")
        lines = payment_lines(page)
        expect_awaiting(page, "conveni", lines, "00C002")
        held = live_shop.stock(product)
        before = control(live_shop, "clock", advance_days=0)["clock_offset"]
        try:
            control(live_shop, "clock", advance_days=16)  # past the 15th day's 23:59
            order = wait_for_status(live_shop, product, "cancelled")
        finally:
            control(live_shop, "clock", offset_days=before / 86400)
    finally:
        context.close()
    return {"product": product, "number": number, "lines": lines, "held": held,
            "order": order}


def test_unpaid_conveni_order_is_cancelled_at_its_deadline_with_the_stock_back(
        live_shop, staff, expired_order):
    order, number = expired_order["order"], expired_order["number"]
    assert expired_order["held"] == 4 and live_shop.stock(expired_order["product"]) == 5
    assert order["number"] == number and order["payment"]["status"] == "12"
    assert order["cancelled_at"] is not None
    assert any("支払期限切" in line and "在庫を戻しました" in line for line in order["history"]), \
        order["history"]
    assert "12" in [n["payment_status"] for n in live_shop.received_notices(order["id"])]
    [at_sandbox] = live_shop.sandbox_payments("demo", number)
    assert at_sandbox["status"] == "12"

    admin = staff("demo")
    open_list(admin, live_shop, "入金待ち")
    expect(order_row(admin, number)).to_have_count(0)
    admin.goto(f"{live_shop.url}/admin/orders/?tab=cancelled")
    row = order_row(admin, number)
    expect(row).to_have_count(1)
    row.get_by_role("link", name="明細").click()
    expect(admin.get_by_role("heading", name=f"受注キャンセル明細（注文番号：{number}）")) \
        .to_be_visible()
    expect(kv(admin, "受注状況")).to_have_text("キャンセル")
    expect(admin.locator("#payment-status")).to_have_text("支払期限切れ")
    expect(kv(admin, "入金日時")).to_have_text("未入金")
    expect(admin.locator("#days-left")).to_have_text("—")
    both_widths(admin, "admin-order-expired")


def test_buyer_sees_the_deadline_passed_on_the_payment_page(page: Page, live_shop, staff,
                                                            expired_order):
    order = expired_order["order"]
    link = expect_mail_logged(staff("demo"), live_shop, order,
                              given_lines(expired_order["lines"]))
    page.goto(link)
    expect(page.locator("#order-number")).to_have_text(expired_order["number"])
    expect(page.locator("#payment-status")).to_have_text("支払期限切れ", timeout=2000)
