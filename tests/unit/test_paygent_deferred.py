"""The deferred methods' telegram helpers (payments.paygent.conveni, atm, bank) and the text
conversions they use (payments.paygent.text): fields from plain values, replies read."""
from datetime import datetime, timedelta, timezone

import pytest

from payments.paygent import atm, bank, conveni, text
from payments.paygent.results import Outcome, TelegramResult

JST = timezone(timedelta(hours=9))
BUYER = dict(family_name="山田", given_name="太郎", family_name_kana="やまだ",
             given_name_kana="タロウ", tel="０９０-1234-5678")


def ok(kind, **data):
    return TelegramResult(Outcome.OK, kind, {"result": "0", **data})


def refused(kind, code):
    return TelegramResult(Outcome.ERROR, kind, {"result": "1", "response_code": code}, code)


# -- text ----------------------------------------------------------------------------------
@pytest.mark.parametrize("given, expected", [
    ("やまだ たろう", "ﾔﾏﾀﾞ ﾀﾛｳ"), ("ガッツ・ヴァ", "ｶﾞｯﾂ･ｳﾞｧ"), ("ﾊﾟﾝ", "ﾊﾟﾝ"),
    ("ｔｅｓｔ１", "TEST1"), ("山田", ""), ("ショップ　ＡＢＣ", "ｼｮｯﾌﾟ ABC")])
def test_halfwidth_kana(given, expected):
    assert text.halfwidth_kana(given) == expected


@pytest.mark.parametrize("given, expected", [
    ("ﾔﾏﾀﾞ", "ヤマダ"), ("Taro 1", "Ｔａｒｏ　１"), ("髙橋", "髙橋"), ("𠮷田", "？田")])
def test_fullwidth(given, expected):
    assert text.fullwidth(given) == expected


def test_truncation_counts_shift_jis_bytes_and_keeps_voiced_kana_whole():
    assert text.truncate("山田太郎", 5) == "山田"
    assert text.truncate("ｶﾞｷﾞｸﾞ", 3) == "ｶﾞ"
    assert text.kana_field("ガギグ", 5) == "ｶﾞｷﾞ"
    assert text.wide_field("ABCDEFGHIJKL", 20) == "ＡＢＣＤＥＦＧＨＩＪ"


# -- 030 -----------------------------------------------------------------------------------
def test_030_fields():
    fields = conveni.apply_fields(trading_id="order_001", amount=4400, store="00C002", **BUYER)
    assert fields == {"trading_id": "order_001", "payment_amount": "4400",
                      "cvs_company_id": "00C002", "customer_family_name": "山田",
                      "customer_name": "太郎", "customer_family_name_kana": "ﾔﾏﾀﾞ",
                      "customer_name_kana": "ﾀﾛｳ", "customer_tel": "09012345678",
                      "payment_limit_date": "15", "sales_type": "1"}


def test_030_cuts_names_to_what_paygent_takes():
    fields = conveni.apply_fields(trading_id="o1", amount=1, store="00C001",
                                  family_name="長谷川長谷川長谷川長谷川", given_name="ﾀﾛｳ",
                                  family_name_kana="ハセガワハセガワハセガワハセガワ",
                                  given_name_kana="たろう", tel="0312345678", days=3)
    assert fields["customer_family_name"] == "長谷川長谷川長谷川長"       # 20 bytes
    assert fields["customer_name"] == "タロウ"                            # widened
    assert text.sjis_length(fields["customer_family_name_kana"]) <= 20
    assert fields["payment_limit_date"] == "3"


@pytest.mark.parametrize("change, error", [
    ({"amount": 0}, ValueError), ({"amount": 300_000}, ValueError), ({"amount": "100"}, TypeError),
    ({"amount": True}, TypeError), ({"store": "00C004", "connection_type": "F"}, ValueError),
    ({"store": "99C999"}, ValueError), ({"tel": "12345"}, ValueError),
    ({"days": 61}, ValueError), ({"days": 0}, ValueError),
    ({"trading_id": "注文1"}, ValueError), ({"trading_id": "x" * 26}, ValueError),
    ({"family_name_kana": "山田"}, ValueError)])
def test_030_refuses_bad_values(change, error):
    values = dict(trading_id="o1", amount=1000, store="00C002", **BUYER)
    values.update(change)
    with pytest.raises(error):
        conveni.apply_fields(**values)


def test_030_reply_lawson_needs_the_confirm_number():
    result = ok("030", payment_id="200000001", receipt_number="51234567890",
                usable_cvs_company_id="00C002-00C004", payment_limit_date="20261207",
                receipt_print_url="")
    paid = conveni.read_apply(result, "00C002")
    assert paid.payment_id == "200000001" and paid.usable_stores == ("00C002", "00C004")
    assert paid.deadline == datetime(2026, 12, 7, 23, 59, 59, tzinfo=JST)
    assert paid.instructions() == [("お支払い先", "ローソン、ミニストップ"),
                                   ("お客様番号", "51234567890"), ("確認番号", "400008"),
                                   ("お支払い期限", "2026年12月7日(月) 23:59まで")]


