"""コンビニ, ATM and 銀行ネット checkout through the Flask test client with the sandbox over real
HTTP: 「注文する」 sends one application, the order is 入金待ち with what the buyer pays with on
the completion page, in the mail and behind the mail's signed link; paying at the sandbox's
terminal (or bank page) and its notice make it 入金済み."""
import json
import re

import pytest
import requests
from sqlalchemy import func, select

from cart.extensions import db
from cart.models import DeferredPayment, PaymentLog
from tests.integration.checkout_helpers import orders, setup_shops, shop, token
from tests.integration.deferred_helpers import (application, apply, history, mails, notice,
                                                order_with, signed_link, stock, to_confirm)
from tests.integration.test_notices import HASH_KEY, post, queued_notices


@pytest.fixture
def shops(app, sandbox):
    with app.app_context():
        setup_shops(app, sandbox)
        yield


def _count(kind):
    return db.session.scalar(select(func.count()).select_from(PaymentLog).where(
        PaymentLog.telegram_kind == kind))


def _pay_at_terminal(sandbox, counter, number):
    page = requests.post(sandbox.url + "/cvs/terminal", data={"counter": counter,
                                                              "number": number}, timeout=10)
    assert page.status_code == 200 and "お支払いが完了しました" in page.text, page.text
    return page


def _replay(client, sandbox, status):
    """Deliver the sandbox's queued notice of ``status`` to the shop, as PAYGENT would."""
    found = [n for n in queued_notices(sandbox) if n["payment_status"] == status]
    assert found, queued_notices(sandbox)
    assert post(client, found[-1]).get_data() == b"result=0"


def test_a_conveni_order_is_awaiting_payment_with_the_stores_numbers(client, shops, sandbox):
    before = stock()
    response = order_with(client, "conveni", store="00C005")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/checkout/complete")
    page = client.get("/s/demo/checkout/complete").get_data(as_text=True)
    (order,) = orders()
    assert order.status == "awaiting_payment" and order.status_name == "入金待ち"
    assert order.payment.method == "conveni" and order.payment.status == "10"
    assert stock() == before - 1  # reserved while the buyer pays
    row = application(order.id)
    lines = dict(tuple(pair) for pair in json.loads(row.lines))
    assert lines["お支払い先"].startswith("ファミリーマート")
    assert "お客様番号" in lines and lines["確認番号"] == "400008"
    assert lines["お支払い期限"].endswith("23:59まで")
    assert "ご注文ありがとうございました" in page and lines["お客様番号"] in page
    assert "入金待ち" in page and lines["お支払い期限"] in page
    (thanks, copy) = mails(order)
    assert lines["お客様番号"] in thanks.body and lines["お支払い期限"] in thanks.body
    assert f"{order.total:,}円" in thanks.body
    assert _count("030") == 1
    # the mail's link opens that payment's page without logging in, in a fresh browser
    fresh = client.application.test_client()
    shown = fresh.get(signed_link(thanks.body)).get_data(as_text=True)
    assert lines["お客様番号"] in shown and order.number in shown
    # a link whose signature is wrong shows nothing, nor does the link under another shop
    assert fresh.get(signed_link(thanks.body)[:-3] + "xyz").status_code == 404
    assert fresh.get(signed_link(thanks.body).replace("/s/demo/", "/s/demo3/")).status_code \
        == 404
    # the buyer pays at the store; PAYGENT's notice makes the order 入金済み
    _pay_at_terminal(sandbox, "cvs", lines["お客様番号"])
    _replay(client, sandbox, "40")
    (order,) = orders()
    assert order.status == "paid" and order.status_name == "入金済み"
    assert order.payment.status == "40" and order.payment.captured_at is not None
    assert any("ご入金を確認しました" in line for line in history(order))
    assert "入金済" in fresh.get(signed_link(thanks.body)).get_data(as_text=True)


def test_a_double_click_sends_one_application(client, shops):
    to_confirm(client, "atm")
    csrf = token(client, "/s/demo/checkout/confirm")
    first = client.post("/s/demo/checkout/deferred/apply", data={"csrf_token": csrf})
    second = client.post("/s/demo/checkout/deferred/apply", data={"csrf_token": csrf})
    assert first.status_code == 302 and second.status_code == 302
    assert _count("010") == 1
    assert db.session.scalar(select(func.count()).select_from(DeferredPayment)) == 1
    (order,) = orders()
    assert order.status == "awaiting_payment"


