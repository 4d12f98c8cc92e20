"""The card store's telegrams (payments.paygent.stored_card): 025/026/027 fields, 020 with a
stored card (the token 020 unchanged), the customer_id rule, and the readers, the CSV reply of
027 included."""
import pytest

from payments.paygent import Outcome, TelegramResult
from payments.paygent import card, stored_card as sc
from payments.paygent.client import PATHS, _read_reply, mask
from payments.paygent.codec import MalformedReply, encode_csv, parse_reference_reply


def test_paths():
    assert {k: PATHS[k] for k in ("025", "026", "027")} == dict.fromkeys(
        ("025", "026", "027"), "/n/card/request")
    assert PATHS["200"] == PATHS["201"] == "/n/o/requestdata"


@pytest.mark.parametrize("good", ["M1", "M000123456", "a-b_C9", "x" * 20])
def test_customer_id_accepted(good):
    assert sc.customer_id_problem(good) == ""


@pytest.mark.parametrize("bad", ["", None, 12, "x" * 21, "M 1", "会員1", "M1\n", "a.b"])
def test_customer_id_refused(bad):
    assert sc.customer_id_problem(bad)
    with pytest.raises(ValueError):
        sc.register_fields(bad, "tok_1")


def test_register_fields():
    assert sc.register_fields("M1", " tok_1 ") == {"customer_id": "M1", "card_token": "tok_1"}
    assert sc.register_fields("M1", "tok_1", valid_check=True)["valid_check_flg"] == "1"
    with pytest.raises(ValueError):
        sc.register_fields("M1", "")


def test_delete_and_inquire_fields():
    assert sc.delete_fields("M1", "17") == {"customer_id": "M1", "customer_card_id": "17"}
    assert sc.inquire_fields("M1") == {"customer_id": "M1"}
    for bad in ("", "1 7", "１７", None):
        with pytest.raises(ValueError):
            sc.delete_fields("M1", bad)


def test_token_020_unchanged():
    assert card.authorize_fields(trading_id="o1", amount=500, token="tok_1") == {
        "trading_id": "o1", "payment_amount": "500", "card_token": "tok_1",
        "payment_class": "10", "sales_mode": "0", "security_code_use": "1",
        "3dsecure_ryaku": "1"}
    with pytest.raises(ValueError):
        card.authorize_fields(trading_id="o1", amount=500, token="")


def test_stored_020_sends_the_stored_card_instead_of_a_token():
    fields = card.authorize_fields(trading_id="o1", amount=500, customer_id="M1",
                                   customer_card_id="17")
    assert fields == {"trading_id": "o1", "payment_amount": "500", "stock_card_mode": "1",
                      "customer_id": "M1", "customer_card_id": "17", "payment_class": "10",
                      "sales_mode": "0", "3dsecure_ryaku": "1"}
    assert "card_token" not in fields and "security_code_use" not in fields


def test_stored_020_with_a_security_code_token():
    fields = card.authorize_fields(trading_id="o1", amount=500, customer_id="M1",
                                   customer_card_id="17", token="tok_cvc")
    assert fields["card_token"] == "tok_cvc" and fields["security_code_token"] == "1"
    assert fields["security_code_use"] == "1"


@pytest.mark.parametrize("kwargs", [{"customer_id": "M1"}, {"customer_card_id": "17"},
                                    {"customer_id": "bad id", "customer_card_id": "17"}])
def test_stored_020_needs_both_ids(kwargs):
    with pytest.raises(ValueError):
        card.authorize_fields(trading_id="o1", amount=500, **kwargs)


def ok(kind, **data):
    return TelegramResult(Outcome.OK, kind, {"result": "0", **data})


def refused(kind, code, detail=""):
    return TelegramResult(Outcome.ERROR, kind, {"result": "1", "response_code": code,
                                                "response_detail": detail}, code, detail)


def test_read_registered():
    assert sc.read_registered(ok("025", customer_card_id="17")) == sc.Registered(
        Outcome.OK, "17")
    no_id = sc.read_registered(ok("025"))
    assert no_id.outcome is Outcome.UNKNOWN and not no_id.ok
    declined = sc.read_registered(refused("025", "2003"))
    assert declined.code == "2003" and declined.customer_card_id == ""
    assert "承認されませんでした" in declined.message   # codes.explain when PAYGENT says nothing


def test_read_deleted():
    assert sc.read_deleted(ok("026")).ok
    gone = sc.read_deleted(refused("026", "2050", "顧客カード情報が存在しません。"))
    assert (gone.outcome, gone.code, gone.message) == (Outcome.ERROR, "2050",
                                                        "顧客カード情報が存在しません。")


REFERENCE = encode_csv([
    ["1", "0", "", ""],
    ["2", "customer_card_id", "card_number", "card_valid_term", "cardholder_name", "card_brand"],
    ["3", "17", "411111******1111", "1239", "TARO YAMADA", "VISA"],
    ["3", "18", "353011******0000", "0630", "", ""],
    ["4", "2"]])


def test_027_csv_reply_read_by_its_column_names():
    result = _read_reply("027", REFERENCE)
    assert result.ok and len(result.rows) == 2
    cards = sc.read_cards(result)
    assert cards.ok and cards.cards == (
        sc.StoredCard("17", "411111******1111", "1239", "VISA", "TARO YAMADA"),
        sc.StoredCard("18", "353011******0000", "0630"))
    assert cards.cards[0].expiry == "12/39"


def test_027_error_and_empty_replies():
    empty = sc.read_cards(_read_reply("027", b"1,0,,\r\n2,customer_card_id\r\n4,0\r\n"))
    assert empty.ok and empty.cards == ()
    error = sc.read_cards(_read_reply("027", "1,1,P009,項目の値が不正です。\r\n4,0\r\n"
                                      .encode("cp932")))
    assert (error.outcome, error.code, error.message) == (Outcome.ERROR, "P009",
                                                          "項目の値が不正です。")
    # an error answered in key=value lines before PAYGENT read the telegram
    p002 = sc.read_cards(_read_reply("027", b"result=1\r\nresponse_code=P002\r\n"))
    assert p002.code == "P002"


def test_027_malformed():
    with pytest.raises(MalformedReply):
        parse_reference_reply(b"1,0,,\r\n2,a,b\r\n3,only-one\r\n4,1\r\n")
    with pytest.raises(MalformedReply):
        parse_reference_reply(b"1,,,\r\n")


def test_read_stored_authorization():
    approved = sc.read_stored_authorization(ok("020", payment_id="200000001",
                                               masked_card_number="411111******1111",
                                               card_brand="VISA"))
    assert approved.ok and approved.payment_id == "200000001"
    declined = sc.read_stored_authorization(refused("020", "2003"))
    assert declined.outcome is Outcome.ERROR and declined.code == "2003"


def test_mask_keeps_secrets_and_files_out_of_the_log():
    logged = mask({"connect_password": "pw", "card_token": "tok_1", "data": b"1,020\r\n",
                   "customer_id": "M1"})
    assert logged == {"connect_password": "********", "card_token": "********",
                      "data": "(7 bytes)", "customer_id": "M1"}
