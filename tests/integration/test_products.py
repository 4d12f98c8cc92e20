"""Owners manage products; bad input is explained in Japanese and nothing typed is lost."""
from sqlalchemy import select

from cart.extensions import db
from cart.models import Product

from ..conftest import csrf_token


def _post(client, data, path="/admin/products/new"):
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_owner_adds_a_product_with_a_reduced_tax_rate(client, make_shop, login_as):
    make_shop()
    login_as("owner@shop-a.test")
    response = _post(client, {"code": "tea-1", "name": "煎茶", "price": "１，０８０",
                              "tax_rate": "8", "stock": "20", "published": "y"})
    assert response.status_code == 302
    product = db.session.scalar(select(Product).where(Product.code == "tea-1"))
    assert product.price == 1080 and isinstance(product.price, int)
    assert product.tax_rate == 8
    html = client.get("/admin/products/").get_data(as_text=True)
    assert "1,080円" in html


def test_bad_input_is_explained_and_kept(client, make_shop, login_as):
    make_shop()
    login_as("owner@shop-a.test")
    html = _post(client, {"code": "茶 1", "name": "煎茶スペシャル", "price": "12.5",
                          "tax_rate": "10", "stock": "-1"}).get_data(as_text=True)
    assert "入力内容に誤りがあります" in html
    assert "半角英数字・ハイフン・アンダーバーで入力してください。" in html
    assert "半角数字（整数）で入力してください。" in html
    assert "0〜9,999,999で入力してください。" in html
    assert "0〜9,999,999円で入力してください。" not in html  # one message for "12.5"
    assert 'value="煎茶スペシャル"' in html and 'value="12.5"' in html
    assert db.session.scalar(select(Product)) is None


def test_duplicate_code_in_the_same_shop_is_refused(client, make_shop, login_as):
    make_shop()
    login_as("owner@shop-a.test")
    _post(client, {"code": "X1", "name": "一", "price": "100", "tax_rate": "10", "stock": "1"})
    html = _post(client, {"code": "X1", "name": "二", "price": "100", "tax_rate": "10",
                          "stock": "1"}).get_data(as_text=True)
    assert "この商品コードは既に使われています。" in html


def test_owner_edits_a_product(client, make_shop, login_as):
    make_shop()
    login_as("owner@shop-a.test")
    _post(client, {"code": "X1", "name": "一", "price": "100", "tax_rate": "10", "stock": "1"})
    product = db.session.scalar(select(Product))
    path = f"/admin/products/{product.id}/edit"
    assert _post(client, {"code": "X1", "name": "改", "price": "200", "tax_rate": "10",
                          "stock": "3"}, path).status_code == 302
    db.session.expire_all()
    assert (product.name, product.price, product.stock) == ("改", 200, 3)
