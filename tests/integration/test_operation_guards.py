"""An operation the payment library does not know is refused before anything is claimed or
sent, whatever the state rules say."""
import pytest
from sqlalchemy import select

from cart import operations
from cart.extensions import db
from cart.models import PaymentAttempt
from payments.methods import Method

from .order_helpers import paid_order, payment_of

SENT_KINDS = ("340", "341", "342")


def _nothing_happened(sandbox, order):
    assert [t for t in sandbox.telegrams() if t["telegram_kind"] in SENT_KINDS] == []
    assert db.session.scalars(select(PaymentAttempt)).all() == []
    payment = payment_of(order)
    assert payment.status == "20" and payment.in_flight_attempt_id is None


@pytest.mark.parametrize("action", ["void", "", "REFUND", "capture "])
def test_an_unknown_action_is_refused_before_any_telegram(app, shops, action):
    order = paid_order(app, shops)
    with pytest.raises(operations.Refused):
        operations.run(order.shop_id, order.id, action)
    _nothing_happened(shops, order)


def test_the_operation_runner_refuses_an_unknown_action_on_its_own(app, shops, monkeypatch):
    """Even if the state rules let an action through, the runner sends only the telegram of
    an action it knows (it once sent a refund for anything that was not capture or cancel)."""
    order = paid_order(app, shops)
    monkeypatch.setattr(Method, "check", lambda *args, **kwargs: None)
    with pytest.raises(operations.Refused):
        operations.run(order.shop_id, order.id, "void")
    _nothing_happened(shops, order)