def test_030_reply_seven_eleven_has_the_slip_url_and_type_f_lawson_the_phone():
    seven = conveni.read_apply(ok("030", payment_id="1", receipt_number="1234567890123",
                                  usable_cvs_company_id="00C001", payment_limit_date="20261207",
                                  receipt_print_url="https://slip.example/x"), "00C001")
    assert ("払込票URL", "https://slip.example/x") in seven.instructions()
    assert seven.confirm_number == ""
    lawson_f = conveni.read_apply(ok("030", payment_id="2", receipt_number="51234567890",
                                     usable_cvs_company_id="00C002-00C004",
                                     payment_limit_date="20261207"), "00C002", "F",
                                  tel="090-1234-5678")
    assert lawson_f.instructions()[:3] == [("お支払い先", "ローソン・ミニストップ、ミニストップ"),
                                           ("支払番号", "51234567890"),
                                           ("電話番号", "09012345678")]


def test_030_refused_or_numberless_reply_is_none():
    assert conveni.read_apply(refused("030", "P009"), "00C002") is None
    assert conveni.read_apply(ok("030", payment_id="1"), "00C002") is None


# -- 010 -----------------------------------------------------------------------------------
def test_010_fields():
    assert atm.apply_fields(trading_id="o1", amount=12000, shop_name_kana="テストショップ",
                            days=10) == {
        "trading_id": "o1", "payment_amount": "12000", "payment_detail": "テストショップ",
        "payment_detail_kana": "ﾃｽﾄｼｮｯﾌﾟ", "payment_limit_date": "10"}
    named = atm.apply_fields(trading_id="o1", amount=1, shop_name_kana="ﾃｽﾄ", **{
        k: v for k, v in BUYER.items() if k != "tel"})
    assert named["payment_detail"] == "テスト" and named["customer_family_name_kana"] == "ﾔﾏﾀﾞ"
    assert named["payment_limit_date"] == "30"
    with pytest.raises(ValueError):
        atm.apply_fields(trading_id="o1", amount=1, shop_name_kana="商店")   # no kana
    with pytest.raises(ValueError):
        atm.apply_fields(trading_id="o1", amount=1_000_000, shop_name_kana="ﾃｽﾄ")


def test_010_reply():
    paid = atm.read_apply(ok("010", payment_id="9", pay_center_number="58091",
                             customer_number="1234567890123456", conf_number="123456",
                             payment_limit_date="20261222"))
    assert paid.instructions() == [("収納機関番号", "58091"), ("お客様番号", "1234567890123456"),
                                   ("確認番号", "123456"),
                                   ("お支払い期限", "2026年12月22日(火) 23:59まで")]
    assert atm.read_apply(ok("010", payment_id="9", pay_center_number="58091")) is None
    assert atm.read_apply(refused("010", "P005")) is None


# -- 050 / 060 -----------------------------------------------------------------------------
def test_060_fields():
    fields = bank.asp_fields(trading_id="o1", amount=8000, shop_name="テスト商店",
                             shop_name_kana="テストショウテン",
                             return_url="https://shop.example.jp/r?o=1",
                             copyright="Copyright (c) Shop", free_memo="ありがとうございます",
                             family_name="山田", given_name="太郎")
    assert fields == {"trading_id": "o1", "amount": "8000", "claim_kanji": "テスト商店",
                      "claim_kana": "ﾃｽﾄｼｮｳﾃﾝ", "receipt_name": "テスト商店",
                      "receipt_name_kana": "ﾃｽﾄｼｮｳﾃﾝ",
                      "return_url": "https://shop.example.jp/r?o=1",
                      "stop_return_url": "https://shop.example.jp/r?o=1",
                      "customer_family_name": "山田", "customer_name": "太郎",
                      "asp_payment_term": "0070000", "copy_right": "Copyright (c) Shop",
                      "free_memo": "ありがとうございます"}
    assert bank.payment_term(14) == "0140000"


@pytest.mark.parametrize("change", [{"return_url": "/relative"}, {"shop_name": ""},
                                    {"shop_name_kana": "商店"}, {"days": 100}, {"amount": 0},
                                    {"stop_return_url": "ftp://x/y"}])
def test_060_refuses_bad_values(change):
    values = dict(trading_id="o1", amount=1000, shop_name="テスト", shop_name_kana="テスト",
                  return_url="https://shop.example.jp/r")
    values.update(change)
    with pytest.raises(ValueError):
        bank.asp_fields(**values)


def test_050_fields_carry_the_bank_code():
    fields = bank.apply_fields(trading_id="o1", amount=1000, bank_code="0005",
                               shop_name="テスト", shop_name_kana="テスト",
                               return_url="https://shop.example.jp/r",
                               stop_return_url="https://shop.example.jp/stop")
    assert fields["bank_code"] == "0005" and "asp_payment_term" not in fields
    assert fields["stop_return_url"] == "https://shop.example.jp/stop"
    with pytest.raises(ValueError):
        bank.apply_fields(trading_id="o1", amount=1000, bank_code="5", shop_name="テスト",
                          shop_name_kana="テスト", return_url="https://shop.example.jp/r")


def test_bank_handover_and_return():
    assert bank.read_handover(ok("060", payment_id="3", asp_url="https://pg/x")) == \
        bank.Handover("3", url="https://pg/x")
    assert bank.read_handover(ok("050", payment_id="4", redirect_html="<html>")).html == "<html>"
    assert bank.read_handover(ok("060", payment_id="3")) is None
    assert bank.read_handover(refused("060", "P009")) is None
    assert bank.returned_trading_id({"trading_id": "o1"}) == "o1"
    assert bank.returned_trading_id({"trading_id": "x" * 26}) == ""


def test_client_paths():
    from payments.paygent.client import PATHS
    assert {k: PATHS[k] for k in ("010", "030", "050", "060")} == {
        "010": "/n/atm/request", "030": "/n/conveni/request", "050": "/n/bank/request",
        "060": "/n/bank/requestasp"}
