"""Deadlines on the admin pages and the expiry watch (docs/deadlines.md): 受注明細's
オーソリ有効期限 / 返金期限 / 支払期限 with the days left and the wording once passed, 受注一覧's
and 未処理一覧's notes, the dashboard's オーソリ期限切れ間近 panel with its filtered 未処理一覧,
and the daily mail to the owners (once a day per shop, off by the shop's setting, none when
nothing lapses, another shop's orders never in it)."""
import re
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cart import expiry_watch, jobs, operations
from cart.extensions import db
from cart.models import DeferredPayment, Order, OutboxMail, Payment, ShopSettings
from cart.models.store_settings import ExpiryNotice

from ..conftest import csrf_token
from .checkout_helpers import setup_shops, shop

JST = timezone(timedelta(hours=9))
WEEKDAYS = "月火水木金土日"
DAY = timedelta(days=1)
PAIDY = dict(payment_kind="paidy", payment_name="あと払い(ペイディ)")
CARD = dict(payment_kind="card", payment_name="クレジットカード決済")


def _day(moment, weekday=True) -> str:
    local = moment.astimezone(JST)
    text = f"{local.year}年{local.month}月{local.day}日"
    return text + f"({WEEKDAYS[local.weekday()]})" if weekday else text


def _order(shop_id, number, total, status="20", method=PAIDY, authorized=None, captured=None,
           order_status="new", capture_mode="auth"):
    order = Order(shop_id=shop_id, number=number, status=order_status, cart_type="zero",
                  buyer_name="山田 太郎", buyer_kana="ヤマダ タロウ", zip_code="150-0001",
                  prefecture="東京都", city="渋谷区", street="1-2-3", tel="0312345678",
                  email="taro@example.com", delivery_name="宅配便", items_total=total,
                  total=total, capture_mode=capture_mode, **method)
    db.session.add(order)
    db.session.flush()
    db.session.add(Payment(shop_id=shop_id, order_id=order.id, method=method["payment_kind"],
                           reference=f"pay_{number}" if method is PAIDY else None,
                           paygent_payment_id=f"9{order.id:08d}", status=status, amount=total,
                           authorized_at=authorized, captured_at=captured))
    db.session.flush()
    return order


@pytest.fixture
def orders(app, sandbox, client, login_as):
    """At the real time (the 未処理一覧 reads it): demo has two authorisations lapsing within 7
    days (残り3日, 残り5日), one far from it, one expired, one 同時売上 and one refund window
    closed; demo3 has one lapsing too."""
    setup_shops(app, sandbox)
    now = operations.now()
    a, b = shop().id, shop("demo3").id
    made = {
        "soon": _order(a, "exp00001", 3000, authorized=now - 87 * DAY),
        "card": _order(a, "exp00002", 4500, method=CARD, authorized=now - 55 * DAY),
        "far": _order(a, "exp00003", 2000, authorized=now - 30 * DAY),
        "expired": _order(a, "exp00004", 1500, authorized=now - 92 * DAY),
        "auto": _order(a, "exp00005", 1800, method=CARD, authorized=now - 58 * DAY,
                       capture_mode="auth_capture"),
        "refund_closed": _order(a, "exp00006", 2500, status="40", authorized=now - 120 * DAY,
                                captured=now - 95 * DAY, order_status="paid"),
        "refundable": _order(a, "exp00007", 2600, status="40", authorized=now - 20 * DAY,
                             captured=now - 10 * DAY, order_status="paid"),
        "other": _order(b, "oth00001", 7777, authorized=now - 88 * DAY),
    }
    db.session.commit()
    login_as("owner@example.com", "demo1234")
    made["now"] = now
    return made


