"""The sandbox's コンビニ決済, ATM決済 and 銀行ネット決済 over real HTTP: 030, 010, 050 and 060
accepted and refused, the bank selection page's 支払う and 中断 back to the shop's URLs, the store
terminal, the control endpoints making payments happen with their 差分通知 (statuses and hc),
the deadline running out on the sandbox clock, 094 and faults. The shop side is the library's
own helpers (payments.paygent.conveni, atm, bank) and client."""
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from payments.paygent import Outcome, atm, bank, conveni, verify_notice

from .http_helpers import NoticeSink
from .paygent_helpers import CONNECT_ID, HASH_KEY, MERCHANT, PASSWORD, client, register

JST = timezone(timedelta(hours=9))
BUYER = dict(family_name="山田", given_name="太郎", family_name_kana="ヤマダ",
             given_name_kana="タロウ", tel="090-1234-5678")
RETURN_URL = "https://shop.example.jp/s/demo/bank/return?order=1"
STOP_URL = "https://shop.example.jp/s/demo/bank/stop"


@pytest.fixture
def paygent(sandbox):
    register(sandbox)
    return client(sandbox)


def apply_conveni(paygent, trading_id="cvs001", store="00C002", amount=4400, **kwargs):
    result = conveni.send_apply(paygent, trading_id=trading_id, amount=amount, store=store,
                                **{**BUYER, **kwargs})
    assert result.ok, result
    return result


def apply_atm(paygent, trading_id="atm001", amount=12000, **kwargs):
    result = atm.send_apply(paygent, trading_id=trading_id, amount=amount,
                            shop_name_kana="テストショップ", **kwargs)
    assert result.ok, result
    return result


def apply_bank(paygent, trading_id="bank001", amount=8000, **kwargs):
    result = bank.send_asp(paygent, trading_id=trading_id, amount=amount, shop_name="テスト商店",
                           shop_name_kana="テストショウテン", return_url=RETURN_URL,
                           stop_return_url=STOP_URL, free_memo="ありがとうございます", **kwargs)
    assert result.ok, result
    return result


def payment(sandbox, payment_id) -> dict:
    return sandbox.control(f"deferred/payments/{payment_id}", method="get")


def move(sandbox, payment_id, action) -> requests.Response:
    return requests.post(f"{sandbox.url}/control/deferred/payments/{payment_id}/{action}",
                         headers={"X-Sandbox-Token": sandbox.token}, timeout=10)


def today_jst(sandbox) -> datetime:
    return datetime.fromtimestamp(sandbox.store.now(), JST)


def limit(sandbox, days: int) -> str:
    return (today_jst(sandbox).date() + timedelta(days=days)).strftime("%Y%m%d")


def page_path(url: str) -> str:
    return urlsplit(url).path


# -- 030 コンビニ決済 ---------------------------------------------------------------------
@pytest.mark.parametrize("store, digits, usable, slip", [
    ("00C001", 13, "00C001", True), ("00C002", 11, "00C002-00C004", False),
    ("00C004", 11, "00C002-00C004", False), ("00C005", 11, "00C005", False),
    ("00C014", 11, "00C014", False), ("00C016", 6, "00C016", False)])
def test_030_gives_the_store_s_number_and_deadline(sandbox, paygent, store, digits, usable,
                                                   slip):
    result = apply_conveni(paygent, store=store, days=10)
    number = result.get("receipt_number")
    assert re.fullmatch(rf"\d{{{digits}}}", number)
    assert result.get("usable_cvs_company_id") == usable
    assert result.get("payment_limit_date") == limit(sandbox, 10)
    read = conveni.read_apply(result, store)
    assert read.receipt_number == number and read.deadline.hour == 23
    row = payment(sandbox, result.payment_id)
    assert (row["status"], row["payment_type"], row["amount"]) == ("10", "03", 4400)
    assert row["status_name"] == "申込済"
    if slip:
        page = requests.get(result.get("receipt_print_url"), timeout=10)
        assert page.status_code == 200 and number in page.text
    else:
        assert result.get("receipt_print_url") == ""


def test_030_numbers_differ_between_payments(sandbox, paygent):
    numbers = {apply_conveni(paygent, trading_id=f"cvs{i}").get("receipt_number")
               for i in range(5)}
    assert len(numbers) == 5


