"""携帯キャリア決済 through the Flask test client with the sandbox over real HTTP: the buyer picks
the carrier, 100 hands them over to its page (au: a redirect; d払い and SoftBank: a page that
takes them there), 承認する brings them back and a 094 accepts the order as 新規受付 with the
payment's carrier; 承認しない and 中断 bring them back to the payment choice with the cart kept."""
import re
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from cart.extensions import db
from cart.models import PaymentLog
from tests.integration.checkout_helpers import (at_confirmation, add_to_cart, fill_zero_step, orders,
                                                setup_shops, token)


@pytest.fixture
def shops(app, sandbox):
    with app.app_context():
        setup_shops(app, sandbox)
        yield


def _count(kind):
    return db.session.scalar(select(func.count()).select_from(PaymentLog).where(
        PaymentLog.telegram_kind == kind))


def _start(client, carrier):
    add_to_cart(client)
    assert at_confirmation(fill_zero_step(client, kind="carrier"))
    csrf = token(client, "/s/demo/checkout/confirm")
    return client.post("/s/demo/checkout/carrier/start", data={"csrf_token": csrf,
                                                               "carrier": carrier})


def _carrier_page(response) -> str:
    """The carrier's page the hand-over leads to."""
    if response.status_code == 303:
        return response.headers["Location"]
    assert response.status_code == 200
    return re.search(r'action="([^"]+)"', response.get_data(as_text=True)).group(1).replace(
        "&amp;", "&")


def _answer(page_url, action):
    page = requests.get(page_url, timeout=10)
    assert page.status_code == 200 and "承認する" in page.text
    answer = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    back = requests.post(urlsplit(page_url)._replace(path=answer, query="").geturl(),
                         data={"action": action}, allow_redirects=False, timeout=10)
    assert back.status_code == 303
    location = urlsplit(back.headers["Location"])
    return location.path + "?" + location.query


@pytest.mark.parametrize("carrier", ["docomo", "au", "softbank"])
def test_an_approved_carrier_payment_places_the_order(client, shops, carrier):
    response = _start(client, carrier)
    assert _count("100") == 1
    (order,) = orders()
    assert order.status == "pending_payment"
    back = client.get(_answer(_carrier_page(response), "approve"))
    assert back.headers["Location"].endswith("/checkout/complete")
    assert "ご注文ありがとうございました" in client.get("/s/demo/checkout/complete").get_data(
        as_text=True)
    (order,) = orders()
    assert order.status == "new" and order.payment.method == "carrier"
    assert order.payment.status == "20" and order.payment.variant == carrier
    assert _count("094") == 1


@pytest.mark.parametrize("action,message", [
    ("decline", "携帯キャリアでのお支払いが承認されませんでした。"),
    ("abandon", "携帯キャリアでのお手続きが中断されました。")])
def test_a_declined_or_abandoned_payment_goes_back_to_the_choice(client, shops, action,
                                                                  message):
    response = _start(client, "au")
    back = client.get(_answer(_carrier_page(response), action))
    assert "/checkout/confirm" in back.headers["Location"]
    page = client.get("/s/demo/checkout/confirm").get_data(as_text=True)
    assert message in page and "山田 太郎" in page  # nothing entered is lost
    (order,) = orders()
    assert order.status == "pending_payment" and order.payment is None
    # another try on the same order, this time approved
    csrf = token(client, "/s/demo/checkout/confirm")
    again = client.post("/s/demo/checkout/carrier/start", data={"csrf_token": csrf,
                                                                "carrier": "docomo"})
    client.get(_answer(_carrier_page(again), "approve"))
    (order,) = orders()
    assert order.status == "new" and order.payment.variant == "docomo"


def test_a_carrier_must_be_chosen(client, shops):
    response = _start(client, "")
    assert "/checkout/confirm" in response.headers["Location"]
    page = client.get("/s/demo/checkout/confirm").get_data(as_text=True)
    assert "ご利用の携帯キャリアを選択してください。" in page and _count("100") == 0
