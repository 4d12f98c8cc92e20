"""定期購入 through real pages: a shopper registers as a member (会員登録) at shop demo, buys a
product as 定期購入（1ヶ月ごと） by card in the zero-step cart (the card typed on the
confirmation page and registered at PAYGENT's card store), sees it 継続中 in マイページ, skips
the next delivery and undoes it, each written in 変更履歴; the due run on the next date creates
the repeat order and authorises it by file payment, and the owner finds it in
外部決済一括処理's 未処理一覧 and in 定期購入管理 › 一括オーソリ with OK 1件.

The whole shop runs on a real port with the sandbox mounted at ``/_sandbox`` (``live_shop``):
the sandbox's PaygentToken.js look-alike makes both tokens in the page (the payment's and the
card store's). Each step's pages are saved 1280 and 390 px wide.
"""
import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart.extensions import db
from cart.models import (CardSettings, FilePaymentRun, Member, Product, Shop,
                         StoredCard, Subscription, SubscriptionHistory)
from cart.subscriptions import cycles
from cart.subscriptions.runs import due_round
from payments.methods import card as lib
from tests.browser.test_bulk import list_rows, open_bulk
from tests.browser.test_card_checkout import (CARD, card_form, expect_card_form_ready,
                                              fill_card, pay_button)
from tests.browser.test_checkout import (BUYER, COURIER, expect_at, expect_completed,
                                         expect_confirmation, field)

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PRODUCT_NAME = "有機玄米茶 定期便 200g"
CYCLES = "1m,2m,2w"
EMAIL = "teiki.taro@example.com"
PASSWORD = "teiki-pass-2026"
OWNER = "owner@example.com"
SUBSCRIPTION_CHOICE = "定期購入（1ヶ月ごとにお届け）"
IN_CART = "定期購入（1ヶ月ごと）"
REGISTER_NOTE = ("定期購入の2回目以降のお支払いに使うため、このカードを登録します"
                 "（マイページの「登録カード」で確認・変更できます）。")
MASKED = "411111******1111"


# -- the shop -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sub_shop(live_shop):
    """Shop demo selling a new product as 定期購入 (1ヶ月・2ヶ月・2週間ごと), with カード情報お預かり
    on and 3-D Secure off, as an owner's settings would leave them; returns the product's id."""
    product_id = live_shop.new_product("demo", PRODUCT_NAME, 1620)

    def configure():
        shop = db.session.scalar(select(Shop).where(Shop.code == "demo"))
        db.session.get(Product, product_id).subscription_cycles = CYCLES
        settings = db.session.scalar(select(CardSettings).where(CardSettings.shop_id == shop.id))
        settings.three_d_secure, settings.card_stock = False, True
        settings.file_payment_mode = "auto"
        db.session.commit()
    live_shop.read(configure)
    return product_id


# -- what the shop stored -------------------------------------------------------------------
def member_subscription(live_shop) -> dict:
    def load():
        member = db.session.scalar(select(Member).join(Shop, Shop.id == Member.shop_id).where(
            Shop.code == "demo", Member.email == EMAIL))
        assert member is not None, "the member was not registered"
        subs = db.session.scalars(select(Subscription).where(
            Subscription.member_id == member.id)).all()
        assert len(subs) == 1, [s.id for s in subs]
        sub = subs[0]
        card = db.session.get(StoredCard, sub.stored_card_id) if sub.stored_card_id else None
        return {"id": sub.id, "status": sub.status, "cycle": sub.cycle,
                "next_date": sub.next_date, "skipped_date": sub.skipped_date,
                "anchor_day": sub.anchor_day, "times": sub.times,
                "card": (card.member_id == member.id, card.masked, card.customer_card_id)
                if card else None,
                "items": [(i.product_id, i.quantity) for i in sub.items],
                "history": db.session.scalars(select(SubscriptionHistory.actor).where(
                    SubscriptionHistory.subscription_id == sub.id).order_by(
                    SubscriptionHistory.id)).all()}
    return live_shop.read(load)


def runs_of(live_shop) -> list[dict]:
    def load():
        return [{"id": r.id, "due_date": r.due_date, "state": r.state, "mode": r.mode,
                 "records": r.records, "ok": r.ok_count, "ng": r.ng_count}
                for r in db.session.scalars(select(FilePaymentRun).join(
                    Shop, Shop.id == FilePaymentRun.shop_id).where(Shop.code == "demo")
                    .order_by(FilePaymentRun.id))]
    return live_shop.read(load)


