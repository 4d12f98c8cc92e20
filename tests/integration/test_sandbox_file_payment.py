"""The sandbox's ファイル決済 over real HTTP: 200 takes the authorisation file, 201 answers 9103
until the result is ready on the sandbox clock, then the result file; OK records are real card
payments at 20 that 022 / 021 / 094 work on, NG records are the declining card's and an
unknown customer's; the duplicate check, the format errors and the faults."""
import pytest

from payments.paygent import Outcome
from payments.paygent import card as wire
from payments.paygent import file_payment as fp
from payments.paygent import stored_card as sc
from payments.sandbox.methods.card import DECLINED_CARD

from .paygent_helpers import MERCHANT, client
from .test_sandbox_card import new_token, register, status

DELAY = 30.0


@pytest.fixture
def paygent(sandbox):
    register(sandbox)
    sandbox.control("settings", file_result_seconds=DELAY)
    return client(sandbox)


def store_card(sandbox, paygent, customer, number="4111111111111111") -> str:
    made = sc.register_card(paygent, customer, new_token(sandbox, number))
    assert made.ok, made
    return made.customer_card_id


def three_records(sandbox, paygent) -> bytes:
    store_card(sandbox, paygent, "M1")
    store_card(sandbox, paygent, "M2", DECLINED_CARD)
    store_card(sandbox, paygent, "M3")
    return fp.build_auth_file(MERCHANT, [fp.AuthRecord("sub1001", 3980, "M1", "sub0001"),
                                         fp.AuthRecord("sub1002", 2480, "M2", "sub0002"),
                                         fp.AuthRecord("sub1003", 5000, "M3")])


def later(sandbox, seconds=DELAY + 1):
    sandbox.control("clock", advance_seconds=seconds)


def test_three_records_one_ng_then_the_result_after_the_delay(sandbox, paygent):
    data = three_records(sandbox, paygent)
    sent = fp.send_file(paygent, data, "subscriptions-20261201.csv")
    assert sent.ok and sent.receipt.isdigit()
    pending = fp.fetch_result(paygent, sent.receipt)
    assert (pending.state, pending.code, pending.file) == ("pending", fp.PROCESSING, None)
    later(sandbox, DELAY / 2)
    assert fp.fetch_result(paygent, sent.receipt).state == "pending"
    later(sandbox, DELAY / 2 + 1)
    done = fp.fetch_result(paygent, sent.receipt)
    assert done.state == "done" and done.file.errors == []
    assert done.data.startswith(b"1,020,900000123,") and done.data.endswith(b"\r\n")
    records = {r.trading_id: r for r in done.file.records}
    assert [r.line for r in done.file.records] == [2, 3, 4]
    assert records["sub1001"].ok and records["sub1003"].ok
    ng = records["sub1002"]
    assert not ng.ok and ng.response_code == wire.DECLINED and "承認" in ng.response_detail
    assert status(sandbox, ng.payment_id) == "11"
    for record in (records["sub1001"], records["sub1003"]):
        payment = sandbox.control(f"payments/{record.payment_id}", method="get")
        assert (payment["status"], payment["payment_type"], payment["amount"],
                payment["trading_id"]) == ("20", "02", record.amount, record.trading_id)
    # the same file asked again: the same answer, no second set of payments
    assert fp.fetch_result(paygent, sent.receipt).data == done.data
    assert len(sandbox.store.db.execute("SELECT * FROM payments").fetchall()) == 3


def test_created_payments_are_card_payments_like_a_token_020(sandbox, paygent):
    sent = fp.send_file(paygent, three_records(sandbox, paygent), "a.csv")
    later(sandbox)
    records = {r.trading_id: r for r in fp.fetch_result(paygent, sent.receipt).file.records}
    captured = records["sub1001"].payment_id
    assert wire.send_capture(paygent, captured).ok
    assert status(sandbox, captured) == "40"
    cancelled = records["sub1003"].payment_id
    assert wire.send_cancel(paygent, cancelled, captured=False).ok
    assert status(sandbox, cancelled) == "32"
    inquiry = paygent.inquire(payment_id=captured)
    assert inquiry.ok and inquiry.get("payment_status") == "40"
    assert inquiry.get("trading_id") == "sub1001"
    # and the authorisation's 60 days run for them as for any
    later(sandbox, 61 * 86400)
    assert paygent.inquire(payment_id=records["sub1003"].payment_id).get(
        "payment_status") == "32"


def test_unknown_customer_is_ng(sandbox, paygent):
    store_card(sandbox, paygent, "M1")
    data = fp.build_auth_file(MERCHANT, [fp.AuthRecord("s1", 100, "M1"),
                                         fp.AuthRecord("s2", 100, "M404")])
    sent = fp.send_file(paygent, data, "a.csv")
    later(sandbox)
    records = fp.fetch_result(paygent, sent.receipt).file.records
    assert [r.ok for r in records] == [True, False]
    assert records[1].response_code == sc.CUSTOMER_NOT_FOUND and records[1].payment_id == ""


def test_the_latest_stored_card_is_charged_and_deleted_cards_are_not(sandbox, paygent):
    first = store_card(sandbox, paygent, "M1", DECLINED_CARD)
    store_card(sandbox, paygent, "M1")
    sent = fp.send_file(paygent, fp.build_auth_file(MERCHANT, [fp.AuthRecord("s1", 100, "M1")]),
                        "a.csv")
    later(sandbox)
    assert fp.fetch_result(paygent, sent.receipt).file.records[0].ok
    for card in sc.list_cards(paygent, "M1").cards:
        if card.customer_card_id != first:
            sc.delete_card(paygent, "M1", card.customer_card_id)
    sent = fp.send_file(paygent, fp.build_auth_file(MERCHANT, [fp.AuthRecord("s2", 100, "M1")]),
                        "b.csv")
    later(sandbox)
    assert fp.fetch_result(paygent, sent.receipt).file.records[0].response_code == \
        wire.DECLINED


