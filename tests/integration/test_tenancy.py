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