def test_an_atm_order_shows_the_pay_easy_numbers_and_is_paid_by_notice(client, shops, sandbox):
    order_with(client, "atm")
    (order,) = orders()
    lines = dict(application(order.id).lines and json.loads(
        application(order.id).lines))
    assert lines["収納機関番号"] == "58091" and len(lines["お客様番号"]) == 16
    assert len(lines["確認番号"]) == 6
    page = client.get("/s/demo/checkout/complete").get_data(as_text=True)
    assert lines["お客様番号"] in page
    _pay_at_terminal(sandbox, "atm", lines["お客様番号"])
    _replay(client, sandbox, "40")
    (order,) = orders()
    assert order.status == "paid"


def test_a_store_must_be_chosen_and_nothing_is_lost(client, shops):
    to_confirm(client, "conveni")
    response = apply(client)  # no store
    assert response.status_code == 302
    page = client.get("/s/demo/checkout/confirm").get_data(as_text=True)
    assert "お支払いいただくコンビニエンスストアを選択してください。" in page
    assert "山田 太郎" in page  # what the buyer entered is still there
    assert _count("030") == 0 and not orders()


def test_a_store_the_shop_does_not_offer_is_refused(client, shops):
    to_confirm(client, "conveni")
    apply(client, cvs_company_id="00C999")
    assert _count("030") == 0


def test_the_bank_hands_the_buyer_to_the_bank_selection_page_and_back(client, shops, sandbox):
    response = order_with(client, "bank")
    assert response.status_code == 303
    asp_url = response.headers["Location"]
    assert asp_url.startswith(sandbox.url)
    (order,) = orders()
    assert order.status == "awaiting_payment"
    (thanks, _copy) = mails(order)
    assert "ネットバンク選択画面" in thanks.body
    # the buyer leaves the bank page: 申込中断, and the page is still open to them
    page = requests.get(asp_url, timeout=10)
    assert page.status_code == 200
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1)
    back = requests.post(sandbox.url + action.replace("/_sandbox", "") if action.startswith(
        "/_sandbox") else requests.compat.urljoin(asp_url, action),
        data={"action": "abandon"}, allow_redirects=False, timeout=10)
    assert back.status_code in (302, 303), back.text
    location = back.headers["Location"]
    assert "/checkout/bank/stopped/" in location
    shown = client.get(requests.utils.urlparse(location).path).get_data(as_text=True)
    assert "お支払いが中断されました" in shown and "申込中断" in shown
    (order,) = orders()
    assert order.status == "awaiting_payment" and order.payment.status == "15"


def test_an_application_that_cannot_be_sent_keeps_the_buyer_on_the_confirmation_page(
        client, shops):
    to_confirm(client, "atm", buyer_name="山田 太郎")
    # settings PAYGENT could not take: nothing is sent, the order stays 決済処理中
    from cart.models import DeferredSettings
    settings = db.session.scalar(select(DeferredSettings).where(
        DeferredSettings.shop_id == shop().id, DeferredSettings.method == "atm"))
    settings.days = 61  # out of PAYGENT's range: the builder refuses, nothing is sent
    db.session.commit()
    response = apply(client)
    assert response.status_code == 302 and "/checkout/confirm" in response.headers["Location"]
    assert _count("010") == 0
    (order,) = orders()
    assert order.status == "pending_payment" and order.payment is None
    page = client.get("/s/demo/checkout/confirm").get_data(as_text=True)
    assert "このお支払い方法をご利用いただけません" in page


def test_a_failed_application_can_be_tried_again_on_the_same_order(client, shops, sandbox):
    from cart.models import DeferredSettings
    settings = db.session.scalar(select(DeferredSettings).where(
        DeferredSettings.shop_id == shop().id, DeferredSettings.method == "atm"))
    settings.days = 61
    db.session.commit()
    to_confirm(client, "atm")
    apply(client)
    (order,) = orders()
    assert application(order.id).stage == "failed"
    settings = db.session.scalar(select(DeferredSettings).where(
        DeferredSettings.shop_id == shop().id, DeferredSettings.method == "atm"))
    settings.days = 30
    db.session.commit()
    response = apply(client)
    assert response.headers["Location"].endswith("/checkout/complete")
    (again,) = orders()
    assert again.id == order.id and again.status == "awaiting_payment"
    assert application(order.id).stage == "applied" and _count("010") == 1
