"""外部決済一括処理 with card and Paidy orders side by side: the 未処理一覧 lists both with their
method, one run captures each with its own telegram (341 for Paidy, 022 for the card), and a
card PAYGENT refuses keeps its failure in the list."""
import re

from sqlalchemy import select

from cart.demo import make_paid_orders
from cart.extensions import db
from cart.models import BulkRun, Order, OrderHistory

from .card_helpers import card_order
from .order_helpers import payment_of, wait_jobs
from .test_bulk import _run

CAPTURE_FAILS = "4000000000009995"


def _mixed(app, sandbox, login_as):
    cards = [card_order(app.test_client(), sandbox),
             card_order(app.test_client(), sandbox, number=CAPTURE_FAILS)]
    paidy = [db.session.scalar(select(Order).where(Order.number == n))
             for n in make_paid_orders("demo", 2)]
    login_as("staff@example.com", "demo1234")
    return cards, paidy


def test_the_list_shows_card_and_paidy_orders_with_their_method(
        app, client, card_shop, sandbox, login_as):
    cards, paidy = _mixed(app, sandbox, login_as)
    captured = card_order(app.test_client(), sandbox, capture=True)  # 同時売上: nothing to do
    page = client.get("/admin/bulk/").get_data(as_text=True)
    listed = set(re.findall(r'name="ids" value="(\d+)"', page))
    assert listed == {str(o.id) for o in cards + paidy}
    assert str(captured.id) not in listed
    assert "クレジットカード決済" in page and "あと払い(ペイディ)" in page


def test_one_run_captures_both_methods_each_with_its_telegram(
        app, client, card_shop, sandbox, login_as):
    (good, refused), paidy = _mixed(app, sandbox, login_as)
    response, _, _ = _run(client, [good, refused, *paidy])
    wait_jobs()
    run = db.session.scalar(select(BulkRun))
    assert (run.status, run.succeeded, run.failed) == ("done", 3, 1)
    assert len(sandbox.telegrams("022")) == 2 and len(sandbox.telegrams("341")) == 2
    assert payment_of(good).status == "40" and payment_of(refused).status == "20"
    assert all(payment_of(o).status == "40" for o in paidy)
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "result-ng" in done
    lines = [h.text for h in db.session.scalars(select(OrderHistory).where(
        OrderHistory.order_id == refused.id))]
    assert any("外部決済一括処理（売上確定処理） : エラーコード:" in t for t in lines)
    page = client.get("/admin/bulk/").get_data(as_text=True)
    assert set(re.findall(r'name="ids" value="(\d+)"', page)) == {str(refused.id)}
