"""The carrier telegrams' builders and readers (payments/paygent/carrier.py), and what the
operations code sends for 101/102/103 (payments/paygent/operations.py)."""
import pytest

from payments.methods import carrier as lib
from payments.paygent import Outcome, TelegramResult, carrier
from payments.paygent.operations import CARRIER_KINDS, new_payment_id, operation_fields

URLS = dict(return_url="https://shop.example.jp/s/demo/carrier/return?order=1",
            cancel_url="https://shop.example.jp/s/demo/carrier/cancel")


def ok(kind, **data):
    return TelegramResult(Outcome.OK, kind, {"result": "0", **data})


def test_the_kinds_and_their_path():
    assert carrier.PATHS == {"100": "/n/c/request", "101": "/n/c/request",
                             "102": "/n/c/request", "103": "/n/c/request"}
    assert CARRIER_KINDS == {"101", "102", "103"}
    assert {t.telegram for t in lib.CARRIER.transitions} == CARRIER_KINDS


@pytest.mark.parametrize("which, code", [(lib.DOCOMO, "5"), (lib.AU, "4"), (lib.SOFTBANK, "6")])
def test_100_fields(which, code):
    fields = carrier.apply_fields(trading_id="order_0001", amount=4980, carrier=which, **URLS)
    assert fields == {"trading_id": "order_0001", "amount": "4980", "career_type": code,
                      "return_url": URLS["return_url"], "cancel_url": URLS["cancel_url"],
                      "other_url": URLS["cancel_url"], "pc_mobile_type": "0"}
    assert carrier.CARRIER_OF[code] == which


def test_100_optional_fields():
    fields = carrier.apply_fields(trading_id="o1", amount=1, carrier=lib.AU, device="smartphone",
                                  other_url="https://shop.example.jp/error", open_id=" abc ",
                                  **URLS)
    assert fields["pc_mobile_type"] == "4" and fields["open_id"] == "abc"
    assert fields["other_url"] == "https://shop.example.jp/error"


@pytest.mark.parametrize("change, error", [
    ({"amount": 0}, ValueError), ({"amount": 100_001}, ValueError), ({"amount": "100"}, TypeError),
    ({"amount": True}, TypeError), ({"carrier": "willcom"}, ValueError),
    ({"trading_id": "注文1"}, ValueError), ({"trading_id": "x" * 26}, ValueError),
    ({"return_url": "/thanks"}, ValueError), ({"cancel_url": ""}, ValueError),
    ({"other_url": "ftp://x"}, ValueError), ({"device": "tablet"}, ValueError)])
def test_100_refused_before_sending(change, error):
    values = {"trading_id": "o1", "amount": 1000, "carrier": lib.DOCOMO, **URLS, **change}
    with pytest.raises(error):
        carrier.apply_fields(**values)


def test_read_apply():
    au = carrier.read_apply(ok("100", payment_id="123", redirect_url="https://au/x"))
    assert au == carrier.Handover("123", "https://au/x", "")
    docomo = carrier.read_apply(ok("100", payment_id="124", redirect_url="",
                                   redirect_html="<form></form>"))
    assert docomo.html == "<form></form>" and not docomo.url
    assert carrier.read_apply(ok("100", payment_id="125")) is None
    refused = TelegramResult(Outcome.ERROR, "100", {"result": "1"}, "P009")
    assert carrier.read_apply(refused) is None


def test_returned_trading_id():
    assert carrier.returned_trading_id({"trading_id": " o1 ", "payment_id": "9"}) == "o1"
    assert carrier.returned_trading_id({"trading_id": "x" * 26}) == ""
    assert carrier.returned_trading_id({}) == ""


def test_101_102_103_fields():
    assert carrier.capture_fields("123") == {"payment_id": "123"}
    assert carrier.cancel_fields(" 123 ") == {"payment_id": "123"}
    assert carrier.correct_fields("123", 4000, 5000) == {"payment_id": "123", "amount": "4000"}
    assert carrier.correct_fields("123", 4000) == {"payment_id": "123", "amount": "4000"}
    for amount in (5000, 5001):
        with pytest.raises(ValueError, match="lower"):
            carrier.correct_fields("123", amount, 5000)
    for payment_id in ("", "abc", "1" * 19, None):
        with pytest.raises(ValueError):
            carrier.capture_fields(payment_id)
    with pytest.raises(TypeError):
        carrier.correct_fields("123", "4000", 5000)


def test_the_operations_code_sends_the_carrier_s_fields():
    assert operation_fields("101", "123") == {"payment_id": "123"}
    assert operation_fields("102", "123") == {"payment_id": "123"}
    assert operation_fields("103", "123", 4000, 5000) == {"payment_id": "123", "amount": "4000"}
    with pytest.raises(ValueError):
        operation_fields("103", "123", 5000, 5000)
    with pytest.raises(ValueError):
        carrier.operation_fields("022", "123")
    # the card's and Paidy's stay as they were
    assert operation_fields("022", "123") == {"payment_id": "123"}
    assert operation_fields("342", "123", 100) == {"payment_id": "123", "amount": 100}
    # 103 keeps the payment: its reply names the same payment_id
    assert new_payment_id(ok("103", payment_id="123")) == "123"


class Recorder:
    def __init__(self):
        self.sent = []

    def send(self, kind, **fields):
        self.sent.append((kind, fields))
        return ok(kind, payment_id="1")


def test_send_helpers():
    client = Recorder()
    carrier.send_apply(client, trading_id="o1", amount=100, carrier=lib.SOFTBANK, **URLS)
    carrier.send_capture(client, "1")
    carrier.send_cancel(client, "1")
    carrier.send_correct(client, "1", 50, 100)
    assert [k for k, _ in client.sent] == ["100", "101", "102", "103"]
    assert client.sent[0][1]["career_type"] == "6"
    assert client.sent[3][1] == {"payment_id": "1", "amount": "50"}
