"""Card checkout through the Flask test client, with the sandbox over real HTTP: the token
made at the sandbox (as PaygentToken.js does, never through the shop), 「注文する」 with it,
3-D Secure 2.0 (frictionless, challenged, failed, abandoned) and 020."""
import re
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from cart.extensions import db
from cart.models import CardAuthorization, OrderHistory, PaymentLog
from tests.integration.card_helpers import (APPROVED, CHALLENGED, DECLINED, TOKEN_KEY,
                                            card_settings, make_token, pay, to_confirm)
from tests.integration.checkout_helpers import orders


def _issuer(response, answer=None):
    """Follow the 450 page to the issuer's (the sandbox's) page; answer a challenge with
    ``answer`` ("1234", another password, or "cancel"). Returns the term URL it sends back to."""
    html = response.get_data(as_text=True)
    action = re.search(r'action="([^"]+)"', html).group(1).replace("&amp;", "&")
    auth_id = re.search(r'name="3ds_auth_id" value="([^"]+)"', html).group(1)
    page = requests.post(action, data={"3ds_auth_id": auth_id}, allow_redirects=False,
                         timeout=10)
    if page.status_code == 200:  # challenged
        assert "ワンタイムパスワード" in page.text
        answer_url = re.search(r'action="([^"]+)"', page.text).group(1)
        data = {"action": "cancel"} if answer == "cancel" else {"action": "submit",
                                                                 "otp": answer}
        page = requests.post(urlsplit(action)._replace(path=answer_url).geturl(), data=data,
                             allow_redirects=False, timeout=10)
    assert page.status_code == 303
    return page.headers["Location"]


def _back(client, term_url):
    """The buyer's browser goes to the term URL (a cross-site redirect) and on."""
    parts = urlsplit(term_url)
    response = client.get(parts.path + "?" + parts.query)
    assert response.status_code == 303
    return client.get(urlsplit(response.headers["Location"]).path)


def _count(kind):
    return db.session.scalar(select(func.count()).select_from(PaymentLog).where(
        PaymentLog.telegram_kind == kind))


def _history(order_id):
    return [h.text for h in db.session.scalars(select(OrderHistory).where(
        OrderHistory.order_id == order_id).order_by(OrderHistory.id))]


def test_the_confirmation_page_has_the_card_form_without_names(client, card_shop, sandbox):
    to_confirm(client)
    html = client.get("/s/demo/checkout/confirm").get_data(as_text=True)
    assert "/card/PaygentToken.js" in html and f'data-token-key="{TOKEN_KEY}"' in html
    for field in ("card-number", "card-exp-month", "card-exp-year", "card-cvc", "card-name"):
        tag = re.search(rf'<(input|select)[^>]*id="{field}"[^>]*>', html).group(0)
        assert "name=" not in tag, tag  # the browser never posts the card to the shop
    assert 'name="payment_choice"' in html and "分割払い（3回）" in html
    assert 'name="card_token"' in html


def test_an_approved_card_without_challenge_completes_the_order(client, card_shop, sandbox):
    to_confirm(client)
    response = pay(client, make_token(sandbox))
    assert response.status_code == 200 and "submitForm" in response.get_data(as_text=True)
    done = _back(client, _issuer(response))
    assert done.status_code == 302 and done.headers["Location"].endswith("/checkout/complete")
    order = orders()[-1]
    assert order.status == "new" and order.payment.method == "card"
    assert order.payment.status == "20" and order.payment.amount == order.total
    assert order.payment.paygent_payment_id
    lines = _history(order.id)
    assert any("3Dセキュア認証へ" in t and "411111" in t for t in lines)
    assert any("オーソリOK" in t for t in lines)
    page = client.get("/s/demo/checkout/complete").get_data(as_text=True)
    assert order.number in page
    assert _count("450") == 1 and _count("020") == 1


def test_the_challenge_with_the_right_password_completes(client, card_shop, sandbox):
    to_confirm(client)
    response = pay(client, make_token(sandbox, CHALLENGED), choice="split-3")
    done = _back(client, _issuer(response, "1234"))
    assert done.headers["Location"].endswith("/checkout/complete")
    order = orders()[-1]
    assert order.status == "new" and order.payment.status == "20"
    assert any("分割払い 3回" in t for t in _history(order.id))


