"""The 差分通知 endpoint (N1): verified, recorded once, applied forward only."""
import json

import pytest
from sqlalchemy import select

from cart.extensions import db
from cart.models import OrderHistory, OutboxMail, Payment, PaymentNotice
from payments.paygent.codec import encode_form
from payments.paygent.notices import notice_hash, verify_notice

from .checkout_helpers import (add_to_cart, authorize_at_paidy, fill_zero_step, orders,
                               paidy_result, paidy_start)

HASH_KEY = "demo-hash-key-0001"


def queued_notices(sandbox) -> list[dict]:
    """The notices the sandbox would have POSTed, with their hc."""
    rows = sandbox.store.db.execute("SELECT fields FROM notices ORDER BY id")
    return [json.loads(r["fields"]) for r in rows]


def post(client, fields, shop_code="demo"):
    return client.post(f"/notices/paygent/{shop_code}", data=encode_form(fields),
                       content_type="application/x-www-form-urlencoded; charset=Shift_JIS")


def _pending_paid_order(client, sandbox):
    """The buyer authorised in the modal but never came back: only the notice knows."""
    add_to_cart(client)
    fill_zero_step(client)
    start = paidy_start(client).get_json()
    paid = authorize_at_paidy(sandbox, start["payload"])
    return start, paid


def test_authorised_notice_completes_an_order_whose_buyer_never_returned(client, shops):
    start, paid = _pending_paid_order(client, shops)
    [notice] = queued_notices(shops)
    response = post(client, notice)
    assert response.status_code == 200 and response.get_data() == b"result=0"
    [order] = orders()
    assert order.status == "new"
    payment = db.session.scalar(select(Payment))
    assert payment.reference == paid["id"]
    assert payment.paygent_payment_id == notice["payment_id"]  # the 取引ID attached
    assert len(db.session.scalars(select(OutboxMail)).all()) == 2
    # then the buyer's browser arrives: nothing more happens
    paidy_result(client, start["order_number"], "authorized", paid["id"])
    assert len(db.session.scalars(select(OutboxMail)).all()) == 2


def test_the_same_notice_twice_is_applied_once(client, shops):
    _pending_paid_order(client, shops)
    [notice] = queued_notices(shops)
    assert post(client, notice).get_data() == b"result=0"
    assert post(client, notice).get_data() == b"result=0"
    assert len(db.session.scalars(select(PaymentNotice)).all()) == 1
    history = [h.text for h in db.session.scalars(select(OrderHistory))]
    assert sum("オーソリOK" in t for t in history) == 1


def _signed(fields: dict) -> dict:
    """A notice as PAYGENT signs it: a correct hc over its own fields."""
    plain = {k: v for k, v in fields.items() if k != "hc"}
    return {**plain, "hc": notice_hash(plain, HASH_KEY)}


def _history_lines() -> list[str]:
    db.session.expire_all()
    return [h.text for h in db.session.scalars(select(OrderHistory).order_by(OrderHistory.id))]


def test_notices_out_of_order_never_move_the_payment_backwards(client, shops):
    _pending_paid_order(client, shops)
    authorized = queued_notices(shops)[0]
    shops.control(f"payments/{authorized['payment_id']}/change", action="capture")
    captured = queued_notices(shops)[1]
    assert (authorized["payment_status"], captured["payment_status"]) == ("20", "40")
    assert post(client, authorized).get_data() == b"result=0"
    assert post(client, captured).get_data() == b"result=0"
    [order] = orders()
    payment = db.session.scalar(select(Payment))
    db.session.refresh(payment)
    before = (payment.status, payment.captured_at, payment.amount, payment.paygent_payment_id)
    assert before[0] == "40" and before[1] is not None
    lines = _history_lines()

    # A notice of its own (a new payment_notice_id, correctly signed) that still says
    # オーソリOK: the unique notice id lets it through; only the forward-only rule stops it.
    late_id = str(int(captured["payment_notice_id"]) + 1000)
    late = _signed(dict(authorized, payment_notice_id=late_id))
    assert verify_notice(late, HASH_KEY) and late["payment_status"] == "20"
    assert post(client, late).get_data() == b"result=0"

    db.session.expire_all()
    payment = db.session.scalar(select(Payment))
    assert (payment.status, payment.captured_at, payment.amount,
            payment.paygent_payment_id) == before
    assert payment.in_flight_attempt_id is None
    assert _history_lines() == lines
    assert orders()[0].status == "new"
    kept = db.session.scalar(select(PaymentNotice).where(
        PaymentNotice.payment_notice_id == late_id))
    assert (kept.outcome, kept.payment_status, kept.order_id) == ("ignored", "20", order.id)
    outcomes = {n.payment_notice_id: n.outcome for n in db.session.scalars(select(PaymentNotice))}
    assert outcomes == {authorized["payment_notice_id"]: "applied",
                        captured["payment_notice_id"]: "applied", late_id: "ignored"}


