"""The authorisation file and the result file of ファイル決済 (payments.paygent.file_payment),
byte for byte, every error the reader reports, and 200/201 read from their replies."""
import pytest

from payments.paygent import Outcome, TelegramResult
from payments.paygent import file_payment as fp
from payments.paygent.client import telegram_url
from payments.paygent.codec import encode_form

MERCHANT = "900000123"
RECORDS = [fp.AuthRecord("338", 11246, "M285", "200"),
           fp.AuthRecord("339", 7022, "M285", "338"),
           fp.AuthRecord("379", 10175, "M360", "236")]
FILE = (b"1,020,900000123,,,\r\n"
        b"3,,338,,11246,,,10,,,,200,,M285,\r\n"
        b"3,,339,,7022,,,10,,,,338,,M285,\r\n"
        b"3,,379,,10175,,,10,,,,236,,M360,\r\n"
        b"4,3\r\n")


def test_build_is_byte_exact_as_seed_002_lays_it_out():
    data = fp.build_auth_file(MERCHANT, RECORDS)
    assert data == FILE
    data_row = data.split(b"\r\n")[1].split(b",")
    assert len(data_row) == 15      # columns A..O
    assert (data_row[0], data_row[2], data_row[4], data_row[7], data_row[11],
            data_row[13]) == (b"3", b"338", b"11246", b"10", b"200", b"M285")
    assert data.count(b"\r\n") == 5 and b"\n" not in data.replace(b"\r\n", b"")


def test_read_is_the_inverse():
    parsed = fp.read_auth_file(FILE)
    assert parsed.ok and parsed.errors == []
    assert (parsed.kind, parsed.merchant_id, parsed.count) == ("020", MERCHANT, 3)
    assert parsed.records == RECORDS and parsed.record_lines == [2, 3, 4]
    assert parsed.total == 11246 + 7022 + 10175


def test_a_manual_header_of_three_columns_is_read():
    parsed = fp.read_auth_file(FILE.replace(b"1,020,900000123,,,", b"1,020,900000123"))
    assert parsed.ok and parsed.merchant_id == MERCHANT


@pytest.mark.parametrize("records, message", [
    ([fp.AuthRecord("338", 0, "M1")], "1円以上"),
    ([fp.AuthRecord("338", 10_000_000, "M1")], "上限"),
    ([fp.AuthRecord("338", True, "M1")], "整数"),
    ([fp.AuthRecord("338", 100, "")], "顧客番号"),
    ([fp.AuthRecord("338", 100, "顧客")], "顧客番号"),
    ([fp.AuthRecord("", 100, "M1")], "注文番号"),
    ([fp.AuthRecord("a,b", 100, "M1")], "注文番号"),
    ([fp.AuthRecord("338", 100, "M1", "x" * 26)], "直前回の注文番号"),
    ([fp.AuthRecord("338", 100, "M1", payment_class="61")], "支払区分"),
    ([fp.AuthRecord("338", 100, "M1"), fp.AuthRecord("338", 100, "M2")], "twice"),
    ([], "at least one"),
])
def test_build_refuses_what_the_file_cannot_carry(records, message):
    with pytest.raises(ValueError, match=message):
        fp.build_auth_file(MERCHANT, records)


def test_build_refuses_a_bad_merchant_or_kind():
    with pytest.raises(ValueError):
        fp.build_auth_file("ABC", RECORDS)
    with pytest.raises(ValueError):
        fp.build_auth_file(MERCHANT, RECORDS, kind="021")


def errors(data: bytes) -> list[tuple[int, str]]:
    return [(e.line, e.field) for e in fp.read_auth_file(data).errors]


