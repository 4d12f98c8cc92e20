"""差分通知 that disagree with the shop's records, and notices whose processing fails."""
import pytest
from sqlalchemy import select

from cart import jobs, mail
from cart.extensions import db
from cart.models import Order, OrderHistory, OutboxMail, Payment, PaymentNotice
from cart.notices.services import fetch_missed, retry_failed
from payments.paygent.notices import notice_hash

from ..conftest import csrf_token
from .checkout_helpers import orders, shop
from .order_helpers import paid_order, payment_of
from .test_notices import HASH_KEY, _pending_paid_order, post, queued_notices


def _signed(fields: dict) -> dict:
    fields = {k: v for k, v in fields.items() if k != "hc"}
    return {**fields, "hc": notice_hash(fields, HASH_KEY)}


def _status_notice(payment, status, amount, notice_id="900001"):
    return _signed({
        "payment_notice_id": notice_id, "payment_id": payment.paygent_payment_id,
        "trading_id": payment.order.number, "payment_type": "22", "payment_status": status,
        "payment_amount": str(amount), "paidy_payment_id": payment.reference})


def test_a_status_change_with_another_amount_is_booked_flagged_and_mailed(app, client, shops,
                                                                          login_as):
    order = paid_order(app, shops)
    payment = payment_of(order)
    assert payment.amount > 1
    reply = post(client, _status_notice(payment, "40", 1))
    assert reply.get_data() == b"result=0"
    payment = payment_of(order)
    assert (payment.status, payment.amount) == ("40", 1)  # PAYGENT is the authority
    db.session.refresh(order)
    assert order.needs_review
    [record] = db.session.scalars(select(PaymentNotice)).all()
    assert record.outcome == "amount_diff"
    assert any("一致しません" in h.text for h in db.session.scalars(select(OrderHistory)))
    [alert] = db.session.scalars(select(OutboxMail).where(
        OutboxMail.subject.like("【要確認】%決済金額"))).all()
    assert "1円" in alert.body
    login_as("owner@example.com", "demo1234")
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "要確認の受注が1件あります" in dashboard and order.number in dashboard


def test_a_status_change_with_the_same_amount_flags_nothing(app, client, shops):
    order = paid_order(app, shops)
    payment = payment_of(order)
    assert post(client, _status_notice(payment, "40", payment.amount)).get_data() == b"result=0"
    db.session.refresh(order)
    assert payment_of(order).status == "40" and not order.needs_review
    assert db.session.scalar(select(PaymentNotice)).outcome == "applied"


def test_staff_mark_a_flagged_order_reviewed(app, client, shops, login_as):
    order = paid_order(app, shops)
    post(client, _status_notice(payment_of(order), "40", 1))
    login_as("staff@example.com", "demo1234")
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "確認済みにする" in page
    db.session.refresh(order)
    reply = client.post(f"/admin/orders/{order.id}/reviewed", data={
        "csrf_token": csrf_token(page), "version": order.version}, follow_redirects=True)
    assert "要確認を解除しました。" in reply.get_data(as_text=True)
    db.session.refresh(order)
    assert not order.needs_review
    assert "要確認の受注" not in client.get("/admin/").get_data(as_text=True)


def _failing_once(monkeypatch):
    real = mail.queue_order_mails
    calls = []

    def queue_order_mails(order):
        calls.append(order.id)
        if len(calls) == 1:
            raise RuntimeError("mail template broke")
        return real(order)
    monkeypatch.setattr(mail, "queue_order_mails", queue_order_mails)
    return calls


def _untouched(record_outcome="failed"):
    [order] = orders()
    assert order.status == "pending_payment"
    assert db.session.scalars(select(Payment)).all() == []
    assert db.session.scalars(select(OutboxMail)).all() == []
    [record] = db.session.scalars(select(PaymentNotice)).all()
    assert record.outcome == record_outcome


def test_a_notice_that_fails_is_not_acknowledged_and_its_resend_applies_it(
        client, shops, monkeypatch):
    _failing_once(monkeypatch)
    _pending_paid_order(client, shops)
    [notice] = queued_notices(shops)
    reply = post(client, notice)
    assert reply.status_code == 500 and reply.get_data() != b"result=0"
    _untouched()
    assert post(client, notice).get_data() == b"result=0"  # PAYGENT's re-send
    db.session.expire_all()
    [order] = orders()
    assert order.status == "new" and order.payment is not None
    assert len(db.session.scalars(select(OutboxMail)).all()) == 2
    assert db.session.scalar(select(PaymentNotice)).outcome == "applied"
    assert post(client, notice).get_data() == b"result=0"  # now a plain duplicate
    assert len(db.session.scalars(select(OutboxMail)).all()) == 2


