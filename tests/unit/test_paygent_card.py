"""The card telegram helpers (payments/paygent/card.py): fields from plain values, replies
read, the 3-D Secure 2.0 result's hc."""
import hashlib

import pytest

from payments.paygent import card as wire
from payments.paygent.results import Outcome, TelegramResult

KEY = "tds-key"


def test_020_fields_lump_sum_with_the_3ds_result():
    assert wire.authorize_fields(trading_id="000123", amount=4080, token="tok_x",
                                 tds_auth_id="a" * 36) == {
        "trading_id": "000123", "payment_amount": "4080", "card_token": "tok_x",
        "payment_class": "10", "sales_mode": "0", "security_code_use": "1",
        "3dsecure_use_type": "2", "3ds_auth_id": "a" * 36}


def test_020_fields_split_with_同時売上_and_no_3ds():
    fields = wire.authorize_fields(trading_id="000123", amount=12000, token="tok_x",
                                   payment_class="split", split_count=6, capture=True,
                                   security_code=False)
    assert fields["payment_class"] == "61" and fields["split_count"] == "6"
    assert fields["sales_mode"] == "1" and fields["3dsecure_ryaku"] == "1"
    assert "security_code_use" not in fields and "3ds_auth_id" not in fields


@pytest.mark.parametrize("kind, code", [("lump", "10"), ("bonus", "23"), ("revo", "80")])
def test_payment_classes(kind, code):
    assert wire.payment_class_fields(kind) == {"payment_class": code}


@pytest.mark.parametrize("kind, split", [("split", None), ("split", 7), ("split", True),
                                         ("lump", 3), ("monthly", None)])
def test_bad_payment_classes(kind, split):
    with pytest.raises(ValueError):
        wire.payment_class_fields(kind, split)


@pytest.mark.parametrize("amount, error", [(10.0, TypeError), ("100", TypeError),
                                           (True, TypeError), (0, ValueError),
                                           (-5, ValueError)])
def test_amounts_are_ints_of_yen(amount, error):
    with pytest.raises(error):
        wire.authorize_fields(trading_id="1", amount=amount, token="tok_x")
    with pytest.raises(error):
        wire.change_fields("200000001", amount, 100)


def test_450_fields():
    fields = wire.tds2_fields(trading_id="000123", amount=4080, token="tok_x",
                              term_url="https://shop.example.jp/s/demo/card/3ds",
                              merchant_name="DemoOnlineShop", cardholder_name="TARO YAMADA",
                              email="taro@example.jp", http_user_agent=" UA ")
    assert fields == {
        "trading_id": "000123", "payment_amount": "4080", "card_token": "tok_x",
        "card_set_method": "token", "term_url": "https://shop.example.jp/s/demo/card/3ds",
        "merchant_name": "DemoOnlineShop", "authentication_type": "01", "login_type": "01",
        "cardholder_name": "TARO YAMADA", "email_address": "taro@example.jp",
        "http_user_agent": "UA"}


@pytest.mark.parametrize("term_url, name", [("/card/3ds", "Shop"), ("ftp://x/y", "Shop"),
                                            ("https://shop.example.jp/", "ショップ"),
                                            ("https://shop.example.jp/", "")])
def test_450_needs_an_absolute_term_url_and_an_ascii_merchant_name(term_url, name):
    with pytest.raises(ValueError):
        wire.tds2_fields(trading_id="1", amount=1, token="tok_x", term_url=term_url,
                         merchant_name=name)


def test_operation_fields():
    assert wire.capture_fields("200000001") == {"payment_id": "200000001"}
    assert wire.cancel_authorization_fields(200000001) == {"payment_id": "200000001"}
    assert wire.cancel_sales_fields(" 200000001 ") == {"payment_id": "200000001"}
    with pytest.raises(ValueError):
        wire.capture_fields("")
    with pytest.raises(ValueError):
        wire.capture_fields("order00001")


def test_amount_change_fields_and_kind():
    assert wire.change_fields("200000001", 3000, 5000) == {
        "payment_id": "200000001", "payment_amount": "3000", "reduction_flag": "1"}
    assert wire.change_fields("200000001", 6000, 5000)["reduction_flag"] == "0"
    with pytest.raises(ValueError):
        wire.change_fields("200000001", 5000, 5000)
    assert wire.change_kind(captured=False) == "028" and wire.change_kind(captured=True) == "029"


def _reply(kind, **data):
    return TelegramResult.from_reply(kind, {"result": "0", **data})


def _refused(kind, code, **data):
    return TelegramResult.from_reply(kind, {"result": "1", "response_code": code, **data})


