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


# -- the per-carrier table, cell by cell (seed 003 §2.2.2) ------------------------------------
# carrier → status → the operations the order page offers and the server sends
TABLE = {
    "docomo": {"20": {"capture", "cancel", "change"}, "21": {"capture", "cancel", "change"},
               "40": set(), "44": {"cancel", "change"}},
    "au": {"20": {"capture", "cancel", "change"}, "40": {"cancel"}, "44": set()},
    "softbank": {"20": {"capture", "cancel", "change"}, "21": {"capture", "cancel", "change"},
                 "40": {"cancel"}, "44": set()},
}
CELLS = [(carrier, status, action, action in allowed)
         for carrier, row in TABLE.items() for status, allowed in row.items()
         for action in ("capture", "cancel", "change")]
URLS = {"capture": "capture", "cancel": "cancel-payment", "change": "change-amount"}
TELEGRAMS = {"capture": "101", "cancel": "102", "change": "103"}
BUTTONS = {"capture": ">売上確定<", "cancel": "/cancel-payment\"", "change": "/change-amount\""}


def _to_status(app, client, sandbox, order, status):
    """Bring the carrier payment to ``status`` as PAYGENT would (the shop learns it by 094)."""
    from cart import operations
    from tests.integration.checkout_helpers import shop
    payment = payment_of(order)
    if status == "21":
        sandbox.control(f"carrier/payments/{payment.paygent_payment_id}/complete_authorization")
    if status in ("40", "44"):
        act(client, order, "capture")
        assert payment_of(order).status == "40"
    if status == "44":
        sandbox.control("clock", advance_days=1.5)
    if status in ("21", "44"):
        operations.refresh(shop().id, order.id)
    assert payment_of(order).status == status


def _lower_total(client, order):
    """編集モード: 100円 off, so that 売上変更 has a lower amount to take."""
    import re
    from ..conftest import csrf_token
    page = client.get(f"/admin/orders/{order.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page) or re.search(
        r'value="(\d+)"[^>]*name="version"', page)
    response = client.post(f"/admin/orders/{order.id}/edit", data={
        "csrf_token": csrf_token(page), "version": version.group(1), "adjust_label": "値引き",
        "adjust10": "-100", "adjust8": "0", "shipping_fee": str(order.shipping_fee)})
    assert response.status_code == 302


@pytest.mark.parametrize("carrier,status,action,allowed", CELLS,
                         ids=[f"{c}-{s}-{a}" for c, s, a, _ in CELLS])
def test_each_cell_of_the_carrier_table(app, client, shops, sandbox, staff, carrier, status,
                                        action, allowed):
    order = _ordered(app, carrier)
    staff()
    _to_status(app, client, sandbox, order, status)
    if action == "change" and payment_of(order).status in ("20", "21", "44"):
        _lower_total(client, order)
    before = len(sandbox.telegrams(TELEGRAMS[action]))
    page = _page(client, order)
    state = payment_of(order)
    forged = f"{state.paygent_payment_id}:{state.status}:{state.amount}"
    assert (BUTTONS[action] in page) == allowed, page[:2000]
    response = act(client, order, URLS[action], state=forged)
    sent = len(sandbox.telegrams(TELEGRAMS[action])) - before
    if allowed:
        assert sent == 1
        assert payment_of(order).status != status or action == "change"
        if action == "change":
            db.session.expire_all()
            (order,) = orders()
            assert payment_of(order).amount == order.total
    else:
        assert sent == 0 and payment_of(order).status == status
        shown = client.get(response.headers["Location"]).get_data(as_text=True) \
            if response.status_code == 302 else response.get_data(as_text=True)
        assert "できません" in shown


@pytest.mark.parametrize("carrier,name", [("docomo", "d払い"), ("au", "auかんたん決済"),
                                          ("softbank", "ソフトバンクまとめて支払い")])
def test_the_order_page_names_the_payments_carrier(app, client, shops, staff, carrier, name):
    order = _ordered(app, carrier)
    staff()
    assert f'<span id="payment-variant">{name}</span>' in _page(client, order)
