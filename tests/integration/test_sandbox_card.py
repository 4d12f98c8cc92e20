"""The sandbox's クレジットカード決済 over real HTTP: the token service behind PaygentToken.js, 450
and the issuer's challenge page, 020–023, 028, 029 and 094 with PAYGENT's state rules, notices
with a correct hc, and faults. The shop side is the library's own helpers
(payments.paygent.card) and client."""
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from payments.paygent import Outcome, verify_notice
from payments.paygent import card as wire
from payments.sandbox.methods.card import (APPROVED_CARD, CAPTURE_FAILS_CARD, CHALLENGED_CARD,
                                           DECLINED_CARD)

from .http_helpers import NoticeSink
from .paygent_helpers import CONNECT_ID, HASH_KEY, MERCHANT, PASSWORD, PUBLIC_KEY, client

TOKEN_KEY = "test_token_key_0001"
TDS_KEY = "tds-hash-key-0001"
TERM_URL = "https://shop.example.jp/s/demo/card/3ds?order=1"


def register(sandbox, notice_url: str = "", token_key: str = TOKEN_KEY) -> None:
    sandbox.store.upsert_merchant(MERCHANT, CONNECT_ID, PASSWORD, HASH_KEY, notice_url,
                                  PUBLIC_KEY, "テスト商店", token_key=token_key,
                                  tds_hash_key=TDS_KEY)


@pytest.fixture
def paygent(sandbox):
    register(sandbox)
    return client(sandbox)


