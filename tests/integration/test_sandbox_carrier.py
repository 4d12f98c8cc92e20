"""The sandbox's 携帯キャリア決済 over real HTTP: 100 accepted and refused, each carrier's
authorisation page (承認する / 承認しない / 中断) back to the shop's URLs, 101/102/103 by the
carrier's rules (24003 where it does not allow them), 消込済 → 消込完了 on the sandbox clock, the
control moves, 差分通知 for every move (statuses and hc), 094 and faults. The shop side is the
library's own helpers (payments.paygent.carrier) and client."""
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit
import re

import pytest
import requests

from payments.methods import carrier as lib
from payments.paygent import Outcome, carrier, client as client_module, verify_notice

from .http_helpers import NoticeSink
from .paygent_helpers import CONNECT_ID, HASH_KEY, MERCHANT, PASSWORD, client, register

JST = timezone(timedelta(hours=9))
RETURN_URL = "https://shop.example.jp/s/demo/carrier/return?order=1"
CANCEL_URL = "https://shop.example.jp/s/demo/carrier/cancel"
OTHER_URL = "https://shop.example.jp/s/demo/carrier/error"


@pytest.fixture(autouse=True)
def carrier_paths(monkeypatch):
    """The client's path table does not list the carrier's kinds yet (the cart does not offer
    the method): add them for these tests only, where missing."""
    for kind, path in carrier.PATHS.items():
        if kind not in client_module.PATHS:
            monkeypatch.setitem(client_module.PATHS, kind, path)


@pytest.fixture
def paygent(sandbox):
    register(sandbox)
    return client(sandbox)


def apply(paygent, which=lib.DOCOMO, trading_id="car001", amount=4980, **kwargs):
    result = carrier.send_apply(paygent, trading_id=trading_id, amount=amount, carrier=which,
                                return_url=RETURN_URL, cancel_url=CANCEL_URL,
                                other_url=OTHER_URL, **kwargs)
    assert result.ok, result
    return result


def page_url(result) -> str:
    handover = carrier.read_apply(result)
    if handover.url:
        return handover.url
    return re.search(r'action="([^"]+)"', handover.html).group(1)


def answer(result, action):
    return requests.post(page_url(result), data={"action": action}, allow_redirects=False,
                         timeout=10)


def payment(sandbox, payment_id) -> dict:
    return sandbox.control(f"carrier/payments/{payment_id}", method="get")


def move(sandbox, payment_id, action) -> requests.Response:
    return requests.post(f"{sandbox.url}/control/carrier/payments/{payment_id}/{action}",
                         headers={"X-Sandbox-Token": sandbox.token}, timeout=10)


def authorised(sandbox, paygent, which=lib.DOCOMO, trading_id="car010", amount=4980,
               complete=False):
    result = apply(paygent, which, trading_id, amount)
    assert answer(result, "approve").status_code == 303
    if complete:
        assert move(sandbox, result.payment_id, "complete_authorization").status_code == 200
    return result.payment_id


def status(sandbox, payment_id) -> str:
    return payment(sandbox, payment_id)["status"]


def at_jst(sandbox, hour, minute=0, days=0):
    """Move the sandbox clock to ``hour:minute`` JST, ``days`` after today."""
    now = sandbox.store.now()
    today = datetime.fromtimestamp(now, JST).date() + timedelta(days=days)
    target = datetime(today.year, today.month, today.day, hour, minute, tzinfo=JST).timestamp()
    offset = float(sandbox.store.setting("clock_offset"))
    sandbox.control("clock", offset_days=(offset + target - now) / 86400)


# -- 100 申込 and the carrier's page ------------------------------------------------------
def test_100_au_answers_a_url_d_and_softbank_a_page(sandbox, paygent):
    au = carrier.read_apply(apply(paygent, lib.AU, "car_au"))
    assert au.url.startswith(sandbox.url + "/carrier/auth/") and not au.html
    for which in (lib.DOCOMO, lib.SOFTBANK):
        handover = carrier.read_apply(apply(paygent, which, f"car_{which}"))
        assert handover.html and not handover.url and "/carrier/auth/" in handover.html
    row = payment(sandbox, au.payment_id)
    assert (row["status"], row["payment_type"], row["amount"]) == ("10", "06", 4980)
    assert row["details"]["career_type"] == "4"