@pytest.mark.parametrize("data, expected", [
    (FILE.replace(b"4,3", b"4,2"), [(5, "合計件数")]),
    (FILE.replace(b"4,3", b"4,x"), [(5, "合計件数")]),
    (FILE.replace(b"11246", b"11x46"), [(2, "請求金額")]),
    (FILE.replace(b"11246", b"0"), [(2, "請求金額")]),
    (FILE.replace(b",11246,", b",,"), [(2, "請求金額")]),
    (FILE.replace(b",M285,\r\n3,,339", b",,\r\n3,,339"), [(2, "顧客番号")]),
    (FILE.replace(b",339,", b",338,"), [(3, "注文番号")]),
    (FILE.replace(b",,,10,,,,338,", b",,,61,,,,338,"), [(3, "支払区分")]),
    (FILE.replace(b"3,,379,,10175,,", b"3,X,379,,10175,,"), [(4, "B列")]),
    (FILE.replace(b"3,,379,,10175,,,10,,,,236,,M360,", b"3,,379,,10175"), [(4, "データレコード")]),
    (FILE.replace(b"1,020,", b"1,021,"), [(1, "取引種別")]),
    (FILE.replace(b"1,020,900000123", b"1,020,ABC"), [(1, "マーチャントID")]),
    (FILE.replace(b"1,020,900000123,,,", b"1,020,900000123,,,x"), [(1, "ヘッダレコード")]),
    (FILE.split(b"\r\n", 1)[1], [(1, "レコードID"), (4, "合計件数")]),
    (FILE.replace(b"4,3\r\n", b""), [(5, "トレーラレコード")]),
    (FILE + b"3,,400,,100,,,10,,,,,,M1,\r\n", [(6, "レコードID")]),
    (FILE.replace(b"3,,339", b"7,,339"), [(3, "レコードID"), (5, "合計件数")]),
    (FILE.replace(b"\r\n3,,339", b"\n3,,339"), [(2, "改行コード")]),
    (FILE[:-2], [(5, "改行コード")]),
    (FILE.replace(b"M360,", b"M\x81,"), [(4, "文字コード"), (4, "顧客番号")]),
    (b"1,020,900000123,,,\r\n4,0\r\n", [(2, "データレコード")]),
    (b"", [(0, "ファイル")]),
])
def test_every_format_error_names_its_line_and_item(data, expected):
    assert errors(data) == expected
    assert not fp.read_auth_file(data).ok


def test_errors_are_kept_up_to_51():
    many = [fp.AuthRecord(f"o{i}", 100, "M1") for i in range(60)]
    data = fp.build_auth_file(MERCHANT, many).replace(b",100,", b",1x0,")
    parsed = fp.read_auth_file(data)
    assert len(parsed.errors) == fp.MAX_ERRORS == 51
    assert parsed.errors[0].line == 2 and "ほか9件" in parsed.errors[-1].message
    assert str(parsed.errors[0]) == "2行目 請求金額：半角数字で指定してください。"


# -- the result file -------------------------------------------------------------------------
DETAIL = "カード会社でオーソリが承認されませんでした。"


def result_file() -> bytes:
    return fp.build_result_file(FILE, {
        2: ("0", "", "", "200000001"), 3: ("1", "2003", DETAIL, "200000002"),
        4: ("1", "2051", "顧客カード情報が登録されていません。", "")})


def test_result_file_appends_the_result_columns_to_each_record():
    data = result_file()
    assert data == (
        b"1,020,900000123,,,,0,,\r\n"
        b"3,,338,,11246,,,10,,,,200,,M285,,0,,,200000001\r\n"
        + "3,,339,,7022,,,10,,,,338,,M285,,1,2003,{},200000002\r\n".format(DETAIL)
        .encode("cp932")
        + "3,,379,,10175,,,10,,,,236,,M360,,1,2051,顧客カード情報が登録されていません。,\r\n"
        .encode("cp932")
        + b"4,3,0,,\r\n")


def test_result_file_round_trip_keeps_the_japanese_detail():
    parsed = fp.read_result_file(result_file())
    assert parsed.errors == []
    assert (parsed.kind, parsed.merchant_id) == ("020", MERCHANT)
    assert parsed.records == [
        fp.ResultRecord(2, "338", 11246, True, "200000001", "", ""),
        fp.ResultRecord(3, "339", 7022, False, "200000002", "2003", DETAIL),
        fp.ResultRecord(4, "379", 10175, False, "", "2051", "顧客カード情報が登録されていません。")]
    assert [r.trading_id for r in parsed.ng] == ["339", "379"]