@pytest.mark.parametrize("change, code", [
    ({"cvs_company_id": "99C999"}, "P009"), ({"cvs_company_id": ""}, "P005"),
    ({"payment_amount": "0"}, "P014"), ({"payment_amount": "300000"}, "P009"),
    ({"payment_amount": "12a"}, "P009"), ({"customer_family_name": ""}, "P005"),
    ({"customer_tel": "123"}, "P009"), ({"payment_limit_date": "61"}, "P009"),
    ({"payment_limit_date": ""}, "P005"), ({"sales_type": "9"}, "P009")])
def test_030_refused(sandbox, paygent, change, code):
    fields = conveni.apply_fields(trading_id="cvs002", amount=1000, store="00C002", **BUYER)
    result = paygent.send("030", **{**fields, **change})
    assert result.outcome is Outcome.ERROR and result.code == code
    assert result.get("response_detail")
    assert sandbox.store.db.execute("SELECT COUNT(*) FROM payments").fetchone()[0] == 0


def test_030_wrong_password_and_wrong_path(sandbox, paygent):
    fields = conveni.apply_fields(trading_id="cvs003", amount=1000, store="00C002", **BUYER)
    assert client(sandbox, password="nope").send("030", **fields).code == "P002"
    from .test_paygent_wire_contract import telegram
    misrouted = telegram(sandbox, "/n/atm/request", "030", **fields)
    assert b"response_code=P009" in misrouted.content


# -- 010 ATM決済 ------------------------------------------------------------------------
def test_010_gives_the_three_numbers_and_deadline(sandbox, paygent):
    result = apply_atm(paygent)
    paid = atm.read_apply(result)
    assert paid.pay_center_number == "58091"
    assert re.fullmatch(r"\d{16}", paid.customer_number)
    assert re.fullmatch(r"\d{6}", paid.conf_number)
    assert result.get("payment_limit_date") == limit(sandbox, 30)
    row = payment(sandbox, result.payment_id)
    assert (row["status"], row["payment_type"]) == ("10", "01")
    assert row["details"]["payment_detail"] == "テストショップ"


@pytest.mark.parametrize("change, code", [
    ({"payment_detail_kana": ""}, "P005"), ({"payment_amount": ""}, "P005"),
    ({"payment_amount": "1000000"}, "P009"), ({"payment_limit_date": "0"}, "P009")])
def test_010_refused(sandbox, paygent, change, code):
    fields = atm.apply_fields(trading_id="atm002", amount=1000, shop_name_kana="ﾃｽﾄ")
    assert paygent.send("010", **{**fields, **change}).code == code


# -- 060 / 050 銀行ネット決済 and the bank page -----------------------------------------------
def test_060_bank_page_pay_returns_to_the_shop(sandbox, paygent):
    result = apply_bank(paygent)
    handover = bank.read_handover(result)
    assert handover.url.startswith(sandbox.url + "/bank/select/")
    page = requests.get(handover.url, timeout=10)
    assert page.status_code == 200
    assert "テスト商店" in page.text and "8,000円" in page.text and "ありがとうございます" in page.text
    assert "みずほ銀行" in page.text and "支払う" in page.text and "中断" in page.text
    assert payment(sandbox, result.payment_id)["status"] == "10"
    # 支払う without a bank is asked again, nothing moves
    again = requests.post(handover.url, data={"action": "pay"}, allow_redirects=False,
                          timeout=10)
    assert again.status_code == 400 and "金融機関を選択" in again.text
    paid = requests.post(handover.url, data={"action": "pay", "bank": "0009"},
                         allow_redirects=False, timeout=10)
    assert paid.status_code == 303
    target = paid.headers["Location"]
    assert target.startswith(RETURN_URL + "&")
    assert bank.returned_trading_id(
        {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}) == "bank001"
    assert payment(sandbox, result.payment_id)["status"] == "40"
    # once only: the page and a second answer say it is done
    assert requests.get(handover.url, timeout=10).status_code == 409
    second = requests.post(handover.url, data={"action": "abandon"}, allow_redirects=False,
                           timeout=10)
    assert second.status_code == 409
    assert payment(sandbox, result.payment_id)["status"] == "40"


