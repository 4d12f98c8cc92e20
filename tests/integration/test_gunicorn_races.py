"""Through gunicorn (several processes), concurrent requests and notices capture once."""
import threading

from sqlalchemy import select

from cart import operations
from cart.extensions import db
from cart.models import Order, OrderHistory, Payment, PaymentNotice
from payments import methods as rules

from .checkout_helpers import setup_shops
from .http_helpers import page_form, signed_in, wait_until
from .order_helpers import paid_order


def test_twenty_concurrent_captures_and_a_notice_send_one_341(app, sandbox, gunicorn):
    setup_shops(app, sandbox)
    order = paid_order(app, sandbox)
    order_id, payment_id = order.id, order.payment.paygent_payment_id
    _notices_to(gunicorn, sandbox)
    sandbox.control("settings", latency_ms=150)
    db.session.commit()
    sessions = [signed_in(gunicorn) for _ in range(20)]
    forms = [page_form(s, gunicorn, order_id) for s in sessions]
    start, statuses = threading.Barrier(20), []

    def click(session, form):
        start.wait()
        response = session.post(f"{gunicorn}/admin/orders/{order_id}/capture", data=form,
                                allow_redirects=False, timeout=60)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=click, args=pair) for pair in zip(sessions, forms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sandbox.control("settings", latency_ms=0)
    assert len(statuses) == 20 and set(statuses) <= {302, 409}
    assert statuses.count(302) >= 1
    assert [t["request"]["payment_id"] for t in sandbox.telegrams("341")] == [payment_id]
    # the authorisation's and the capture's notices reach gunicorn and are taken
    _wait_for_every_notice(sandbox, 2, 20)
    db.session.expire_all()
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
    assert payment.status == "40" and payment.in_flight_attempt_id is None
    assert sorted(n.payment_status for n in db.session.scalars(select(PaymentNotice).where(
        PaymentNotice.order_id == order_id))) == ["20", "40"]
    assert sum("売上処理を実行" in text for text in db.session.scalars(
        select(OrderHistory.text).where(OrderHistory.order_id == order_id))) == 1


def _wait_for_every_notice(sandbox, at_least: int, seconds: float) -> None:
    """Until every notice the sandbox queued (at least ``at_least``) was accepted by the shop."""
    def all_acknowledged():
        notices = sandbox.control("notices", method="get")
        return len(notices) >= at_least and all(n["acknowledged"] for n in notices)
    wait_until(all_acknowledged, seconds,
               f"every notice (at least {at_least}) to be accepted by the shop behind gunicorn",
               interval=0.2)


def _notices_to(gunicorn, sandbox) -> None:
    """PAYGENT's notices go to gunicorn too, so they race the staff's requests."""
    sandbox.store.upsert_merchant("900000001", "demo_connect", "demo-connect-pass",
                                  "demo-hash-key-0001", f"{gunicorn}/notices/paygent/demo",
                                  "pk_test_demo_shop_0001")
    sandbox.store.set_setting("notice_retry_seconds", 0.2)
    sandbox.server.app.extensions["sandbox"].dispatcher.start()


def test_captures_cancels_and_refunds_racing_send_one_telegram_per_operation(
        app, sandbox, gunicorn):
    """20 staff at once on four orders (capture against cancel, cancels, full refunds,
    partial refunds), while PAYGENT's notices arrive: one telegram per logical operation."""
    setup_shops(app, sandbox)
    contested, cancelled, refunded, partly = (paid_order(app, sandbox) for _ in range(4))
    for order in (refunded, partly):
        assert operations.run(order.shop_id, order.id, rules.CAPTURE).kind == "done"
    ids = {o.id: o.payment.paygent_payment_id for o in (contested, cancelled, refunded, partly)}
    partly_amount = partly.payment.amount
    db.session.commit()
    _notices_to(gunicorn, sandbox)
    sandbox.control("settings", latency_ms=150)
    plan = ([(contested.id, "capture", {})] * 3 + [(contested.id, "cancel-payment", {})] * 3
            + [(cancelled.id, "cancel-payment", {})] * 4
            + [(refunded.id, "refund", {"mode": "full"})] * 5
            + [(partly.id, "refund", {"mode": "partial", "amount": "1000"})] * 5)
    sessions = [signed_in(gunicorn) for _ in plan]
    forms = [page_form(s, gunicorn, order_id, **extra)
             for s, (order_id, _, extra) in zip(sessions, plan)]
    sent_before = {k: len(sandbox.telegrams(k)) for k in ("340", "341", "342")}
    start, statuses = threading.Barrier(len(plan)), []

    def click(session, step, form):
        order_id, action, _ = step
        start.wait()
        response = session.post(f"{gunicorn}/admin/orders/{order_id}/{action}", data=form,
                                allow_redirects=False, timeout=60)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=click, args=triple)
               for triple in zip(sessions, plan, forms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sandbox.control("settings", latency_ms=0)
    assert len(statuses) == 20 and set(statuses) <= {302, 409}, statuses

    def sent(kind):
        return [t["request"]["payment_id"] for t in sandbox.telegrams(kind)[sent_before[kind]:]]
    # the contested order: either the capture or the cancel went out, never both, never twice
    contested_ops = sent("341").count(ids[contested.id]) + sent("340").count(ids[contested.id])
    assert contested_ops == 1
    assert sent("340").count(ids[cancelled.id]) == 1
    assert sent("342").count(ids[refunded.id]) == 1
    assert sent("342").count(ids[partly.id]) == 1  # the others drew the page before it changed
    assert len(sent("341")) + len(sent("340")) + len(sent("342")) == 4

    # every notice reaches gunicorn and is booked (or not): 4 authorisations, 2 earlier
    # captures, and one per operation above (a partial refund makes two)
    _wait_for_every_notice(sandbox, 4 + 2 + 5, 30)
    db.session.expire_all()
    for order_id in ids:
        order = db.session.get(Order, order_id)
        held = sandbox.store.db.execute(
            "SELECT status, amount FROM payments WHERE payment_id = ?",
            (int(order.payment.paygent_payment_id),)).fetchone()
        assert (order.payment.status, order.payment.amount) == (held[0], held[1])
        assert order.payment.in_flight_attempt_id is None

    def lines(order, words):
        return sum(words in h.text for h in db.session.scalars(
            select(OrderHistory).where(OrderHistory.order_id == order.id)))
    assert lines(contested, "売上処理を実行") + lines(contested, "キャンセルを実行") == 1
    assert lines(cancelled, "キャンセルを実行") == 1
    assert lines(refunded, "返金を実行") == 1 and lines(partly, "返金を実行") == 1
    partly_now = db.session.get(Order, partly.id)
    assert partly_now.payment.amount == partly_amount - 1000
