"""The order page and the server for 携帯キャリア決済, carrier by carrier (seed 003 §2.2.2): from
オーソリOK every carrier offers 売上, 取消 and 売上変更; after 売上 (消込済) au and SoftBank offer 取消
and d払い nothing until 消込完了. An allowed operation sends its telegram (101, 102, 103) and is
booked; one the carrier does not allow has no button, and a forged post sends nothing."""
import pytest
from sqlalchemy import select

from cart.extensions import db
from cart.models import OrderHistory
from tests.integration.checkout_helpers import orders
from tests.integration.order_helpers import act, payment_of
from tests.integration.test_carrier_checkout import _answer, _carrier_page, _start


@pytest.fixture
def staff(client, login_as):
    return lambda: login_as("staff@example.com", "demo1234")


def _ordered(app, carrier):
    shopper = app.test_client()
    response = _start(shopper, carrier)
    shopper.get(_answer(_carrier_page(response), "approve"))
    (order,) = orders()
    assert order.status == "new" and payment_of(order).status == "20"
    return order


def _page(client, order):
    return client.get(f"/admin/orders/{order.id}").get_data(as_text=True)


def _history(order):
    return [h.text for h in db.session.scalars(select(OrderHistory).where(
        OrderHistory.order_id == order.id).order_by(OrderHistory.id))]


@pytest.mark.parametrize("carrier", ["docomo", "au", "softbank"])
def test_from_authorised_every_carrier_captures(app, client, shops, sandbox, staff, carrier):
    order = _ordered(app, carrier)
    staff()
    page = _page(client, order)
    assert ">売上確定<" in page and "キャンセル" in page
    response = act(client, order, "capture")
    assert response.status_code == 302
    assert len(sandbox.telegrams("101")) == 1
    assert payment_of(order).status == "40"
    assert any("売上処理を実行" in t for t in _history(order))


@pytest.mark.parametrize("carrier", ["docomo", "au", "softbank"])
def test_from_authorised_every_carrier_cancels(app, client, shops, sandbox, staff, carrier):
    order = _ordered(app, carrier)
    staff()
    act(client, order, "cancel-payment")
    assert len(sandbox.telegrams("102")) == 1
    db.session.expire_all()
    (order,) = orders()
    assert order.payment.status == "32" and order.status == "cancelled"


@pytest.mark.parametrize("carrier,allowed", [("au", True), ("softbank", True),
                                             ("docomo", False)])
def test_after_capture_only_au_and_softbank_cancel(app, client, shops, sandbox, staff, carrier,
                                                   allowed):
    order = _ordered(app, carrier)
    staff()
    act(client, order, "capture")
    assert payment_of(order).status == "40"
    page = _page(client, order)
    state = payment_of(order)
    forged = f"{state.paygent_payment_id}:{state.status}:{state.amount}"
    if allowed:
        assert "売上取消" in page or "キャンセル" in page
        act(client, order, "cancel-payment")
        assert len(sandbox.telegrams("102")) == 1
        assert payment_of(order).status == "60"
    else:
        assert 'action="/admin/orders/%d/cancel-payment"' % order.id not in page
        response = act(client, order, "cancel-payment", state=forged)
        assert len(sandbox.telegrams("102")) == 0  # refused before anything is sent
        assert payment_of(order).status == "40"
        shown = client.get(response.headers["Location"]).get_data(as_text=True) \
            if response.status_code == 302 else response.get_data(as_text=True)
        assert "できません" in shown


@pytest.fixture
def shops(app, sandbox):
    from tests.integration.checkout_helpers import setup_shops
    with app.app_context():
        setup_shops(app, sandbox)
        yield