@pytest.mark.parametrize("mangle, expected", [
    (lambda d: d.replace(b"4,3,0", b"4,2,0"), [(5, "合計件数")]),
    (lambda d: d.replace(b",11246,", b",1x,"), [(2, "請求金額")]),
    (lambda d: d.replace(b",,0,,,200000001", b",,5,,,200000001"), [(2, "処理結果")]),
    (lambda d: d.replace(b",,0,,,200000001", b",,0,,,"), [(2, "決済ID")]),
    (lambda d: d.replace(b",,0,,,200000001", b","), [(2, "処理結果"), (5, "合計件数")]),
    (lambda d: d.replace(b",,,,0,,\r\n", b",,,,1,9105,bad\r\n", 1), [(1, "ヘッダレコード")]),
    (lambda d: d.replace(b"1,020,900000123,,,,0,,\r\n", b""), [(1, "レコードID")]),
    (lambda d: d.replace(b"4,3,0,,\r\n", b""), [(5, "トレーラレコード")]),
    (lambda d: d.replace(b"M285,,0", b"M\x81,,0", 1), [(2, "文字コード")]),
    (lambda d: d.replace(b"\r\n", b"\n"), [(n, "改行コード") for n in range(1, 6)]),
])
def test_result_reader_never_raises_and_says_where(mangle, expected):
    parsed = fp.read_result_file(mangle(result_file()))
    assert [(e.line, e.field) for e in parsed.errors] == expected


def test_result_reader_takes_any_bytes():
    for junk in (b"", b"\x81", b"<html>\xff</html>", b"1", None):
        parsed = fp.read_result_file(junk)
        assert parsed.errors and parsed.records == []


# -- 200 / 201 ---------------------------------------------------------------------------------
def test_send_fields_carry_the_file_as_it_stands():
    fields = fp.send_fields(FILE, "subscription-20261201.csv")
    assert fields == {"data": FILE, "file_name": "subscription-20261201.csv",
                      "duplicate_check": "1"}
    assert fp.send_fields(FILE, "a.csv", duplicate_check=False)["duplicate_check"] == "0"
    body = encode_form(fields)
    assert b"data=1%2C020%2C900000123%2C%2C%2C%0D%0A3%2C%2C338" in body
    for bad in ((b"", "a.csv"), (FILE, ""), (FILE, "../a.csv"), (FILE, "定期.csv")):
        with pytest.raises(ValueError):
            fp.send_fields(*bad)


def test_file_payment_goes_to_its_own_host_in_production_only():
    assert telegram_url("https://module.paygent.co.jp", "200") == \
        "https://online.paygent.co.jp/n/o/requestdata"
    assert telegram_url("https://module.paygent.co.jp/", "201") == \
        "https://online.paygent.co.jp/n/o/requestdata"
    assert telegram_url("https://module.paygent.co.jp", "020") == \
        "https://module.paygent.co.jp/n/card/request"
    assert telegram_url("http://127.0.0.1:5000/paygent", "200") == \
        "http://127.0.0.1:5000/paygent/n/o/requestdata"


def reply(kind, outcome, data, code="", body=b""):
    return TelegramResult(outcome, kind, data, code, data.get("response_detail", ""), body=body)


def test_read_sent():
    sent = fp.read_sent(reply("200", Outcome.OK, {"result": "0", "receipt_number": "2882"}))
    assert sent == fp.Sent(Outcome.OK, "2882", "", "") and sent.ok
    dup = fp.read_sent(reply("200", Outcome.ERROR, {"result": "1", "response_code": "9102",
                                                    "receipt_number": "2881"}, "9102"))
    assert dup.duplicate and dup.receipt == "2881" and dup.outcome is Outcome.ERROR
    assert "二重送信" in dup.message
    # taken without a number to ask by: not settled
    assert fp.read_sent(reply("200", Outcome.OK, {"result": "0"})).outcome is Outcome.UNKNOWN


def test_read_fetched():
    body = result_file()
    done = fp.read_fetched(reply("201", Outcome.OK, {"result": "0"}, body=body))
    assert done.state == "done" and done.data == body and len(done.file.records) == 3
    pending = fp.read_fetched(reply("201", Outcome.ERROR, {"result": "1"}, "9103"))
    assert (pending.state, pending.file, pending.code) == ("pending", None, "9103")
    assert fp.read_fetched(reply("201", Outcome.ERROR, {"result": "1"}, "9101")).state == "error"
    assert fp.read_fetched(reply("201", Outcome.UNKNOWN, {}, "E02006")).state == "unknown"
    with pytest.raises(ValueError):
        fp.fetch_result(None, "12a")
