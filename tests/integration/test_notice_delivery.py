"""The sandbox POSTs 差分通知 with a correct hc and re-sends until the reply is result=0."""
import threading
import time

import pytest
from flask import Flask, request

from payments.paygent import verify_notice
from payments.paygent.codec import decode_form
from payments.sandbox.server import SandboxServer

from .http_helpers import wait_until
from .paygent_helpers import HASH_KEY, authorize, client, register


class Receiver:
    """A shop endpoint that answers from a script of replies, then result=0."""

    def __init__(self, replies=()):
        self.replies = list(replies)
        self.received = []
        self.lock = threading.Lock()
        app = Flask("receiver")

        @app.post("/notice")
        def notice():
            fields = decode_form(request.get_data())
            with self.lock:
                self.received.append(fields)
                reply = self.replies.pop(0) if self.replies else "result=0"
            return reply, 200, {"Content-Type": "text/plain"}

        self.server = SandboxServer(app).start()
        self.url = self.server.url + "/notice"

    def got(self) -> list:
        with self.lock:
            return list(self.received)

    def wait_for(self, count, timeout=10.0):
        return wait_until(lambda: len(self.got()) >= count and self.got(), timeout,
                          f"{count} notices at the shop")


@pytest.fixture
def receiver_factory():
    made = []

    def make(replies=()):
        receiver = Receiver(replies)
        made.append(receiver)
        return receiver
    yield make
    for receiver in made:
        receiver.server.stop()


def _dispatcher(sandbox):
    return sandbox.server.app.extensions["sandbox"].dispatcher


def _dispatch(sandbox):
    _dispatcher(sandbox).start()
    sandbox.store.set_setting("notice_retry_seconds", 0.1)


def _notice_row(sandbox):
    """The sandbox's one queued notice, as its dispatcher booked it."""
    [row] = sandbox.store.db.execute("SELECT * FROM notices").fetchall()
    return dict(row)


def _nothing_left_to_send(sandbox) -> bool:
    """The dispatcher has no notice due now (it claims and sends one if it has)."""
    return not _dispatcher(sandbox).deliver_one()


def test_notice_carries_a_valid_hash_and_paidy_fields(sandbox, receiver_factory):
    receiver = receiver_factory()
    register(sandbox, receiver.url)
    _dispatch(sandbox)
    paid = authorize(sandbox, "order00100", 2500)
    [notice] = receiver.wait_for(1)
    assert verify_notice(notice, HASH_KEY)
    assert notice["payment_id"] == paid["payment_id"]
    assert notice["trading_id"] == "order00100"
    assert notice["payment_type"] == "22"
    assert notice["payment_status"] == "20"
    assert notice["payment_amount"] == "2500"
    assert notice["paidy_payment_id"] == paid["id"]
    assert notice["event"] == "authorize" and notice["event_result"] == "success"


def test_notice_is_resent_until_the_reply_is_exactly_result_0(sandbox, receiver_factory):
    receiver = receiver_factory(replies=["error", "result=1", "result=0 "])
    register(sandbox, receiver.url)
    _dispatch(sandbox)
    authorize(sandbox)
    notices = receiver.wait_for(4)
    assert len({n["payment_notice_id"] for n in notices}) == 1
    row = wait_until(lambda: _notice_row(sandbox)["acknowledged"] and _notice_row(sandbox), 10,
                     "the sandbox to book the notice as accepted")
    assert row["attempts"] == 4  # accepted on the fourth
    assert _nothing_left_to_send(sandbox)  # so it is never sent again
    assert len(receiver.got()) == 4


def test_notices_follow_the_payment_in_order(sandbox, receiver_factory):
    receiver = receiver_factory()
    register(sandbox, receiver.url)
    _dispatch(sandbox)
    paid = authorize(sandbox, amount=3000)
    paygent = client(sandbox)
    paygent.capture(paid["payment_id"])
    paygent.refund(paid["payment_id"], 1000)
    notices = receiver.wait_for(4)
    assert [(n["payment_status"], n["event"]) for n in notices] == [
        ("20", "authorize"), ("40", "capture"), ("60", "refund"), ("40", "refund")]
    assert all(verify_notice(n, HASH_KEY) for n in notices)
    ids = [int(n["payment_notice_id"]) for n in notices]
    assert ids == sorted(ids)


def test_five_straight_failures_pause_the_queue(sandbox, receiver_factory):
    receiver = receiver_factory(replies=["ng"] * 10)
    register(sandbox, receiver.url)
    _dispatch(sandbox)
    sandbox.store.set_setting("notice_pause_seconds", 60)
    authorize(sandbox)
    receiver.wait_for(5)
    row = wait_until(lambda: _notice_row(sandbox)["attempts"] == 5 and _notice_row(sandbox), 10,
                     "the sandbox to book the fifth failure")
    assert not row["acknowledged"]
    assert row["next_attempt_at"] - time.time() > 50  # paused for notice_pause_seconds
    assert _nothing_left_to_send(sandbox)  # nothing is due during the pause
    assert len(receiver.got()) == 5


def test_unreachable_endpoint_keeps_the_notice_for_091(sandbox):
    register(sandbox, "http://127.0.0.1:9/notice")
    _dispatch(sandbox)
    paid = authorize(sandbox)
    row = wait_until(lambda: _notice_row(sandbox)["attempts"] >= 1 and _notice_row(sandbox), 10,
                     "the sandbox to try the unreachable endpoint")
    assert not row["acknowledged"] and "Error" in row["last_reply"]
    fetched = client(sandbox).fetch_notice()
    assert fetched.get("payment_id") == paid["payment_id"]
