import pytest

from payments.paygent.codec import (MalformedReply, decode_form, encode_form, encode_reply,
                                    parse_reply)


def test_request_is_shift_jis_form_encoded():
    body = encode_form({"telegram_kind": "341", "note": "ペイディ", "skip": None})
    assert body == b"telegram_kind=341&note=%83y%83C%83f%83B"


def test_request_rejects_characters_shift_jis_cannot_carry():
    with pytest.raises(UnicodeEncodeError):
        encode_form({"name": "😀"})


def test_request_over_100kb_is_refused():
    with pytest.raises(ValueError):
        encode_form({"description": "a" * (100 * 1024)})


def test_form_round_trip_keeps_japanese_and_symbols():
    fields = {"buyer": "山田 太郎", "memo": "a&b=c+d", "amount": "1500"}
    assert decode_form(encode_form(fields)) == fields


def test_reply_values_are_raw_shift_jis_never_url_decoded():
    body = ("result=1\r\nresponse_code=P002\r\nresponse_detail=接続IDが不正です\r\n"
            "payment_id=\r\nbuyer_email=a+b%41=c@example.jp\r\n").encode("cp932")
    reply = parse_reply(body)
    assert reply == {"result": "1", "response_code": "P002",
                     "response_detail": "接続IDが不正です", "payment_id": "",
                     "buyer_email": "a+b%41=c@example.jp"}


def test_reply_order_does_not_matter_and_missing_keys_are_absent():
    reply = parse_reply(b"payment_id=200000001\r\nresult=0\r\n")
    assert reply["result"] == "0" and reply["payment_id"] == "200000001"
    assert reply.get("response_code", "") == ""


def test_lines_split_on_crlf_only_and_at_the_first_equals_sign():
    reply = parse_reply(b"result=0\r\nmemo=a=b==c\r\nnote=one\ntwo\r\nno equals sign\r\n")
    assert reply == {"result": "0", "memo": "a=b==c", "note": "one\ntwo"}


def test_html_item_runs_to_the_end_of_the_body():
    # PAYGENT starts the value on the line after the key; the items after it are part of it.
    body = ("result=0\r\npayment_id=12\r\nredirect_html=\r\n<html><body>\r\n"
            "<form action=\"x?a=1\">\r\nresult=9\r\n</form></body></html>").encode("cp932")
    reply = parse_reply(body)
    assert reply["result"] == "0" and reply["payment_id"] == "12"
    assert reply["redirect_html"] == ('<html><body>\r\n<form action="x?a=1">\r\nresult=9\r\n'
                                      "</form></body></html>")


def test_html_item_keeps_text_on_its_own_line_and_a_final_line_break():
    body = b"result=0\r\nout_html=<p>\r\n</p>\r\n"
    assert parse_reply(body) == {"result": "0", "out_html": "<p>\r\n</p>\r\n"}


def test_html_item_first_leaves_no_result():
    with pytest.raises(MalformedReply):
        parse_reply(b"out_html=\r\n<p>\r\nresult=0\r\n")


@pytest.mark.parametrize("body", [b"", b"<html>oops</html>", b"payment_id=1\r\n", b"\xff\xfe\xfd",
                                  b"result=\r\npayment_id=1\r\n"])
def test_garbage_is_malformed(body):
    with pytest.raises(MalformedReply):
        parse_reply(body)


def test_encode_reply_writes_raw_values_and_parses_back():
    fields = {"result": "1", "response_code": "24003", "response_detail": "決済ステータスが不正です。",
              "payment_id": "", "buyer_name1": "山田+太郎 100%=様"}
    body = encode_reply(fields)
    assert body == ("result=1\r\nresponse_code=24003\r\nresponse_detail=決済ステータスが不正です。"
                    "\r\npayment_id=\r\nbuyer_name1=山田+太郎 100%=様\r\n").encode("cp932")
    assert parse_reply(body) == fields


def test_encode_reply_puts_the_html_item_last_from_the_next_line_to_the_end():
    body = encode_reply({"redirect_html": "<p>\r\n</p>", "result": "0", "payment_id": "7"})
    assert body == b"result=0\r\npayment_id=7\r\nredirect_html=\r\n<p>\r\n</p>"
    assert parse_reply(body) == {"result": "0", "payment_id": "7", "redirect_html": "<p>\r\n</p>"}


@pytest.mark.parametrize("fields", [
    {"result": "0", "buyer_name1": "山田\r\nresult=1"},
    {"result": "0", "buyer_name1": "line\nbreak"},
    {"result": "0", "buyer_name1": "carriage\rreturn"},
    {"result": "0", "a_html": "<p>", "b_html": "<q>"},
    {"result": "0", "bad=key": "x"},
])
def test_encode_reply_refuses_what_would_break_a_line_or_an_item(fields):
    with pytest.raises(ValueError):
        encode_reply(fields)
