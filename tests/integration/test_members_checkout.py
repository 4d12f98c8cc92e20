"""A signed-in member's checkout: the buyer fields start from the member (or a chosen お届け先),
the order carries member_id and shows in 購入履歴; a guest's checkout is unchanged and reads
nothing of members."""
import re

from sqlalchemy import event

from cart.extensions import db
from cart.models import MemberAddress

from .checkout_helpers import (at_confirmation, BUYER, add_to_cart, authorize_at_paidy, delivery, method,
                               orders, paidy_result, paidy_start, shop, token)
from .test_members import MEMBER, member, member_client


def member_form_values(html: str) -> dict:
    return {name: value for name, value in re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', html)}


def place_bank_transfer(browser, shop_code="demo", **buyer):
    """Post the zero-step page as the shopper leaves it (what it shows, plus ``buyer``)."""
    page = browser.get(f"/s/{shop_code}/cart").get_data(as_text=True)
    shown = member_form_values(page)
    data = {key: shown.get(key, "") for key in BUYER}
    prefecture = re.search(r'<option selected value="([^"]+)"', page)
    data["prefecture"] = prefecture.group(1) if prefecture else ""
    data.update(buyer)
    response = browser.post(f"/s/{shop_code}/cart", data={
        "csrf_token": token(browser, f"/s/{shop_code}/cart"), **data, "confirm": "1",
        "delivery_method": delivery(shop_code=shop_code).id,
        "payment_method": method("bank_transfer", shop_code).id})
    assert at_confirmation(response), \
        response.get_data(as_text=True)
    placed = browser.post(f"/s/{shop_code}/checkout/confirm", data={
        "csrf_token": token(browser, f"/s/{shop_code}/checkout/confirm")})
    assert placed.headers["Location"].endswith("/checkout/complete")


def test_a_members_cart_starts_filled_and_the_order_is_theirs(app, shops):
    browser = member_client(app)
    add_to_cart(browser)
    page = browser.get("/s/demo/cart").get_data(as_text=True)
    for value in ("会員 花子", "カイイン ハナコ", "渋谷区神宮前", "4-5-6", "会員ハイツ202",
                  "hanako@example.com"):
        assert f'value="{value}"' in page, value
    assert '<option selected value="東京都">' in page
    place_bank_transfer(browser)
    [order] = orders()
    assert order.member_id == member().id
    assert (order.buyer_name, order.email, order.zip_code) == ("会員 花子", "hanako@example.com",
                                                               "150-0001")
    history = browser.get("/s/demo/member/orders").get_data(as_text=True)
    assert order.number in history
    assert browser.get(f"/s/demo/member/orders/{order.id}").status_code == 200


def test_what_the_member_typed_is_kept_over_the_members_data(app, shops):
    browser = member_client(app)
    add_to_cart(browser)
    place_bank_transfer(browser, buyer_name="贈答 一郎")
    [order] = orders()
    assert order.buyer_name == "贈答 一郎" and order.member_id == member().id


def test_a_chosen_delivery_address_fills_the_address_fields(app, shops):
    browser = member_client(app)
    db.session.add(MemberAddress(shop_id=shop().id, member_id=member().id, name="実家 太郎",
                                 kana="ジッカ タロウ", zip_code="530-0001", prefecture="大阪府",
                                 city="大阪市北区", street="9-9", building="", tel="0661234567"))
    db.session.commit()
    add_to_cart(browser)
    page = browser.get("/s/demo/cart").get_data(as_text=True)
    [address_id] = re.findall(r'href="\?address=(\d+)#buyer"', page)
    assert "実家 太郎（大阪府大阪市北区）" in page
    chosen = browser.get(f"/s/demo/cart?address={address_id}").get_data(as_text=True)
    for value in ("実家 太郎", "大阪市北区", "9-9", "hanako@example.com"):
        assert f'value="{value}"' in chosen, value
    assert '<option selected value="大阪府">' in chosen
    browser.get(f"/s/demo/cart?address={address_id}")
    # another member's address id fills nothing
    other = member_client(app, email="other@example.com")
    add_to_cart(other)
    assert "実家" not in other.get(f"/s/demo/cart?address={address_id}").get_data(as_text=True)


def test_a_three_step_members_step1_starts_filled(app, shops):
    browser = member_client(app, "demo3")
    add_to_cart(browser, shop_code="demo3")
    page = browser.get("/s/demo3/checkout/step1").get_data(as_text=True)
    assert 'value="会員 花子"' in page and 'value="hanako@example.com"' in page
    step1 = browser.post("/s/demo3/checkout/step1", data={
        "csrf_token": token(browser, "/s/demo3/checkout/step1"), **MEMBER})
    assert step1.headers["Location"].endswith("/checkout/step2")
    browser.post("/s/demo3/checkout/step2", data={
        "csrf_token": token(browser, "/s/demo3/checkout/step2"),
        "delivery_method": delivery(shop_code="demo3").id,
        "payment_method": method("paidy", "demo3").id})
    start = paidy_start(browser, "demo3").get_json()
    [pending] = orders("demo3")
    assert pending.member_id == member(shop_code="demo3").id  # from the payment step's order
    paid = authorize_at_paidy(shops, start["payload"], public_key="pk_test_demo_shop_0003")
    paidy_result(browser, start["order_number"], "authorized", paid["id"], "demo3")
    [order] = orders("demo3")
    assert order.status == "new" and order.member_id == member(shop_code="demo3").id


def test_a_member_of_another_shop_checks_out_as_a_guest_here(app, shops):
    browser = member_client(app, "demo3")
    add_to_cart(browser)
    assert 'value="会員 花子"' not in browser.get("/s/demo/cart").get_data(as_text=True)
    place_bank_transfer(browser, **BUYER)
    [order] = orders()
    assert order.member_id is None


def test_a_guests_checkout_reads_nothing_of_members(app, shops):
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        guest = app.test_client()
        add_to_cart(guest)
        guest.get("/s/demo/")
        place_bank_transfer(guest, **BUYER)
        guest.get("/s/demo/checkout/complete")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert statements  # the checkout did run queries
    touching = [s for s in statements if re.search(r"\bmembers\b|\bmember_addresses\b", s)]
    assert touching == []
    [order] = orders()
    assert order.member_id is None and order.buyer_name == BUYER["buyer_name"]