def _page(client, order) -> str:
    response = client.get(f"/admin/orders/{order.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _row(page: str, number: str) -> str:
    found = [row for row in re.findall(r"<tr>.*?</tr>", page, re.S) if number in row]
    assert len(found) == 1, number
    return found[0]


# -- 受注明細 -----------------------------------------------------------------------------------
def test_the_order_page_shows_until_when_the_authorisation_holds(client, orders):
    page = _page(client, orders["soon"])
    until = orders["now"] - 87 * DAY + 90 * DAY
    assert f"オーソリ有効期限 {_day(until)} " in page and " まで（残り3日）" in page
    assert "売上確定・キャンセルの期限（オーソリから90日）" in page
    assert 'class="deadline badge badge-warn"' in page      # within 7 days: the warning colour
    assert "キャプチャー(売上確定)を実施してください" in page and "売上確定</button>" in page
    page = _page(client, orders["far"])
    assert "まで（残り60日）" in page and 'class="deadline"' in page


def test_an_expired_authorisation_says_so_instead_of_asking_for_a_capture(client, orders):
    page = _page(client, orders["expired"])
    until = orders["now"] - 92 * DAY + 90 * DAY
    expected = (f"オーソリの有効期限（{_day(until, weekday=False)}）を過ぎたため、売上確定はできません。"
                "ペイジェント管理画面で状態をご確認のうえ、必要であればキャンセルしてください。")
    assert page.count(expected) == 2        # in the payment box and as 売上確定日時
    assert "キャプチャー(売上確定)を実施してください" not in page
    assert "売上確定</button>" not in page and "（期限切れ）" in page


def test_a_closed_refund_window_replaces_the_refund_form(client, orders):
    page = _page(client, orders["refund_closed"])
    until = orders["now"] - 95 * DAY + 90 * DAY
    assert (f"返金期限（{_day(until, weekday=False)}）を過ぎたため、この画面から返金できません。"
            in page)
    assert "返金確定" not in page
    page = _page(client, orders["refundable"])
    assert f"返金期限 {_day(orders['now'] + 80 * DAY)} " in page and "（残り80日）" in page
    assert "返金確定" in page and "この画面から返金できません" not in page


def test_a_deferred_orders_due_date_on_its_page_and_in_the_list(client, orders):
    now = orders["now"]
    order = _order(shop().id, "cvs00001", 1200, status="10",
                   method=dict(payment_kind="conveni", payment_name="コンビニ決済"),
                   order_status="awaiting_payment")
    due = (now + 2 * DAY).astimezone(JST).replace(hour=23, minute=59, second=59)
    db.session.add(DeferredPayment(shop_id=order.shop_id, order_id=order.id, method="conveni",
                                   key="expiry-watch-cvs", stage="applied",
                                   deadline=due.astimezone(timezone.utc),
                                   lines='[["お客様番号", "12345"]]'))
    db.session.commit()
    page = _page(client, order)
    assert f"支払期限 {_day(due)} 23:59 まで（残り2日）" in page
    listing = client.get("/admin/orders/").get_data(as_text=True)
    assert "支払期限 残り2日" in _row(listing, "cvs00001")


# -- 受注一覧 and 未処理一覧 ----------------------------------------------------------------------
def test_the_order_list_notes_each_rows_nearest_deadline(client, orders):
    page = client.get("/admin/orders/").get_data(as_text=True)
    soon = _row(page, "exp00001")
    assert "オーソリ期限 残り3日" in soon and "badge-warn" in soon
    far = _row(page, "exp00003")
    assert "オーソリ期限 残り60日" in far and "badge-warn" not in far
    assert "オーソリ期限 期限切れ" in _row(page, "exp00004")
    assert "返金期限 残り80日" in _row(page, "exp00007")
    assert "oth00001" not in page


def test_the_unprocessed_list_filtered_to_lapsing_authorisations(client, orders):
    page = client.get("/admin/bulk/?action=capture&expiring=7").get_data(as_text=True)
    assert "オーソリの有効期限が7日以内に切れる受注のみ表示しています。" in page
    assert "exp00001" in page and "exp00002" in page
    assert "オーソリ期限 残り3日" in _row(page, "exp00001")
    assert "オーソリ期限 残り5日" in _row(page, "exp00002")
    for number in ("exp00003", "exp00004", "exp00005", "oth00001"):
        assert number not in page
    page = client.get("/admin/bulk/?action=capture").get_data(as_text=True)
    assert "exp00003" in page and "オーソリ期限 残り60日" in _row(page, "exp00003")
    assert "のみ表示しています" not in page
    for junk in ("abc", "-1", "99999999999", "７"):    # not a number of days: the whole list
        response = client.get(f"/admin/bulk/?action=capture&expiring={junk}")
        assert response.status_code == 200 and "exp00003" in response.get_data(as_text=True)


# -- ダッシュボード --------------------------------------------------------------------------------
def test_the_dashboard_panel_lists_what_lapses_within_7_days(client, orders):
    page = client.get("/admin/").get_data(as_text=True)
    panel = page[page.index('id="expiring"'):]
    panel = panel[:panel.index("</section>")]
    assert 'id="expiring-count">2件<' in panel and 'id="expiring-total">7,500円<' in panel
    assert panel.index("exp00001") < panel.index("exp00002")     # the nearest first
    assert "3,000円" in panel and "オーソリ期限 残り3日" in panel
    for number in ("exp00003", "exp00004", "exp00005", "oth00001"):
        assert number not in panel
    assert 'href="/admin/bulk/?action=capture&amp;expiring=7"' in panel


def test_no_panel_when_nothing_lapses(client, app, sandbox, login_as):
    setup_shops(app, sandbox)
    _order(shop().id, "exp00009", 2000, authorized=operations.now() - 10 * DAY)
    db.session.commit()
    login_as("owner@example.com", "demo1234")
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="expiring"' not in page and "オーソリ期限切れ間近" not in page


# -- the mail ---------------------------------------------------------------------------------
def _mails(shop_code="demo") -> list[OutboxMail]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMail).where(
        OutboxMail.shop_id == shop(shop_code).id,
        OutboxMail.subject.contains("オーソリ期限切れ間近")).order_by(OutboxMail.id)).all()