@pytest.mark.parametrize("answer, message", [
    ("9999", "本人認証（3Dセキュア）に失敗したため"),
    ("cancel", "本人認証（3Dセキュア）が中断されました"),
])
def test_a_failed_or_abandoned_challenge_goes_back_to_the_card_form(
        client, card_shop, sandbox, answer, message):
    to_confirm(client)
    response = pay(client, make_token(sandbox, CHALLENGED))
    back = _back(client, _issuer(response, answer))
    assert back.status_code == 302 and "/checkout/confirm" in back.headers["Location"]
    page = client.get("/s/demo/checkout/confirm").get_data(as_text=True)
    assert message in page
    assert "山田 太郎" in page  # everything else the buyer typed is kept
    order = orders()[-1]
    assert order.status == "pending_payment" and order.payment is None
    assert _count("020") == 0  # no authorisation without the authentication
    assert any("3Dセキュア" in t for t in _history(order.id))


def test_a_declined_card_is_explained_and_the_next_card_reuses_the_order(
        client, card_shop, sandbox):
    to_confirm(client)
    back = _back(client, _issuer(pay(client, make_token(sandbox, DECLINED))))
    assert "/checkout/confirm" in back.headers["Location"]
    page = client.get("/s/demo/checkout/confirm").get_data(as_text=True)
    assert "カード会社の承認が得られなかった" in page
    first = orders()[-1]
    assert first.status == "pending_payment"
    assert any("オーソリNG" in t for t in _history(first.id))
    done = _back(client, _issuer(pay(client, make_token(sandbox))))
    assert done.headers["Location"].endswith("/checkout/complete")
    assert [o.id for o in orders()] == [first.id]  # the same 決済処理中 order, now accepted
    assert orders()[-1].status == "new"


def test_a_reposted_token_or_a_resent_result_sends_nothing_twice(client, card_shop, sandbox):
    to_confirm(client)
    card = make_token(sandbox)
    response = pay(client, card)
    again = pay(client, card)  # the same form posted twice
    assert again.status_code == 302
    term_url = _issuer(response)
    _back(client, term_url)
    parts = urlsplit(term_url)
    client.get(parts.path + "?" + parts.query)  # the issuer's redirect followed again
    assert _count("450") == 1 and _count("020") == 1
    assert db.session.scalar(select(func.count()).select_from(CardAuthorization)) == 1
    assert orders()[-1].status == "new"


def test_a_forged_result_authorises_nothing_and_flags_the_order(client, card_shop, sandbox):
    to_confirm(client)
    term_url = _issuer(pay(client, make_token(sandbox)))
    forged = re.sub(r"hc=[0-9a-f]+", "hc=" + "0" * 64, term_url)
    back = _back(client, forged)
    assert "/checkout/confirm" in back.headers["Location"]
    order = orders()[-1]
    assert order.status == "pending_payment" and order.needs_review
    assert _count("020") == 0


def test_without_3d_secure_020_goes_at_once_and_sales_mode_captures(client, card_shop, sandbox):
    settings = card_settings(card_shop)
    settings.three_d_secure, settings.sales_mode = False, "capture"
    db.session.commit()
    to_confirm(client)
    response = pay(client, make_token(sandbox))
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/checkout/complete")
    order = orders()[-1]
    assert order.status == "new" and order.payment.status == "40"
    assert order.capture_mode == "auth_capture" and order.payment.captured_at is not None
    assert _count("450") == 0 and _count("020") == 1
    log = db.session.scalar(select(PaymentLog).where(PaymentLog.telegram_kind == "020"))
    assert '"sales_mode": "1"' in log.request and APPROVED not in log.request


def test_a_payment_choice_the_shop_does_not_offer_is_refused(client, card_shop, sandbox):
    settings = card_settings(card_shop)
    settings.payment_classes = "lump"
    db.session.commit()
    to_confirm(client)
    response = pay(client, make_token(sandbox), choice="revo")
    assert response.status_code == 302
    page = client.get("/s/demo/checkout/confirm").get_data(as_text=True)
    assert "お支払い回数を選択してください。" in page
    assert _count("450") == 0 and _count("020") == 0


def _pay_without_3ds(client, card_shop, sandbox, fault, **armed):
    settings = card_settings(card_shop)
    settings.three_d_secure = False
    db.session.commit()
    to_confirm(client)
    sandbox.control("faults", mode=fault, telegram_kind="020", **armed)
    response = pay(client, make_token(sandbox))
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/checkout/pending")
    auth = db.session.scalar(select(CardAuthorization))
    assert auth.stage == "unknown" and orders()[-1].status == "pending_payment"
    return auth


