"""ダッシュボードの売上集計 and open work counts: the figures per JST day and method, the SVG
charts and their table, the counts with their links, on a moved clock."""
import re
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from cart.admin import sales
from cart.extensions import db
from cart.models import Order, Payment, PaymentAttempt, PaymentNotice

UTC = timezone.utc
#: the dashboard's "now": 2026-11-30 12:00 JST; its 30 days are 11/1 … 11/30 JST
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def utc(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _order(shop_id, number, status="new", method="paidy", total=1000, **values):
    order = Order(shop_id=shop_id, number=number, status=status, cart_type="zero",
                  buyer_name="山田 太郎", buyer_kana="ヤマダ タロウ", zip_code="150-0001",
                  prefecture="東京都", city="渋谷区", street="1-2-3", tel="0312345678",
                  email="taro@example.com", delivery_name="宅配便", payment_kind=method,
                  payment_name=method, items_total=total, total=total, **values)
    db.session.add(order)
    db.session.flush()
    return order


def _payment(shop_id, number, method, amount, status="40", order_status="new", **times):
    order = _order(shop_id, number, order_status, method, amount)
    payment = Payment(shop_id=shop_id, order_id=order.id, method=method, status=status,
                      paygent_payment_id=str(uuid.uuid4().int)[:9], amount=amount, **times)
    db.session.add(payment)
    db.session.flush()
    return payment


def _attempt(payment, action, finished_at, amount=None, outcome="succeeded"):
    db.session.add(PaymentAttempt(
        shop_id=payment.shop_id, key=uuid.uuid4().hex, payment_id=payment.id,
        order_id=payment.order_id, action=action, amount=amount, outcome=outcome,
        paygent_payment_id=payment.paygent_payment_id, created_at=finished_at,
        finished_at=finished_at))


@pytest.fixture
def book(app, make_shop, monkeypatch):
    """Payments of shop-a on known JST days, and another shop's that must not count."""
    monkeypatch.setattr(sales, "now", lambda: NOW)
    shop = make_shop("shop-a")
    other = make_shop("shop-b", "他店")
    s = shop.id
    # 11/10 23:30 JST authorised, 11/11 00:30 JST captured; 3,000 refunded on 11/20
    p = _payment(s, "A1", "paidy", 7000, authorized_at=utc(11, 10, 14, 30),
                 captured_at=utc(11, 10, 15, 30), refunded=3000, refunded_at=utc(11, 20, 1))
    _attempt(p, "capture", utc(11, 10, 15, 30))
    _attempt(p, "refund", utc(11, 20, 1), amount=3000)
    _attempt(p, "refund", utc(11, 21, 1), amount=1000, outcome="failed")  # nothing moved
    # 20,000: 2,000 refunded on 11/7, the remaining 18,000 (全額) on 11/8
    p = _payment(s, "A2", "paidy", 18000, status="60", authorized_at=utc(11, 5, 0),
                 captured_at=utc(11, 6, 1), refunded=20000, refunded_at=utc(11, 8, 3))
    _attempt(p, "refund", utc(11, 7, 3), amount=2000)
    _attempt(p, "refund", utc(11, 8, 3))
    # a card today: authorised 01:00 JST, captured 11:00 JST, 売上取消 11:30 JST
    p = _payment(s, "A3", "card", 5500, status="60", authorized_at=utc(11, 29, 16),
                 captured_at=utc(11, 30, 2), cancelled_at=utc(11, 30, 2, 30),
                 refunded_at=utc(11, 30, 2, 30))
    _attempt(p, "cancel", utc(11, 30, 2, 30))
    # a card authorised on 11/25 and cancelled (オーソリ取消) before any capture: no refund
    p = _payment(s, "A4", "card", 4000, status="32", authorized_at=utc(11, 25, 3),
                 cancelled_at=utc(11, 26, 3))
    _attempt(p, "cancel", utc(11, 26, 3))
    # コンビニ決済: applied on 11/12 (no authorisation), paid (入金) on 11/14
    _payment(s, "A5", "conveni", 3300, order_status="paid", authorized_at=utc(11, 12, 5),
             captured_at=utc(11, 14, 6))
    # a carrier payment refunded on PAYGENT's side (its notice alone) on 11/16
    _payment(s, "A6", "carrier", 1500, status="60", authorized_at=utc(11, 15, 1),
             captured_at=utc(11, 15, 2), refunded_at=utc(11, 16, 3))
    # the range's edges: 10/31 23:59 JST is out, 11/1 00:00 JST is in
    _payment(s, "A7", "paidy", 1111, status="32", authorized_at=utc(10, 31, 14, 59))
    _payment(s, "A8", "paidy", 2222, status="32", authorized_at=utc(10, 31, 15, 0))
    # open work: one order waiting for 売上確定, two 入金待ち, one 要確認, one unmatched notice
    _payment(s, "A9", "paidy", 990, status="20", authorized_at=NOW - timedelta(days=1))
    _order(s, "A10", status="awaiting_payment", method="conveni")
    _order(s, "A11", status="awaiting_payment", method="atm")
    _order(s, "A12", status="completed", needs_review=True)
    db.session.add(PaymentNotice(shop_id=s, payment_notice_id="1", fields="", outcome="unmatched"))
    # another shop, same days: counts nowhere
    o = other.id
    p = _payment(o, "B1", "paidy", 99999, authorized_at=utc(11, 10, 14, 30),
                 captured_at=utc(11, 10, 15, 30), refunded_at=utc(11, 20, 1))
    _attempt(p, "refund", utc(11, 20, 1), amount=500)
    _payment(o, "B2", "paidy", 777, status="20", authorized_at=NOW - timedelta(days=1))
    _order(o, "B3", status="awaiting_payment", method="conveni")
    db.session.add(PaymentNotice(shop_id=o, payment_notice_id="1", fields="", outcome="unmatched"))
    db.session.commit()
    return shop


def _cells(figures, kind):
    return {(d.isoformat(), m): v for (d, m, k), v in figures.cells.items() if k == kind}


def test_the_figures_per_jst_day_and_method(book):
    figures = sales.sales(book.id)
    assert figures.days[0] == date(2026, 11, 1) and figures.today == date(2026, 11, 30)
    assert len(figures.days) == 30
    assert _cells(figures, "authorized") == {
        ("2026-11-10", "paidy"): 10000,     # 23:30 JST stays on the 10th
        ("2026-11-05", "paidy"): 20000,     # before its refunds
        ("2026-11-30", "card"): 5500,
        ("2026-11-25", "card"): 4000,
        ("2026-11-01", "paidy"): 2222,      # 00:00 JST is the 1st; 23:59 the day before is out
        ("2026-11-29", "paidy"): 990,
        ("2026-11-15", "carrier"): 1500,
    }                                       # コンビニ's application is no authorisation
    assert _cells(figures, "captured") == {
        ("2026-11-11", "paidy"): 10000,     # 00:30 JST is the next day
        ("2026-11-06", "paidy"): 20000,
        ("2026-11-30", "card"): 5500,
        ("2026-11-14", "conveni"): 3300,    # 入金 on its paid day
        ("2026-11-15", "carrier"): 1500,
    }
    assert _cells(figures, "refunded") == {
        ("2026-11-20", "paidy"): 3000,      # the partial refund; the failed one moved nothing
        ("2026-11-07", "paidy"): 2000,
        ("2026-11-08", "paidy"): 18000,     # the rest, refunded in full
        ("2026-11-30", "card"): 5500,       # 売上取消 after capture (the オーソリ取消 is none)
        ("2026-11-16", "carrier"): 1500,    # refunded on PAYGENT's side
    }
    assert figures.total("authorized") == 44212
    assert figures.total("captured") == 40300
    assert figures.total("refunded") == 30000
    assert [figures.today_total(k) for k in sales.KINDS] == [5500, 5500, 5500]
    assert figures.method_codes == ["paidy", "card", "carrier", "conveni"]


def test_a_day_boundary_moves_with_the_clock(book):
    """At 23:59 JST on 11/30 the range is the same; one minute later 11/1 has left it."""
    late = sales.sales(book.id, at=utc(11, 30, 14, 59))
    assert late.days[0] == date(2026, 11, 1) and late.total("authorized") == 44212
    next_day = sales.sales(book.id, at=utc(11, 30, 15, 0))
    assert next_day.days[0] == date(2026, 11, 2) and next_day.today == date(2026, 12, 1)
    assert next_day.total("authorized") == 44212 - 2222
    assert next_day.today_total("captured") == 0


def test_axis_labels_read_as_yen():
    assert [sales.short_yen(v) for v in (0, 5000, 10000, 25000, 100000, 1_500_000,
                                         100_000_000)] == \
        ["0", "5,000", "1万", "2.5万", "10万", "150万", "1億"]
    assert sales.nice_ticks(20000) == [0, 5000, 10000, 15000, 20000]
    assert sales.nice_ticks(23000) == [0, 5000, 10000, 15000, 20000, 25000]
    assert sales.nice_ticks(26000) == [0, 10000, 20000, 30000]
    assert sales.nice_ticks(0)[-1] > 0


def _dashboard(client, login_as=None):
    if login_as is not None:
        login_as("staff@shop-a.test")
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = client.get("/admin/")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert response.status_code == 200
    return response.get_data(as_text=True), statements


def test_the_dashboard_draws_the_charts_and_their_table(book, client, login_as):
    page, _ = _dashboard(client, login_as)
    section = page[page.index('id="sales"'):]
    captured = section[section.index('class="chart-captured"'):section.index("</svg>")]
    assert 'viewBox="0 0 640 260"' in captured and 'width="100%"' in captured
    # one bar segment per day and method with 売上: 11/6, 11/11, 11/14, 11/15, 11/30
    bars = re.findall(r'<rect class="bar"[^>]*><title>([^<]*)</title>', captured)
    assert sorted(bars) == sorted([
        "2026年11月6日 あと払い(ペイディ) 20,000円", "2026年11月11日 あと払い(ペイディ) 10,000円",
        "2026年11月14日 コンビニ決済 3,300円", "2026年11月15日 携帯キャリア決済 1,500円",
        "2026年11月30日 クレジットカード決済 5,500円"])
    # dates every 5 days ending today, yen on the axis up to 2万
    assert re.findall(r'class="date-label"[^>]*>([^<]*)<', captured) == [
        "11/5", "11/10", "11/15", "11/20", "11/25", "11/30"]
    assert ">2万</text>" in captured and ">1万</text>" in captured
    legend = section[section.index('aria-label="支払方法"'):]
    legend = legend[:legend.index("</ul>")]
    assert re.findall(r"</span>([^<]+)</li>", legend) == [
        "あと払い(ペイディ)", "クレジットカード決済", "携帯キャリア決済", "コンビニ決済"]
    flow = section[section.index('class="chart-flow"'):]
    flow = flow[:flow.index("</svg>")]
    assert flow.count("<polyline") == 3
    assert "2026年11月8日 返金 18,000円" in flow and "2026年11月5日 オーソリ 20,000円" in flow
    # totals: today and the 30 days
    assert re.search(r"<th scope=\"row\">返金</th><td>5,500円</td><td>30,000円</td>", section)
    assert re.search(r"<th scope=\"row\">オーソリ</th><td>5,500円</td><td>44,212円</td>", section)
    # the table fallback: a row per day, newest first
    table = section[section.index("<details>"):section.index("</details>")]
    assert table.count("<tr><td>") == 30
    assert "<tr><td>11月30日</td><td>5,500円</td><td>5,500円</td><td>5,500円</td>" in table
    assert "99,999" not in page and "777円" not in page


def test_the_open_work_counts_link_to_their_lists(book, client, login_as):
    page, statements = _dashboard(client, login_as)
    work = page[page.index('id="open-work"'):]
    work = work[:work.index("</section>")]
    counts = {label: (href.replace("&amp;", "&"), int(n)) for label, href, n in re.findall(
        r'<span class="work-label">([^<]+)</span>\s*<span class="work-count">'
        r'<a href="([^"]+)"[^>]*>(\d+)件</a>', work)}
    assert counts == {
        "未処理": ("/admin/bulk/", 1),
        "要確認": ("#review-orders", 1),
        "照合できない差分通知": ("/admin/notices/?tab=unmatched", 1),
        "入金待ち": ("/admin/orders/?status=awaiting_payment", 2),
    }
    assert 'id="review-orders"' in page  # the banner the 要確認 count points at
    # the page behind each link shows those orders
    assert "A9" in client.get("/admin/bulk/").get_data(as_text=True)
    waiting = client.get("/admin/orders/?status=awaiting_payment").get_data(as_text=True)
    assert "A10" in waiting and "A11" in waiting and "B3" not in waiting


def test_the_dashboard_reads_a_bounded_number_of_statements(book, client, login_as):
    _dashboard(client, login_as)  # the shop's configuration is kept after the first page
    _, before = _dashboard(client)
    # more payments and orders read no more statements (no query per row, method or day)
    shop_id = book.id
    for n in range(40):
        p = _payment(shop_id, f"C{n}", ("paidy", "card", "carrier")[n % 3], 1000 + n,
                     authorized_at=utc(11, 1 + n % 28, 5), captured_at=utc(11, 1 + n % 28, 6))
        _attempt(p, "refund", utc(11, 2 + n % 28, 6), amount=10)
        _order(shop_id, f"D{n}", status="awaiting_payment", method="conveni")
    db.session.commit()
    _, after = _dashboard(client)
    assert len(after) == len(before), after
    assert len([s for s in after if "GROUP BY" in s]) == 4  # オーソリ, 売上, 返金 ×2
    figures = sales.sales(shop_id)
    assert figures.total("refunded") == 30000 + 400


def test_an_empty_shop_shows_no_chart_but_its_zero_totals(app, make_shop, client, login_as,
                                                          monkeypatch):
    monkeypatch.setattr(sales, "now", lambda: NOW)
    make_shop("shop-a")
    page, _ = _dashboard(client, login_as)
    assert "この期間のオーソリ・売上・返金はありません。" in page
    assert "<svg" not in page[page.index('id="sales"'):]
    assert re.search(r"<th scope=\"row\">売上（入金）</th><td>0円</td><td>0円</td>", page)
