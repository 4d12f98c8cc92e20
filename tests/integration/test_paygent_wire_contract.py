"""The sandbox's replies read the same through PAYGENT's own connection module as through ours.

``module_parse`` restates, independently of ``payments.paygent.codec``, how PAYGENT's
connection module reads a reply body: split on CRLF, split each line at its first ``=``, take
the value as raw Shift_JIS (never URL-decoded), skip a line without ``=``; from a key ending in
``_html`` on, every following line belongs to that item, up to the end of the body. Real
telegrams go to the sandbox over HTTP; the expected values are what the test sent.
"""
import re
from urllib.parse import urlencode

import pytest
import requests

from payments.paygent.codec import parse_reply

from .paygent_helpers import CONNECT_ID, MERCHANT, PASSWORD, PUBLIC_KEY, register

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def module_parse(body: bytes) -> dict:
    items, html_key, html_lines = {}, None, []
    for line in body.split(b"\r\n"):
        key, sep, value = line.partition(b"=")
        if key.endswith(b"_html"):
            html_key = key  # the module does not keep what follows "=" on this line
            continue
        if html_key is not None:
            html_lines.append(line)
            continue
        if sep:
            items[key.decode("cp932")] = value.decode("cp932")
    if html_key is not None:
        items[html_key.decode("cp932")] = b"\r\n".join(html_lines).decode("cp932")
    return items


