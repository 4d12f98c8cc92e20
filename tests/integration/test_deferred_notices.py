"""差分通知 for コンビニ, ATM and 銀行ネット payments, row by row of seed 003 §2.3 (and seed 001):
10 申込済 → no change (入金待ち); 43 速報検知済 and 40 消込済 → 入金済み; 12 支払期限切 and 61 速報取消済
→ 注文取消し with the stock given back and a 変更履歴 line; 15 申込中断 → still 入金待ち, shown as
申込中断. Once per notice, never backwards, and no staff operation on any of them."""
import pytest

from cart import operations
from cart.extensions import db
from tests.integration.checkout_helpers import orders, setup_shops
from tests.integration.deferred_helpers import history, notice, order_with, stock
from tests.integration.test_notices import HASH_KEY, post

TABLES = {
    "conveni": {"10": "awaiting_payment", "43": "paid", "40": "paid", "12": "cancelled",
                "61": "cancelled"},
    "atm": {"10": "awaiting_payment", "40": "paid", "12": "cancelled"},
    "bank": {"10": "awaiting_payment", "15": "awaiting_payment", "40": "paid",
             "12": "cancelled"},
}
ROWS = [(kind, status, target) for kind, table in TABLES.items()
        for status, target in table.items()]


@pytest.fixture
def shops(app, sandbox):
    with app.app_context():
        setup_shops(app, sandbox)
        yield


def _ordered(client, kind):
    order_with(client, kind)
    (order,) = orders()
    assert order.status == "awaiting_payment" and order.payment.status == "10"
    return order


def _send(client, order, status, kind):
    assert post(client, notice(order, status, kind, HASH_KEY)).get_data() == b"result=0"
    db.session.expire_all()
    (order,) = orders()
    return order


@pytest.mark.parametrize("kind,status,target", ROWS)
def test_each_status_of_the_seed_table(client, shops, kind, status, target):
    order = _ordered(client, kind)
    before = stock()
    if status == "61":  # 速報取消 follows a 速報検知
        order = _send(client, order, "43", kind)
        assert order.status == "paid"
    order = _send(client, order, status, kind)
    assert order.status == target
    assert order.payment.lib.allowed_actions(operations.state_of(order.payment),
                                             operations.now()) == frozenset()  # nothing to click
    if target == "cancelled":
        assert stock() == before + 1
        assert any("受注をキャンセルしました（在庫を戻しました）" in t for t in history(order))
        assert order.payment.cancelled_at is not None
    elif target == "paid":
        assert order.payment.captured_at is not None and stock() == before
        assert any("ご入金を確認しました" in t for t in history(order))
    if status == "15":
        assert order.payment.status == "15" and order.payment.status_name == "申込中断"


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_a_late_expiry_never_cancels_a_paid_order(client, shops, kind):
    order = _ordered(client, kind)
    order = _send(client, order, "40", kind)
    before = stock()
    order = _send(client, order, "12", kind)
    assert order.status == "paid" and order.payment.status == "40" and stock() == before


def test_a_late_payment_never_revives_an_expired_order(client, shops):
    order = _ordered(client, "atm")
    order = _send(client, order, "12", "atm")
    order = _send(client, order, "40", "atm")
    assert order.status == "cancelled" and order.payment.status == "12"


def test_a_payment_on_an_order_staff_cancelled_asks_staff_to_look(client, shops):
    order = _ordered(client, "conveni")
    from cart.admin.orders import services
    services.cancel(order, None, str(order.version))
    order = _send(client, order, "40", "conveni")
    assert order.status == "cancelled" and order.payment.status == "40"
    assert order.needs_review
    assert any("キャンセル済みの注文にコンビニ決済の入金がありました" in t for t in history(order))


def test_a_notice_delivered_twice_is_applied_once(client, shops):
    order = _ordered(client, "conveni")
    fields = notice(order, "40", "conveni", HASH_KEY)
    assert post(client, fields).get_data() == b"result=0"
    assert post(client, fields).get_data() == b"result=0"
    (order,) = orders()
    assert sum("ご入金を確認しました" in t for t in history(order)) == 1
