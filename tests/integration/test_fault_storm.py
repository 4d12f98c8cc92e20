"""Fault storm: 1,000 payment operations while a fifth of PAYGENT's replies go wrong.

Staff capture, cancel and refund (partly, then the rest) on a few hundred Paidy orders, and
capture, cancel (021 before capture, 023 after) and change the amount (028 before capture, 029
after: PAYGENT's new payment replaces the old) on as many card orders, from 8 threads. Before about one operation in five, the sandbox is told to fail the next telegram of
that kind: PAYGENT's own 24005 timeout, a dropped connection, a 500 or garbage, half of them
after PAYGENT applied the operation. Then the shop reconciles the way it does in production
(background 094s, the missed-notice fetch, 「最新の状態を取得」) and every order must agree
with PAYGENT, every operation must be settled and written in 変更履歴, and no telegram may
have been sent twice.
"""
import os
import random
import threading
from collections import Counter

from flask import current_app
from sqlalchemy import select, update

from cart import operations
from cart.demo import make_paid_orders
from cart.extensions import db
from cart.notices.services import poll_missed_notices
from cart.models import Order, OrderHistory, Payment, PaymentAttempt, Product
from payments import methods as rules
from payments.methods import paidy as st
from payments.methods.base import CHANGE

from .checkout_helpers import shop
from .method_helpers import make_card_orders

OPERATIONS = int(os.environ.get("STORM_OPERATIONS", "1000"))
FAULT_RATE = 0.2
MODES = ("timeout", "drop", "http500", "garbage")
#: every telegram an operation sends (Paidy's, then the card's)
OPERATION_TELEGRAMS = ("340", "341", "342", "021", "022", "023", "028", "029")
PARTIAL = 300
#: what the 変更履歴 line of a successful operation says
DONE_WORDS = ("売上処理を実行", "キャンセルを実行", "返金を実行", "売上取消を実行", "オーソリ変更を実行",
              "売上変更を実行")


def _next_step(payment: Payment, rng: random.Random):
    """What staff would do next with this order, or None when it is finished."""
    allowed = payment.lib.allowed_actions(operations.state_of(payment), operations.now())
    if payment.method == "card":
        return _next_card_step(payment, allowed, rng)
    if rules.CAPTURE in allowed and rules.CANCEL in allowed:
        return (rules.CANCEL, None) if rng.random() < 0.25 else (rules.CAPTURE, None)
    if rules.REFUND in allowed:
        if payment.amount > PARTIAL and payment.refunded < 2 * PARTIAL:
            return rules.REFUND, PARTIAL
        return rules.REFUND, None
    return None


def _next_card_step(payment: Payment, allowed, rng: random.Random):
    """A card order: captured or cancelled; lowered by PARTIAL before capture (オーソリ変更)
    now and then, and after it (売上変更, the card's partial refund) up to twice; then 売上取消."""
    lowered = payment.order.total - payment.amount
    if rules.CAPTURE in allowed:
        roll = rng.random()
        if roll < 0.2:
            return rules.CANCEL, None
        if roll < 0.4 and lowered == 0 and payment.amount > PARTIAL:
            return CHANGE, payment.amount - PARTIAL
        return rules.CAPTURE, None
    if CHANGE in allowed and payment.amount > PARTIAL and lowered < 2 * PARTIAL:
        return CHANGE, payment.amount - PARTIAL
    if rules.CANCEL in allowed:
        return rules.CANCEL, None
    return None


def _storm(app, order_ids, sandbox, seed: int) -> Counter:
    counts, lock = Counter(), threading.Lock()
    pending = list(order_ids)
    rng = random.Random(seed)

    def worker(index):
        mine = random.Random(seed + index)
        with app.app_context():
            while True:
                with lock:
                    if counts["operations"] >= OPERATIONS or not pending:
                        return
                    order_id = pending.pop(mine.randrange(len(pending)))
                payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
                step = _next_step(payment, mine) if payment.in_flight_attempt_id is None else None
                telegram = payment.lib.transition(payment.status, step[0]).telegram \
                    if step else None
                db.session.commit()
                if step is None:
                    if payment.in_flight_attempt_id is not None:
                        waiting.wait(0.05)  # its outcome is being settled; come back later
                        with lock:
                            pending.append(order_id)
                    continue
                action, amount = step
                with lock:
                    if counts["operations"] >= OPERATIONS:
                        return  # another thread took the last operation meanwhile
                    counts["operations"] += 1
                    faulty = rng.random() < FAULT_RATE
                    if faulty:
                        mode = rng.choice(MODES)
                        counts[f"fault:{mode}"] += 1
                        sandbox.store.add_fault(mode, telegram, 1, apply=rng.random() < 0.5)
                try:
                    outcome = operations.run(payment.order.shop_id, order_id, action, amount,
                                             source="storm")
                    with lock:
                        counts[outcome.kind] += 1
                except operations.Refused:
                    with lock:
                        counts["refused"] += 1
                db.session.remove()
                with lock:
                    pending.append(order_id)

    def notice_poller():
        """PAYGENT's notices reach the shop meanwhile (here fetched with 091, as N2 does)."""
        with app.app_context():
            while not waiting.wait(1.0):
                poll_missed_notices()
                db.session.remove()

    waiting = threading.Event()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    poller = threading.Thread(target=notice_poller)
    for t in threads + [poller]:
        t.start()
    for t in threads:
        t.join()
    waiting.set()
    poller.join()
    return counts