def test_an_authorisation_whose_answer_was_lost_is_settled_by_asking_paygent(
        client, card_shop, sandbox):
    from cart.methods.card.checkout import settle_open_authorizations
    # PAYGENT authorised, and the answer was lost on the way back
    auth = _pay_without_3ds(client, card_shop, sandbox, "drop", apply=True)
    assert settle_open_authorizations() == {"authorized": 1}
    db.session.expire_all()
    order = orders()[-1]
    assert order.status == "new" and order.payment.status == "20"
    assert db.session.get(CardAuthorization, auth.id).stage == "authorized"
    assert any("決済情報照会" in t for t in _history(order.id))
    assert _count("094") == 1 and settle_open_authorizations() == {}


def test_an_authorisation_paygent_never_made_is_settled_as_declined(client, card_shop, sandbox):
    from cart.methods.card.checkout import settle_open_authorizations
    auth = _pay_without_3ds(client, card_shop, sandbox, "timeout")
    assert settle_open_authorizations() == {"declined": 1}
    db.session.expire_all()
    assert db.session.get(CardAuthorization, auth.id).stage == "declined"
    assert orders()[-1].status == "pending_payment" and orders()[-1].payment is None


def test_an_expired_token_asks_for_the_card_again_and_keeps_the_rest(client, card_shop, sandbox):
    to_confirm(client)
    card = make_token(sandbox)
    sandbox.control("clock", advance_days=1)  # the token's ten minutes are long gone
    back = pay(client, card)
    assert back.status_code == 302 and "/checkout/confirm" in back.headers["Location"]
    page = client.get("/s/demo/checkout/confirm").get_data(as_text=True)
    assert "もう一度カード情報を入力してください" in page and "山田 太郎" in page
    order = orders()[-1]
    assert order.status == "pending_payment"
    assert any("3Dセキュア認証を開始できませんでした" in t for t in _history(order.id))


def test_starting_again_from_the_issuers_page_reuses_the_order_and_closes_the_first_attempt(
        client, card_shop, sandbox):
    to_confirm(client)
    first = pay(client, make_token(sandbox, CHALLENGED))  # the buyer leaves the issuer's page
    (order,) = orders()
    done = _back(client, _issuer(pay(client, make_token(sandbox))))  # and pays again
    assert done.headers["Location"].endswith("/checkout/complete")
    assert [o.id for o in orders()] == [order.id] and orders()[0].status == "new"
    stages = db.session.scalars(select(CardAuthorization.stage).order_by(
        CardAuthorization.id)).all()
    assert stages == ["declined", "authorized"]
    assert any("お手続きがやり直されました" in t for t in _history(order.id))
    late = _issuer(first, "1234")  # the first challenge answered after all
    _back(client, late)
    assert _count("020") == 1  # the closed attempt authorises nothing


def test_an_attempt_left_at_the_issuer_is_closed_by_the_round_and_its_token_dropped(
        client, card_shop, sandbox):
    from datetime import timedelta

    from cart.methods.card.checkout import SECURE_ABANDONED_AFTER, settle_open_authorizations
    to_confirm(client)
    pay(client, make_token(sandbox, CHALLENGED))
    auth = db.session.scalar(select(CardAuthorization))
    assert auth.stage == "secure" and auth.token
    assert settle_open_authorizations() == {}  # still in time
    auth.created_at = auth.created_at - SECURE_ABANDONED_AFTER - timedelta(minutes=1)
    db.session.commit()
    assert settle_open_authorizations() == {"abandoned": 1}
    db.session.expire_all()
    auth = db.session.get(CardAuthorization, auth.id)
    assert auth.stage == "declined" and auth.token == ""
    assert _count("094") == 0 and _count("020") == 0
    assert any("3Dセキュア認証から戻りませんでした" in t for t in _history(auth.order_id))


def test_the_card_token_is_kept_out_of_the_payment_log(client, card_shop, sandbox):
    to_confirm(client)
    card = make_token(sandbox)
    _back(client, _issuer(pay(client, card)))
    logs = db.session.scalars(select(PaymentLog).where(
        PaymentLog.telegram_kind.in_(("450", "020")))).all()
    assert len(logs) == 2
    assert all(card["token"] not in log.request and '"card_token": "****' in log.request
               for log in logs), [log.request for log in logs]


def test_a_failed_booking_still_keeps_the_telegrams_log(client, card_shop, sandbox, monkeypatch):
    import cart.methods.card.checkout as card_checkout

    def broken(*args, **kwargs):
        raise RuntimeError("the booking failed")

    monkeypatch.setattr(card_checkout, "accept_payment", broken)
    settings = card_settings(card_shop)
    settings.three_d_secure = False
    db.session.commit()
    to_confirm(client)
    with pytest.raises(RuntimeError):
        pay(client, make_token(sandbox))
    db.session.rollback()
    assert _count("020") == 1  # written on its own, the booking having rolled back
    assert db.session.scalar(select(CardAuthorization.stage)) == "authorizing"
