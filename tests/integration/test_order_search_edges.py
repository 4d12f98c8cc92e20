"""受注一覧's rough edges: a page number past the end (or not a page number at all), search
input typed full-width, and a 取引ID the payment had before a partial refund."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from cart.admin.orders.search import TABS, Key
from cart.extensions import db
from cart.models import Order, Payment

from .checkout_helpers import setup_shops, shop
from .order_helpers import act, paid_order, payment_of
from .test_order_list import make_order

HIT = re.compile(r"(\d+)-(\d+)番目表示 / (\d+)件HIT")
ROW_NUMBER = re.compile(r"<td>(order\d{5})</td>")


@pytest.fixture
def listed(app, sandbox, client, login_as):
    """受注一覧 of 123 orders (3 pages, the last of 23), one with a payment."""
    setup_shops(app, sandbox)
    shop_id = shop().id
    start = datetime(2026, 10, 1, 3, 0, tzinfo=timezone.utc)
    for n in range(1, 124):
        make_order(shop_id, n, created_at=start + timedelta(minutes=n))
    twelve = db.session.scalar(db.select(Order.id).where(Order.number == "order00012"))
    db.session.add(Payment(shop_id=shop_id, order_id=twelve, method="paidy",
                           reference="pay_abc", paygent_payment_id="300000777", status="20",
                           amount=1000))
    db.session.commit()
    login_as("staff@example.com", "demo1234")


def _get(client, **args):
    response = client.get("/admin/orders/", query_string=args)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    return text, tuple(map(int, HIT.search(text).groups())), ROW_NUMBER.findall(text)


@pytest.mark.parametrize("page", ["4", "999", "100000", "99999999999999999999"])
def test_a_page_past_the_end_shows_the_last_page_with_its_true_position(client, listed, page):
    text, hit, numbers = _get(client, page=page)
    assert hit == (101, 123, 123)
    assert numbers == [f"order{n:05d}" for n in range(23, 0, -1)]
    assert "<strong>3</strong>" in text


@pytest.mark.parametrize("page", ["0", "-1", "-999", "abc", "", "1.5"])
def test_a_page_that_is_not_a_page_number_shows_the_first_page(client, listed, page):
    _, hit, numbers = _get(client, page=page)
    assert hit == (1, 50, 123) and numbers[0] == "order00123" and len(numbers) == 50


def test_a_page_number_past_the_end_beside_a_key_never_gives_a_position_past_the_end(
        client, listed):
    oldest = db.session.scalar(db.select(Order).where(Order.number == "order00001"))
    newest = db.session.scalar(db.select(Order).where(Order.number == "order00123"))
    for args in ({"after": Key.of(oldest).token()}, {"after": Key.of(newest).token()},
                 {"before": Key.of(newest).token()}, {"before": Key.of(oldest).token()},
                 {"after": Key.of(newest).token(), "skip": "250"}):
        _, (first, last, total), numbers = _get(client, page="999", **args)
        assert total == 123 and 1 <= first <= last <= 123 and last - first + 1 == len(numbers)


def test_a_page_past_the_end_of_a_search_shows_its_last_page(client, listed):
    _, hit, numbers = _get(client, page="999", trade_id="300000777")
    assert hit == (1, 1, 1) and numbers == ["order00012"]
    _, hit, numbers = _get(client, page="999", number="nothing")
    assert hit == (0, 0, 0) and numbers == []


@pytest.mark.parametrize("args", [
    {"number": "ｏｒｄｅｒ０００１２"}, {"number": "  order00012　"},
    {"number": "\u3000ｏｒｄｅｒ０００１２ "}, {"trade_id": "３０００００７７７"},
    {"trade_id": " ３０００００７７７　"}, {"trade_id": "ｐａｙ＿ａｂｃ"},
])
def test_full_width_input_finds_the_order(client, listed, args):
    _, hit, numbers = _get(client, **args)
    assert hit == (1, 1, 1) and numbers == ["order00012"]


@pytest.fixture
def refunded(app, sandbox, client, login_as):
    """A Paidy order captured and then refunded in part: its payment has a new 取引ID."""
    setup_shops(app, sandbox)
    order = paid_order(app, sandbox)
    login_as("staff@example.com", "demo1234")
    act(client, order, "capture")
    old_id = payment_of(order).paygent_payment_id
    act(client, order, "refund", mode="partial", amount="500")
    payment = payment_of(order)
    assert payment.paygent_payment_id != old_id and payment.refunded == 500
    return order, old_id, payment.paygent_payment_id


def test_the_original_trade_id_finds_the_order_after_a_partial_refund(client, refunded, sandbox):
    order, old_id, new_id = refunded
    assert sandbox.control(f"payments/{old_id}", method="get")["status"] == "60"
    db.session.refresh(order)
    tab = next(tab for tab, (_, statuses) in TABS.items() if order.status in statuses)
    full_width = old_id.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for typed in (old_id, new_id, f" {full_width}　"):
        text, hit, _ = _get(client, tab=tab, trade_id=typed)
        assert hit == (1, 1, 1) and order.number in text
    _, hit, _ = _get(client, tab=tab, trade_id=old_id + "0")  # equality, not a prefix
    assert hit[2] == 0
