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


def test_reply_lines_are_crlf_key_value_with_url_encoded_values():
    body = ("result=1\r\nresponse_code=P002\r\n"
            "response_detail=%90%DA%91%B1ID%82%AA%95s%90%B3%82%C5%82%B7\r\npayment_id=\r\n"
            ).encode("ascii")
    reply = parse_reply(body)
    assert reply == {"result": "1", "response_code": "P002",
                     "response_detail": "接続IDが不正です", "payment_id": ""}


def test_reply_order_does_not_matter_and_missing_keys_are_absent():
    reply = parse_reply(b"payment_id=200000001\r\nresult=0\r\n")
    assert reply["result"] == "0" and reply["payment_id"] == "200000001"
    assert reply.get("response_code", "") == ""


def test_multi_line_html_value_is_kept_whole():
    body = ("result=0\r\npayment_id=12\r\n"
            "redirect_html=<html><body>\r\n<form action=\"x\">\r\n</form>\r\n</body></html>\r\n"
            ).encode("cp932")
    reply = parse_reply(body)
    assert reply["payment_id"] == "12"
    assert reply["redirect_html"] == ('<html><body>\r\n<form action="x">\r\n</form>\r\n'
                                      "</body></html>")


def test_html_value_followed_by_more_keys():
    body = b"out_html=<p>\r\n</p>\r\nresult=0\r\n"
    assert parse_reply(body) == {"out_html": "<p>\r\n</p>", "result": "0"}


@pytest.mark.parametrize("body", [b"", b"<html>oops</html>", b"payment_id=1\r\n", b"\xff\xfe\xfd"])
def test_garbage_is_malformed(body):
    with pytest.raises(MalformedReply):
        parse_reply(body)


def test_encode_reply_parses_back():
    fields = {"result": "1", "response_code": "24003", "response_detail": "決済ステータスが不正です。"}
    assert parse_reply(encode_reply(fields)) == fields