def run_due(live_shop, day: date) -> dict:
    """The periodic round of ``day`` (what ``flask subscriptions run --date`` does)."""
    def run():
        return due_round(day, "demo")
    return live_shop.read(run)


# -- pages ----------------------------------------------------------------------------------
def ymd(day: date) -> str:
    return day.strftime("%Y年%m月%d日")


def slashed(day: date) -> str:
    return day.strftime("%Y/%m/%d")


def store_flash(page: Page, message: str):
    return page.locator(".store-main .alert").filter(has_text=message)


def admin_flash(page: Page, message: str):
    return page.locator(".admin-main .alert").filter(has_text=message)


def shoot(page: Page, full_screenshot, label: str) -> list[str]:
    """The whole page 1280 and 390 px wide (where nothing may stick out sideways); returns
    where each was saved."""
    saved = [str(full_screenshot(f"{label}-desktop"))]
    page.set_viewport_size(PHONE)
    try:
        saved.append(str(full_screenshot(f"{label}-phone")))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{label}: the page is {width}px wide on a phone"
    finally:
        page.set_viewport_size(DESKTOP)
    return saved


def register_member(page: Page, live_shop):
    page.goto(live_shop.shop_url("demo", "/"))
    page.locator(".store-nav").get_by_role("link", name="会員登録").click()
    expect_at(page, live_shop, "demo", "/member/register")
    expect(page.get_by_role("heading", name="会員登録", exact=True)).to_be_visible()
    for label, value in {**BUYER, "メールアドレス": EMAIL}.items():
        if label == "携帯電話番号" and field(page, label).count() == 0:
            continue
        field(page, label).fill(value)
    field(page, "都道府県").select_option("東京都")
    field(page, "パスワード").fill(PASSWORD)
    field(page, "パスワード（確認）").fill(PASSWORD)
    page.get_by_role("button", name="会員登録する").click()
    expect(store_flash(page, "会員登録が完了しました。")).to_be_visible()
    expect(page.locator(".store-nav").get_by_role("link", name="マイページ")).to_be_visible()


