"""Fault storm for コンビニ, ATM and 銀行ネット: shoppers in 6 threads order with the three
methods while about a third of PAYGENT's application replies go wrong (a dropped connection, a
500 or garbage, half of them after PAYGENT made the payment; PAYGENT's own timeout, answered
without one). Then the periodic round settles what was left open by 094, and every order must
agree with PAYGENT: an order whose payment PAYGENT holds is 入金待ち with that payment, any other
never reached it; no application is sent twice."""
import random
import threading
from collections import Counter

import pytest
from sqlalchemy import select, update

from cart.extensions import db
from cart.methods.deferred import checkout
from cart.models import DeferredPayment, Order, Product
from tests.integration.checkout_helpers import setup_shops
from tests.integration.deferred_helpers import order_with

CHECKOUTS = 60
THREADS = 6
FAULT_RATE = 0.35
MODES = ("drop", "http500", "garbage", "timeout")
TELEGRAMS = {"conveni": "030", "atm": "010", "bank": "060"}


@pytest.fixture
def shops(app, sandbox):
    with app.app_context():
        setup_shops(app, sandbox)
        app.config["PENDING_ORDERS_PER_ADDRESS"] = CHECKOUTS
        db.session.execute(update(Product).values(stock=100000))
        db.session.commit()
        yield


def test_applications_through_faults_end_in_agreement(app, shops, sandbox):
    counts, lock = Counter(), threading.Lock()
    rng = random.Random(20261201)
    plan = [rng.choice(sorted(TELEGRAMS)) for _ in range(CHECKOUTS)]

    def worker(index):
        with app.app_context():
            _orders(index)

    def _orders(index):
        while True:
            with lock:
                if not plan:
                    return
                kind = plan.pop()
                if rng.random() < FAULT_RATE:
                    mode = rng.choice(MODES)
                    counts[f"fault:{mode}"] += 1
                    sandbox.store.add_fault(mode, TELEGRAMS[kind], 1, apply=rng.random() < 0.5)
            response = order_with(app.test_client(), kind)
            db.session.remove()
            with lock:
                counts[response.headers.get("Location", "").rsplit("/", 1)[-1][:9]] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    sandbox.store.clear_faults()
    assert sum(v for k, v in counts.items() if k.startswith("fault:")) >= CHECKOUTS // 6

    open_before = db.session.scalar(select(db.func.count()).select_from(DeferredPayment).where(
        DeferredPayment.stage == "unknown"))
    assert open_before > 0  # the faults really left answers unknown
    for code in TELEGRAMS:
        checkout.settle_open_applications(code)

    db.session.expire_all()
    rows = db.session.scalars(select(DeferredPayment)).all()
    assert len(rows) == CHECKOUTS
    assert {r.stage for r in rows} <= {"applied", "failed"}, Counter(r.stage for r in rows)
    held = {row["trading_id"]: row for row in sandbox.store.db.execute(
        "SELECT trading_id, payment_id, status, amount FROM payments")}
    sent = Counter(t["request"].get("trading_id") for t in sandbox.telegrams()
                   if t["telegram_kind"] in TELEGRAMS.values())
    for row in rows:
        order = db.session.get(Order, row.order_id)
        assert sent[order.number] <= 1, order.number  # never sent twice
        paid = held.get(order.number)
        if paid is not None:
            assert row.stage == "applied", (order.number, row.stage, row.code)
            assert order.status == "awaiting_payment"
            assert order.payment.paygent_payment_id == str(paid["payment_id"])
            assert order.payment.amount == paid["amount"] == order.total
        else:
            assert row.stage == "failed", (order.number, row.stage)
            assert order.status == "pending_payment" and order.payment is None
    assert any(r.stage == "failed" for r in rows) and any(r.stage == "applied" for r in rows)