@pytest.mark.parametrize("which, name", [(lib.DOCOMO, "d払い"), (lib.AU, "auかんたん決済"),
                                         (lib.SOFTBANK, "ソフトバンクまとめて支払い")])
def test_each_carrier_s_page_approves_back_to_the_return_url(sandbox, paygent, which, name):
    result = apply(paygent, which, f"car_{which}")
    page = requests.get(page_url(result), timeout=10)
    assert page.status_code == 200
    assert name in page.text and "4,980円" in page.text and "テスト商店" in page.text
    assert "承認する" in page.text and "承認しない" in page.text and "中断" in page.text
    approved = answer(result, "approve")
    assert approved.status_code == 303
    target = approved.headers["Location"]
    assert target.startswith(RETURN_URL + "&")
    query = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
    assert carrier.returned_trading_id(query) == f"car_{which}"
    assert query["payment_id"] == result.payment_id
    assert status(sandbox, result.payment_id) == "20"
    # once only
    assert requests.get(page_url(result), timeout=10).status_code == 409
    assert answer(result, "abandon").status_code == 409
    assert status(sandbox, result.payment_id) == "20"


def test_decline_and_abandon_are_15_back_to_other_and_cancel_urls(sandbox, paygent):
    declined, left = apply(paygent, trading_id="car002"), apply(paygent, trading_id="car003")
    refused = answer(declined, "decline")
    assert refused.status_code == 303 and refused.headers["Location"].startswith(OTHER_URL + "?")
    gone = answer(left, "abandon")
    assert gone.status_code == 303 and gone.headers["Location"].startswith(CANCEL_URL + "?")
    for result in (declined, left):
        row = payment(sandbox, result.payment_id)
        assert (row["status"], row["status_name"]) == ("15", "申込中断")
    assert answer(left, "nothing").status_code == 400


@pytest.mark.parametrize("change, code", [
    ({"career_type": "9"}, "P009"), ({"career_type": ""}, "P005"), ({"amount": "0"}, "P014"),
    ({"amount": ""}, "P005"), ({"amount": "100001"}, "P009"), ({"return_url": ""}, "P005"),
    ({"cancel_url": "/cancel"}, "P009"), ({"pc_mobile_type": "7"}, "P009")])
def test_100_refused(sandbox, paygent, change, code):
    fields = carrier.apply_fields(trading_id="car004", amount=1000, carrier=lib.AU,
                                  return_url=RETURN_URL, cancel_url=CANCEL_URL)
    result = paygent.send("100", **{**fields, **change})
    assert result.outcome is Outcome.ERROR and result.code == code
    assert result.get("response_detail")
    assert sandbox.store.db.execute("SELECT COUNT(*) FROM payments").fetchone()[0] == 0


def test_100_wrong_password_and_wrong_path(sandbox, paygent):
    fields = carrier.apply_fields(trading_id="car005", amount=1000, carrier=lib.AU,
                                  return_url=RETURN_URL, cancel_url=CANCEL_URL)
    assert client(sandbox, password="nope").send("100", **fields).code == "P002"
    from .test_paygent_wire_contract import telegram
    assert b"response_code=P009" in telegram(sandbox, "/n/card/request", "100",
                                             **fields).content


# -- 101 / 102 / 103 by each carrier's rules ---------------------------------------------------
# (carrier, from, telegram) → allowed, as seed 003 §2.2.2 says
RULES = {
    (lib.DOCOMO, "20"): {"101", "102", "103"}, (lib.DOCOMO, "21"): {"101", "102", "103"},
    (lib.DOCOMO, "40"): set(), (lib.DOCOMO, "44"): {"102", "103"},
    (lib.SOFTBANK, "20"): {"101", "102", "103"}, (lib.SOFTBANK, "21"): {"101", "102", "103"},
    (lib.SOFTBANK, "40"): {"102"}, (lib.SOFTBANK, "44"): set(),
    (lib.AU, "20"): {"101", "102", "103"}, (lib.AU, "40"): {"102"}, (lib.AU, "44"): set(),
}
AFTER = {("20", "101"): "40", ("21", "101"): "40", ("20", "102"): "32", ("21", "102"): "32",
         ("40", "102"): "60", ("44", "102"): "62", ("20", "103"): "40", ("21", "103"): "40",
         ("44", "103"): "44"}


