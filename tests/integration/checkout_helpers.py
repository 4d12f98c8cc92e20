"""Drive the storefront checkout through the Flask test client, with the sandbox on a port."""
import re

import requests
from sqlalchemy import select

from cart.demo import DEMO_SHOPS, seed_demo
from cart.extensions import db
from cart.models import DeliveryMethod, Order, PaymentMethod, Product, Shop

BUYER = {
    "buyer_name": "山田 太郎", "buyer_kana": "ヤマダ タロウ", "zip_code": "150-0001",
    "prefecture": "東京都", "city": "渋谷区神宮前", "street": "1-2-3",
    "building": "サンプルビル101", "tel": "03-1234-5678", "mobile": "080-0000-0001",
    "email": "successful.payment@paidy.com",
}


def setup_shops(app, sandbox):
    """The demo shops, wired to the standalone sandbox (notices are replayed by tests)."""
    seed_demo()
    app.config["SANDBOX_URL"] = sandbox.url
    for spec in DEMO_SHOPS:
        p = spec["paygent"]
        sandbox.store.upsert_merchant(p["merchant_id"], p["connect_id"], p["connect_password"],
                                      p["notice_hash_key"], "", p["paidy_public_key"],
                                      spec["name"])


def shop(code="demo") -> Shop:
    return db.session.scalar(select(Shop).where(Shop.code == code))


def product(code="tea-001", shop_code="demo") -> Product:
    return db.session.scalar(select(Product).where(
        Product.shop_id == shop(shop_code).id, Product.code == code))


def method(kind, shop_code="demo") -> PaymentMethod:
    return db.session.scalar(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop(shop_code).id, PaymentMethod.kind == kind))


def delivery(name="宅配便", shop_code="demo") -> DeliveryMethod:
    return db.session.scalar(select(DeliveryMethod).where(
        DeliveryMethod.shop_id == shop(shop_code).id, DeliveryMethod.name.startswith(name)))


def orders(shop_code="demo") -> list[Order]:
    db.session.expire_all()
    return db.session.scalars(select(Order).where(
        Order.shop_id == shop(shop_code).id).order_by(Order.id)).all()


def token(client, path) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html) or re.search(
        r'data-csrf="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def add_to_cart(client, code="tea-001", quantity=1, shop_code="demo"):
    item = product(code, shop_code)
    csrf = token(client, f"/s/{shop_code}/products/{item.id}")
    return client.post(f"/s/{shop_code}/cart/add", data={
        "csrf_token": csrf, "product_id": item.id, "quantity": quantity})


def fill_zero_step(client, kind="paidy", delivery_name="宅配便", **buyer):
    """POST the zero-step page with 「注文確認する」."""
    csrf = token(client, "/s/demo/cart")
    data = {"csrf_token": csrf, **BUYER, **buyer, "confirm": "1",
            "delivery_method": delivery(delivery_name).id, "payment_method": method(kind).id}
    return client.post("/s/demo/cart", data=data)


CONFIRMATION = "<h1>ご注文内容の確認</h1>"


def at_confirmation(response) -> bool:
    """The form that completes the draft was accepted: its answer is the confirmation page
    itself (200, no redirect). ``response``: the test client's or requests'."""
    text = response.get_data(as_text=True) if hasattr(response, "get_data") else response.text
    return response.status_code == 200 and CONFIRMATION in text


def paidy_start(client, shop_code="demo"):
    csrf = token(client, f"/s/{shop_code}/checkout/confirm")
    return client.post(f"/s/{shop_code}/checkout/paidy/start", json={},
                       headers={"X-CSRFToken": csrf})


def paidy_result(client, number, status, paidy_id="", shop_code="demo"):
    csrf = token(client, f"/s/{shop_code}/products/{product(shop_code=shop_code).id}")
    return client.post(f"/s/{shop_code}/checkout/paidy/result",
                       json={"order_number": number, "status": status, "id": paidy_id},
                       headers={"X-CSRFToken": csrf})


def authorize_at_paidy(sandbox, payload, public_key="pk_test_demo_shop_0001",
                       email="successful.payment@paidy.com"):
    """What the modal does on 「お支払いを確定」."""
    reply = requests.post(f"{sandbox.url}/paidy/payments", timeout=10, json={
        "api_key": public_key, "email": email, "phone": payload["buyer"]["phone"],
        "payload": payload})
    return reply.json()
