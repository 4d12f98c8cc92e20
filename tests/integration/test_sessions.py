"""Logout, a password change and disabling a staff member end every session of the account;
パスワード変更 and スタッフ管理."""
import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cart.extensions import db
from cart.models import Staff
from cart.models.base import utcnow

from ..conftest import PASSWORD as SHOP_PASSWORD
from ..conftest import csrf_token
from .order_helpers import paid_order

STAFF, OWNER, PASSWORD = "staff@example.com", "owner@example.com", "demo1234"


def sign_in(app, email=STAFF, password=PASSWORD):
    """A new browser, signed in through the login form."""
    browser = app.test_client()
    token = csrf_token(browser.get("/admin/login").get_data(as_text=True))
    response = browser.post("/admin/login", data={"email": email, "password": password,
                                                  "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def copy_of(app, browser):
    """Another browser holding the session cookie saved from ``browser`` right now."""
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    return thief


def signed_out(response) -> bool:
    return response.status_code == 302 and "/admin/login" in response.headers["Location"]


def refresh(browser, order_id, token):
    """最新の状態を取得, as the order page posts it."""
    return browser.post(f"/admin/orders/{order_id}/refresh", data={"csrf_token": token})


def staff(email=STAFF) -> Staff:
    db.session.expire_all()
    return db.session.scalar(select(Staff).where(Staff.email == email))


@pytest.fixture
def order(app, shops):
    return paid_order(app, shops)


# -- logout -------------------------------------------------------------------------------
def test_a_cookie_saved_before_logout_opens_nothing_after(app, shops, order):
    browser = sign_in(app)
    saved = copy_of(app, browser)
    page = saved.get(f"/admin/orders/{order.id}")
    assert page.status_code == 200  # the copy works while the session lives
    token = csrf_token(page.get_data(as_text=True))
    assert refresh(saved, order.id, token).status_code == 302
    assert len(shops.telegrams("094")) == 1

    own = csrf_token(browser.get("/admin/").get_data(as_text=True))
    logout = browser.post("/admin/logout", data={"csrf_token": own}, follow_redirects=True)

    assert signed_out(saved.get(f"/admin/orders/{order.id}"))
    assert signed_out(refresh(saved, order.id, token))
    assert len(shops.telegrams("094")) == 1  # 最新の状態を取得 never reached PAYGENT
    assert signed_out(saved.get("/admin/"))
    assert "ほかの端末・ブラウザでのログインも終了しました" in logout.get_data(as_text=True)


def test_logout_ends_the_accounts_sessions_on_other_browsers_too(app, shops, order):
    office, home = sign_in(app), sign_in(app)
    token = csrf_token(office.get("/admin/").get_data(as_text=True))
    office.post("/admin/logout", data={"csrf_token": token})
    assert signed_out(home.get(f"/admin/orders/{order.id}"))
    other = sign_in(app, OWNER)  # another account is not touched
    assert other.get(f"/admin/orders/{order.id}").status_code == 200
    assert sign_in(app).get("/admin/").status_code == 200  # signing in again works


# -- パスワード変更 ------------------------------------------------------------------------
def change_password(browser, current=PASSWORD, new="new-password-1", confirm=None):
    token = csrf_token(browser.get("/admin/password").get_data(as_text=True))
    return browser.post("/admin/password", data={
        "csrf_token": token, "current_password": current, "new_password": new,
        "new_password_confirm": new if confirm is None else confirm})


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app, shops, order):
    browser, other = sign_in(app), sign_in(app)
    saved = copy_of(app, browser)
    tokens = {ended: csrf_token(ended.get(f"/admin/orders/{order.id}").get_data(as_text=True))
              for ended in (other, saved)}  # the pages they had open
    response = change_password(browser)
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "パスワードを変更しました。ほかの端末・ブラウザでのログインはすべて終了しました。" in page

    assert browser.get(f"/admin/orders/{order.id}").status_code == 200  # this one stays
    token = csrf_token(browser.get(f"/admin/orders/{order.id}").get_data(as_text=True))
    assert refresh(browser, order.id, token).status_code == 302
    for ended in (other, saved):
        assert signed_out(ended.get(f"/admin/orders/{order.id}"))
        assert signed_out(refresh(ended, order.id, tokens[ended]))
    assert len(shops.telegrams("094")) == 1  # only the staying session's

    old = app.test_client()
    token = csrf_token(old.get("/admin/login").get_data(as_text=True))
    refused = old.post("/admin/login", data={"email": STAFF, "password": PASSWORD,
                                             "csrf_token": token})
    assert "メールアドレスまたはパスワードが正しくありません。" in refused.get_data(as_text=True)
    sign_in(app, STAFF, "new-password-1")


def test_password_change_form_explains_each_field_in_japanese(app, shops):
    browser = sign_in(app)
    assert "パスワード変更" in browser.get("/admin/").get_data(as_text=True)  # the header link
    empty = change_password(browser, current="", new="", confirm="").get_data(as_text=True)
    assert "現在のパスワードを入力してください。" in empty
    assert "新しいパスワードを入力してください。" in empty
    assert "確認のため、新しいパスワードをもう一度入力してください。" in empty
    short = change_password(browser, new="short").get_data(as_text=True)
    assert "8文字以上200文字以内で入力してください。" in short
    mismatch = change_password(browser, confirm="new-password-2").get_data(as_text=True)
    assert "新しいパスワードと同じものを入力してください。" in mismatch
    wrong = change_password(browser, current="not-the-password").get_data(as_text=True)
    assert "現在のパスワードが正しくありません。" in wrong
    no_token = browser.post("/admin/password", data={
        "current_password": PASSWORD, "new_password": "new-password-1",
        "new_password_confirm": "new-password-1"})
    assert no_token.status_code == 400
    assert staff().check_password(PASSWORD)  # nothing was changed
    assert browser.get("/admin/").status_code == 200  # and nobody was signed out


typed = st.one_of(st.text(max_size=30), st.text(min_size=8, max_size=40),
                  st.text("abc123あ\x00\t ", min_size=7, max_size=9),
                  st.sampled_from(["", " ", "\x00", "a" * 201, "password-ok"]))


@settings(max_examples=40, deadline=None, database=None,
          derandomize=not os.environ.get("FUZZ_EXPLORE"),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@example(current=None, new="12345678", confirm="12345678")
@example(current=None, new="1234567", confirm="1234567")
@example(current=None, new="\x00" * 8, confirm="\x00" * 8)
@example(current="wrong-password", new="12345678", confirm="12345678")
@given(current=st.one_of(st.none(), typed), new=typed, confirm=st.one_of(st.none(), typed))
def test_password_form_takes_anything_without_a_500(app, make_shop, current, new, confirm):
    """``current`` None stands for the right current password, ``confirm`` None for ``new``."""
    passwords = app.extensions.setdefault("test.passwords", [])
    if not passwords:
        make_shop("shop-a")
        passwords.append(SHOP_PASSWORD)
        app.extensions["login_throttle"].clock = lambda: utcnow() + timedelta(hours=len(passwords))
    passwords.append(passwords[-1])  # an hour later for the throttle: each example starts afresh
    email = "staff@shop-a.test"
    browser = sign_in(app, email, passwords[-1])
    token = csrf_token(browser.get("/admin/password").get_data(as_text=True))
    response = browser.post("/admin/password", data={
        "csrf_token": token, "current_password": passwords[-1] if current is None else current,
        "new_password": new, "new_password_confirm": new if confirm is None else confirm})
    assert response.status_code in (200, 302, 429), response.status_code
    event(f"password form {response.status_code}")
    if response.status_code == 302:
        passwords.append(new.replace("\x00", ""))  # the app drops NUL characters
        assert staff(email).check_password(passwords[-1])
        assert browser.get("/admin/").status_code == 200  # this session stays
    else:
        html = response.get_data(as_text=True)
        assert 'class="error"' in html or "しばらくログインできません" in html
        assert staff(email).check_password(passwords[-1])  # unchanged


def test_password_page_needs_a_signed_in_staff_member(client):
    assert signed_out(client.get("/admin/password"))


# -- スタッフ管理 --------------------------------------------------------------------------
def post_button(browser, path):
    token = csrf_token(browser.get("/admin/staff/").get_data(as_text=True))
    return browser.post(path, data={"csrf_token": token}, follow_redirects=True)


def test_a_disabled_staff_member_can_neither_sign_in_nor_keep_a_session(app, shops, order):
    member = sign_in(app)
    token = csrf_token(member.get(f"/admin/orders/{order.id}").get_data(as_text=True))
    owner = sign_in(app, OWNER)
    listing = owner.get("/admin/staff/").get_data(as_text=True)
    assert STAFF in listing and "無効にする" in listing and "owner3@example.com" not in listing
    page = post_button(owner, f"/admin/staff/{staff().id}/disable").get_data(as_text=True)
    assert "を無効にしました。ログイン中のセッションはすべて終了しました。" in page
    assert "有効にする" in page and staff().active is False

    assert signed_out(member.get(f"/admin/orders/{order.id}"))
    assert signed_out(refresh(member, order.id, token))
    assert shops.telegrams("094") == []

    def attempt(password):
        browser = app.test_client()
        login = csrf_token(browser.get("/admin/login").get_data(as_text=True))
        response = browser.post("/admin/login", data={"email": STAFF, "password": password,
                                                       "csrf_token": login})
        assert response.status_code == 200
        assert browser.get("/admin/").status_code == 302  # not signed in
        return response.get_data(as_text=True)
    assert "このアカウントは無効になっています。" in attempt(PASSWORD)
    wrong = attempt("wrong-password")  # without the password, nothing more than usual
    assert "メールアドレスまたはパスワードが正しくありません。" in wrong
    assert "無効" not in wrong

    page = post_button(owner, f"/admin/staff/{staff().id}/enable").get_data(as_text=True)
    assert "を有効にしました。" in page and staff().active is True
    assert signed_out(member.get("/admin/"))  # the old session does not come back
    assert sign_in(app).get(f"/admin/orders/{order.id}").status_code == 200


def test_staff_management_is_the_owners_and_scoped_to_the_shop(app, shops):
    owner = sign_in(app, OWNER)
    assert "スタッフ管理" in owner.get("/admin/").get_data(as_text=True)  # the menu link
    me = staff(OWNER)
    refused = post_button(owner, f"/admin/staff/{me.id}/disable").get_data(as_text=True)
    assert "ご自身のアカウントを無効にすることはできません。" in refused
    assert staff(OWNER).active and owner.get("/admin/").status_code == 200

    other_shop = staff("staff3@example.com")
    token = csrf_token(owner.get("/admin/staff/").get_data(as_text=True))
    for action in ("disable", "enable"):
        response = owner.post(f"/admin/staff/{other_shop.id}/{action}",
                              data={"csrf_token": token})
        assert response.status_code == 404
    assert staff("staff3@example.com").active
    sign_in(app, "staff3@example.com")  # still signs in

    no_token = owner.post(f"/admin/staff/{staff().id}/disable")
    assert no_token.status_code == 400 and staff().active

    member = sign_in(app)
    assert member.get("/admin/staff/").status_code == 403
    token = csrf_token(member.get("/admin/").get_data(as_text=True))
    assert member.post(f"/admin/staff/{me.id}/disable",
                       data={"csrf_token": token}).status_code == 403
    assert "スタッフ管理" not in member.get("/admin/").get_data(as_text=True)


# -- the commands ---------------------------------------------------------------------------
def test_staff_commands_disable_enable_and_set_a_password(app, shops, runner):
    browser = sign_in(app)
    result = runner.invoke(args=["staff", "disable", "Staff@Example.com"])
    assert result.exit_code == 0, result.output
    assert "disabled staff@example.com" in result.output
    assert signed_out(browser.get("/admin/")) and staff().active is False

    result = runner.invoke(args=["staff", "enable", STAFF])
    assert result.exit_code == 0 and staff().active is True
    browser = sign_in(app)

    short = runner.invoke(args=["staff", "password", STAFF, "--password", "short"])
    assert short.exit_code != 0 and "at least 8" in short.output
    result = runner.invoke(args=["staff", "password", STAFF], input="cli-password\ncli-password\n")
    assert result.exit_code == 0, result.output
    assert signed_out(browser.get("/admin/"))
    sign_in(app, STAFF, "cli-password")

    unknown = runner.invoke(args=["staff", "disable", "nobody@example.com"])
    assert unknown.exit_code != 0 and "no staff member" in unknown.output