def test_060_bank_page_abandon_is_15_back_to_the_stop_url(sandbox, paygent):
    result = apply_bank(paygent, trading_id="bank002")
    left = requests.post(bank.read_handover(result).url, data={"action": "abandon"},
                         allow_redirects=False, timeout=10)
    assert left.status_code == 303 and left.headers["Location"].startswith(STOP_URL + "?")
    row = payment(sandbox, result.payment_id)
    assert (row["status"], row["status_name"]) == ("15", "申込中断")
    # the buyer comes back before the deadline (seed 001) and pays
    again = requests.get(bank.read_handover(result).url, timeout=10)
    assert again.status_code == 200 and "支払う" in again.text
    paid = requests.post(bank.read_handover(result).url, data={"action": "pay", "bank": "0001"},
                         allow_redirects=False, timeout=10)
    assert paid.status_code == 303 and payment(sandbox, result.payment_id)["status"] == "40"


def test_a_bank_payment_left_at_15_still_expires_at_its_deadline(sandbox, paygent):
    result = apply_bank(paygent, trading_id="bank004", days=1)
    requests.post(bank.read_handover(result).url, data={"action": "abandon"},
                  allow_redirects=False, timeout=10)
    sandbox.control("clock", advance_days=2)
    assert paygent.inquire(payment_id=result.payment_id).get("payment_status") == "12"
    assert requests.get(bank.read_handover(result).url, timeout=10).status_code == 410


def test_050_posts_the_buyer_on_to_the_chosen_bank(sandbox, paygent):
    result = bank.send_apply(paygent, trading_id="bank003", amount=5000, bank_code="0005",
                             shop_name="テスト商店", shop_name_kana="テスト",
                             return_url=RETURN_URL)
    handover = bank.read_handover(result)
    assert handover.html and not handover.url
    action = re.search(r'action="([^"]+)"', handover.html).group(1)
    assert 'name="bank" value="0005"' in handover.html
    page = requests.get(action, params={"bank": "0005"}, timeout=10)
    assert page.status_code == 200 and 'value="0005" id="bank-0005" checked' in page.text
    unknown = paygent.send("050", **{**bank.apply_fields(
        trading_id="bank004", amount=5000, bank_code="0005", shop_name="テスト",
        shop_name_kana="テスト", return_url=RETURN_URL), "bank_code": "1234"})
    assert unknown.code == "P009"


@pytest.mark.parametrize("change, code", [
    ({"return_url": "/thanks"}, "P009"), ({"return_url": ""}, "P005"),
    ({"claim_kanji": ""}, "P005"), ({"asp_payment_term": "7"}, "P009"),
    ({"asp_payment_term": "0000000"}, "P009"), ({"asp_payment_term": "1000000"}, "P009"),
    ({"amount": "0"}, "P014")])
def test_060_refused(sandbox, paygent, change, code):
    fields = bank.asp_fields(trading_id="bank005", amount=1000, shop_name="テスト",
                             shop_name_kana="テスト", return_url=RETURN_URL)
    assert paygent.send("060", **{**fields, **change}).code == code


def test_060_goes_to_the_asp_path_only(sandbox, paygent):
    from .test_paygent_wire_contract import telegram
    fields = bank.asp_fields(trading_id="bank006", amount=1000, shop_name="テスト",
                             shop_name_kana="テスト", return_url=RETURN_URL)
    assert b"response_code=P009" in telegram(sandbox, "/n/bank/request", "060", **fields).content


# -- the store terminal and the ATM --------------------------------------------------------
def test_the_terminal_pays_a_store_number_and_an_atm_number(sandbox, paygent):
    cvs = apply_conveni(paygent, trading_id="cvs010")
    machine = apply_atm(paygent, trading_id="atm010")
    page = requests.get(f"{sandbox.url}/cvs/terminal", timeout=10)
    assert page.status_code == 200 and "支払う" in page.text and "お客様番号" in page.text
    paid = requests.post(f"{sandbox.url}/cvs/terminal", timeout=10, data={
        "counter": "cvs", "number": cvs.get("receipt_number")})
    assert paid.status_code == 200 and "4,400円のお支払いが完了しました" in paid.text
    assert payment(sandbox, cvs.payment_id)["status"] == "40"
    assert payment(sandbox, machine.payment_id)["status"] == "10"
    at_atm = requests.post(f"{sandbox.url}/cvs/terminal", timeout=10, data={
        "counter": "atm", "number": machine.get("customer_number")})
    assert at_atm.status_code == 200
    assert payment(sandbox, machine.payment_id)["status"] == "40"
    twice = requests.post(f"{sandbox.url}/cvs/terminal", timeout=10, data={
        "counter": "cvs", "number": cvs.get("receipt_number")})
    assert twice.status_code == 409 and "消込済" in twice.text
    # an ATM's number is not a store's
    wrong = requests.post(f"{sandbox.url}/cvs/terminal", timeout=10, data={
        "counter": "cvs", "number": machine.get("customer_number")})
    assert wrong.status_code == 404


