"""受注一覧 paging by key: the pager's links carry the key of the row before the page they open,
so a deep page is an index range (no OFFSET), ties in 受注日 are ordered by id, and rows
inserted or moved away between two page loads never make a page skip or repeat a row."""
import html
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, insert, select, update
from sqlalchemy.dialects import postgresql

from cart.admin.orders.search import PAGE_SIZE, Key
from cart.demo import seed_demo
from cart.extensions import db
from cart.models import Order

from .checkout_helpers import shop

START = datetime(2026, 10, 1, 3, 0, tzinfo=timezone.utc)
LINK = re.compile(r'<a href="([^"]+)"(?: rel="(prev|next)")?>([^<]+)</a>')
ROW_NUMBER = re.compile(r"<td>(order\d{5})</td>")
HIT = re.compile(r"(\d+)-(\d+)番目表示 / (\d+)件HIT")


def _orders(shop_id, count, first_number=1, *, status="new", start=START, **values):
    """``count`` orders, seven to each second so that ties straddle every page boundary."""
    rows = []
    for i in range(count):
        n = first_number + i
        rows.append(dict(
            shop_id=shop_id, number=f"order{n:05d}", status=status, cart_type="zero",
            buyer_name=values.get("buyer_name", "山田 太郎"), buyer_kana="ヤマダ タロウ",
            zip_code="150-0001", prefecture="東京都", city="渋谷区", street="1-2-3",
            tel="0312345678", email="taro@example.com", delivery_name="宅配便",
            payment_kind="paidy", payment_name="あと払い(ペイディ)", items_total=1000,
            total=1000 + n, created_at=start + timedelta(seconds=n // 7),
            updated_at=start))
    db.session.execute(insert(Order), rows)
    db.session.commit()


def _expected(shop_id, status=("new", "pending_payment")) -> list[str]:
    """The whole list as it is now, in its order: 受注日 newest first, then id."""
    return list(db.session.scalars(
        select(Order.number).where(Order.shop_id == shop_id, Order.status.in_(status))
        .order_by(Order.created_at.desc(), Order.id.desc())))


@pytest.fixture
def listed(app, client, login_as):
    seed_demo()
    shop_id = shop().id
    _orders(shop_id, 263)  # 6 pages, the last of 13
    # 受注一覧 is two statuses, read one at a time and merged: mix them
    db.session.execute(update(Order).where(Order.shop_id == shop_id, Order.id % 3 == 0)
                       .values(status="pending_payment"))
    db.session.commit()
    _orders(shop("demo3").id, 60)  # another shop's, never listed
    login_as("staff@example.com", "demo1234")
    return shop_id


class Page:
    def __init__(self, client, url, statements=None):
        response = client.get(url)
        assert response.status_code == 200
        self.text = response.get_data(as_text=True)
        self.numbers = ROW_NUMBER.findall(self.text)
        first, last, total = map(int, HIT.search(self.text).groups())
        self.first, self.last, self.total = first, last, total
        pager = self.text.partition('<nav class="pager">')[2].partition("</nav>")[0]
        self.links, self.prev, self.next = {}, None, None
        for href, rel, label in LINK.findall(pager):
            href = html.unescape(href)
            if rel == "prev":
                self.prev = href
            elif rel == "next":
                self.next = href
            else:
                self.links[int(label)] = href
        current = re.search(r"<strong>(\d+)</strong>", pager)
        self.page = int(current.group(1)) if current else None


@pytest.fixture
def statements(app):
    """The statements run on orders, as PostgreSQL SQL (SQLite's compiler adds OFFSET 0 to
    every LIMIT, PostgreSQL's writes OFFSET only when there is one)."""
    seen = []

    def record(conn, clauseelement, multiparams, params, execution_options):
        if hasattr(clauseelement, "compile"):
            sql = str(clauseelement.compile(dialect=postgresql.dialect()))
            if "FROM orders" in sql:
                seen.append(sql)
    event.listen(db.engine, "before_execute", record)
    yield seen
    event.remove(db.engine, "before_execute", record)


def test_next_links_walk_the_whole_list_in_order_with_ties_across_pages(client, listed):
    expected = _expected(listed)
    seen, url, pages = [], "/admin/orders/", 0
    while url:
        page = Page(client, url)
        pages += 1
        assert page.page == pages
        assert (page.first, page.last, page.total) == (len(seen) + 1, len(seen) + len(
            page.numbers), 263)
        seen += page.numbers
        if page.next:
            assert "after=" in page.next and "page=" in page.next and "offset" not in page.next
        url = page.next
    assert seen == expected and pages == 6 and len(set(seen)) == 263
    # the boundaries fall inside runs of equal 受注日, so the id decides
    times = dict(db.session.execute(select(Order.number, Order.created_at).where(
        Order.shop_id == listed)).all())
    assert any(times[expected[k * PAGE_SIZE - 1]] == times[expected[k * PAGE_SIZE]]
               for k in range(1, 6))


def test_every_numbered_link_opens_that_page_of_the_list(client, listed):
    expected = _expected(listed)
    for start in ("/admin/orders/", "/admin/orders/?page=6", "/admin/orders/?page=3"):
        page = Page(client, start)
        assert page.links, start
        for number, href in page.links.items():
            target = Page(client, href)
            assert target.page == number
            assert target.numbers == expected[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
            assert target.first == (number - 1) * PAGE_SIZE + 1
            if number > 1:
                assert "after=" in href or "before=" in href


def test_previous_link_opens_the_rows_just_before(client, listed):
    expected = _expected(listed)
    page = Page(client, "/admin/orders/?page=5")
    assert page.numbers == expected[200:250]
    back = Page(client, page.prev)
    assert "before=" in page.prev and back.numbers == expected[150:200] and back.page == 4
    second = Page(client, Page(client, back.prev).prev)
    assert second.numbers == expected[50:100] and second.page == 2
    top = Page(client, second.prev)
    assert top.numbers == expected[:50] and top.prev is None and "before=" not in second.prev


def test_a_deep_page_reached_by_link_is_read_without_offset(client, listed, statements):
    expected = _expected(listed)
    link = Page(client, "/admin/orders/").links[5]
    statements.clear()
    page = Page(client, link)
    assert page.numbers == expected[200:250]
    assert len(statements) >= 2 and not any("OFFSET" in s for s in statements), statements
    statements.clear()
    Page(client, page.next)
    assert statements and not any("OFFSET" in s for s in statements)
    # what the pager falls back to for a bare page number does count through the index
    statements.clear()
    Page(client, "/admin/orders/?page=5")
    assert any("OFFSET" in s for s in statements)


def test_a_typed_page_number_still_opens_that_page(client, listed):
    expected = _expected(listed)
    for number in (2, 3, 4, 5, 6):
        page = Page(client, f"/admin/orders/?page={number}")
        assert page.numbers == expected[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
        assert page.page == number
    # past the end: the last page; a junk number: the first
    assert Page(client, "/admin/orders/?page=99").numbers == expected[250:]
    assert Page(client, "/admin/orders/?page=x").numbers == expected[:50]


def test_rows_inserted_or_moved_between_page_loads_are_neither_skipped_nor_repeated(
        client, listed):
    first = Page(client, "/admin/orders/")
    second = Page(client, first.next)
    # meanwhile: five new orders (newest, so at the top) and two orders of page 1 completed
    _orders(listed, 5, first_number=900, start=START + timedelta(days=30))
    moved = first.numbers[3:5]
    db.session.execute(update(Order).where(Order.shop_id == listed, Order.number.in_(moved))
                       .values(status="completed"))
    db.session.commit()
    third = Page(client, second.next)
    assert third.numbers[0] == _after(second.numbers[-1])
    assert not set(third.numbers) & set(first.numbers + second.numbers)
    # the numbers say where these rows are now: 5 more above, 2 fewer
    assert third.first == 100 + 5 - 2 + 1 and third.total == 263 + 5 - 2
    # walking on reaches the end with every remaining row exactly once
    seen, url = [], second.next
    while url:
        page = Page(client, url)
        seen += page.numbers
        url = page.next
    current = _expected(listed)
    assert seen == current[current.index(second.numbers[-1]) + 1:]
    # and back up from the third page: the rows right before it, then the top as it is now
    back = Page(client, third.prev)
    assert back.numbers == current[third.first - 1 - PAGE_SIZE:third.first - 1]
    assert Page(client, third.links[1]).numbers == current[:50]
    # its numbered links open the pages of 50 of the list as it is now
    assert sorted(third.links) == [1, 2, 4, 5, 6]
    for number, href in third.links.items():
        target = Page(client, href)
        assert target.numbers == current[(number - 1) * PAGE_SIZE:number * PAGE_SIZE], number
        assert target.page == number


@pytest.mark.parametrize("skip", ["999", "-1", "x", "251"])
def test_a_skip_out_of_range_is_ignored(client, listed, skip):
    expected = _expected(listed)
    link = Page(client, "/admin/orders/").next  # after the 50th row
    assert Page(client, f"{link}&skip={skip}").numbers == expected[50:100]
    assert Page(client, f"{link}&skip=100").numbers == expected[150:200]


def _after(number: str) -> str:
    current = _expected(shop().id)
    return current[current.index(number) + 1]


def test_a_cursor_row_that_left_the_list_still_continues_after_it(client, listed):
    expected = _expected(listed)
    page = Page(client, "/admin/orders/")
    db.session.execute(update(Order).where(Order.number == expected[49], Order.shop_id ==
                                           listed).values(status="cancelled"))
    db.session.commit()
    after = Page(client, page.next)
    assert after.numbers == expected[50:100] and after.first == 50


def test_links_keep_the_tab_and_the_search(client, listed):
    db.session.execute(update(Order).where(Order.shop_id == listed).values(status="completed"))
    db.session.commit()
    page = Page(client, "/admin/orders/?tab=completed&name=山田")
    assert page.total == 263
    assert "tab=completed" in page.next and "name=" in page.next
    second = Page(client, page.next)
    assert second.numbers == _expected(listed, ("completed",))[50:100]
    assert all("tab=completed" in href for href in second.links.values())


@pytest.mark.parametrize("cursor", [
    "after=junk", "after=1_", "after=_1", "after=²_1", "after=999999999999999999_1",
    "after=-999999999999999999_1", "after=1_99999999999", "before=0_0", "after=" + "9" * 60,
    "before=1790000000000000_1x", "after=1790000000000000.5_1",
])
def test_a_bad_cursor_is_ignored(client, listed, cursor):
    page = Page(client, f"/admin/orders/?page=2&{cursor}")
    assert page.numbers == _expected(listed)[50:100]


def test_cursors_at_either_end(client, listed):
    expected = _expected(listed)
    oldest = db.session.execute(select(Order.created_at, Order.id).where(
        Order.shop_id == listed).order_by(Order.created_at, Order.id)).first()
    past_the_end = Page(client, f"/admin/orders/?after={Key.of(oldest).token()}")
    assert past_the_end.numbers == expected[250:] and past_the_end.page == 6
    newest = db.session.execute(select(Order.created_at, Order.id).where(
        Order.shop_id == listed).order_by(Order.created_at.desc(), Order.id.desc())).first()
    before_the_top = Page(client, f"/admin/orders/?before={Key.of(newest).token()}")
    assert before_the_top.numbers == expected[:50] and before_the_top.prev is None


def test_key_tokens_round_trip():
    key = Key(datetime(2026, 10, 1, 3, 0, 0, 123456, tzinfo=timezone.utc), 42)
    assert Key.parse(key.token()) == key
    naive = Key.of(type("Row", (), {"created_at": datetime(2026, 10, 1, 3), "id": 7})())
    assert naive.created_at.tzinfo is timezone.utc
    assert Key.parse(None) is None and Key.parse("") is None