def test_a_new_notice_repeating_the_current_status_changes_nothing(client, shops):
    _pending_paid_order(client, shops)
    authorized = queued_notices(shops)[0]
    shops.control(f"payments/{authorized['payment_id']}/change", action="capture")
    captured = queued_notices(shops)[1]
    post(client, authorized)
    post(client, captured)
    lines = _history_lines()
    again_id = str(int(captured["payment_notice_id"]) + 1000)
    assert post(client, _signed(dict(captured, payment_notice_id=again_id))).get_data() == \
        b"result=0"
    assert _history_lines() == lines  # no second 「消込済」 line
    assert db.session.scalar(select(Payment.status)) == "40"
    assert db.session.scalar(select(PaymentNotice.outcome).where(
        PaymentNotice.payment_notice_id == again_id)) == "ignored"


def test_capture_notice_before_authorisation_notice(client, shops):
    start, paid = _pending_paid_order(client, shops)
    authorized = queued_notices(shops)[0]
    shops.control(f"payments/{authorized['payment_id']}/change", action="capture")
    captured = queued_notices(shops)[1]
    post(client, captured)
    post(client, authorized)
    [order] = orders()
    assert order.status == "new"
    payment = db.session.scalar(select(Payment))
    db.session.refresh(payment)
    assert payment.status == "40" and payment.captured_at is not None
    outcomes = {n.payment_notice_id: n.outcome for n in
                db.session.scalars(select(PaymentNotice))}
    assert outcomes == {captured["payment_notice_id"]: "applied",
                        authorized["payment_notice_id"]: "ignored"}


@pytest.mark.parametrize("tamper", [
    {"hc": "0" * 64}, {"payment_amount": "1"}, {"payment_id": "1"}, {"trading_id": "x"},
    {"hc": ""}])
def test_a_bad_hash_is_refused_and_changes_nothing(client, shops, tamper):
    _pending_paid_order(client, shops)
    [notice] = queued_notices(shops)
    response = post(client, dict(notice, **tamper))
    assert response.status_code == 403 and response.get_data() != b"result=0"
    assert db.session.scalars(select(PaymentNotice)).all() == []
    assert orders()[0].status == "pending_payment"


def test_a_notice_for_one_shop_sent_to_another_is_refused(client, shops):
    _pending_paid_order(client, shops)
    [notice] = queued_notices(shops)
    assert post(client, notice, "demo3").status_code == 403
    assert post(client, notice, "no-such-shop").status_code == 404


def test_an_unknown_trading_id_is_kept_for_review(client, shops):
    fields = {"payment_notice_id": "77", "payment_id": "123", "trading_id": "order99999",
              "payment_type": "22", "payment_status": "20", "payment_amount": "500"}
    fields["hc"] = notice_hash(fields, HASH_KEY)
    assert post(client, fields).get_data() == b"result=0"
    kept = db.session.scalar(select(PaymentNotice))
    assert kept.outcome == "unmatched" and kept.trading_id == "order99999"


def test_an_authorised_amount_that_differs_holds_the_order(client, shops):
    add_to_cart(client)
    fill_zero_step(client)
    start = paidy_start(client).get_json()
    cheap = dict(start["payload"], amount=100)
    cheap["order"] = dict(cheap["order"], items=[], shipping=0)
    authorize_at_paidy(shops, cheap)
    [notice] = queued_notices(shops)
    assert post(client, notice).get_data() == b"result=0"
    [order] = orders()
    assert order.status == "pending_payment" and order.needs_review
    assert db.session.scalar(select(PaymentNotice)).outcome == "mismatch"


def test_a_notice_waiting_while_a_partial_refund_moves_the_order_leaves_the_rest_alone(
        app, client, shops, monkeypatch):
    """On PostgreSQL a notice can wait for the payment's row lock while a partial refund's reply
    is booked, which moves the order to the remainder's new 取引ID. The notice (返金済 of the
    payment that was replaced) must leave it alone."""
    from cart import operations
    from cart.notices import services

    from .order_helpers import paid_order
    order = paid_order(app, shops)
    assert operations.run(order.shop_id, order.id, "capture").kind == "done"
    old_id, total, order_id = order.payment.paygent_payment_id, order.payment.amount, order.id
    real_lookup = services._locked_payment

    def refund_books_first(shop, paygent_payment_id):
        monkeypatch.setattr(services, "_locked_payment", real_lookup)
        assert operations.run(order.shop_id, order_id, "refund", 1000).kind == "done"
        return real_lookup(shop, paygent_payment_id)

    monkeypatch.setattr(services, "_locked_payment", refund_books_first)
    fields = {"payment_notice_id": "880001", "payment_id": old_id, "trading_id": order.number,
              "payment_type": "22", "payment_status": "60", "payment_amount": str(total)}
    assert post(client, {**fields, "hc": notice_hash(fields, HASH_KEY)}).get_data() == \
        b"result=0"
    db.session.expire_all()
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
    assert payment.paygent_payment_id != old_id
    assert (payment.status, payment.amount) == ("40", total - 1000)
    kept = db.session.scalar(select(PaymentNotice).where(
        PaymentNotice.payment_notice_id == "880001"))
    assert kept.outcome == "ignored"