def test_duplicate_check_refuses_the_same_file_again(sandbox, paygent):
    data = three_records(sandbox, paygent)
    first = fp.send_file(paygent, data, "a.csv")
    again = fp.send_file(paygent, data, "a.csv")
    assert again.outcome is Outcome.ERROR and again.duplicate
    assert again.code == fp.DUPLICATE_FILE and again.receipt == first.receipt
    # without the check PAYGENT takes it as a new file
    other = fp.send_file(paygent, data, "a.csv", duplicate_check=False)
    assert other.ok and other.receipt != first.receipt
    # a file that differs is no duplicate
    changed = data.replace(b",3980,", b",3981,")
    assert fp.send_file(paygent, changed, "a.csv").ok


def format_error(paygent, data: bytes) -> fp.Sent:
    sent = fp.send_file(paygent, data, "bad.csv")
    assert sent.outcome is Outcome.ERROR and sent.code == fp.FORMAT_ERROR and not sent.receipt
    return sent


def test_trailer_count_error(sandbox, paygent):
    data = three_records(sandbox, paygent).replace(b"4,3\r\n", b"4,4\r\n")
    sent = format_error(paygent, data)
    assert sent.message.startswith("5行目 合計件数：合計件数（4件）")
    assert sandbox.store.db.execute("SELECT COUNT(*) FROM file_payments").fetchone()[0] == 0


def test_bad_records_and_headers(sandbox, paygent):
    data = three_records(sandbox, paygent)
    amount = format_error(paygent, data.replace(b",2480,", b",24B0,"))
    assert amount.message == "3行目 請求金額：半角数字で指定してください。"
    both = format_error(paygent, data.replace(b",2480,", b",24B0,").replace(b"4,3", b"4,2"))
    assert both.message.endswith("（ほか1件）")
    merchant = format_error(paygent, data.replace(b"1,020,900000123", b"1,020,900000999"))
    assert merchant.message.startswith("1行目 マーチャントID")
    kind = format_error(paygent, data.replace(b"1,020,", b"1,021,"))
    assert kind.message.startswith("1行目 取引種別")
    line_end = format_error(paygent, data.replace(b"\r\n", b"\n"))
    assert line_end.message.startswith("1行目 改行コード")
    assert sandbox.store.db.execute("SELECT COUNT(*) FROM payments").fetchone()[0] == 0


def test_unknown_receipt_and_other_merchant(sandbox, paygent):
    missing = fp.fetch_result(paygent, "999999")
    assert (missing.state, missing.code) == ("error", fp.FILE_NOT_FOUND)
    wrong = fp.fetch_result(client(sandbox, password="wrong"), "1")
    assert (wrong.state, wrong.code) == ("error", "P002")


def test_the_file_is_logged_by_its_size_only(sandbox, paygent):
    records = []
    logged = client(sandbox, records=records)
    data = three_records(sandbox, logged)
    sent = fp.send_file(logged, data, "a.csv")
    later(sandbox)
    fp.fetch_result(logged, sent.receipt)
    send, fetch = records[-2], records[-1]
    assert send.request["data"] == f"({len(data)} bytes)"
    assert send.request["connect_password"] == "********"
    assert b"sub1001" not in repr(send).encode() and "sub1001" not in repr(fetch)
    assert fetch.response["result_file_bytes"].isdigit()
    sandbox_log = sandbox.telegrams("200")[-1]
    assert "sub1001" not in str(sandbox_log["request"])


def test_faults(sandbox, paygent):
    data = three_records(sandbox, paygent)
    # the file was taken, the reply lost: unknown; sending it again finds the receipt
    sandbox.control("faults", mode="http500", telegram_kind="200", apply=True)
    lost = fp.send_file(paygent, data, "a.csv")
    assert lost.outcome is Outcome.UNKNOWN and lost.receipt == ""
    again = fp.send_file(paygent, data, "a.csv")
    assert again.duplicate and again.receipt
    # the connection dropped before PAYGENT did anything: nothing was taken
    other = data.replace(b",3980,", b",3990,")
    sandbox.control("faults", mode="drop", telegram_kind="200")
    assert fp.send_file(paygent, other, "b.csv").outcome is Outcome.UNKNOWN
    assert fp.send_file(paygent, other, "b.csv").ok
    later(sandbox)
    sandbox.control("faults", mode="garbage", telegram_kind="201")
    assert fp.fetch_result(paygent, again.receipt).state == "unknown"
    sandbox.control("faults", mode="http500", telegram_kind="201", apply=True)
    assert fp.fetch_result(paygent, again.receipt).state == "unknown"
    sandbox.control("faults", mode="timeout", telegram_kind="201")
    assert fp.fetch_result(paygent, again.receipt).state == "done"
    sandbox.control("settings", latency_ms=400)
    slow = fp.fetch_result(client(sandbox, read_timeout=0.2), again.receipt)
    assert slow.state == "unknown"
    sandbox.control("settings", latency_ms=0)
    assert fp.fetch_result(paygent, again.receipt).state == "done"
    assert len(sandbox.store.db.execute("SELECT * FROM payments").fetchall()) == 3