# -- the control endpoints and their notices -----------------------------------------------
class Sink(NoticeSink):
    """The shop's notice URL, read by payment: the statuses noticed, in order."""

    def statuses(self, payment_id) -> list[str]:
        return [n["payment_status"] for n in self.notices if n["payment_id"] == payment_id]

    def wait_for_statuses(self, payment_id, statuses, timeout=20):
        with self.cond:
            assert self.cond.wait_for(lambda: self.statuses(payment_id) == statuses, timeout), \
                self.statuses(payment_id)
        return [n for n in self.notices if n["payment_id"] == payment_id]


@pytest.fixture
def sink(sandbox):
    server = Sink()
    sandbox.store.upsert_merchant(MERCHANT, CONNECT_ID, PASSWORD, HASH_KEY, server.url)
    sandbox.server.app.extensions["sandbox"].dispatcher.start()
    yield server
    server.server.shutdown()


def _checked(notices, payment_type, amount):
    for notice in notices:
        assert verify_notice(notice, HASH_KEY), notice
        assert notice["payment_type"] == payment_type
        assert notice["payment_amount"] == str(amount)
    return notices


def test_a_store_payment_is_noticed_10_then_40(sandbox, paygent, sink):
    result = apply_conveni(paygent, trading_id="cvs020")
    assert move(sandbox, result.payment_id, "pay").json()["status"] == "40"
    notices = _checked(sink.wait_for_statuses(result.payment_id, ["10", "40"]), "03", 4400)
    assert notices[-1]["trading_id"] == "cvs020"
    assert notices[-1]["payment_date"]


def test_a_quick_detection_then_clearing_is_43_then_40(sandbox, paygent, sink):
    result = apply_conveni(paygent, trading_id="cvs021")
    assert move(sandbox, result.payment_id, "detect").json()["status_name"] == "速報検知済"
    assert move(sandbox, result.payment_id, "pay").json()["status"] == "40"
    _checked(sink.wait_for_statuses(result.payment_id, ["10", "43", "40"]), "03", 4400)
    assert move(sandbox, result.payment_id, "cancel_detection").status_code == 409


def test_a_detection_the_store_cancels_is_43_then_61(sandbox, paygent, sink):
    result = apply_conveni(paygent, trading_id="cvs022")
    assert move(sandbox, result.payment_id, "cancel_detection").status_code == 409  # not yet 43
    move(sandbox, result.payment_id, "detect")
    refused = move(sandbox, result.payment_id, "detect")
    assert refused.status_code == 409 and refused.json()["status"] == "43"
    assert move(sandbox, result.payment_id, "cancel_detection").json()["status"] == "61"
    _checked(sink.wait_for_statuses(result.payment_id, ["10", "43", "61"]), "03", 4400)
    assert move(sandbox, result.payment_id, "pay").status_code == 409


def test_atm_and_bank_payments_are_noticed(sandbox, paygent, sink):
    machine = apply_atm(paygent, trading_id="atm020")
    net = apply_bank(paygent, trading_id="bank020")
    left = apply_bank(paygent, trading_id="bank021")
    assert move(sandbox, machine.payment_id, "detect").status_code == 409  # no 速報 at an ATM
    assert move(sandbox, machine.payment_id, "abandon").status_code == 409
    move(sandbox, machine.payment_id, "pay")
    move(sandbox, net.payment_id, "pay")
    move(sandbox, left.payment_id, "abandon")
    _checked(sink.wait_for_statuses(machine.payment_id, ["10", "40"]), "01", 12000)
    _checked(sink.wait_for_statuses(net.payment_id, ["10", "40"]), "05", 8000)
    _checked(sink.wait_for_statuses(left.payment_id, ["10", "15"]), "05", 8000)