def test_a_failed_notice_is_retried_by_the_periodic_round(client, shops, monkeypatch):
    _failing_once(monkeypatch)
    _pending_paid_order(client, shops)
    [notice] = queued_notices(shops)
    assert post(client, notice).status_code == 500
    with shops.store.write() as sandbox_db:  # PAYGENT sends it no more, nor hands it to 091
        sandbox_db.execute("UPDATE notices SET acknowledged=1")
    assert jobs.periodic_round()["failed_notices"] == {"applied": 1}
    db.session.expire_all()
    [order] = orders()
    assert order.status == "new" and order.payment is not None
    assert retry_failed() == {}


def test_a_fetched_notice_that_fails_is_kept_and_retried(client, shops, monkeypatch):
    _failing_once(monkeypatch)
    _pending_paid_order(client, shops)
    assert fetch_missed(shop()) == {"failed": 1}
    _untouched()
    assert fetch_missed(shop()) == {}  # PAYGENT does not hand it out again
    assert retry_failed() == {"applied": 1}
    db.session.expire_all()
    assert orders()[0].status == "new"


def _history_failing_on_acceptance(monkeypatch):
    """Make the history writer fail on the acceptance line (after the order was accepted and
    its mail queued); returns what puts it back."""
    from cart import history
    real = history.record

    def record(order, text, staff=None):
        if "オーソリOK" in text:
            raise RuntimeError("history store unavailable")
        return real(order, text, staff)
    monkeypatch.setattr(history, "record", record)
    return lambda: monkeypatch.setattr(history, "record", real)


def test_a_failure_after_the_order_was_accepted_leaves_nothing_half_done(
        client, shops, monkeypatch):
    """Anything raising late in the notice's work (here the history writer, after the order
    was accepted and its mail queued) rolls the whole notice back."""
    restore = _history_failing_on_acceptance(monkeypatch)
    _pending_paid_order(client, shops)
    [notice] = queued_notices(shops)
    assert post(client, notice).status_code == 500
    _untouched()
    restore()
    assert post(client, notice).get_data() == b"result=0"
    db.session.expire_all()
    assert orders()[0].status == "new"


@pytest.fixture
def committed_mail(app, monkeypatch):
    """The ids of the mail whose delivery job was submitted (after a commit); the jobs are kept
    from running (SMTP itself is tested in test_mail_smtp). Other jobs run as usual, whichever
    backend runs them."""
    sent = []
    monkeypatch.setitem(app.config, "MAIL_URL", "smtp://127.0.0.1:9")
    real = jobs.submit

    def submit(fn, *args, **kwargs):
        if fn is mail.deliver_pending:
            sent.extend(args[0])
        else:
            real(fn, *args, **kwargs)
    monkeypatch.setattr(jobs, "submit", submit)
    return sent


def test_mail_of_a_rolled_back_notice_is_never_sent(client, shops, monkeypatch, committed_mail):
    restore = _history_failing_on_acceptance(monkeypatch)
    _pending_paid_order(client, shops)
    [notice] = queued_notices(shops)
    assert post(client, notice).status_code == 500
    assert jobs.wait_idle(10)
    assert committed_mail == []
    restore()
    assert post(client, notice).get_data() == b"result=0"
    assert jobs.wait_idle(10)
    ids = {m.id for m in db.session.scalars(select(OutboxMail))}
    assert len(ids) == 2 and set(committed_mail) == ids


def test_an_order_rolled_back_before_its_notice_records_the_authorisation_for_cancelling(
        client, shops):
    _pending_paid_order(client, shops)
    [order] = orders()
    order.status = "cancelled"
    db.session.commit()
    [notice] = queued_notices(shops)
    assert post(client, notice).get_data() == b"result=0"
    db.session.expire_all()
    order = db.session.scalar(select(Order))
    assert order.status == "cancelled" and order.needs_review
    assert order.payment is not None and order.payment.status == "20"
    assert any("オーソリをキャンセルしてください" in h.text
               for h in db.session.scalars(select(OrderHistory)))
