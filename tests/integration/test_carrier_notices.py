"""差分通知 for 携帯キャリア決済 (payment_type 06), row by row of seed 003 §2.3 携帯キャリア, posted
signed to the shop's notice endpoint: 20/21/30 → 新規受付 (an order whose buyer never came back
from the carrier's page is accepted by the notice, with the carrier kept as the payment's
variant), 32/33/60/62 → 注文取消し with the stock given back and a 変更履歴 line, 40/41/44 →
入金済み (the order itself stays 新規受付: carrier orders start as the cart's usual 決済処理中 →
新規受付), 34/42 → 新規受付/入金済み: the order stays where it was. Once per notice, never
backwards, and a notice whose hash is forged changes nothing."""
import itertools
import json

import pytest
from sqlalchemy import select

from cart import operations
from cart.extensions import db
from cart.models import DeferredPayment, PaymentNotice
from payments.paygent.notices import notice_hash
from tests.integration.checkout_helpers import orders, setup_shops
from tests.integration.deferred_helpers import history, stock
from tests.integration.test_carrier_checkout import _answer, _carrier_page, _start
from tests.integration.test_notices import HASH_KEY, post, queued_notices

_ids = itertools.count(90_000)
CARRIERS = ["docomo", "au", "softbank"]
CANCELLED_LINE = "受注をキャンセルしました（在庫を戻しました）"


@pytest.fixture
def shops(app, sandbox):
    with app.app_context():
        setup_shops(app, sandbox)
        yield


def _notice(order, status, payment_id=None, amount=None, hash_key=HASH_KEY) -> dict:
    fields = {"payment_notice_id": str(next(_ids)), "change_date": "20261201120000",
              "payment_id": payment_id or order.payment.paygent_payment_id,
              "trading_id": order.number, "payment_type": "06", "payment_status": status,
              "payment_amount": str(order.total if amount is None else amount)}
    fields["hc"] = notice_hash(fields, hash_key)
    return fields


def _send(client, fields):
    assert post(client, fields).get_data() == b"result=0"
    db.session.expire_all()
    (order,) = orders()
    return order


def _handed_over(client, carrier):
    """「注文する」 with ``carrier``: the order is 決済処理中 and the buyer on the carrier's page.
    Returns the order, the carrier page's URL and this try's 取引ID at PAYGENT."""
    page = _carrier_page(_start(client, carrier))
    (order,) = orders()
    assert order.status == "pending_payment" and order.payment is None
    row = db.session.scalar(select(DeferredPayment).where(DeferredPayment.order_id == order.id))
    payment_id = dict(json.loads(row.lines))["取引ID"]
    assert payment_id.isdigit()
    return order, page, payment_id


def _ordered(client, carrier="au"):
    """A 新規受付 order whose carrier payment is at オーソリOK (the buyer came back)."""
    _, page, _ = _handed_over(client, carrier)
    client.get(_answer(page, "approve"))
    (order,) = orders()
    assert order.status == "new" and order.payment.status == "20"
    assert order.payment.variant == carrier
    return order


def _outcomes(order):
    return [n.outcome for n in db.session.scalars(select(PaymentNotice).where(
        PaymentNotice.order_id == order.id).order_by(PaymentNotice.id))]


# -- 20 / 21 / 30: 新規受付 --------------------------------------------------------------------
@pytest.mark.parametrize("carrier", CARRIERS)
def test_the_authorisation_notice_accepts_the_order_whose_buyer_never_came_back(
        client, shops, sandbox, carrier):
    order, page, payment_id = _handed_over(client, carrier)
    back = _answer(page, "approve")  # approved at the carrier; the browser never returns
    (authorised,) = [n for n in queued_notices(sandbox) if n["payment_status"] == "20"
                     and n["payment_id"] == payment_id]  # the sandbox's own signed notice
    assert authorised["payment_type"] == "06"
    order = _send(client, authorised)
    assert order.status == "new" and order.placed_at is not None
    payment = order.payment
    assert payment.method == "carrier" and payment.status == "20"
    assert payment.variant == carrier  # the carrier's rules apply to it from now on
    assert payment.paygent_payment_id == payment_id and payment.amount == order.total
    assert payment.authorized_at is not None
    assert payment.lib.status("20").order_label == "新規受付"
    accepted = len(history(order))
    # the buyer's browser arrives late: already done, nothing happens twice
    assert client.get(back).headers["Location"].endswith("/checkout/complete")
    order = orders()[0]
    assert order.status == "new" and order.payment.status == "20"
    assert len(history(order)) == accepted
    assert _send(client, authorised).payment.status == "20"  # PAYGENT's re-send
    assert _outcomes(order) == ["applied"]


@pytest.mark.parametrize("status", ["21", "30"])
def test_a_later_authorised_status_accepts_the_waiting_order_too(client, shops, status):
    order, _, payment_id = _handed_over(client, "softbank")
    order = _send(client, _notice(order, status, payment_id=payment_id))
    assert order.status == "new" and order.payment.status == status
    assert order.payment.variant == "softbank"
    assert order.payment.lib.status(status).order_label == "新規受付"


@pytest.mark.parametrize("status", ["21", "30"])
def test_a_later_authorised_status_keeps_an_accepted_order_new(client, shops, status):
    order = _ordered(client, "docomo")
    before = stock()
    order = _send(client, _notice(order, status))
    assert order.status == "new" and order.payment.status == status and stock() == before
    assert any(f"「{order.payment.lib.status_name(status)}」に更新" in t for t in history(order))


