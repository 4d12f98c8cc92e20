"""A gunicorn worker killed while its capture telegram is out: nothing is lost or guessed.

The claim was committed before the telegram left, so the order shows an operation in flight;
PAYGENT went on and captured. Once the claim is older than any telegram could take, the
staff's 「最新の状態を取得」 (or the periodic round) asks PAYGENT and books the capture once.
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
from cart.models import OrderHistory, Payment, PaymentAttempt

from ..conftest import csrf_token
from .checkout_helpers import setup_shops
from .http_helpers import page_form, signed_in, wait_until
from .order_helpers import paid_order


def _until(condition, seconds: float, what: str):
    """wait_until, reading the database afresh on every try."""
    def fresh():
        db.session.expire_all()
        return condition()
    return wait_until(fresh, seconds, what, interval=0.1)


def _workers(master_pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True)
    return [int(pid) for pid in out.stdout.split()]


def test_a_worker_killed_mid_capture_is_settled_once_from_paygent(app, sandbox, gunicorn):
    setup_shops(app, sandbox)
    order = paid_order(app, sandbox)
    order_id, payment_id = order.id, order.payment.paygent_payment_id
    db.session.commit()
    staff = signed_in(gunicorn)
    form = page_form(staff, gunicorn, order_id)
    sandbox.control("settings", latency_ms=2500)  # the 341 is out for 2.5 s

    def click():
        try:
            staff.post(f"{gunicorn}/admin/orders/{order_id}/capture", data=form,
                       allow_redirects=False, timeout=30)
        except requests.RequestException:
            pass  # the worker died under the request

    arrived = sandbox.server.app.extensions["sandbox"].arrivals
    before = arrived("341")
    clicking = threading.Thread(target=click)
    clicking.start()
    attempt = _until(lambda: db.session.scalar(select(PaymentAttempt).where(
        PaymentAttempt.order_id == order_id)), 20, "the claim")
    _until(lambda: arrived("341") > before, 20, "the 341 to reach PAYGENT")  # answered 2.5 s later
    for pid in _workers(gunicorn.master_pid):
        os.kill(pid, signal.SIGKILL)
    clicking.join()
    _until(lambda: sandbox.telegrams("341"), 20, "PAYGENT to finish the capture")
    sandbox.control("settings", latency_ms=0)

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
    assert [t["request"]["payment_id"] for t in sandbox.telegrams("341")] == [payment_id]