def token(sandbox, number: str = APPROVED_CARD, key: str = TOKEN_KEY, **card) -> dict:
    """What PaygentToken.js gets for a card: the body its XHR posts, the JSON it reads."""
    fields = {"merchant_id": MERCHANT, "token_key": key, "card_number": number,
              "expire_year": "39", "expire_month": "12", "cvc": "123", "name": "TARO YAMADA",
              **card}
    reply = requests.post(f"{sandbox.url}/card/token", data=fields, timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    return reply.json()


def new_token(sandbox, number: str = APPROVED_CARD) -> str:
    made = token(sandbox, number)
    assert made["result"] == "0000", made
    return made["tokenizedCardObject"]["token"]


def authorized(sandbox, paygent, trading_id="order00001", amount=5000, number=APPROVED_CARD,
               **kwargs):
    result = wire.send_authorize(paygent, trading_id=trading_id, amount=amount,
                                 token=new_token(sandbox, number), **kwargs)
    assert result.ok, result
    return result.payment_id


def status(sandbox, payment_id) -> str:
    return sandbox.control(f"payments/{payment_id}", method="get")["status"]


def follow(url: str, **kwargs) -> requests.Response:
    return requests.request(kwargs.pop("method", "get"), url, allow_redirects=False,
                            timeout=10, **kwargs)


def back_at_shop(response: requests.Response) -> dict:
    """The issuer's page sends the buyer to the term URL: what arrives there."""
    assert response.status_code == 303
    target = response.headers["Location"]
    assert target.startswith("https://shop.example.jp/s/demo/card/3ds?order=1&")
    return {k: v[0] for k, v in parse_qs(urlsplit(target).query,
                                          keep_blank_values=True).items()}


def start_3ds(sandbox, paygent, number, amount=5000):
    tok = new_token(sandbox, number)
    result = wire.send_tds2(paygent, trading_id="order00001", amount=amount, token=tok,
                            term_url=TERM_URL, merchant_name="TestShop")
    challenge = wire.read_tds2(result)
    assert challenge is not None, result
    action = challenge.html.split('action="', 1)[1].split('"', 1)[0]
    return tok, challenge, action


# -- the token service ----------------------------------------------------------------------
def test_the_script_is_served_with_the_same_api(sandbox):
    script = requests.get(f"{sandbox.url}/card/PaygentToken.js", timeout=10)
    assert script.status_code == 200
    assert "javascript" in script.headers["Content-Type"]
    assert "PaygentToken.prototype.createToken" in script.text
    assert 'this.URL = base + "/token"' in script.text


def test_a_token_is_one_time_and_names_no_card_number(sandbox, paygent):
    made = token(sandbox, cvc="9876")
    assert made["result"] == "0000"
    tok = made["tokenizedCardObject"]["token"]
    assert tok.startswith("tok_")
    assert made["tokenizedCardObject"]["masked_card_number"] == "411111******1111"
    stored = [v for r in sandbox.store.db.execute("SELECT * FROM card_tokens") for v in r
              if isinstance(v, str) and v != tok]
    assert stored and not any(APPROVED_CARD in v or "9876" in v for v in stored)
    first = wire.send_authorize(paygent, trading_id="order00001", amount=1000, token=tok)
    assert first.ok
    again = wire.send_authorize(paygent, trading_id="order00002", amount=1000, token=tok)
    assert again.outcome is Outcome.ERROR and again.code == wire.TOKEN_USED
    assert wire.read_authorization(again).retry_with_new_token


def test_a_token_expires_on_the_sandbox_clock(sandbox, paygent):
    tok = new_token(sandbox)
    sandbox.control("clock", advance_days=601 / 86400)
    result = wire.send_authorize(paygent, trading_id="order00001", amount=1000, token=tok)
    assert result.code == wire.TOKEN_EXPIRED


def test_a_token_made_with_another_token_key_is_not_found(sandbox, paygent):
    made = token(sandbox, key="production_key")
    assert made["result"] == "0000"  # the script cannot tell; PAYGENT's 020 can (seed 003)
    result = wire.send_authorize(paygent, trading_id="order00001", amount=1000,
                                 token=made["tokenizedCardObject"]["token"])
    assert result.code == wire.TOKEN_NOT_FOUND


@pytest.mark.parametrize("card, code", [
    ({"card_number": ""}, "1300"),
    ({"card_number": "4111111111111112"}, "1301"),
    ({"card_number": "41111111"}, "1301"),
    ({"expire_year": ""}, "1400"),
    ({"expire_year": "2039"}, "1401"),
    ({"expire_month": ""}, "1500"),
    ({"expire_month": "13"}, "1501"),
    ({"expire_year": "20", "expire_month": "01"}, "1502"),
    ({"cvc": "12"}, "1600"),
    ({"cvc": "12345"}, "1600"),
    ({"name": "山田 太郎"}, "1700"),
    ({"merchant_id": ""}, "1100"),
    ({"token_key": ""}, "1200"),
])
def test_bad_card_fields_get_the_script_s_error_codes(sandbox, card, code):
    register(sandbox)
    assert token(sandbox, **card) == {"result": code}
    assert sandbox.store.db.execute("SELECT COUNT(*) FROM card_tokens").fetchone()[0] == 0


@pytest.mark.parametrize("cvc", ["123", "1234", ""])
def test_any_three_or_four_digit_code_or_none(sandbox, cvc):
    register(sandbox)
    assert token(sandbox, cvc=cvc)["result"] == "0000"


# -- 450 and the challenge page ---------------------------------------------------------------
def test_450_frictionless_comes_straight_back_with_a_correct_hash(sandbox, paygent):
    tok, challenge, action = start_3ds(sandbox, paygent, APPROVED_CARD)
    assert len(challenge.auth_id) == 36
    assert 'name="submitForm"' in challenge.html
    back = back_at_shop(follow(action, method="post", data={"3ds_auth_id": challenge.auth_id}))
    result = wire.verify_tds_result(back, TDS_KEY)
    assert result is not None and result.ok and result.auth_id == challenge.auth_id
    assert result.allowed("none")
    assert wire.verify_tds_result(back, "another-key") is None
    assert wire.verify_tds_result(dict(back, result="1"), TDS_KEY) is None
    done = wire.send_authorize(paygent, trading_id="order00001", amount=5000, token=tok,
                               tds_auth_id=challenge.auth_id)
    assert done.ok and status(sandbox, done.payment_id) == "20"


def test_the_challenge_approves_with_1234_once(sandbox, paygent):
    tok, challenge, action = start_3ds(sandbox, paygent, CHALLENGED_CARD)
    page = follow(action, method="post", data={"3ds_auth_id": challenge.auth_id})
    assert page.status_code == 200 and "ワンタイムパスワード" in page.text
    assert "5,000円" in page.text and "400000******3220" in page.text
    answer = urljoin(action, page.text.split('action="', 1)[1].split('"', 1)[0])
    # 020 before the buyer has answered: no authentication to go on (the token stays usable)
    early = wire.send_authorize(paygent, trading_id="order00001", amount=5000, token=tok,
                                tds_auth_id=challenge.auth_id)
    assert early.code == wire.TDS_RESULT_INVALID
    back = back_at_shop(follow(answer, method="post", data={"otp": "1234",
                                                             "action": "submit"}))
    result = wire.verify_tds_result(back, TDS_KEY)
    assert result.ok and result.auth_id == challenge.auth_id
    assert follow(answer, method="post", data={"otp": "1234"}).status_code == 409
    assert follow(action, method="post", data={}).status_code == 409
    done = wire.send_authorize(paygent, trading_id="order00001", amount=5000, token=tok,
                               tds_auth_id=result.auth_id)
    assert done.ok
    # the authentication is used up with its token
    other = wire.send_authorize(paygent, trading_id="order00002", amount=5000,
                                token=new_token(sandbox, CHALLENGED_CARD),
                                tds_auth_id=result.auth_id)
    assert other.code == wire.TDS_RESULT_INVALID


@pytest.mark.parametrize("form, code", [
    ({"otp": "0000", "action": "submit"}, wire.TDS_FAILED),
    ({"otp": "", "action": "submit"}, wire.TDS_FAILED),
    ({"otp": "1234", "action": "cancel"}, wire.TDS_ABANDONED),
])
def test_a_wrong_password_fails_and_cancel_abandons(sandbox, paygent, form, code):
    tok, challenge, action = start_3ds(sandbox, paygent, CHALLENGED_CARD)
    page = follow(action, method="post", data={})
    answer = urljoin(action, page.text.split('action="', 1)[1].split('"', 1)[0])
    back = back_at_shop(follow(answer, method="post", data=form))
    result = wire.verify_tds_result(back, TDS_KEY)
    assert result is not None and not result.ok and result.code == code
    assert result.abandoned is (code == wire.TDS_ABANDONED)
    refused = wire.send_authorize(paygent, trading_id="order00001", amount=5000, token=tok,
                                  tds_auth_id=challenge.auth_id)
    assert refused.code == wire.TDS_RESULT_INVALID
    assert sandbox.store.db.execute("SELECT COUNT(*) FROM payments").fetchone()[0] == 0


def test_020_must_carry_the_amount_that_was_authenticated(sandbox, paygent):
    tok, challenge, action = start_3ds(sandbox, paygent, APPROVED_CARD, amount=5000)
    result = wire.send_authorize(paygent, trading_id="order00001", amount=5001, token=tok,
                                 tds_auth_id=challenge.auth_id)
    assert result.code == wire.TDS_RESULT_INVALID


def test_450_refuses_a_used_token_and_a_relative_term_url(sandbox, paygent):
    tok = new_token(sandbox)
    assert wire.send_authorize(paygent, trading_id="o1", amount=100, token=tok).ok
    used = paygent.send("450", trading_id="o2", payment_amount="100", card_token=tok,
                        term_url=TERM_URL, merchant_name="TestShop")
    assert used.code == wire.TOKEN_USED
    relative = paygent.send("450", trading_id="o2", payment_amount="100",
                            card_token=new_token(sandbox), term_url="/thanks",
                            merchant_name="TestShop")
    assert relative.code == "P009"


# -- 020 --------------------------------------------------------------------------------------
def test_020_approves_and_notifies_with_a_correct_hc(sandbox, paygent):
    server = NoticeSink()
    register(sandbox, notice_url=server.url)
    try:
        payment_id = authorized(sandbox, paygent, "order00010", 7700, payment_class="split",
                                split_count=3)
        sandbox.server.app.extensions["sandbox"].dispatcher.start()
        sandbox.server.app.extensions["sandbox"].dispatcher.wake.set()
        notice = server.wait_for(lambda n: n.get("payment_id") == payment_id)
    finally:
        server.stop()
    assert notice["payment_type"] == "02" and notice["payment_status"] == "20"
    assert notice["payment_amount"] == "7700" and notice["trading_id"] == "order00010"
    assert verify_notice(notice, HASH_KEY)
    row = sandbox.control(f"payments/{payment_id}", method="get")
    assert '"payment_class": "61"' in row["details"] and '"split_count": "3"' in row["details"]


def test_020_with_sales_mode_captures_at_once(sandbox, paygent):
    payment_id = authorized(sandbox, paygent, capture=True)
    assert status(sandbox, payment_id) == "40"


def test_020_declined_by_the_issuer_leaves_an_auth_ng_payment(sandbox, paygent):
    result = wire.send_authorize(paygent, trading_id="order00001", amount=5000,
                                 token=new_token(sandbox, DECLINED_CARD))
    read = wire.read_authorization(result)
    assert not read.approved and read.code == wire.DECLINED and not read.retry_with_new_token
    assert status(sandbox, read.payment_id) == "11"


@pytest.mark.parametrize("fields, code", [
    ({"payment_amount": "0"}, "P014"), ({"payment_amount": "1.5"}, "P009"),
    ({"payment_amount": ""}, "P005"), ({"payment_class": "99"}, "P009"),
    ({"payment_class": "61"}, "P009"), ({"card_token": ""}, "P005"),
])
def test_020_refuses_bad_fields(sandbox, paygent, fields, code):
    sent = {"trading_id": "order00001", "payment_amount": "100", "payment_class": "10",
            "card_token": new_token(sandbox), **fields}
    assert paygent.send("020", **sent).code == code


# -- 021/022/023 ------------------------------------------------------------------------------
def test_022_captures_once(sandbox, paygent):
    payment_id = authorized(sandbox, paygent)
    assert wire.send_capture(paygent, payment_id).ok
    assert status(sandbox, payment_id) == "40"
    assert wire.send_capture(paygent, payment_id).code == "24003"


def test_every_022_on_the_9995_card_fails(sandbox, paygent):
    payment_id = authorized(sandbox, paygent, number=CAPTURE_FAILS_CARD)
    for _ in range(2):
        result = wire.send_capture(paygent, payment_id)
        assert result.outcome is Outcome.ERROR and result.code == wire.CAPTURE_REFUSED
    assert status(sandbox, payment_id) == "20"
    assert wire.send_cancel(paygent, payment_id, captured=False).ok


def test_021_before_capture_and_023_after(sandbox, paygent):
    before = authorized(sandbox, paygent, "order00001")
    assert wire.send_cancel(paygent, before, captured=True).code == "24003"  # 023 at 20
    assert wire.send_cancel(paygent, before, captured=False).ok
    assert status(sandbox, before) == "32"
    assert wire.send_capture(paygent, before).code == "24003"
    after = authorized(sandbox, paygent, "order00002")
    wire.send_capture(paygent, after)
    assert wire.send_cancel(paygent, after, captured=False).code == "24003"  # 021 at 40
    assert wire.send_cancel(paygent, after, captured=True).ok
    assert status(sandbox, after) == "60"


def test_the_authorisation_lapses_after_60_days(sandbox, paygent):
    payment_id = authorized(sandbox, paygent)
    sandbox.control("clock", advance_days=59.9)
    assert paygent.inquire(payment_id).get("payment_status") == "20"
    sandbox.control("clock", advance_days=0.2)
    assert paygent.inquire(payment_id).get("payment_status") == "33"
    assert wire.send_capture(paygent, payment_id).code == "24003"


# -- 028/029 ----------------------------------------------------------------------------------
def test_028_makes_a_new_authorisation_and_cancels_the_old(sandbox, paygent):
    old = authorized(sandbox, paygent, "order00001", 5000)
    result = wire.send_change(paygent, old, 4200, 5000, captured=False)
    new = wire.read_new_payment_id(result)
    assert result.ok and new and new != old
    assert status(sandbox, old) == "32"
    fresh = paygent.inquire(new)
    assert fresh.get("payment_status") == "20" and fresh.get("payment_amount") == "4200"
    assert fresh.get("trading_id") == "order00001"
    assert paygent.inquire(trading_id="order00001").code == "24002"
    assert wire.send_change(paygent, old, 4000, 5000, captured=False).code == "24003"
    assert wire.send_change(paygent, new, 6000, 4200, captured=True).code == "24003"  # 029 at 20
    assert wire.send_capture(paygent, new).ok


def test_029_after_capture_is_a_partial_refund(sandbox, paygent):
    old = authorized(sandbox, paygent, "order00001", 5000, capture=True)
    assert wire.send_change(paygent, old, 4000, 5000, captured=False).code == "24003"
    result = wire.send_change(paygent, old, 3000, 5000, captured=True)
    new = wire.read_new_payment_id(result)
    assert result.ok and new != old
    assert status(sandbox, old) == "60"
    assert paygent.inquire(new).get("payment_status") == "40"
    assert paygent.inquire(new).get("payment_amount") == "3000"


def test_a_change_to_the_same_amount_is_refused(sandbox, paygent):
    old = authorized(sandbox, paygent, "order00001", 5000)
    assert paygent.send("028", payment_id=old, payment_amount="5000").code == "P009"
    assert status(sandbox, old) == "20"


def test_the_second_half_of_a_change_failing_names_the_new_payment(sandbox, paygent):
    old = authorized(sandbox, paygent, "order00001", 5000)
    sandbox.control("faults", mode="second_half", telegram_kind="028")
    result = wire.send_change(paygent, old, 4000, 5000, captured=False)
    assert result.outcome is Outcome.ERROR and result.code == wire.CHANGE_HALF_DONE
    new = wire.read_new_payment_id(result)
    assert new and status(sandbox, new) == "20"
    assert status(sandbox, old) == "20"  # still authorised: it may still be charged


# -- 094, faults, the admin site --------------------------------------------------------------
def test_094_reads_a_card_payment(sandbox, paygent):
    payment_id = authorized(sandbox, paygent, "order00077", 1200)
    for result in (paygent.inquire(payment_id), paygent.inquire(trading_id="order00077")):
        assert result.ok and result.get("payment_type") == "02"
        assert result.get("payment_status") == "20" and result.get("payment_amount") == "1200"


def test_a_card_company_timeout_parks_the_capture_until_094_settles_it(sandbox, paygent):
    payment_id = authorized(sandbox, paygent)
    sandbox.control("settings", settle_seconds=3600)
    sandbox.control("faults", mode="timeout", telegram_kind="022")
    result = wire.send_capture(paygent, payment_id)
    assert result.outcome is Outcome.UNKNOWN and result.code == wire.TIMEOUT
    assert status(sandbox, payment_id) == "30"
    assert paygent.inquire(payment_id).get("payment_status") == "30"
    sandbox.control("clock", advance_days=3601 / 86400)
    assert paygent.inquire(payment_id).get("payment_status") == "40"


def test_transport_faults_hit_card_telegrams(sandbox, paygent):
    payment_id = authorized(sandbox, paygent)
    sandbox.control("faults", mode="http500", telegram_kind="021")
    assert wire.send_cancel(paygent, payment_id, captured=False).outcome is Outcome.UNKNOWN
    assert status(sandbox, payment_id) == "20"
    sandbox.control("faults", mode="drop", telegram_kind="021", apply=True)
    assert wire.send_cancel(paygent, payment_id, captured=False).outcome is Outcome.UNKNOWN
    assert status(sandbox, payment_id) == "32"


def test_changed_behind_the_shop_s_back(sandbox, paygent):
    payment_id = authorized(sandbox, paygent, amount=5000)
    changed = sandbox.control(f"payments/{payment_id}/change", action="change", amount=4500)
    assert changed["result"] == "0" and status(sandbox, payment_id) == "32"
    new = changed["payment_id"]
    sandbox.control(f"payments/{new}/change", action="capture")
    assert wire.send_capture(paygent, new).code == "24003"
    made = sandbox.control("card/payments", merchant_id=MERCHANT, trading_id="order00099",
                           amount=800)
    assert made["status"] == "20" and made["payment_type"] == "02"
    assert made["status_name"] == "オーソリOK"


def test_the_paygent_password_is_checked_for_card_telegrams(sandbox, paygent):
    wrong = client(sandbox, password="not-it")
    assert wire.send_capture(wrong, "200000001").code == "P002"