def _reconcile(shop_id: int) -> None:
    """What runs in production anyway: the settle jobs, the 091 poll, 最新の状態を取得."""
    jobs = current_app.extensions["jobs"]
    for _ in range(5):
        assert jobs.wait_idle(120)
        poll_missed_notices()
        db.session.expire_all()
        open_orders = db.session.scalars(select(Payment.order_id).where(
            Payment.in_flight_attempt_id.is_not(None))).all()
        if not open_orders:
            return
        for order_id in open_orders:
            try:
                operations.refresh(shop_id, order_id)
            except operations.Refused:
                pass


def test_a_thousand_operations_through_faults_end_in_agreement(app, card_shop, sandbox):
    demo = shop("demo")
    db.session.execute(update(Product).values(stock=100000))
    db.session.commit()
    paidy = make_paid_orders("demo", OPERATIONS // 6)
    numbers = paidy + make_card_orders(sandbox, OPERATIONS // 3 - len(paidy))
    order_ids = db.session.scalars(select(Order.id).where(Order.number.in_(numbers))).all()
    sent_before = len(sandbox.telegrams())
    sandbox.store.set_setting("settle_seconds", 0.3)  # PAYGENT's own timeouts settle later

    counts = _storm(app, order_ids, sandbox, seed=20261122)
    sandbox.store.clear_faults()
    _reconcile(demo.id)

    assert counts["operations"] == OPERATIONS
    assert counts["unknown"] > OPERATIONS // 10  # the faults really bit
    db.session.expire_all()
    attempts = db.session.scalars(select(PaymentAttempt).where(
        PaymentAttempt.source == "storm")).all()
    assert len(attempts) == counts["operations"] - counts["refused"]
    # every operation is settled, and no order is still waiting for one
    outcomes = Counter(a.outcome for a in attempts)
    assert outcomes.keys() == {"succeeded", "failed"}, outcomes  # faults before PAYGENT acted
    assert not db.session.scalars(select(Payment).where(
        Payment.in_flight_attempt_id.is_not(None))).all()

    # one telegram per operation: an unknown outcome is asked about (094), never re-sent
    sent = [t for t in sandbox.telegrams()[sent_before:]
            if t["telegram_kind"] in OPERATION_TELEGRAMS]
    assert len(sent) == len(attempts), Counter(t["payment_id"] for t in sent).most_common(3)
    # both methods' every operation telegram went out, and faults hit each of them
    assert set(Counter(t["telegram_kind"] for t in sent)) == set(OPERATION_TELEGRAMS)
    faulted = Counter(t["telegram_kind"] for t in sent if t["fault"])
    assert all(faulted[kind] for kind in ("021", "022", "023", "029", "340", "341", "342")), \
        faulted

    held = {row[0]: row for row in sandbox.store.db.execute(
        "SELECT trading_id, payment_id, status, amount FROM payments WHERE payment_id IN "
        "(SELECT MAX(payment_id) FROM payments GROUP BY trading_id)")}
    by_order = {}
    for attempt in attempts:
        by_order.setdefault(attempt.order_id, []).append(attempt)
    for order_id in order_ids:
        order = db.session.get(Order, order_id)
        payment = order.payment
        trading_id, payment_id, status, amount = held[order.number]
        # the shop's books agree with PAYGENT's
        assert (payment.paygent_payment_id, payment.status, payment.amount) == \
            (str(payment_id), status, amount), order.number
        mine = by_order.get(order_id, [])
        succeeded = sorted((a for a in mine if a.outcome == "succeeded"), key=lambda a: a.id)
        if payment.method == "card":
            # the amount is the last change's (PAYGENT's new payment), else the order's
            changes = [a.amount for a in succeeded if a.action == CHANGE]
            assert payment.amount == (changes[-1] if changes else order.total), order.number
        else:
            refunded = sum(a.amount if a.amount is not None else 0 for a in succeeded
                           if a.action == rules.REFUND)
            assert payment.refunded >= refunded
            if status != st.REFUNDED:
                assert payment.amount + refunded == order.total, order.number
        # every settled operation left its line in 変更履歴
        lines = [h.text for h in db.session.scalars(
            select(OrderHistory).where(OrderHistory.order_id == order_id))]
        done_lines = sum(any(words in t for words in DONE_WORDS) for t in lines)
        error_lines = sum("でエラー" in t for t in lines)
        assert done_lines == len(succeeded), (order.number, lines)
        assert error_lines == len(mine) - len(succeeded), (order.number, lines)
