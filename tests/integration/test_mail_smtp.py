"""Order mail through a real SMTP server on the loopback (MAIL_URL): what arrives, and what
the outbox keeps when the server refuses or is not there."""
import email
import socket
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from cart.extensions import db
from cart.mail import COPY_PREFIX
from cart.models import OutboxMail, ShopSettings

from .checkout_helpers import at_confirmation, BUYER, add_to_cart, fill_zero_step, orders, shop, token
from .http_helpers import wait_until
from .order_helpers import wait_jobs

SUBJECT = "【テスト商店】ご注文ありがとうございます（受付完了）"
SHOP_EMAIL = "orders@demo-shop.test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An SMTP handler that keeps every message it is given."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.original_content
                                  or envelope.content))
        return "250 2.0.0 OK: queued"

    def received(self):
        with self.lock:
            return list(self.messages)


class Refusing(Inbox):
    """An SMTP server that turns every recipient away."""

    def __init__(self):
        super().__init__()
        self.refused = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.refused.append(address)
        return "550 5.7.1 Relaying denied"


def _serve(handler):
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port(),
                            server_hostname="smtp.cart-test.local")
    controller.start()
    return controller


@pytest.fixture
def mail_shop(app, shops):
    """The demo shop with a Japanese サンクスメール subject and its own copy address."""
    settings = db.session.scalar(select(ShopSettings).where(ShopSettings.shop_id == shop().id))
    settings.thanks_mail_subject, settings.shop_email = SUBJECT, SHOP_EMAIL
    db.session.commit()
    return shops


@pytest.fixture
def smtp_server(app):
    inbox = Inbox()
    controller = _serve(inbox)
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{controller.port}"
    yield inbox
    controller.stop()


def _bank_transfer_order(client):
    """A 銀行振込 order placed through the zero-step checkout; returns the complete page."""
    add_to_cart(client, quantity=2)
    assert at_confirmation(fill_zero_step(client, kind="bank_transfer"))
    placed = client.post("/s/demo/checkout/confirm",
                         data={"csrf_token": token(client, "/s/demo/checkout/confirm")})
    assert placed.headers["Location"].endswith("/s/demo/checkout/complete")
    return client.get("/s/demo/checkout/complete").get_data(as_text=True)


def _outbox() -> list[OutboxMail]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()


def _headers_are_ascii(raw: bytes) -> bool:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].isascii()


def test_the_thanks_mail_and_the_shops_copy_arrive_by_smtp(client, mail_shop, smtp_server,
                                                          login_as):
    complete = _bank_transfer_order(client)
    [order] = orders()
    assert order.number in complete and order.status == "new"
    received = wait_until(lambda: len(smtp_server.received()) >= 2 and smtp_server.received(),
                          10, "the thanks mail and its copy at the SMTP server")
    assert len(received) == 2
    mails = {}
    for rcpt_tos, raw in received:
        assert _headers_are_ascii(raw)  # Japanese headers travel MIME-encoded
        message = email.message_from_bytes(raw, policy=policy.default)
        assert rcpt_tos == [message["To"]]
        mails[message["To"]] = message
    assert set(mails) == {BUYER["email"], SHOP_EMAIL}

    thanks, copy = mails[BUYER["email"]], mails[SHOP_EMAIL]
    assert str(thanks["Subject"]) == SUBJECT
    assert str(copy["Subject"]) == COPY_PREFIX + SUBJECT
    for message in (thanks, copy):
        assert message["From"] == client.application.config["MAIL_FROM"]
        body = message.get_content()
        assert order.number in body and "2,960円" in body and "サンプル銀行" in body
    assert thanks.get_content() == copy.get_content()

    wait_jobs()
    outbox = wait_until(lambda: all(m.sent_at for m in _outbox()) and _outbox(), 10,
                        "the outbox rows to be marked sent")
    assert [(m.to_addr, m.error) for m in outbox] == [(BUYER["email"], ""), (SHOP_EMAIL, "")]
    login_as("staff@example.com", "demo1234")
    listed = client.get("/admin/mails/").get_data(as_text=True)
    assert listed.count("送信済み") == 2 and "送信エラー" not in listed


def _refusing_server(app):
    handler = Refusing()
    controller = _serve(handler)
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{controller.port}"
    return handler, controller.stop


def _closed_port(app):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{_free_port()}"  # nothing listens there
    return None, lambda: None


@pytest.mark.parametrize("server", [_refusing_server, _closed_port],
                         ids=["refused", "closed-port"])
def test_an_smtp_failure_keeps_the_error_on_the_outbox_and_the_order_accepted(
        app, client, mail_shop, login_as, server):
    handler, stop = server(app)
    try:
        complete = _bank_transfer_order(client)
        [order] = orders()
        assert "ご注文ありがとうございました！" in complete and order.number in complete
        assert order.status == "new"
        outbox = wait_until(lambda: len(_outbox()) == 2 and all(m.error for m in _outbox())
                            and _outbox(), 10, "both outbox rows to record the SMTP error")
        wait_jobs()
    finally:
        stop()
    assert [m.to_addr for m in outbox] == [BUYER["email"], SHOP_EMAIL]
    assert all(m.sent_at is None and m.error for m in outbox), [
        (m.to_addr, m.sent_at, m.error) for m in outbox]
    assert all(m.order_id == order.id and order.number in m.body for m in outbox)
    if handler is not None:
        assert sorted(handler.refused) == sorted([BUYER["email"], SHOP_EMAIL])
        assert handler.received() == []
    [order] = orders()
    assert order.status == "new" and order.placed_at is not None
    login_as("staff@example.com", "demo1234")
    listed = client.get("/admin/mails/").get_data(as_text=True)
    assert listed.count("送信エラー") == 2 and "送信済み" not in listed
