"""Each injected fault yields the right result kind, and what happened can be asked (094)."""
import json
import socket
import time

import pytest

from payments.paygent import Credentials, Endpoint, Outcome, PaygentClient

from .paygent_helpers import authorize, client, register, status


@pytest.fixture
def paygent(sandbox):
    register(sandbox)
    return client(sandbox)


def test_paidy_timeout_is_unknown_then_settles_to_the_real_outcome(sandbox, paygent):
    paid = authorize(sandbox)
    sandbox.control("faults", mode="timeout", telegram_kind="341")
    result = paygent.capture(paid["payment_id"])
    assert result.outcome is Outcome.UNKNOWN and result.code == "24005"
    # Asking PAYGENT settles it; a blind retry would be refused.
    assert paygent.inquire(paid["payment_id"]).get("payment_status") == "40"
    assert paygent.capture(paid["payment_id"]).code == "24003"


def test_paidy_timeout_parks_the_payment_until_it_settles(sandbox, paygent):
    paid = authorize(sandbox)
    sandbox.control("settings", settle_seconds=60)
    sandbox.control("faults", mode="timeout", telegram_kind="340")
    assert paygent.cancel_authorization(paid["payment_id"]).code == "24005"
    assert paygent.inquire(paid["payment_id"]).get("payment_status") == "31"


def test_a_timed_out_partial_refund_settles_as_a_partial_refund(sandbox, paygent):
    """PAYGENT keeps the amount of a parked 342: the rest lives on under a new 取引ID."""
    paid = authorize(sandbox, amount=5000)
    assert paygent.capture(paid["payment_id"]).ok
    sandbox.control("faults", mode="timeout", telegram_kind="342")
    assert paygent.refund(paid["payment_id"], 1200).code == "24005"
    assert paygent.inquire(paid["payment_id"]).get("payment_status") == "60"
    rest = sandbox.store.db.execute(
        "SELECT payment_id, status, amount FROM payments WHERE parent_payment_id = ?",
        (int(paid["payment_id"]),)).fetchone()
    assert (rest["status"], rest["amount"]) == ("40", 3800)
    kinds = [(n["payment_id"], n["payment_status"]) for n in (
        json.loads(r["fields"]) for r in sandbox.store.db.execute(
            "SELECT fields FROM notices ORDER BY id"))]
    assert kinds[-2:] == [(str(paid["payment_id"]), "60"), (str(rest["payment_id"]), "40")]


@pytest.mark.parametrize("mode, code", [("drop", "E02005"), ("http500", "E02008"),
                                        ("garbage", "E02007")])
def test_transport_faults_are_unknown(sandbox, paygent, mode, code):
    paid = authorize(sandbox)
    sandbox.control("faults", mode=mode, telegram_kind="341")
    result = paygent.capture(paid["payment_id"])
    assert result.outcome is Outcome.UNKNOWN and result.code == code
    assert status(sandbox, paid["payment_id"]) == "20"  # this fault hit before PAYGENT acted


def test_dropped_after_applying_is_unknown_but_done(sandbox, paygent):
    paid = authorize(sandbox)
    sandbox.control("faults", mode="drop", telegram_kind="341", apply=True)
    result = paygent.capture(paid["payment_id"])
    assert result.outcome is Outcome.UNKNOWN
    assert paygent.inquire(paid["payment_id"]).get("payment_status") == "40"


def test_slow_reply_past_the_read_timeout_is_unknown(sandbox):
    register(sandbox)
    paid = authorize(sandbox)
    sandbox.control("settings", latency_ms=800)
    started = time.monotonic()
    result = client(sandbox, read_timeout=0.3).capture(paid["payment_id"])
    assert time.monotonic() - started < 0.8
    assert result.outcome is Outcome.UNKNOWN and result.code == "E02006"
    sandbox.control("settings", latency_ms=0)


def test_refused_connection_is_an_error_nothing_was_sent():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    paygent = PaygentClient(Credentials("900000123", "x", "y"),
                            Endpoint(f"http://127.0.0.1:{port}/paygent", connect_timeout=2))
    result = paygent.inquire("1")
    assert result.outcome is Outcome.ERROR and result.code == "E02005"


def test_fault_count_is_consumed(sandbox, paygent):
    paid = authorize(sandbox)
    sandbox.control("faults", mode="http500", count=2)
    assert paygent.inquire(paid["payment_id"]).unknown
    assert paygent.inquire(paid["payment_id"]).unknown
    assert paygent.inquire(paid["payment_id"]).ok


def test_latency_is_added_to_every_reply(sandbox, paygent):
    paid = authorize(sandbox)
    sandbox.control("settings", latency_ms=200)
    started = time.monotonic()
    assert paygent.inquire(paid["payment_id"]).ok
    assert time.monotonic() - started >= 0.2
    sandbox.control("settings", latency_ms=0)
