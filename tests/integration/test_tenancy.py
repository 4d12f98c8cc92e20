"""A shop never sees another shop's data: a cross-shop URL is 404 (T1)."""
import pytest
from sqlalchemy import select

from cart.extensions import db
from cart.models import Product

from ..conftest import csrf_token


@pytest.fixture
def two_shops(app, make_shop):
    a, b = make_shop("shop-a", "A商店"), make_shop("shop-b", "B商店")
    for shop, code, name in ((a, "A-1", "Aの商品"), (b, "B-1", "Bの秘密の商品")):
        db.session.add(Product(shop_id=shop.id, code=code, name=name, price=1000, stock=5))
    db.session.commit()
    product_b = db.session.scalar(select(Product).where(Product.code == "B-1"))
    return a, b, product_b


def test_owner_of_a_gets_404_on_a_product_of_b(client, login_as, two_shops):
    _, _, product_b = two_shops
    login_as("owner@shop-a.test")
    response = client.get(f"/admin/products/{product_b.id}/edit")
    assert response.status_code == 404
    assert "Bの秘密の商品" not in response.get_data(as_text=True)


def test_posting_to_another_shops_product_changes_nothing(client, login_as, two_shops):
    _, _, product_b = two_shops
    login_as("owner@shop-a.test")
    token = csrf_token(client.get("/admin/products/new").get_data(as_text=True))
    response = client.post(f"/admin/products/{product_b.id}/edit", data={
        "csrf_token": token, "code": "B-1", "name": "乗っ取り", "price": "1", "tax_rate": "10",
        "stock": "1"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Product, product_b.id).name == "Bの秘密の商品"


@pytest.mark.parametrize("email", ["owner@shop-a.test", "staff@shop-a.test"])
def test_product_list_shows_only_the_own_shop(client, login_as, two_shops, email):
    login_as(email)
    html = client.get("/admin/products/").get_data(as_text=True)
    assert "Aの商品" in html and "Bの秘密の商品" not in html


def test_storefront_lists_only_that_shops_products(client, two_shops):
    html = client.get("/s/shop-b/").get_data(as_text=True)
    assert "Bの秘密の商品" in html and "Aの商品" not in html
    assert client.get("/s/no-such-shop/").status_code == 404


@pytest.mark.parametrize("path", ["/admin/products/999999/edit", "/admin/products/abc/edit"])
def test_unknown_ids_are_404_too(client, login_as, two_shops, path):
    login_as("owner@shop-a.test")
    assert client.get(path).status_code == 404


def test_staff_cannot_manage_products(client, login_as, two_shops):
    login_as("staff@shop-a.test")
    assert client.get("/admin/products/new").status_code == 403


# -- card orders and the card checkout's pages, across shops -----------------------------------
def _signed_in(app, email):
    staff = app.test_client()
    page = staff.get("/admin/login").get_data(as_text=True)
    staff.post("/admin/login", data={"csrf_token": csrf_token(page), "email": email,
                                     "password": "demo1234"})
    return staff


def test_another_shops_card_order_and_its_operations_are_404(app, card_shop, sandbox):
    from .card_helpers import card_order
    from .order_helpers import payment_of
    from .test_card_operations import _edit_total
    order = card_order(app.test_client(), sandbox)
    own = _signed_in(app, "staff@example.com")
    _edit_total(own, order, -300)  # 金額変更 is on offer to the order's own shop
    before = payment_of(order)
    status, amount, payment_id = before.status, before.amount, before.paygent_payment_id
    other = _signed_in(app, "staff3@example.com")  # shop demo3's staff
    token = csrf_token(other.get("/admin/").get_data(as_text=True))
    page = other.get(f"/admin/orders/{order.id}")
    assert page.status_code == 404 and order.number not in page.get_data(as_text=True)
    for action in ("capture", "cancel-payment", "change-amount", "refresh"):
        response = other.post(f"/admin/orders/{order.id}/{action}",
                              data={"csrf_token": token, "state": ""})
        assert response.status_code == 404, action
    payment = payment_of(order)
    assert (payment.status, payment.amount, payment.paygent_payment_id) == (
        status, amount, payment_id)
    assert not [t for t in sandbox.telegrams() if t["telegram_kind"] != "020"]
    # the order's own shop may change it: the 404 was the shop's, not the order's
    from .order_helpers import act
    assert act(own, order, "change-amount").status_code == 302
    assert len(sandbox.telegrams("028")) == 1


def test_another_shops_card_attempt_is_404_on_the_storefront(app, client, card_shop, sandbox):
    """/checkout/card/done/<key> and the 3-D Secure return /checkout/card/secure/<key> of a
    shop's attempt, asked for under another shop (or by another buyer): 404, nothing sent."""
    from urllib.parse import parse_qsl, urlsplit

    from cart.models import CardAuthorization

    from .card_helpers import make_token, pay, to_confirm
    from .test_card_checkout import _issuer
    to_confirm(client)
    term_url = _issuer(pay(client, make_token(sandbox)))  # 3-D Secure: back at the term URL
    (auth,) = db.session.scalars(select(CardAuthorization)).all()
    parts = urlsplit(term_url)
    assert parts.path == f"/s/demo/checkout/card/secure/{auth.key}"
    elsewhere = parts.path.replace("/s/demo/", "/s/demo3/", 1)
    assert client.get(elsewhere + "?" + parts.query).status_code == 404
    assert client.post(elsewhere, data=dict(
        parse_qsl(parts.query))).status_code == 404
    assert client.get(f"/s/demo3/checkout/card/done/{auth.key}").status_code == 404
    assert app.test_client().get(f"/s/demo/checkout/card/done/{auth.key}").status_code == 404
    assert not sandbox.telegrams("020")
    db.session.expire_all()
    assert db.session.get(CardAuthorization, auth.id).stage == "secure"
    # the shop's own term URL, by the buyer: authorised once
    back = client.get(parts.path + "?" + parts.query)
    assert back.status_code == 303
    done = client.get(urlsplit(back.headers["Location"]).path)
    assert done.headers["Location"].endswith("/checkout/complete")
    assert len(sandbox.telegrams("020")) == 1