def _to(sandbox, paygent, which, source, trading_id):
    payment_id = authorised(sandbox, paygent, which, trading_id, complete=source == "21")
    if source in ("40", "44"):
        assert carrier.send_capture(paygent, payment_id).ok
    if source == "44":
        at_jst(sandbox, 4, days=2)
        assert paygent.inquire(payment_id=payment_id).get("payment_status") == "44"
    assert status(sandbox, payment_id) == source
    return payment_id


@pytest.mark.parametrize("which, source, kind", [
    (w, s, k) for (w, s) in RULES for k in ("101", "102", "103")])
def test_every_carrier_status_and_telegram(sandbox, paygent, which, source, kind):
    payment_id = _to(sandbox, paygent, which, source, f"car_{which}_{source}_{kind}")
    fields = {"payment_id": payment_id}
    if kind == "103":
        fields["amount"] = "3000"
    result = paygent.send(kind, **fields)
    if kind in RULES[(which, source)]:
        assert result.ok, result
        assert result.payment_id == payment_id   # the payment keeps its id
        row = payment(sandbox, payment_id)
        assert row["status"] == AFTER[(source, kind)]
        assert row["amount"] == (3000 if kind == "103" else 4980)
    else:
        assert result.outcome is Outcome.ERROR and result.code == "24003"
        assert result.get("response_detail") == "決済ステータスが不正です。"
        assert status(sandbox, payment_id) == source


def test_au_has_no_authorisation_completed(sandbox, paygent):
    payment_id = authorised(sandbox, paygent, lib.AU, "car020")
    refused = move(sandbox, payment_id, "complete_authorization")
    assert refused.status_code == 409 and refused.json()["status"] == "20"


@pytest.mark.parametrize("amount", ["4980", "5000", "0"])
def test_103_takes_a_lower_amount_only(sandbox, paygent, amount):
    payment_id = authorised(sandbox, paygent, lib.AU, "car021")
    result = paygent.send("103", payment_id=payment_id, amount=amount)
    assert result.code == ("P014" if amount == "0" else "P009")
    assert status(sandbox, payment_id) == "20"


# -- 消込済 → 消込完了 on the sandbox clock, with notices ------------------------------------------
class Sink(NoticeSink):
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


def _checked(notices, amounts):
    assert [n["payment_amount"] for n in notices] == [str(a) for a in amounts]
    for notice in notices:
        assert verify_notice(notice, HASH_KEY), notice
        assert notice["payment_type"] == "06"
    return notices


def test_a_capture_before_20_00_is_completed_at_03_30_the_next_day(sandbox, paygent, sink):
    at_jst(sandbox, 19, 59, days=1)
    payment_id = authorised(sandbox, paygent, lib.DOCOMO, "car030")
    assert carrier.send_capture(paygent, payment_id).ok
    at_jst(sandbox, 3, 29, days=1)
    assert paygent.inquire(payment_id=payment_id).get("payment_status") == "40"
    at_jst(sandbox, 3, 30)
    notices = sink.wait_for_statuses(payment_id, ["10", "20", "40", "44"])
    _checked(notices, [4980] * 4)
    assert notices[-1]["trading_id"] == "car030"


def test_a_capture_after_20_00_waits_a_day_more(sandbox, paygent):
    at_jst(sandbox, 20, 0, days=1)
    payment_id = authorised(sandbox, paygent, lib.SOFTBANK, "car031")
    assert carrier.send_capture(paygent, payment_id).ok
    at_jst(sandbox, 4, 0, days=1)
    assert paygent.inquire(payment_id=payment_id).get("payment_status") == "40"
    at_jst(sandbox, 3, 30, days=1)
    assert paygent.inquire(payment_id=payment_id).get("payment_status") == "44"