def _at(monkeypatch, moment):
    monkeypatch.setattr(operations, "now", lambda: moment)


def test_the_mail_lists_its_shops_lapsing_orders_once_a_day(app, orders, monkeypatch):
    assert "expiry_mails" in [name for name, _ in jobs.ROUND]
    clock = orders["now"] + timedelta(hours=1)
    _at(monkeypatch, clock)
    assert expiry_watch.send_expiry_mails() == {"sent": 2}       # demo and demo3
    (mail,) = _mails()
    assert mail.to_addr == "owner@example.com"
    assert mail.subject == "【サンプル商会】オーソリ期限切れ間近のお知らせ（2件）"
    body = mail.body
    assert "2件（合計 7,500円）" in body
    assert re.search(r"注文番号：exp00001　山田 太郎 様　3,000円（あと払い\(ペイディ\)）\n"
                     r"  オーソリ有効期限 .* まで（残り3日）", body)
    assert "注文番号：exp00002" in body and "4,500円" in body
    for number in ("exp00003", "exp00004", "exp00005", "oth00001"):
        assert number not in body
    assert "/admin/bulk/?action=capture&expiring=7" in body
    (other,) = _mails("demo3")
    assert "oth00001" in other.body and "exp00001" not in other.body
    assert other.to_addr == "owner3@example.com"

    assert expiry_watch.send_expiry_mails() == {"sent": 0}       # the round again, same day
    last_minute = clock.astimezone(JST).replace(hour=23, minute=59)  # still that JST day
    _at(monkeypatch, max(last_minute, clock.astimezone(JST)).astimezone(timezone.utc))
    assert expiry_watch.send_expiry_mails() == {"sent": 0}
    assert len(_mails()) == 1 and len(_mails("demo3")) == 1

    _at(monkeypatch, clock + DAY)                                # the next day
    assert expiry_watch.send_expiry_mails() == {"sent": 2}
    mails = _mails()
    assert len(mails) == 2 and "（残り2日）" in mails[1].body


def test_two_workers_on_one_day_send_one_mail(app, orders, monkeypatch):
    """Both workers found the shop unsent: the second's (shop, day) row is refused, and its
    transaction, mail included, rolls back."""
    clock = orders["now"]
    _at(monkeypatch, clock)
    shop_id = shop().id
    assert expiry_watch.send_for(shop_id, clock) == 1
    with pytest.raises(IntegrityError):
        expiry_watch.send_for(shop_id, clock)
    db.session.rollback()
    assert len(_mails()) == 1
    assert db.session.scalar(select(func.count()).select_from(ExpiryNotice).where(
        ExpiryNotice.shop_id == shop_id)) == 1


