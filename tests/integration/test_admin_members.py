"""会員管理: the shop's members listed, searched (氏名, フリガナ, メールアドレス, 電話番号) and
paged; a member's page with their data and orders; staff and owners read it, owners disable;
another shop's member is 404."""
import re

from sqlalchemy import func, select

from cart.extensions import db
from cart.models import Member

from ..conftest import csrf_token
from .checkout_helpers import shop
from .test_members import member, member_client, signed_out
from .test_order_list import make_order

OWNER, STAFF, PASSWORD = "owner@example.com", "staff@example.com", "demo1234"


def add_member(shop_id, n, **values) -> Member:
    data = dict(shop_id=shop_id, email=f"m{n}@example.com", name=f"会員 {n}号",
                kana="カイイン", zip_code="150-0001", prefecture="東京都", city="渋谷区",
                street="1", building="", tel=f"03{n:08d}", password_hash="x")
    data.update(values)
    row = Member(**data)
    db.session.add(row)
    db.session.flush()
    return row


def listed(html: str) -> list[str]:
    return re.findall(r"<td>([^<]*@example\.com)</td>", html)


def test_the_list_searches_each_field_and_pages(app, shops, login_as, client):
    demo = shop().id
    seeded = db.session.scalar(select(func.count()).select_from(Member).where(
        Member.shop_id == demo))  # the demo data's member
    for n in range(1, 56):
        add_member(demo, n)
    add_member(demo, 900, name="佐藤 花子", kana="サトウ ハナコ", email="hanako@example.com",
               tel="09012345678")
    add_member(shop("demo3").id, 901, name="佐藤 他店", email="sato-other@example.com")
    db.session.commit()
    login_as(STAFF, PASSWORD)
    assert ">会員管理</a>" in client.get("/admin/").get_data(as_text=True)
    first = client.get("/admin/members/").get_data(as_text=True)
    assert f"{56 + seeded}件HIT" in first and len(listed(first)) == 50
    assert listed(first)[0] == "hanako@example.com"  # newest first
    second = client.get("/admin/members/?page=2").get_data(as_text=True)
    assert len(listed(second)) == 6 + seeded and not set(listed(first)) & set(listed(second))
    assert "sato-other@example.com" not in first + second

    for args in ({"name": "佐藤"}, {"name": "佐藤花子"}, {"kana": "さとう"},
                 {"email": "HANAKO@"}, {"tel": "090-1234"}):
        html = client.get("/admin/members/", query_string=args).get_data(as_text=True)
        assert listed(html) == ["hanako@example.com"], args
    none = client.get("/admin/members/", query_string={"name": "%"}).get_data(as_text=True)
    assert listed(none) == [] and "該当する会員はいません。" in none
    paged = client.get("/admin/members/", query_string={"kana": "カイイン"}).get_data(
        as_text=True)
    assert 'href="/admin/members/?page=2&amp;kana=' in paged


def test_a_members_page_shows_their_data_and_orders(app, shops, login_as, client):
    member_client(app)
    hanako = member()
    order = make_order(shop().id, 7, member_id=hanako.id, total=4321)
    make_order(shop().id, 8, buyer_name="ゲスト 三郎")
    db.session.commit()
    login_as(STAFF, PASSWORD)
    html = client.get(f"/admin/members/{hanako.id}").get_data(as_text=True)
    for text in ("会員 花子", "カイイン ハナコ", "〒150-0001", "hanako@example.com",
                 "0398765432", "購入履歴（1件）", "order00007", "4,321円"):
        assert text in html, text
    assert f'href="/admin/orders/{order.id}"' in html and "order00008" not in html
    assert "無効にする" not in html  # staff read; owners disable
    token = csrf_token(html)
    assert client.post(f"/admin/members/{hanako.id}/disable",
                       data={"csrf_token": token}).status_code == 403
    assert member().active


def test_an_owner_disables_a_member_who_is_signed_out_at_once(app, shops, login_as, client):
    browser = member_client(app)
    hanako = member()
    login_as(OWNER, PASSWORD)
    page = client.get(f"/admin/members/{hanako.id}").get_data(as_text=True)
    assert "無効にする" in page
    assert client.post(f"/admin/members/{hanako.id}/disable").status_code == 400  # no CSRF
    assert member().active
    done = client.post(f"/admin/members/{hanako.id}/disable",
                       data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "会員を無効にしました。" in done.get_data(as_text=True)
    assert member().active is False
    assert signed_out(browser.get("/s/demo/member/orders"))
    page = client.get(f"/admin/members/{hanako.id}").get_data(as_text=True)
    client.post(f"/admin/members/{hanako.id}/enable", data={"csrf_token": csrf_token(page)})
    assert member().active
    assert signed_out(browser.get("/s/demo/member/orders"))  # the old session stays ended


def test_another_shops_member_is_404_and_guests_are_sent_to_login(app, shops, login_as,
                                                                  client):
    other = add_member(shop("demo3").id, 5, name="秘密 会員")
    db.session.commit()
    assert client.get("/admin/members/").status_code == 302
    login_as(OWNER, PASSWORD)
    response = client.get(f"/admin/members/{other.id}")
    assert response.status_code == 404 and "秘密" not in response.get_data(as_text=True)
    assert db.session.scalar(select(Member.active).where(Member.id == other.id))