def test_a_notice_of_another_amount_holds_the_waiting_order(client, shops):
    order, _, payment_id = _handed_over(client, "au")
    order = _send(client, _notice(order, "20", payment_id=payment_id, amount=order.total + 1))
    assert order.status == "pending_payment" and order.needs_review


# -- 32 / 33 / 60 / 62: 注文取消し -------------------------------------------------------------
#: what comes before the closing status (60 after 売上, 62 after 消込完了: d払い)
CLOSING = {"32": ("au", []), "33": ("softbank", []), "60": ("softbank", ["40"]),
           "62": ("docomo", ["40", "44"])}


@pytest.mark.parametrize("status", sorted(CLOSING))
def test_a_closing_status_cancels_the_order_and_gives_the_stock_back(client, shops, status):
    carrier, before_it = CLOSING[status]
    order = _ordered(client, carrier)
    for earlier in before_it:
        order = _send(client, _notice(order, earlier))
        assert order.status == "new" and order.payment.status == earlier
    held = stock()
    order = _send(client, _notice(order, status))
    assert order.status == "cancelled" and order.cancelled_at is not None
    assert order.payment.status == status
    assert order.payment.lib.status(status).order_label == "注文取消し"
    assert stock() == held + 1
    lines = history(order)
    assert sum(CANCELLED_LINE in t for t in lines) == 1, lines
    name = order.payment.lib.status(status).name
    assert any(f"決済が「{name}」となったため" in t for t in lines), lines
    stamp = {"32": "cancelled_at", "60": "refunded_at", "62": "refunded_at"}.get(status)
    if stamp:
        assert getattr(order.payment, stamp) is not None
    assert order.payment.lib.allowed_actions(operations.state_of(order.payment),
                                             operations.now()) == frozenset()


# -- 40 / 41 / 44: 入金済み --------------------------------------------------------------------
@pytest.mark.parametrize("status", ["40", "41", "44"])
def test_a_captured_status_is_paid_and_the_order_stays_new(client, shops, status):
    order = _ordered(client, "docomo")
    before = stock()
    order = _send(client, _notice(order, status))
    payment = order.payment
    assert payment.status == status and payment.lib.status(status).order_label == "入金済み"
    assert order.status == "new" and stock() == before  # order_created_as is "": no move
    if status == "40":
        assert payment.captured_at is not None
    assert any(f"「{payment.lib.status_name(status)}」に更新" in t for t in history(order))
    assert CANCELLED_LINE not in "".join(history(order))


# -- 34 / 42: 新規受付/入金済み (where the order was) -------------------------------------------
def test_a_correction_in_progress_leaves_the_order_where_it_was(client, shops):
    order = _ordered(client, "au")
    before = stock()
    order = _send(client, _notice(order, "34"))
    assert order.status == "new" and order.payment.status == "34" and stock() == before
    assert order.payment.lib.status("34").order_label == "新規受付/入金済み"
    order = _send(client, _notice(order, "40"))  # the 補正売上 done
    assert order.status == "new" and order.payment.status == "40"


def test_a_sales_cancel_in_progress_leaves_the_order_where_it_was(client, shops):
    order = _ordered(client, "softbank")
    order = _send(client, _notice(order, "40"))
    before = stock()
    order = _send(client, _notice(order, "42"))
    assert order.status == "new" and order.payment.status == "42" and stock() == before
    assert order.payment.lib.status("42").order_label == "新規受付/入金済み"
    assert CANCELLED_LINE not in "".join(history(order))
    order = _send(client, _notice(order, "60"))  # the 売上取消 done
    assert order.status == "cancelled" and stock() == before + 1


# -- once, forward only, signed ------------------------------------------------------------
def test_a_carrier_notice_is_applied_once_and_never_backwards(client, shops):
    order = _ordered(client, "au")
    captured = _notice(order, "40")
    _send(client, captured)
    order = _send(client, captured)  # PAYGENT's re-send
    assert order.payment.status == "40"
    assert sum("「売上済」に更新" in t or "「消込済」に更新" in t for t in history(order)) == 1
    order = _send(client, _notice(order, "20"))  # an older state arriving late
    assert order.payment.status == "40" and order.status == "new"
    assert _outcomes(order) == ["applied", "ignored"]


def test_a_late_authorisation_never_revives_a_cancelled_order(client, shops):
    order = _ordered(client, "docomo")
    order = _send(client, _notice(order, "32"))
    held = stock()
    order = _send(client, _notice(order, "20"))
    order = _send(client, _notice(order, "40"))
    assert order.status == "cancelled" and order.payment.status == "32" and stock() == held


def test_a_forged_carrier_notice_changes_nothing(client, shops):
    waiting, _, payment_id = _handed_over(client, "au")
    forged = _notice(waiting, "20", payment_id=payment_id, hash_key="not-the-shop-key")
    post(client, forged)
    (order,) = orders()
    assert order.status == "pending_payment" and order.payment is None


def test_a_forged_cancel_leaves_the_accepted_order(client, shops):
    order = _ordered(client, "softbank")
    before = stock()
    fields = _notice(order, "32")
    fields["hc"] = "0" * 64
    post(client, fields)
    (order,) = orders()
    assert order.status == "new" and order.payment.status == "20" and stock() == before


def test_the_sandbox_notices_are_signed_for_the_shop(sandbox, shops, client):
    """The sandbox's own 06 notices carry a correct hc (the endpoint accepts them)."""
    _handed_over(client, "docomo")
    (applied,) = queued_notices(sandbox)
    assert applied["payment_type"] == "06" and applied["payment_status"] == "10"
    assert post(client, applied).get_data() == b"result=0"
    (order,) = orders()
    assert order.status == "pending_payment"  # 申込済: nothing to do