def test_reading_020():
    ok = wire.read_authorization(_reply("020", payment_id="200000001",
                                        masked_card_number="411111******1111",
                                        card_brand="VISA"))
    assert ok.approved and ok.payment_id == "200000001" and ok.card_brand == "VISA"
    declined = wire.read_authorization(_refused("020", "2003", payment_id="200000002"))
    assert not declined.approved and declined.code == "2003"
    assert declined.payment_id == "200000002" and not declined.retry_with_new_token
    for code in ("2021", "2022", "2023"):
        assert wire.read_authorization(_refused("020", code)).retry_with_new_token


def test_reading_450():
    challenge = wire.read_tds2(_reply("450", **{"3ds_auth_id": "x" * 36,
                                                 "out_acs_html": "<html>…</html>"}))
    assert challenge == wire.Challenge("x" * 36, "<html>…</html>")
    assert wire.read_tds2(_refused("450", "2021")) is None
    assert wire.read_tds2(_reply("450", **{"3ds_auth_id": "x"})) is None


def test_reading_the_new_payment_of_an_amount_change():
    assert wire.read_new_payment_id(_reply("028", payment_id="200000009")) == "200000009"
    half = _refused("029", "2040", payment_id="200000010")
    assert half.outcome is Outcome.ERROR and wire.read_new_payment_id(half) == "200000010"
    assert wire.read_new_payment_id(_refused("028", "24003", payment_id="200000001")) == ""


def test_a_card_company_timeout_is_unknown_like_paidy_s():
    assert _refused("022", "2005").outcome is Outcome.UNKNOWN
    assert _refused("022", "2004").outcome is Outcome.ERROR


def test_the_3ds_result_hash_is_sha256_of_result_auth_id_attempt_and_key():
    expected = hashlib.sha256("0abc1tds-key".encode()).hexdigest()
    assert wire.tds_result_hash("0", "abc", "1", KEY) == expected


def _back(result="0", auth_id="a" * 36, attempt="", key=KEY, **extra):
    fields = {"result": result, "3ds_auth_id": auth_id, "attempt_kbn": attempt, **extra}
    fields["hc"] = wire.tds_result_hash(result, auth_id, attempt, key)
    return fields


def test_verifying_the_3ds_result():
    ok = wire.verify_tds_result(_back(), KEY)
    assert ok.ok and ok.auth_id == "a" * 36 and ok.allowed("none")
    failed = wire.verify_tds_result(_back("1", response_code="2002"), KEY)
    assert not failed.ok and failed.code == "2002" and not failed.abandoned
    assert wire.verify_tds_result(_back("1", response_code="2001"), KEY).abandoned
    upper = _back()
    upper["hc"] = upper["hc"].upper()
    assert wire.verify_tds_result(upper, KEY).ok


@pytest.mark.parametrize("tamper", [
    lambda f: f.update(result="0") or f,                  # a failure turned into success
    lambda f: f.update({"3ds_auth_id": "b" * 36}) or f,   # another authentication
    lambda f: f.update(attempt_kbn="") or f,
    lambda f: f.pop("hc") and f,
    lambda f: f.update(hc="") or f,
    lambda f: f.update(hc="ｈｃ") or f,
])
def test_a_tampered_result_is_not_believed(tamper):
    assert wire.verify_tds_result(tamper(_back("1", attempt="1")), KEY) is None


def test_no_key_believes_nothing():
    assert wire.verify_tds_result(_back(key=""), "") is None


@pytest.mark.parametrize("attempt, control, allowed", [
    ("", "none", True), ("0", "none", False), ("1", "none", False),
    ("0", "normal", True), ("1", "normal", False),
    ("0", "all", True), ("1", "all", True), ("9", "all", False),
])
def test_attempt_control(attempt, control, allowed):
    assert wire.verify_tds_result(_back(attempt=attempt), KEY).allowed(control) is allowed


class _Client:
    def __init__(self):
        self.sent = []

    def send(self, kind, **fields):
        self.sent.append((kind, fields))
        return _reply(kind, payment_id="1")


def test_the_send_helpers_pick_the_telegram():
    client = _Client()
    wire.send_cancel(client, "1", captured=False)
    wire.send_cancel(client, "1", captured=True)
    wire.send_change(client, "1", 900, 1000, captured=False)
    wire.send_change(client, "1", 900, 1000, captured=True)
    wire.send_capture(client, "1")
    assert [k for k, _ in client.sent] == ["021", "023", "028", "029", "022"]
