"""The payment log (R2) of a telegram whose outcome is booked is written in the booking
transaction, and on its own when that booking fails: every telegram sent leaves one entry."""
import pytest
from sqlalchemy import select

from cart import operations
from cart.admin.bulk import services as bulk
from cart.demo import make_paid_orders
from cart.extensions import db
from cart.models import Order, PaymentLog, Staff

from .checkout_helpers import setup_shops, shop
from .order_helpers import paid_order, wait_jobs


def _logged(order_id: int, kind: str) -> list[PaymentLog]:
    db.session.expire_all()
    return db.session.scalars(select(PaymentLog).where(
        PaymentLog.order_id == order_id, PaymentLog.telegram_kind == kind)).all()


@pytest.fixture
def order(app, sandbox):
    setup_shops(app, sandbox)
    return paid_order(app, sandbox)


def test_the_paidy_results_343_is_logged_with_the_order(order):
    [entry] = _logged(order.id, "343")
    assert entry.shop_id == order.shop_id and entry.outcome == "ok"


def test_a_capture_is_logged_once_with_its_booking(order):
    assert operations.run(order.shop_id, order.id, "capture").kind == "done"
    [entry] = _logged(order.id, "341")
    assert entry.outcome == "ok" and "connect_password" in entry.request
    assert "demo-connect-pass" not in entry.request  # masked as ever


def test_a_booking_that_fails_still_leaves_the_telegrams_entry(order, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("booking failed")

    monkeypatch.setattr(operations, "_succeeded", broken)
    with pytest.raises(RuntimeError):
        operations.run(order.shop_id, order.id, "capture")
    [entry] = _logged(order.id, "341")
    assert entry.outcome == "ok"


def test_a_bulk_run_logs_each_orders_telegram_once(app, sandbox):
    setup_shops(app, sandbox)
    numbers = make_paid_orders("demo", 10)  # more than the 8 slots: both claim rounds
    orders = [db.session.scalar(select(Order).where(Order.number == n)) for n in numbers]
    run = bulk.start(shop().id, db.session.scalar(select(Staff)), "log-test",
                     [str(o.id) for o in orders])
    wait_jobs()
    assert db.session.get(type(run), run.id).succeeded == 10
    for o in orders:
        assert len(_logged(o.id, "341")) == 1