def test_two_rounds_at_once_send_one_mail_a_shop(app, orders, monkeypatch):
    """Two workers run the round at the same moment, each having found demo not yet sent
    today (held together right before sending): one mail, one row."""
    _at(monkeypatch, orders["now"])
    demo_id, real_send = shop().id, expiry_watch.send_for
    together = threading.Barrier(2)

    def held(shop_id, now, days=7):
        if shop_id == demo_id:
            together.wait(20)
        return real_send(shop_id, now, days)
    monkeypatch.setattr(expiry_watch, "send_for", held)
    results = []

    def round_():
        with app.app_context():
            results.append(expiry_watch.send_expiry_mails())
            db.session.remove()
    threads = [threading.Thread(target=round_) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r["sent"] for r in results) == 2 and len(results) == 2   # demo and demo3, once
    assert len(_mails()) == 1 and len(_mails("demo3")) == 1
    assert db.session.scalar(select(func.count()).select_from(ExpiryNotice)) == 2


def test_no_mail_when_the_setting_is_off(app, client, orders, monkeypatch):
    page = client.get("/admin/settings/shop").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="expiry_mail"[^>]*>', page).group(0)
    assert "checked" in box                                        # on by default
    assert "オーソリ期限切れ間近のお知らせメールを送信する" in page
    version = shop().config_version
    response = client.post("/admin/settings/shop", data={
        "csrf_token": csrf_token(page), "cart_type": "zero", "mobile_visible": "y",
        "thanks_mail_subject": "ご注文ありがとうございました", "pending_cancel_days": "7"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(ShopSettings.expiry_mail).where(
        ShopSettings.shop_id == shop().id)) is False
    assert shop().config_version > version        # kept configuration is read again
    page = client.get("/admin/settings/shop").get_data(as_text=True)
    assert "checked" not in re.search(r'<input[^>]*name="expiry_mail"[^>]*>', page).group(0)
    _at(monkeypatch, orders["now"])
    assert expiry_watch.send_expiry_mails() == {"sent": 1}         # demo3 only
    assert _mails() == [] and len(_mails("demo3")) == 1


def test_no_mail_when_nothing_lapses(app, orders, monkeypatch):
    _at(monkeypatch, orders["now"] - 10 * DAY)   # ten days earlier nothing was within 7 days
    assert expiry_watch.send_expiry_mails() == {"sent": 0}
    assert _mails() == [] and _mails("demo3") == []
    assert db.session.scalar(select(func.count()).select_from(ExpiryNotice)) == 0


def test_the_watch_counts_jst_calendar_days_just_after_midnight(app, sandbox, monkeypatch):
    """Just after midnight in Japan (15:xx UTC of the day before), 残り7日 is within the watch
    and 残り8日 is not, on every database: the day's bound is compared in the zone the times
    are stored in (SQLite compares them as text)."""
    from cart import deadlines
    setup_shops(app, sandbox)
    utc = timezone.utc
    clock = datetime(2026, 12, 2, 15, 30, tzinfo=utc)                    # 12月3日 00:30 JST
    a = shop().id
    _order(a, "jst00001", 1000, authorized=datetime(2026, 12, 10, 15, 10, tzinfo=utc) - 90 * DAY)
    _order(a, "jst00002", 1000, authorized=datetime(2026, 12, 10, 14, 50, tzinfo=utc) - 90 * DAY)
    db.session.commit()  # jst00001 lapses 12月11日 00:10 JST (残り8日), jst00002 12月10日 23:50
    found = db.session.scalars(select(Order.number).join(Payment, Payment.order_id == Order.id)
                               .where(deadlines.expiring_condition(7, clock))).all()
    assert found == ["jst00002"]
    _at(monkeypatch, clock)
    assert expiry_watch.send_expiry_mails() == {"sent": 1}
    body = db.session.scalars(select(OutboxMail.body)).all()
    assert len(body) == 1 and "jst00002" in body[0] and "jst00001" not in body[0]