# -- the flow -------------------------------------------------------------------------------
def test_a_member_subscribes_skips_and_the_due_run_bills_the_next_order(
        page: Page, live_shop, sub_shop, full_screenshot):
    product = sub_shop
    today = cycles.today()
    planned = cycles.after(today, "1m", today.day)

    # 会員登録 at shop demo; the shop now knows the member, signed in.
    register_member(page, live_shop)

    # The product page offers 定期購入 in the product's cycles; 1ヶ月ごと goes in the cart.
    page.goto(live_shop.shop_url("demo", f"/products/{product}"))
    choice = page.locator("#purchase-type")
    expect(choice.get_by_role("radio", name="今回のみ購入")).to_be_checked()
    for label in (SUBSCRIPTION_CHOICE, "定期購入（2ヶ月ごとにお届け）",
                  "定期購入（2週間ごとにお届け）"):
        expect(choice.get_by_role("radio", name=label)).to_be_visible()
    expect(choice).not_to_contain_text("会員様限定")  # signed in: no call to log in
    shoot(page, full_screenshot, "1-product")
    choice.get_by_role("radio", name=SUBSCRIPTION_CHOICE).check()
    page.get_by_role("button", name="カゴに入れる").click()
    expect_at(page, live_shop, "demo", "/cart")
    line = page.locator("tr", has_text=PRODUCT_NAME)
    expect(line.locator(".badge-subscription")).to_have_text(IN_CART)

    # The zero-step cart starts from the member's data; 宅配便 and the card.
    expect(field(page, "氏名")).to_have_value(BUYER["氏名"])
    expect(field(page, "メールアドレス")).to_have_value(EMAIL)
    page.get_by_role("radio", name=COURIER).check()
    page.get_by_role("radio", name=CARD, exact=True).check()
    page.get_by_role("button", name="注文確認する").click()
    expect_confirmation(page, live_shop, "demo")
    expect(page.locator("tr", has_text=PRODUCT_NAME).locator(".badge-subscription")
           ).to_have_text(IN_CART)
    expect_card_form_ready(page)
    box = card_form(page)
    expect(box).to_have_attribute("data-register", "required")
    expect(box.locator("#card-register-note")).to_have_text(REGISTER_NOTE)
    expect(box.locator("#card-register-note")).to_be_visible()
    shoot(page, full_screenshot, "2-confirm-card-form")

    # The card typed in the page (two tokens: the payment's and the card store's), 注文する.
    fill_card(page)
    pay_button(page).click()
    number = expect_completed(page, live_shop, "demo")
    expect(page.get_by_role("heading", name=re.compile("ご注文ありがとうございました"))
           ).to_be_visible()

    [first] = live_shop.orders_with(product)
    assert first["number"] == number and first["status"] == "new"
    assert first["payment"]["status"] == lib.AUTHORIZED
    assert first["subscription_id"] and first["stored_card_id"]
    sub = member_subscription(live_shop)
    assert sub["id"] == first["subscription_id"]
    assert sub["status"] == "active" and sub["cycle"] == "1m" and sub["times"] == 1
    assert sub["next_date"] == planned and sub["skipped_date"] is None
    assert sub["items"] == [(product, 1)]
    owned, masked, customer_card_id = sub["card"]
    assert owned and masked == MASKED and customer_card_id

    # マイページ › 定期購入: 継続中, and its 次回お届け予定日.
    page.locator(".store-nav").get_by_role("link", name="マイページ").click()
    page.locator(".mypage-nav").get_by_role("link", name="定期購入").click()
    expect_at(page, live_shop, "demo", "/member/subscriptions")
    entry = page.locator(f"#subscription-{sub['id']}")
    expect(entry).to_contain_text(f"{PRODUCT_NAME} × 1")
    expect(entry.locator(".badge")).to_have_text("継続中")
    expect(entry).to_contain_text(f"お届け間隔 : 1ヶ月ごと ／ 次回お届け予定日 : {ymd(planned)}")
    entry.get_by_role("link", name="詳細・変更").click()
    expect_at(page, live_shop, "demo", f"/member/subscriptions/{sub['id']}")
    expect(page.locator(".mypage-nav a.active")).to_have_text("定期購入")
    expect(page.locator("#sub-status")).to_have_text("継続中")
    expect(page.locator("#sub-cycle")).to_have_text("1ヶ月ごと")
    expect(page.locator("#sub-next")).to_have_text(ymd(planned))
    expect(page.locator("#sub-card")).to_contain_text(MASKED)
    history = page.locator("#sub-history li")  # newest first
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text(
        f"定期購入を開始（1ヶ月ごと、初回 注文番号 : {number}、次回お届け予定日 : {slashed(planned)}）")
    shoot(page, full_screenshot, "3-mypage-subscription")

    # 次回をスキップ: the date moves one month, and 変更履歴 says so.
    moved = cycles.after(planned, "1m", sub["anchor_day"])
    page.get_by_role("button", name=re.compile(
        rf"^次回（{planned:%m月%d日}）をスキップする$")).click()
    expect(store_flash(page, "次回のお届けをスキップしました。")).to_be_visible()
    expect(page.locator("#sub-next")).to_have_text(
        f"{ymd(moved)}（{planned:%m月%d日}のお届けはスキップ）")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text(
        f"{slashed(planned)} のお届けをスキップ（次回お届け予定日 : {slashed(moved)}）")
    sub = member_subscription(live_shop)
    assert sub["next_date"] == moved and sub["skipped_date"] == planned

    # スキップを取り消す: the date comes back.
    page.get_by_role("button", name=re.compile(r"^スキップを取り消す")).click()
    expect(store_flash(page, "スキップを取り消しました。")).to_be_visible()
    expect(page.locator("#sub-next")).to_have_text(ymd(planned))
    expect(page.get_by_role("button", name=re.compile(r"^スキップを取り消す"))).to_have_count(0)
    expect(history).to_have_count(3)
    expect(history.first).to_contain_text(
        f"スキップを取り消し（次回お届け予定日 : {slashed(planned)}）")
    sub = member_subscription(live_shop)
    assert sub["next_date"] == planned and sub["skipped_date"] is None
    assert sub["history"] == ["会員", "会員", "会員"]

    # 登録カード: the card of the order, in use by the subscription.
    page.locator(".mypage-nav").get_by_role("link", name="登録カード").click()
    expect_at(page, live_shop, "demo", "/member/cards")
    cards = page.locator(".stored-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text(MASKED)
    expect(cards.first.locator(".badge")).to_have_text("定期購入のお支払いに使用中")
    expect(cards.first.get_by_role("button", name="削除")).to_have_count(0)
    shoot(page, full_screenshot, "4-mypage-cards")

    # The due run on the next date: the repeat order, authorised by file payment at once.
    live_shop.sandbox_store.set_setting("file_result_seconds", 0)
    counts = run_due(live_shop, planned)
    assert counts["runs"] == 1 and counts["orders"] == 1 and counts["errors"] == 0, counts
    if runs_of(live_shop)[-1]["state"] != "done":
        later = run_due(live_shop, planned)  # 201: the result PAYGENT has made meanwhile
        assert later["orders"] == 0 and later["errors"] == 0, later
    [run] = runs_of(live_shop)
    assert run["due_date"] == planned and run["mode"] == "auto"
    assert run["state"] == "done" and run["records"] == 1 and (run["ok"], run["ng"]) == (1, 0)
    orders = live_shop.orders_with(product)
    assert [o["number"] for o in orders[:1]] == [number] and len(orders) == 2
    repeat = orders[1]
    assert repeat["subscription_id"] == sub["id"] and repeat["member_id"] == first["member_id"]
    assert repeat["status"] == "new" and repeat["total"] == first["total"]
    assert repeat["payment"]["status"] == lib.AUTHORIZED
    assert repeat["payment"]["paygent_payment_id"]
    assert any("定期購入 2回目の注文を作成" in h for h in repeat["history"]), repeat["history"]
    after_run = member_subscription(live_shop)
    assert after_run["times"] == 2
    assert after_run["next_date"] == cycles.after(planned, "1m", sub["anchor_day"])
    assert after_run["history"][-1] == "自動"
    # A second round on the date creates nothing more.
    assert run_due(live_shop, planned)["orders"] == 0
    assert len(live_shop.orders_with(product)) == 2

    # The owner: 外部決済一括処理's 未処理一覧 holds the repeat order, ready for 売上確定.
    page.context.clear_cookies()
    page.goto(f"{live_shop.url}/admin/login")
    page.get_by_label("メールアドレス").fill(OWNER)
    page.get_by_label("パスワード").fill("demo1234")
    page.get_by_role("button", name="ログイン").click()
    expect(page.locator(".admin-header .who")).to_contain_text(OWNER)
    open_bulk(page)
    row = list_rows(page).filter(has_text=repeat["number"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text(CARD)
    expect(row).to_contain_text(f"({repeat['payment']['paygent_payment_id']})")
    expect(row).to_contain_text(f"{repeat['total']:,}円")

    # 定期購入管理 › the subscription: both orders and every change, with who made it.
    page.get_by_role("link", name="定期購入管理").click()
    listing = page.locator("#subscriptions tbody tr", has_text=f"#{sub['id']}")
    expect(listing).to_contain_text(EMAIL)
    expect(listing).to_contain_text("1ヶ月ごと")
    expect(listing).to_contain_text(slashed(after_run["next_date"]))
    listing.get_by_role("link", name=f"#{sub['id']}").click()
    expect(page.locator("#sub-status")).to_have_text("継続中")
    expect(page.locator("#sub-next")).to_have_text(slashed(after_run["next_date"]))
    sub_orders = page.locator("#sub-orders tbody tr")
    expect(sub_orders).to_have_count(2)
    expect(sub_orders.first).to_contain_text(repeat["number"])
    expect(sub_orders.last).to_contain_text(number)
    lines = page.locator("#sub-history tbody tr")  # newest first
    expect(lines).to_have_count(4)
    expect(lines.nth(0)).to_contain_text(f"2回目の注文を作成（注文番号 : {repeat['number']}")
    expect(lines.nth(1)).to_contain_text("スキップを取り消し")
    expect(lines.nth(2)).to_contain_text(f"{slashed(planned)} のお届けをスキップ")
    expect(lines.nth(3)).to_contain_text(f"定期購入を開始（1ヶ月ごと、初回 注文番号 : {number}")
    for i, actor in enumerate(["自動", "会員", "会員", "会員"]):
        expect(lines.nth(i).locator("td").nth(1)).to_have_text(actor)
    shoot(page, full_screenshot, "5-admin-subscription")

    # 一括オーソリ: the date's run, 完了 with OK 1件.
    page.get_by_role("link", name="定期購入一覧へ戻る").click()
    page.locator("nav.tabs").get_by_role("link", name="一括オーソリ").click()
    run_row = page.locator("#runs tbody tr", has_text=slashed(planned))
    expect(run_row).to_have_count(1)
    expect(run_row).to_contain_text("完了")
    run_row.get_by_role("link", name=slashed(planned)).click()
    expect(page.locator("#run-state")).to_have_text("完了")
    expect(page.locator("#run-counts")).to_have_text("OK 1件 / NG 0件")
    item = page.locator("#run-items tbody tr")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(repeat["number"])
    expect(item).to_contain_text("オーソリOK")
    expect(item).to_contain_text(number)  # 直前回の注文番号
    expect(item).to_contain_text(repeat["payment"]["paygent_payment_id"])
    shoot(page, full_screenshot, "6-admin-run")
