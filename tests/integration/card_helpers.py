"""A shop with ペイジェント(クレジット決済) configured, and card payments made through the
storefront with tokens from the sandbox (as PaygentToken.js makes them)."""
import pytest
import requests
from sqlalchemy import select

from cart.extensions import db
from cart.gateway import account_for
from cart.models import CardSettings, PaymentMethod
from tests.integration.checkout_helpers import (at_confirmation, add_to_cart, fill_zero_step, orders, setup_shops,
                                                shop, token)

APPROVED = "4111111111111111"
CHALLENGED = "4000000000003220"
DECLINED = "4000000000000002"
TOKEN_KEY = "test-token-key-0001"
TDS_KEY = "test-3ds-hash-key-0001"


@pytest.fixture
def card_shop(app, sandbox):
    """The demo shop with ペイジェント(クレジット決済) configured, and the sandbox knowing its keys."""
    with app.app_context():
        setup_shops(app, sandbox)
        demo = shop()
        settings = db.session.scalar(select(CardSettings).where(CardSettings.shop_id == demo.id))
        if settings is None:
            settings = CardSettings(shop_id=demo.id)
            db.session.add(settings)
        settings.payment_classes = "lump,split,revo,bonus"
        settings.security_code_required = True
        settings.three_d_secure = True
        settings.attempt_auth = "none"
        settings.merchant_name = "SampleShop"
        settings.token_key, settings.tds_hash_key = TOKEN_KEY, TDS_KEY
        settings.sales_mode = "auth"
        method = db.session.scalar(select(PaymentMethod).where(
            PaymentMethod.shop_id == demo.id, PaymentMethod.kind == "card"))
        if method is None:
            method = PaymentMethod(shop_id=demo.id, kind="card", position=1)
            db.session.add(method)
        method.in_use, method.configured = True, True
        account = account_for(demo.id)
        db.session.commit()
        sandbox.store.upsert_merchant(
            account.merchant_id, account.connect_id, account.connect_password,
            account.notice_hash_key, "", account.paidy_public_key, demo.name,
            token_key=TOKEN_KEY, tds_hash_key=TDS_KEY)
        yield demo.id


def card_settings(shop_id) -> CardSettings:
    return db.session.scalar(select(CardSettings).where(CardSettings.shop_id == shop_id))


def make_token(sandbox, number=APPROVED, **extra) -> dict:
    account = account_for(shop().id)
    fields = {"merchant_id": account.merchant_id, "token_key": TOKEN_KEY,
              "card_number": number, "expire_year": "30", "expire_month": "12", "cvc": "123",
              "name": "TARO YAMADA", **extra}
    answer = requests.post(sandbox.url + "/card/token", data=fields, timeout=10).json()
    assert answer["result"] == "0000", answer
    return answer["tokenizedCardObject"]


def to_confirm(client):
    add_to_cart(client)
    response = fill_zero_step(client, kind="card")
    assert at_confirmation(response)


def pay(client, card: dict, choice="lump"):
    csrf = token(client, "/s/demo/checkout/confirm")
    return client.post("/s/demo/checkout/card/pay", data={
        "csrf_token": csrf, "card_token": card["token"], "payment_choice": choice,
        "masked_card_number": card["masked_card_number"]})


def card_order(client, sandbox, number=APPROVED, capture=False):
    """A card order paid at once (3-D Secure off for the shop): 新規受付 at 20 (40 with
    ``capture``)."""
    settings = card_settings(shop().id)
    settings.three_d_secure, settings.sales_mode = False, "capture" if capture else "auth"
    db.session.commit()
    to_confirm(client)
    response = pay(client, make_token(sandbox, number))
    assert response.headers["Location"].endswith("/checkout/complete"), response.headers
    return orders()[-1]