def test_control_endpoints_need_the_token_and_a_deferred_payment(sandbox, paygent):
    result = apply_conveni(paygent, trading_id="cvs023")
    bare = requests.post(f"{sandbox.url}/control/deferred/payments/{result.payment_id}/pay",
                         timeout=10)
    assert bare.status_code == 401
    assert payment(sandbox, result.payment_id)["status"] == "10"
    assert move(sandbox, result.payment_id, "refund").status_code == 404
    assert move(sandbox, 999999999, "pay").status_code == 404


# -- deadlines on the sandbox clock --------------------------------------------------------
def test_the_deadline_passing_is_12_noticed_unasked(sandbox, paygent, sink):
    result = apply_conveni(paygent, trading_id="cvs030", days=1)
    kept = apply_conveni(paygent, trading_id="cvs031", days=3)
    # the last day, even its last minute, still allows paying
    end = datetime.strptime(result.get("payment_limit_date"), "%Y%m%d").replace(
        hour=23, minute=59, tzinfo=JST).timestamp()
    sandbox.control("clock", offset_days=(end - sandbox.store.now()) / 86400 + (
        float(sandbox.store.setting("clock_offset")) / 86400))
    assert payment(sandbox, result.payment_id)["status"] == "10"
    sandbox.control("clock", advance_days=1)
    notices = _checked(sink.wait_for_statuses(result.payment_id, ["10", "12"]), "03", 4400)
    assert notices[-1]["trading_id"] == "cvs030"
    assert payment(sandbox, kept.payment_id)["status"] == "10"
    refused = move(sandbox, result.payment_id, "pay")
    assert refused.status_code == 409 and refused.json()["status"] == "12"


def test_094_sees_the_deadline_and_the_bank_page_closes(sandbox, paygent):
    net = apply_bank(paygent, trading_id="bank030", days=1)
    machine = apply_atm(paygent, trading_id="atm030", days=1)
    sandbox.control("clock", advance_days=2.5)
    answer = paygent.inquire(payment_id=net.payment_id)
    assert answer.ok and answer.get("payment_status") == "12"
    assert answer.get("payment_type") == "05" and answer.get("trading_id") == "bank030"
    assert paygent.inquire(trading_id="atm030").get("payment_status") == "12"
    assert requests.get(bank.read_handover(net).url, timeout=10).status_code == 410
    assert move(sandbox, machine.payment_id, "pay").status_code == 409


def test_094_answers_for_the_deferred_payments(sandbox, paygent):
    cvs = apply_conveni(paygent, trading_id="cvs040")
    move(sandbox, cvs.payment_id, "detect")
    answer = paygent.inquire(payment_id=cvs.payment_id)
    assert (answer.get("payment_status"), answer.get("payment_type"),
            answer.get("payment_amount")) == ("43", "03", "4400")
    assert paygent.inquire(trading_id="cvs040").payment_id == cvs.payment_id
    assert paygent.inquire(payment_id="999999999").code == "24001"


# -- faults ---------------------------------------------------------------------------------
def test_a_timeout_is_refused_with_nothing_made(sandbox, paygent):
    sandbox.control("faults", mode="timeout", telegram_kind="030")
    fields = conveni.apply_fields(trading_id="cvs050", amount=1000, store="00C002", **BUYER)
    result = paygent.send("030", **fields)
    assert result.outcome is Outcome.ERROR and result.code == "E001"
    assert paygent.inquire(trading_id="cvs050").code == "24001"
    assert paygent.send("030", **fields).ok   # the fault was for one telegram


def test_a_dropped_reply_after_the_payment_is_settled_by_094(sandbox, paygent):
    sandbox.control("faults", mode="drop", telegram_kind="060", apply=True)
    fields = bank.asp_fields(trading_id="bank050", amount=1000, shop_name="テスト",
                             shop_name_kana="テスト", return_url=RETURN_URL)
    result = paygent.send("060", **fields)
    assert result.unknown
    found = paygent.inquire(trading_id="bank050")
    assert found.ok and found.get("payment_status") == "10"


def test_http500_before_paygent_makes_nothing(sandbox, paygent):
    sandbox.control("faults", mode="http500", telegram_kind="010")
    fields = atm.apply_fields(trading_id="atm050", amount=1000, shop_name_kana="ﾃｽﾄ")
    assert paygent.send("010", **fields).unknown
    assert paygent.inquire(trading_id="atm050").code == "24001"
