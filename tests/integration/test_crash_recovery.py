"""A gunicorn worker killed while its capture telegram is out: nothing is lost or guessed.

The claim was committed before the telegram left, so the order shows an operation in flight;
PAYGENT went on and captured. Once the claim is older than any telegram could take, the
staff's 「最新の状態を取得」 (or the periodic round) asks PAYGENT and books the capture once,
for a Paidy order (341) as for a card order (022). A card's amount change killed the same way
is asked about by the periodic round (094 tells the old payment was cancelled, not the new
one's ID) and settled by its new payment's notice.
"""
import os
import signal
import subprocess
import threading
from datetime import timedelta

import requests
from sqlalchemy import select

from cart import operations
from cart.extensions import db
from cart.jobs import periodic_round
from cart.models import Order, OrderHistory, Payment, PaymentAttempt

from ..conftest import csrf_token
from .card_helpers import card_order
from .http_helpers import page_form, signed_in, wait_until


def _until(condition, seconds: float, what: str):
    """wait_until, reading the database afresh on every try."""
    def fresh():
        db.session.expire_all()
        return condition()
    return wait_until(fresh, seconds, what, interval=0.1)


def _workers(master_pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True)
    return [int(pid) for pid in out.stdout.split()]


def _killed_mid_operation(sandbox, gunicorn, order_id, action, telegram) -> PaymentAttempt:
    """Staff click ``action``; every worker is killed once its telegram reached PAYGENT
    (answered 2.5 s later), and PAYGENT finishes the operation. Returns the claim."""
    staff = signed_in(gunicorn)
    form = page_form(staff, gunicorn, order_id)
    sandbox.control("settings", latency_ms=2500)  # the telegram is out for 2.5 s

    def click():
        try:
            staff.post(f"{gunicorn}/admin/orders/{order_id}/{action}", data=form,
                       allow_redirects=False, timeout=30)
        except requests.RequestException:
            pass  # the worker died under the request

    arrived = sandbox.server.app.extensions["sandbox"].arrivals
    before = arrived(telegram)
    clicking = threading.Thread(target=click)
    clicking.start()
    attempt = _until(lambda: db.session.scalar(select(PaymentAttempt).where(
        PaymentAttempt.order_id == order_id)), 20, "the claim")
    _until(lambda: arrived(telegram) > before, 20, f"the {telegram} to reach PAYGENT")
    for pid in _workers(gunicorn.master_pid):
        os.kill(pid, signal.SIGKILL)
    clicking.join()
    _until(lambda: sandbox.telegrams(telegram), 20, "PAYGENT to finish the operation")
    sandbox.control("settings", latency_ms=0)
    return attempt


def test_a_worker_killed_mid_capture_is_settled_once_from_paygent(
        app, sandbox, gunicorn, authorised):
    order = authorised.order()
    order_id, payment_id = order.id, order.payment.paygent_payment_id
    capture = authorised.kinds.capture  # Paidy 341, card 022
    db.session.commit()
    attempt = _killed_mid_operation(sandbox, gunicorn, order_id, "capture", capture)

    db.session.expire_all()
    attempt = db.session.get(PaymentAttempt, attempt.id)
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
    assert attempt.outcome == "claimed" and payment.in_flight_attempt_id == attempt.id
    assert payment.status == "20"  # the shop never heard back

    # later: the claim is older than any telegram could take
    attempt.created_at = operations.now() - timedelta(minutes=10)
    db.session.commit()
    _until(lambda: len(_workers(gunicorn.master_pid)) == 3, 60, "gunicorn's new workers")
    staff = signed_in(gunicorn)
    page = staff.get(f"{gunicorn}/admin/orders/{order_id}").text
    assert "ペイジェントへの処理の結果を確認中です。" in page and "売上確定</button>" not in page
    staff.post(f"{gunicorn}/admin/orders/{order_id}/refresh",
               data={"csrf_token": csrf_token(page)},
               timeout=30)

    db.session.expire_all()
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
    assert payment.status == "40" and payment.in_flight_attempt_id is None
    assert db.session.get(PaymentAttempt, attempt.id).outcome == "succeeded"
    lines = list(db.session.scalars(select(OrderHistory.text).where(
        OrderHistory.order_id == order_id)))
    assert sum("売上処理の結果を確認中（処理が中断されたため）" in t for t in lines) == 1
    assert sum("売上処理を実行" in t for t in lines) == 1
    again = staff.post(f"{gunicorn}/admin/orders/{order_id}/capture",
                       data=page_form(staff, gunicorn, order_id), allow_redirects=False, timeout=30)
    assert again.status_code == 409  # already captured: refused, nothing sent
    assert [t["request"]["payment_id"] for t in sandbox.telegrams(capture)] == [payment_id]


def test_a_worker_killed_mid_card_amount_change_is_settled_by_the_new_payments_notice(
        app, card_shop, sandbox, gunicorn):
    from .test_card_operations import _edit_total
    order = card_order(app.test_client(), sandbox)
    order_id, old_id = order.id, order.payment.paygent_payment_id
    staff_client = app.test_client()
    page = staff_client.get("/admin/login").get_data(as_text=True)
    staff_client.post("/admin/login", data={"csrf_token": csrf_token(page),
                                            "email": "staff@example.com", "password": "demo1234"})
    _edit_total(staff_client, order, -300)
    total = db.session.get(Order, order_id).total
    db.session.commit()
    attempt = _killed_mid_operation(sandbox, gunicorn, order_id, "change-amount", "028")
    new_id = sandbox.telegrams("028")[0]["reply"]["payment_id"]
    assert new_id and new_id != old_id  # PAYGENT made the new payment and cancelled the old

    db.session.expire_all()
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
    assert db.session.get(PaymentAttempt, attempt.id).outcome == "claimed"
    assert (payment.paygent_payment_id, payment.amount) == (old_id, total + 300)

    # later, the periodic round's settling step: 094 says the old payment is cancelled, which
    # names no new payment, so nothing is guessed and the change stays open
    attempt = db.session.get(PaymentAttempt, attempt.id)
    attempt.created_at = operations.now() - timedelta(minutes=10)
    db.session.commit()
    assert operations.settle_overdue() == {"unknown": 1}
    db.session.expire_all()
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
    attempt = db.session.get(PaymentAttempt, attempt.id)
    assert attempt.outcome == "unknown" and payment.in_flight_attempt_id == attempt.id
    assert (payment.paygent_payment_id, payment.status) == (old_id, "20")
    assert len(sandbox.telegrams("094")) == 1

    # the whole round: the new payment's notice (fetched with 091) settles it, once
    periodic_round()
    db.session.expire_all()
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
    attempt = db.session.get(PaymentAttempt, attempt.id)
    assert attempt.outcome == "succeeded" and attempt.new_payment_id == new_id
    assert (payment.paygent_payment_id, payment.status, payment.amount) == (new_id, "20", total)
    assert payment.in_flight_attempt_id is None
    held = sandbox.store.db.execute("SELECT status, amount FROM payments WHERE payment_id = ?",
                                    (int(new_id),)).fetchone()
    assert (held[0], held[1]) == ("20", total)
    lines = list(db.session.scalars(select(OrderHistory.text).where(
        OrderHistory.order_id == order_id)))
    assert sum("金額変更処理の結果を確認中（処理が中断されたため）" in t for t in lines) == 1
    assert sum("オーソリ変更を実行" in t for t in lines) == 1
    assert len(sandbox.telegrams("028")) == 1  # asked about, never sent again
