"""会員 on the storefront: 会員登録, ログイン / ログアウト, the throttle, パスワード再設定,
マイページ (購入履歴, 会員情報変更, お届け先, パスワード変更), sessions bound to the shop and
the member's session version, kept apart from staff sessions; CSRF on every POST."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from cart.extensions import db
from cart.members import reset
from cart.models import Member, MemberAddress, Order, OutboxMail

from ..conftest import csrf_token
from .checkout_helpers import shop
from .test_order_list import make_order

PASSWORD = "member-pass-1"
LOCKED = "ログインの失敗が続いたため、しばらくログインできません。"
FAILED = "メールアドレスまたはパスワードが正しくありません。"
MEMBER = {
    "buyer_name": "会員 花子", "buyer_kana": "カイイン ハナコ", "zip_code": "150-0001",
    "prefecture": "東京都", "city": "渋谷区神宮前", "street": "4-5-6",
    "building": "会員ハイツ202", "tel": "03-9876-5432", "mobile": "090-1111-2222",
    "email": "hanako@example.com",
}


def register(client, shop_code="demo", password=PASSWORD, confirm=None, **values):
    page = client.get(f"/s/{shop_code}/member/register").get_data(as_text=True)
    return client.post(f"/s/{shop_code}/member/register", data={
        "csrf_token": csrf_token(page), **MEMBER, **values, "password": password,
        "password_confirm": password if confirm is None else confirm})


def login(client, email=MEMBER["email"], password=PASSWORD, shop_code="demo", **kwargs):
    page = client.get(f"/s/{shop_code}/member/login").get_data(as_text=True)
    return client.post(f"/s/{shop_code}/member/login", data={
        "csrf_token": csrf_token(page), "email": email, "password": password}, **kwargs)


def member_client(app, shop_code="demo", **values):
    """A new browser with a member registered (and so signed in) at ``shop_code``."""
    browser = app.test_client()
    response = register(browser, shop_code, **values)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def signed_in_browser(app, email=MEMBER["email"], password=PASSWORD, shop_code="demo"):
    browser = app.test_client()
    response = login(browser, email, password, shop_code)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def signed_out(response, shop_code="demo") -> bool:
    return (response.status_code == 302
            and f"/s/{shop_code}/member/login" in response.headers["Location"])


def member(email=MEMBER["email"], shop_code="demo") -> Member:
    db.session.expire_all()
    return db.session.scalar(select(Member).where(Member.shop_id == shop(shop_code).id,
                                                  Member.email == email))


def post(browser, page_path, path, **data):
    """POST ``path`` with the CSRF token of the page at ``page_path``."""
    token = csrf_token(browser.get(page_path).get_data(as_text=True))
    return browser.post(path, data={"csrf_token": token, **data})


def logout(browser, shop_code="demo"):
    return post(browser, f"/s/{shop_code}/", f"/s/{shop_code}/member/logout")


class Clock:
    def __init__(self):
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


# -- 会員登録 -------------------------------------------------------------------------------
def test_registration_errors_stand_next_to_each_field_and_keep_what_was_typed(app, shops):
    browser = app.test_client()
    response = register(browser, buyer_kana="kaiin", zip_code="15", city="", password="short",
                        confirm="other")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "全角カタカナで入力してください。" in html
    assert "郵便番号は7桁の数字で入力してください" in html
    assert "市区町村を入力してください。" in html
    assert "8文字以上200文字以内で入力してください。" in html
    assert "パスワードと同じものを入力してください。" in html
    # what was typed is still there
    for typed in ("会員 花子", "kaiin", "4-5-6", "会員ハイツ202", "hanako@example.com"):
        assert f'value="{typed}"' in html, typed
    assert re.search(r'<option selected value="東京都">', html)
    assert member() is None
    assert browser.get("/s/demo/member/orders").status_code == 302  # not signed in
    empty = register(browser, **{k: "" for k in MEMBER}, password="").get_data(as_text=True)
    for message in ("氏名を入力してください。", "メールアドレスを入力してください。",
                    "パスワードを入力してください。", "TELを入力してください。"):
        assert message in empty


def test_registration_signs_in_and_an_email_is_one_member_per_shop(app, shops):
    browser = app.test_client()
    response = register(browser)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/s/demo/member/orders")
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "会員登録が完了しました。" in page and "会員 花子 様" in page
    created = member()
    assert created.zip_code == "150-0001" and created.tel == "0398765432"
    assert created.check_password(PASSWORD) and created.paygent_customer_id == \
        f"M{created.id:010d}"

    again = register(app.test_client(), email="Hanako@Example.COM")  # compared lower-case
    html = again.get_data(as_text=True)
    assert again.status_code == 200
    assert "このメールアドレスはすでに会員登録されています。" in html
    assert 'value="Hanako@Example.COM"' in html  # kept as typed
    assert db.session.scalar(select(func.count()).select_from(Member).where(
        Member.shop_id == shop("demo").id,
        func.lower(Member.email) == MEMBER["email"])) == 1  # (besides the demo member)

    other_shop = register(app.test_client(), "demo3")  # the same address at another shop
    assert other_shop.status_code == 302
    assert member(shop_code="demo3").id != created.id


# -- ログイン / ログアウト --------------------------------------------------------------------
def test_login_says_the_same_whether_or_not_the_email_is_registered(app, shops):
    member_client(app)
    wrong = login(app.test_client(), password="wrong-password")
    unknown = login(app.test_client(), email="nobody@example.com")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert FAILED in response.get_data(as_text=True)
    assert re.sub(r'value="[^"]*"', "", wrong.get_data(as_text=True)) == \
        re.sub(r'value="[^"]*"', "", unknown.get_data(as_text=True))
    browser = app.test_client()
    ok = login(browser, email="HANAKO@example.com")
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/s/demo/member/orders")
    assert browser.get("/s/demo/member/orders").status_code == 200
    assert member().last_login_at is not None


def test_login_goes_back_to_the_page_that_asked_for_it_but_never_off_the_shop(app, shops):
    member_client(app)
    browser = app.test_client()
    asked = browser.get("/s/demo/member/addresses")
    assert signed_out(asked) and "next=/s/demo/member/addresses" in asked.headers["Location"]
    response = login(browser, query_string={"next": "/s/demo/member/addresses"})
    assert response.headers["Location"] == "/s/demo/member/addresses"
    for target in ("//evil.example/", "https://evil.example/", "/admin/", "/s/demo3/"):
        other = app.test_client()
        response = login(other, query_string={"next": target})
        assert response.headers["Location"] == "/s/demo/member/orders", target


def test_logout_ends_the_members_sessions_on_every_browser(app, shops):
    first = member_client(app)
    second = signed_in_browser(app)
    copy = app.test_client()
    copy.set_cookie("session", first.get_cookie("session").value)
    assert copy.get("/s/demo/member/orders").status_code == 200

    assert first.post("/s/demo/member/logout").status_code == 400  # no CSRF token
    assert second.get("/s/demo/member/orders").status_code == 200

    response = logout(first)
    assert response.status_code == 302
    assert "ログアウトしました。" in first.get("/s/demo/").get_data(as_text=True)
    for browser in (first, second, copy):
        assert signed_out(browser.get("/s/demo/member/orders"))
    assert signed_in_browser(app).get("/s/demo/member/orders").status_code == 200


def test_a_member_session_belongs_to_its_shop(app, shops):
    browser = member_client(app)
    assert browser.get("/s/demo/member/orders").status_code == 200
    assert signed_out(browser.get("/s/demo3/member/orders"), "demo3")
    header = browser.get("/s/demo3/").get_data(as_text=True)
    assert "マイページ" not in header and "会員登録" in header
    # the same address registered at demo3 does not sign in with demo's password
    assert FAILED in login(app.test_client(), shop_code="demo3").get_data(as_text=True)


def test_member_and_staff_sessions_leave_each_other_alone(app, shops, login_as, client):
    register(client)
    assert client.get("/s/demo/member/orders").status_code == 200
    assert login_as("staff@example.com", "demo1234").status_code == 302
    # staff sign-in starts a fresh session (its own rule): the member signs in again
    assert login(client).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/s/demo/member/orders").status_code == 200
    logout(client)
    assert client.get("/admin/").status_code == 200  # the staff member is still signed in
    assert login(client).status_code == 302
    token = csrf_token(client.get("/admin/").get_data(as_text=True))
    client.post("/admin/logout", data={"csrf_token": token})
    assert client.get("/admin/").status_code == 302
    assert client.get("/s/demo/member/orders").status_code == 200  # the member still is


def test_the_header_offers_login_and_registration_to_guests_and_mypage_to_members(app, shops):
    guest = app.test_client().get("/s/demo/").get_data(as_text=True)
    assert 'href="/s/demo/member/login">ログイン<' in guest
    assert 'href="/s/demo/member/register">会員登録<' in guest
    assert "マイページ" not in guest and "ログアウト" not in guest
    page = member_client(app).get("/s/demo/").get_data(as_text=True)
    assert 'href="/s/demo/member/orders">マイページ<' in page
    assert 'action="/s/demo/member/logout"' in page and ">ログアウト<" in page
    assert "member/register" not in page


def test_a_disabled_member_is_signed_out_and_cannot_sign_in(app, shops):
    browser = member_client(app)
    row = member()
    row.active = False
    db.session.commit()
    assert signed_out(browser.get("/s/demo/member/orders"))
    assert "現在ご利用いただけません" in login(app.test_client()).get_data(as_text=True)
    wrong = login(app.test_client(), password="wrong-password").get_data(as_text=True)
    assert FAILED in wrong and "ご利用いただけません" not in wrong


# -- the throttle ---------------------------------------------------------------------------
def test_repeated_failures_make_the_login_wait_without_checking_the_password(
        app, shops, monkeypatch):
    clock = Clock()
    app.extensions["login_throttle"].clock = clock
    member_client(app)
    checked = []
    real = Member.check_password
    monkeypatch.setattr(Member, "check_password",
                        lambda self, pw: checked.append(pw) or real(self, pw))
    browser = app.test_client()
    for _ in range(5):
        assert FAILED in login(browser, password="wrong-password").get_data(as_text=True)
    locked = login(browser)  # even the right password waits
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "2"
    assert LOCKED in locked.get_data(as_text=True)
    assert len(checked) == 5
    assert signed_out(browser.get("/s/demo/member/orders"))
    # another shop's member with the same address, and the staff login, count apart
    register(app.test_client(), "demo3")
    assert login(app.test_client(), shop_code="demo3").status_code == 302
    clock.advance(2)
    assert login(browser).status_code == 302
    assert browser.get("/s/demo/member/orders").status_code == 200


def test_a_wrong_current_password_on_password_change_counts_as_a_failed_login(app, shops):
    app.extensions["login_throttle"].clock = Clock()
    browser = member_client(app)
    for _ in range(5):
        response = change_password(browser, current="wrong-password")
        assert "現在のパスワードが正しくありません。" in response.get_data(as_text=True)
    assert change_password(browser).status_code == 429
    assert member().check_password(PASSWORD)


# -- パスワード再設定 -------------------------------------------------------------------------
def request_reset(browser, email=MEMBER["email"], shop_code="demo"):
    return post(browser, f"/s/{shop_code}/member/password/forgot",
                f"/s/{shop_code}/member/password/forgot", email=email)


def reset_link() -> str:
    db.session.expire_all()
    mail = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
    match = re.search(r"https?://[^/\s]+(/s/demo/member/password/reset/\S+)", mail.body)
    assert match, mail.body
    return match.group(1)


def mails() -> list[OutboxMail]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()


def test_reset_answers_the_same_whether_or_not_the_email_is_registered(app, shops):
    member_client(app)
    known = request_reset(app.test_client())
    unknown = request_reset(app.test_client(), "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert "パスワード再設定用のURLを記載したメールをお送りしました" in known.get_data(as_text=True)
    [sent] = mails()
    assert sent.to_addr == MEMBER["email"] and "パスワード再設定" in sent.subject
    assert "1時間" in sent.body or "60分" in sent.body
    assert "パスワードを忘れた方" in app.test_client().get(
        "/s/demo/member/login").get_data(as_text=True)


def test_the_reset_link_sets_a_new_password_once_and_ends_other_sessions(app, shops):
    elsewhere = member_client(app)
    request_reset(app.test_client())
    link = reset_link()
    browser = app.test_client()
    assert "新しいパスワード" in browser.get(link).get_data(as_text=True)
    short = post(browser, link, link, new_password="short", new_password_confirm="short")
    assert "8文字以上200文字以内で入力してください。" in short.get_data(as_text=True)
    done = post(browser, link, link, new_password="brand-new-pass",
                new_password_confirm="brand-new-pass")
    assert done.status_code == 302
    assert browser.get("/s/demo/member/orders").status_code == 200  # signed in
    assert signed_out(elsewhere.get("/s/demo/member/orders"))
    assert FAILED in login(app.test_client()).get_data(as_text=True)
    assert login(app.test_client(), password="brand-new-pass").status_code == 302
    # used once: the link no longer opens, nor sets a password
    again = app.test_client()
    assert again.get(link).status_code == 404
    assert "このURLは無効か" in again.get(link).get_data(as_text=True)
    token = csrf_token(again.get("/s/demo/member/login").get_data(as_text=True))
    replay = again.post(link, data={"csrf_token": token, "new_password": "attacker-pass",
                                    "new_password_confirm": "attacker-pass"})
    assert replay.status_code == 404 and member().check_password("brand-new-pass")


def test_the_reset_link_expires_after_an_hour(app, shops, monkeypatch):
    member_client(app)
    start = 1_800_000_000
    monkeypatch.setattr(reset, "clock", lambda: start)
    request_reset(app.test_client())
    link = reset_link()
    monkeypatch.setattr(reset, "clock", lambda: start + 3599)
    assert app.test_client().get(link).status_code == 200
    monkeypatch.setattr(reset, "clock", lambda: start + 3601)
    assert app.test_client().get(link).status_code == 404
    assert app.test_client().get(link[:-3] + "xyz").status_code == 404  # tampered


def test_a_reset_link_of_another_shop_opens_nothing(app, shops):
    member_client(app, "demo3")
    request_reset(app.test_client(), shop_code="demo3")
    body = mails()[-1].body
    token = re.search(r"/s/demo3/member/password/reset/(\S+)", body).group(1)
    assert app.test_client().get(f"/s/demo3/member/password/reset/{token}").status_code == 200
    assert app.test_client().get(f"/s/demo/member/password/reset/{token}").status_code == 404


# -- マイページ ----------------------------------------------------------------------------
def test_purchase_history_shows_only_the_members_own_orders_newest_first_paged(app, shops):
    hanako = member_client(app)
    member_client(app, email="other@example.com")
    mine, theirs = member(), member("other@example.com")
    demo = shop("demo").id
    start = datetime(2026, 11, 1, 3, 0, tzinfo=timezone.utc)
    for n in range(1, 13):
        make_order(demo, n, member_id=mine.id, created_at=start + timedelta(days=n))
    make_order(demo, 50, member_id=mine.id, status="pending_payment",
               created_at=start + timedelta(days=40))  # an unfinished checkout
    make_order(demo, 60, member_id=theirs.id, buyer_name="他人 次郎")
    make_order(demo, 70, buyer_name="ゲスト 三郎")  # a guest's, same shop
    foreign = make_order(shop("demo3").id, 80, buyer_name="他店 四郎")
    db.session.commit()

    page1 = hanako.get("/s/demo/member/orders").get_data(as_text=True)
    numbers = re.findall(r"<td>(order\d{5})</td>", page1)
    assert numbers == [f"order{n:05d}" for n in range(12, 2, -1)]
    assert "12件のご注文" in page1 and 'href="/s/demo/member/orders?page=2"' in page1
    page2 = hanako.get("/s/demo/member/orders?page=2").get_data(as_text=True)
    assert re.findall(r"<td>(order\d{5})</td>", page2) == ["order00002", "order00001"]
    for other in ("order00050", "order00060", "order00070", "他人", "ゲスト"):
        assert other not in page1 + page2

    own = db.session.scalar(select(Order.id).where(Order.number == "order00012",
                                                   Order.shop_id == demo))
    detail = hanako.get(f"/s/demo/member/orders/{own}")
    assert detail.status_code == 200
    html = detail.get_data(as_text=True)
    for text in ("order00012", "宅配便", "あと払い(ペイディ)", "新規受付", "1,000円", "購入履歴詳細"):
        assert text in html, text
    others = db.session.scalars(select(Order.id).where(Order.number.in_(
        ["order00050", "order00060", "order00070"]), Order.shop_id == demo)).all()
    for order_id in others + [foreign.id]:
        assert hanako.get(f"/s/demo/member/orders/{order_id}").status_code == 404


def test_order_detail_lists_the_lines_and_totals(app, shops):
    from cart.models import OrderItem
    browser = member_client(app)
    order = make_order(shop("demo").id, 5, member_id=member().id, items_total=2160,
                       shipping_fee=800, total=2960, target8=2160, tax8=160, target10=800,
                       tax10=72, payment_name="銀行振込", delivery_name="ゆうパック")
    db.session.add(OrderItem(shop_id=order.shop_id, order_id=order.id, code="tea-001",
                             name="静岡煎茶 深蒸し 100g", unit_price=1080, quantity=2, tax_rate=8,
                             subtotal=2160))
    db.session.commit()
    html = browser.get(f"/s/demo/member/orders/{order.id}").get_data(as_text=True)
    for text in ("静岡煎茶 深蒸し 100g", "1,080円", "2,160円", "800円", "2,960円",
                 "内消費税 160円", "銀行振込", "ゆうパック", "〒150-0001"):
        assert text in html, text


def test_mypage_sections_are_drawn_from_the_list(app, shops):
    from cart.members.session import MYPAGE_SECTIONS
    browser = member_client(app)
    page = browser.get("/s/demo/member/orders").get_data(as_text=True)
    for label, _ in MYPAGE_SECTIONS:
        assert f">{label}</a>" in page
    assert '<a href="/s/demo/member/orders" class="active">購入履歴</a>' in page
    new_address = browser.get("/s/demo/member/addresses/new").get_data(as_text=True)
    assert '<a href="/s/demo/member/addresses" class="active">お届け先</a>' in new_address
    MYPAGE_SECTIONS.append(("お気に入り", "members.addresses"))
    try:
        assert ">お気に入り</a>" in browser.get("/s/demo/member/orders").get_data(as_text=True)
    finally:
        MYPAGE_SECTIONS.pop()


def test_profile_change_keeps_input_on_error_and_refuses_another_members_email(app, shops):
    member_client(app, email="taken@example.com")
    browser = member_client(app)
    form = browser.get("/s/demo/member/profile").get_data(as_text=True)
    assert 'value="会員 花子"' in form and 'value="hanako@example.com"' in form
    data = {**MEMBER, "city": "目黒区", "buyer_kana": "abc"}
    bad = post(browser, "/s/demo/member/profile", "/s/demo/member/profile", **data)
    html = bad.get_data(as_text=True)
    assert "全角カタカナで入力してください。" in html and 'value="目黒区"' in html
    taken = post(browser, "/s/demo/member/profile", "/s/demo/member/profile",
                 **{**MEMBER, "email": "TAKEN@example.com"})
    assert "このメールアドレスはほかの会員が使用しています。" in taken.get_data(as_text=True)
    ok = post(browser, "/s/demo/member/profile", "/s/demo/member/profile",
              **{**MEMBER, "city": "目黒区", "email": "new@example.com"})
    assert ok.status_code == 302
    assert "会員情報を変更しました。" in browser.get("/s/demo/member/profile").get_data(as_text=True)
    changed = member("new@example.com")
    assert changed.city == "目黒区"
    assert login(app.test_client(), email="new@example.com").status_code == 302


def address_count(owner) -> int:
    return db.session.scalar(select(func.count()).select_from(MemberAddress).where(
        MemberAddress.member_id == owner.id))


def test_delivery_addresses_are_added_changed_and_deleted_by_their_member_only(app, shops):
    browser = member_client(app)
    other = member_client(app, email="other@example.com")
    empty = post(browser, "/s/demo/member/addresses/new", "/s/demo/member/addresses/new",
                 buyer_name="", city="港区")
    html = empty.get_data(as_text=True)
    assert "氏名を入力してください。" in html and 'value="港区"' in html
    added = post(browser, "/s/demo/member/addresses/new", "/s/demo/member/addresses/new",
                 **{**MEMBER, "buyer_name": "実家 太郎", "buyer_kana": "じっか たろう",
                    "city": "大阪市北区", "prefecture": "大阪府"})
    assert added.status_code == 302
    [address] = db.session.scalars(select(MemberAddress)).all()
    assert (address.name, address.kana, address.zip_code) == ("実家 太郎", "ジッカ タロウ",
                                                               "150-0001")
    listing = browser.get("/s/demo/member/addresses").get_data(as_text=True)
    assert "実家 太郎" in listing and "大阪府大阪市北区" in listing
    edit = f"/s/demo/member/addresses/{address.id}/edit"
    assert 'value="実家 太郎"' in browser.get(edit).get_data(as_text=True)
    assert post(browser, edit, edit, **{**MEMBER, "buyer_name": "実家 次郎"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(MemberAddress, address.id).name == "実家 次郎"

    # another member of the same shop: neither sees nor changes nor deletes it
    assert "実家" not in other.get("/s/demo/member/addresses").get_data(as_text=True)
    assert other.get(edit).status_code == 404
    token = csrf_token(other.get("/s/demo/member/addresses").get_data(as_text=True))
    assert other.post(edit, data={"csrf_token": token, **MEMBER}).status_code == 404
    assert other.post(f"/s/demo/member/addresses/{address.id}/delete",
                      data={"csrf_token": token}).status_code == 404
    assert address_count(member()) == 1

    deleted = post(browser, "/s/demo/member/addresses",
                   f"/s/demo/member/addresses/{address.id}/delete")
    assert deleted.status_code == 302 and address_count(member()) == 0


def change_password(browser, current=PASSWORD, new="changed-pass-1", confirm=None):
    return post(browser, "/s/demo/member/password", "/s/demo/member/password",
                current_password=current, new_password=new,
                new_password_confirm=new if confirm is None else confirm)


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app, shops):
    browser = member_client(app)
    other = signed_in_browser(app)
    mismatch = change_password(browser, confirm="changed-pass-2").get_data(as_text=True)
    assert "新しいパスワードと同じものを入力してください。" in mismatch
    response = change_password(browser)
    assert response.status_code == 302
    assert "パスワードを変更しました。" in browser.get("/s/demo/member/password").get_data(
        as_text=True)
    assert browser.get("/s/demo/member/orders").status_code == 200
    assert signed_out(other.get("/s/demo/member/orders"))
    assert FAILED in login(app.test_client()).get_data(as_text=True)
    assert login(app.test_client(), password="changed-pass-1").status_code == 302


def test_mypage_needs_a_signed_in_member(app, shops):
    guest = app.test_client()
    for path in ("/s/demo/member/", "/s/demo/member/orders", "/s/demo/member/orders/1",
                 "/s/demo/member/profile", "/s/demo/member/addresses",
                 "/s/demo/member/addresses/new", "/s/demo/member/addresses/1/edit",
                 "/s/demo/member/password"):
        assert signed_out(guest.get(path)), path
    assert guest.get("/s/nope/member/login").status_code == 404


# -- CSRF -----------------------------------------------------------------------------------
def test_every_member_post_needs_its_csrf_token(app, shops):
    browser = member_client(app)
    address = MemberAddress(shop_id=shop("demo").id, member_id=member().id, name="実家 太郎",
                            kana="ジッカ タロウ", zip_code="150-0001", prefecture="東京都",
                            city="港区", street="1", building="", tel="0312345678")
    db.session.add(address)
    db.session.commit()
    request_reset(app.test_client())
    token = reset_link().rsplit("/", 1)[1]
    values = {"address_id": address.id, "token": token, "sub_id": 1, "action": "skip",
              "card_id": 1}
    data = {**MEMBER, "password": "x-password-9", "password_confirm": "x-password-9",
            "current_password": PASSWORD, "new_password": "x-password-9",
            "new_password_confirm": "x-password-9"}
    posted = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/s/<shop_code>/member") or "POST" not in rule.methods:
            continue
        url = rule.rule.replace("<shop_code>", "demo")
        for arg in rule.arguments - {"shop_code"}:
            url = re.sub(rf"<(?:int:)?{arg}>", str(values[arg]), url)
        response = browser.post(url, data=data)
        assert response.status_code == 400, (url, response.status_code)
        posted.add(rule.endpoint)
    assert posted == {"members.register", "members.login", "members.logout", "members.forgot",
                      "members.reset_password", "members.profile", "members.address_new",
                      "members.address_edit", "members.address_delete", "members.password",
                      "member_subscriptions.change", "member_cards.cards",
                      "member_cards.card_delete"}
    # nothing happened: still signed in, same password, same data, the address kept
    assert browser.get("/s/demo/member/orders").status_code == 200
    assert member().check_password(PASSWORD) and member().city == MEMBER["city"]
    assert address_count(member()) == 1
    assert len(mails()) == 1