def test_every_move_is_noticed(sandbox, paygent, sink):
    changed = authorised(sandbox, paygent, lib.DOCOMO, "car040", complete=True)
    assert carrier.send_correct(paygent, changed, 4000, 4980).ok
    cancelled = authorised(sandbox, paygent, lib.AU, "car041")
    assert carrier.send_capture(paygent, cancelled).ok
    assert carrier.send_cancel(paygent, cancelled).ok
    expired = authorised(sandbox, paygent, lib.SOFTBANK, "car042")
    assert move(sandbox, expired, "expire").json()["status"] == "33"
    left = apply(paygent, lib.AU, "car043")
    answer(left, "abandon")
    _checked(sink.wait_for_statuses(changed, ["10", "20", "21", "40"]), [4980] * 3 + [4000])
    _checked(sink.wait_for_statuses(cancelled, ["10", "20", "40", "60"]), [4980] * 4)
    _checked(sink.wait_for_statuses(expired, ["10", "20", "33"]), [4980] * 3)
    _checked(sink.wait_for_statuses(left.payment_id, ["10", "15"]), [4980] * 2)
    # d払い after 消込完了: 売上変更 and 取消
    at_jst(sandbox, 4, days=2)
    _checked(sink.wait_for_statuses(changed, ["10", "20", "21", "40", "44"]),
             [4980] * 3 + [4000] * 2)
    assert carrier.send_correct(paygent, changed, 3500, 4000).ok
    assert carrier.send_cancel(paygent, changed).ok
    _checked(sink.wait_for_statuses(changed, ["10", "20", "21", "40", "44", "44", "62"]),
             [4980] * 3 + [4000] * 2 + [3500] * 2)


def test_control_endpoints(sandbox, paygent):
    result = apply(paygent, lib.AU, "car050")
    bare = requests.post(f"{sandbox.url}/control/carrier/payments/{result.payment_id}/approve",
                         timeout=10)
    assert bare.status_code == 401
    assert move(sandbox, result.payment_id, "refund").status_code == 404
    assert move(sandbox, 999999999, "approve").status_code == 404
    assert move(sandbox, result.payment_id, "approve").json()["status_name"] == "オーソリOK"
    assert move(sandbox, result.payment_id, "approve").status_code == 409
    assert requests.get(page_url(result), timeout=10).status_code == 409


def test_the_admin_site_can_capture_behind_the_shop_s_back(sandbox, paygent):
    payment_id = authorised(sandbox, paygent, lib.AU, "car051")
    reply = sandbox.control(f"payments/{payment_id}/change", action="correct", amount=1000)
    assert reply["result"] == "0" and payment(sandbox, payment_id)["amount"] == 1000


# -- 094 and faults -------------------------------------------------------------------------
def test_094_answers_for_a_carrier_payment(sandbox, paygent):
    payment_id = authorised(sandbox, paygent, lib.SOFTBANK, "car060")
    answer_ = paygent.inquire(payment_id=payment_id)
    assert (answer_.get("payment_status"), answer_.get("payment_type"),
            answer_.get("payment_amount")) == ("20", "06", "4980")
    assert paygent.inquire(trading_id="car060").payment_id == payment_id


def test_a_timeout_is_refused_with_nothing_done(sandbox, paygent):
    sandbox.control("faults", mode="timeout", telegram_kind="100")
    fields = carrier.apply_fields(trading_id="car070", amount=1000, carrier=lib.AU,
                                  return_url=RETURN_URL, cancel_url=CANCEL_URL)
    result = paygent.send("100", **fields)
    assert result.outcome is Outcome.ERROR and result.code == "E001"
    assert paygent.inquire(trading_id="car070").code == "24001"
    payment_id = authorised(sandbox, paygent, lib.AU, "car071")
    sandbox.control("faults", mode="timeout", telegram_kind="101")
    assert carrier.send_capture(paygent, payment_id).code == "E001"
    assert status(sandbox, payment_id) == "20"
    assert carrier.send_capture(paygent, payment_id).ok


@pytest.mark.parametrize("mode", ["drop", "http500", "garbage"])
def test_a_lost_reply_after_the_capture_is_settled_by_094(sandbox, paygent, mode):
    payment_id = authorised(sandbox, paygent, lib.DOCOMO, f"car08{mode[0]}")
    sandbox.control("faults", mode=mode, telegram_kind="101", apply=True)
    assert carrier.send_capture(paygent, payment_id).unknown
    assert paygent.inquire(payment_id=payment_id).get("payment_status") == "40"


def test_a_fault_before_paygent_makes_nothing(sandbox, paygent):
    sandbox.control("faults", mode="http500", telegram_kind="100")
    fields = carrier.apply_fields(trading_id="car090", amount=1000, carrier=lib.AU,
                                  return_url=RETURN_URL, cancel_url=CANCEL_URL)
    assert paygent.send("100", **fields).unknown
    assert paygent.inquire(trading_id="car090").code == "24001"