def telegram(sandbox, path: str, kind: str, **fields) -> requests.Response:
    """POST a telegram as a shop's module does (Shift_JIS form), return the raw reply."""
    body = urlencode({"merchant_id": MERCHANT, "connect_id": CONNECT_ID,
                      "connect_password": PASSWORD, "telegram_kind": kind,
                      "telegram_version": "1.0", **fields}, encoding="cp932")
    response = requests.post(
        f"{sandbox.url}/paygent{path}", data=body.encode("ascii"), timeout=10,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=Shift_JIS"})
    assert response.status_code == 200
    return response


BUYER = {"email": "taro+shop%41=x@example.jp", "name1": "山田+太郎 %E5=様",
         "name2": "ヤマダ タロウ", "phone": "08000000001"}
SHIPPING = {"zip": "150-0001", "state": "東京都", "city": "渋谷区神宮前 100%",
            "line1": "ハイツ=青山+101号", "line2": "1-2-3"}


def checkout(sandbox, order_ref: str, buyer: dict = BUYER, shipping: dict = SHIPPING) -> str:
    paid = requests.post(f"{sandbox.url}/paidy/payments", timeout=10, json={
        "api_key": PUBLIC_KEY, "email": buyer["email"], "phone": buyer["phone"],
        "payload": {"amount": 4400, "currency": "JPY", "buyer": buyer,
                    "order": {"order_ref": order_ref, "items": [], "tax": 0, "shipping": 0},
                    "shipping_address": shipping, "description": "お茶+湯呑み=セット"}})
    assert paid.status_code == 200, paid.text
    return paid.json()["id"]


@pytest.fixture
def merchant(sandbox):
    register(sandbox)
    return sandbox


def test_343_reads_names_address_and_email_exactly_through_the_module(merchant):
    paidy_id = checkout(merchant, "order00701")
    body = telegram(merchant, "/n/paidy/request", "343", paidy_payment_id=paidy_id).content
    items = module_parse(body)
    assert items["result"] == "0" and items["retrieve_result"] == "0"
    assert items["paidy_payment_id"] == paidy_id
    assert items["order_ref"] == "order00701" and items["payment_amount"] == "4400"
    assert items["buyer_email"] == "taro+shop%41=x@example.jp"
    assert items["buyer_name1"] == "山田+太郎 %E5=様"
    assert items["buyer_name2"] == "ヤマダ タロウ"
    assert items["shipping_city"] == "渋谷区神宮前 100%"
    assert items["shipping_line1"] == "ハイツ=青山+101号"
    assert items["shipping_state"] == "東京都" and items["shipping_zip"] == "150-0001"
    assert parse_reply(body) == items


def test_refusals_carry_a_japanese_response_detail(merchant):
    body = telegram(merchant, "/n/paidy/request", "341", payment_id="999999999").content
    items = module_parse(body)
    assert items["result"] == "1" and items["response_code"] == "24001"
    assert JAPANESE.search(items["response_detail"]) and "%" not in items["response_detail"]
    assert parse_reply(body) == items
    wrong = requests.post(f"{merchant.url}/paygent/n/ref/paymentref", timeout=10,
                          data=urlencode({"merchant_id": MERCHANT, "connect_id": CONNECT_ID,
                                          "connect_password": "wrong",
                                          "telegram_kind": "094",
                                          "telegram_version": "1.0"}))
    refused = module_parse(wrong.content)
    assert refused["response_code"] == "P002" and JAPANESE.search(refused["response_detail"])


@pytest.mark.parametrize("kind, path, items", [
    ("341", "/n/paidy/request", ("payment_id",)),
    ("094", "/n/ref/paymentref", ("payment_id", "payment_status", "payment_amount")),
    ("091", "/n/ref/paynotice", ("success_code", "payment_notice_id", "payment_id")),
])
def test_every_item_is_present_even_when_empty(merchant, kind, path, items):
    paidy_id = checkout(merchant, "order00702")
    fields = {"trading_id": "order00702"} if kind != "091" else {}
    ok = telegram(merchant, path, kind, **fields).content
    lines = ok.split(b"\r\n")
    assert b"response_code=" in lines and b"response_detail=" in lines  # on success: empty
    assert all(module_parse(ok)[item] != "" for item in items if item != "success_code")
    if kind != "091":  # an error reply still names the telegram's items, empty
        refused = module_parse(telegram(merchant, path, kind, trading_id="nothing").content)
        assert refused["result"] == "1" and all(refused[item] == "" for item in items)
    assert paidy_id


def test_343_for_an_unknown_payment_still_names_every_item(merchant):
    paidy_id = checkout(merchant, "order00703")
    found = module_parse(telegram(merchant, "/n/paidy/request", "343",
                                  paidy_payment_id=paidy_id).content)
    missing = module_parse(telegram(merchant, "/n/paidy/request", "343",
                                    paidy_payment_id="pay_nothing").content)
    assert missing["retrieve_result"] == "1"
    assert set(missing) == set(found)
    assert missing["buyer_email"] == "" and missing["paidy_payment_id"] == "pay_nothing"


def test_a_line_break_in_buyer_data_cannot_end_an_item(merchant):
    """A raw value cannot hold CR/LF (it would end the line, and could forge an item such as
    ``result``): the sandbox sends it as a space, as one line."""
    buyer = dict(BUYER, name1="山田\r\nresult=1", name2="ヤマダ\nタロウ")
    shipping = dict(SHIPPING, line2="1-2-3\r\nresponse_code=24003")
    paidy_id = checkout(merchant, "order00704", buyer, shipping)
    body = telegram(merchant, "/n/paidy/request", "343", paidy_payment_id=paidy_id).content
    items = module_parse(body)
    assert items["result"] == "0" and items["response_code"] == ""
    assert items["buyer_name1"] == "山田 result=1"
    assert items["buyer_name2"] == "ヤマダ タロウ"
    assert items["shipping_line2"] == "1-2-3 response_code=24003"
    assert parse_reply(body) == items


def test_reply_has_one_content_type_with_the_shift_jis_charset(merchant):
    response = telegram(merchant, "/n/ref/paynotice", "091")
    assert response.raw.headers.getlist("Content-Type") == ["text/plain; charset=Shift_JIS"]
    refused = requests.post(f"{merchant.url}/paygent/n/ref/paynotice", data=b"", timeout=10)
    assert refused.raw.headers.getlist("Content-Type") == ["text/plain; charset=Shift_JIS"]


def test_html_items_through_the_module_and_through_ours():
    """The sandbox's encoder puts an ``_html`` item last, its value on the following lines to
    the end of the body: both parsers read it whole, and the items before it."""
    from payments.paygent.codec import encode_reply
    html = '<html>\r\n<form action="https://x.example/?a=1&b=%41">\r\n</form>\r\n</html>'
    body = encode_reply({"redirect_html": html, "result": "0", "response_code": "",
                         "response_detail": "", "payment_id": "200000001"})
    expected = {"result": "0", "response_code": "", "response_detail": "",
                "payment_id": "200000001", "redirect_html": html}
    assert module_parse(body) == expected
    assert parse_reply(body) == expected
