"""Quantities at 「カゴに入れる」 and in the cart: a bad one is refused with the limit named,
and nothing is changed silently (issue 18)."""
import pytest

from .checkout_helpers import add_to_cart, at_confirmation, product, shop, token

FORMAT = "数量は1〜99の半角数字で入力してください。"


def _basket(client) -> dict:
    with client.session_transaction() as session:
        return {int(k): v for k, v in session.get(f"cart:{shop().id}", {}).items()}


def _refused_add(client, quantity) -> str:
    response = add_to_cart(client, quantity=quantity)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/s/demo/products/{product().id}")
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_full_width_digits_are_accepted(client, shops):
    assert add_to_cart(client, quantity="３").headers["Location"].endswith("/s/demo/cart")
    assert _basket(client) == {product().id: 3}


@pytest.mark.parametrize("quantity", ["", "abc", "0", "-3", "1.5"])
def test_a_bad_quantity_names_the_limit(client, shops, quantity):
    page = _refused_add(client, quantity)
    assert FORMAT in page and 'alert alert-error' in page
    assert _basket(client) == {}


@pytest.mark.parametrize("quantity", ["100", "99999", "9" * 30])
def test_more_than_the_limit_is_refused_not_capped(client, shops, quantity):
    page = _refused_add(client, quantity)
    assert "1つの商品は99点までご注文いただけます（カゴに0点入っています）。" in page
    assert _basket(client) == {}


def test_adding_past_the_limit_says_how_many_are_in_the_cart(client, shops):
    add_to_cart(client, quantity=98)
    page = _refused_add(client, 2)
    assert "99点までご注文いただけます（カゴに98点入っています）。" in page
    assert _basket(client) == {product().id: 98}
    assert add_to_cart(client, quantity=1).headers["Location"].endswith("/s/demo/cart")
    assert _basket(client) == {product().id: 99}


@pytest.mark.parametrize("typed", ["-3", "abc", "0", "1000", "100", ""])
def test_a_bad_cart_quantity_keeps_the_line_and_other_changes_apply(client, shops, typed):
    tea, cup = product(), product("cup-001")
    add_to_cart(client, quantity=2)
    add_to_cart(client, code="cup-001", quantity=1)
    response = client.post("/s/demo/cart", data={
        "csrf_token": token(client, "/s/demo/cart"), f"qty-{tea.id}": typed,
        f"qty-{cup.id}": "５", "recalc": "1"})
    assert response.status_code == 302
    assert _basket(client) == {tea.id: 2, cup.id: 5}
    page = client.get("/s/demo/cart").get_data(as_text=True)
    assert (f"「{tea.name}」の数量は1〜99の半角数字で入力してください（2点のままです）。"
            in page)
    assert "alert alert-error" in page


def test_a_bad_cart_quantity_stops_the_way_to_the_confirmation(client, shops):
    from .checkout_helpers import fill_zero_step
    add_to_cart(client, quantity=2)
    response = fill_zero_step(client, **{f"qty-{product().id}": "100"})
    assert not at_confirmation(response)
    assert _basket(client) == {product().id: 2}


def test_delete_still_removes_a_line(client, shops):
    add_to_cart(client, quantity=2)
    client.post("/s/demo/cart", data={"csrf_token": token(client, "/s/demo/cart"),
                                      f"qty-{product().id}": "0", "remove": product().id})
    assert _basket(client) == {}


# -- stock -----------------------------------------------------------------------------
def _set_stock(code, stock):
    from cart.extensions import db
    product(code).stock = stock
    db.session.commit()


def test_adding_more_than_the_shelf_holds_says_how_many_are_left(client, shops):
    _set_stock("cup-001", 3)
    add_to_cart(client, "cup-001", 2)
    response = add_to_cart(client, "cup-001", 2)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "「有田焼 湯呑み」の在庫が不足しています（残り3点、カゴに2点入っています）。" in page
    assert _basket(client) == {product("cup-001").id: 2}


def test_a_cart_line_the_shelf_cannot_fill_is_marked_and_goes_no_further(client, shops):
    from .checkout_helpers import BUYER, delivery, method
    add_to_cart(client, "cup-001", 4)
    _set_stock("cup-001", 2)
    page = client.get("/s/demo/cart").get_data(as_text=True)
    assert "在庫が不足しています（残り2点）。" in page
    data = {"csrf_token": token(client, "/s/demo/cart"), **BUYER, "confirm": "1",
            "delivery_method": delivery().id, "payment_method": method("paidy").id}
    response = client.post("/s/demo/cart", data=data)
    assert response.headers["Location"].endswith("/s/demo/cart#cart")
    page = client.get("/s/demo/cart").get_data(as_text=True)
    assert "の在庫が不足しています（残り2点）。数量を変更してください。" in page
    assert 'value="山田 太郎"' in page  # what was typed is kept
    assert client.get("/s/demo/checkout/confirm").status_code == 302
    _set_stock("cup-001", 0)
    page = client.get("/s/demo/cart").get_data(as_text=True)
    assert "在庫切れです。削除してください。" in page


def test_the_shoppers_own_pending_reservation_counts_as_theirs(client, shops):
    """A Paidy modal closed: the pending order still holds the stock it reserved."""
    from .checkout_helpers import fill_zero_step, paidy_result, paidy_start
    _set_stock("cup-001", 3)
    add_to_cart(client, "cup-001", 3)
    fill_zero_step(client)
    start = paidy_start(client).get_json()
    paidy_result(client, start["order_number"], "closed")
    assert product("cup-001").stock == 0  # held by the shopper's 決済処理中 order
    page = client.get("/s/demo/cart").get_data(as_text=True)
    assert "在庫が不足" not in page and "在庫切れ" not in page
    assert at_confirmation(fill_zero_step(client))
