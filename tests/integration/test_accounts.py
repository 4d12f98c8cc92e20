"""Login, logout, roles and the shop-creation command (T2, T3)."""
import os
import unicodedata
from urllib.parse import quote, unquote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cart.extensions import db
from cart.models import Shop, Staff

from ..conftest import PASSWORD, csrf_token


def test_login_page_is_japanese(client):
    html = client.get("/admin/login").get_data(as_text=True)
    assert "管理画面ログイン" in html and "メールアドレス" in html and "パスワード" in html


def test_owner_logs_in_and_sees_the_dashboard(client, make_shop, login_as):
    make_shop("shop-a", "テスト商店A")
    response = login_as("owner@shop-a.test")
    assert response.status_code == 302
    page = client.get("/admin/").get_data(as_text=True)
    assert "ダッシュボード" in page and "テスト商店A" in page and "オーナー" in page


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_shop, login_as):
    make_shop()
    wrong = login_as("owner@shop-a.test", "wrong-password").get_data(as_text=True)
    unknown = login_as("nobody@shop-a.test", "wrong-password").get_data(as_text=True)
    message = "メールアドレスまたはパスワードが正しくありません。"
    assert message in wrong and message in unknown
    assert "登録されていません" not in unknown
    assert 'value="owner@shop-a.test"' in wrong  # the email typed is kept
    assert client.get("/admin/").status_code == 302  # still signed out


def test_empty_fields_are_explained_next_to_them(client, login_as):
    html = login_as("", "").get_data(as_text=True)
    assert "メールアドレスを入力してください。" in html
    assert "パスワードを入力してください。" in html


def test_login_without_csrf_token_is_refused(client, make_shop):
    make_shop()
    response = client.post("/admin/login", data={"email": "owner@shop-a.test",
                                                  "password": PASSWORD})
    assert response.status_code == 400
    assert "画面の有効期限が切れました" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_admin_pages_need_login(client):
    response = client.get("/admin/products/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_logout_is_a_post_with_csrf(client, make_shop, login_as):
    make_shop()
    login_as("staff@shop-a.test")
    page = client.get("/admin/").get_data(as_text=True)
    assert client.get("/admin/logout").status_code == 405
    client.post("/admin/logout", data={"csrf_token": csrf_token(page)})
    assert client.get("/admin/").status_code == 302


def test_open_redirect_after_login_is_ignored(client, make_shop):
    make_shop()
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post("/admin/login?next=//evil.example/", data={
        "email": "owner@shop-a.test", "password": PASSWORD, "csrf_token": csrf_token(page)})
    assert response.headers["Location"] == "/admin/"


def test_passwords_are_hashed(app, make_shop):
    make_shop()
    staff = db.session.scalar(select(Staff).where(Staff.email == "owner@shop-a.test"))
    assert PASSWORD not in staff.password_hash
    assert staff.check_password(PASSWORD) and not staff.check_password("x")


def test_session_cookie_is_httponly_and_samesite(client, make_shop, login_as):
    make_shop()
    response = login_as("owner@shop-a.test")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_cli_creates_a_shop_and_its_owner(app, runner, client, login_as):
    result = runner.invoke(args=["shops", "create", "kyoto-tea", "--name", "京都茶舗",
                                 "--owner-email", "Owner@Kyoto.test",
                                 "--owner-password", "longpassword"])
    assert result.exit_code == 0, result.output
    shop = db.session.scalar(select(Shop).where(Shop.code == "kyoto-tea"))
    assert shop.name == "京都茶舗"
    assert login_as("owner@kyoto.test", "longpassword").status_code == 302


def test_cli_refuses_a_taken_code_and_a_bad_code(app, runner, make_shop):
    make_shop("shop-a")
    taken = runner.invoke(args=["shops", "create", "shop-a", "--name", "x", "--owner-email",
                                "x@x.test", "--owner-password", "longpassword"])
    assert taken.exit_code != 0 and "taken" in taken.output
    bad = runner.invoke(args=["shops", "create", "Bad Code", "--name", "x", "--owner-email",
                              "y@x.test", "--owner-password", "longpassword"])
    assert bad.exit_code != 0
    assert db.session.scalar(select(Shop).where(Shop.name == "x")) is None


def test_repeated_failures_lock_the_account_from_that_address_for_a_while(client, make_shop,
                                                                          login_as):
    make_shop()
    for _ in range(5):
        login_as("owner@shop-a.test", "wrong-password")
    locked = login_as("owner@shop-a.test")  # even the right password
    assert locked.status_code == 429
    assert "しばらくログインできません" in locked.get_data(as_text=True)
    assert "2秒ほど待ってから" in locked.get_data(as_text=True)
    assert locked.headers["Retry-After"] == "2"
    assert client.get("/admin/").status_code == 302


def test_admin_pages_carry_security_headers(client, make_shop, login_as):
    make_shop()
    login_as("owner@shop-a.test")
    response = client.get("/admin/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


# -- where the login goes next --------------------------------------------------------------
def _login_with_next(app, raw_query: str):
    browser = app.test_client()
    page = browser.get("/admin/login").get_data(as_text=True)
    return browser.post("/admin/login?" + raw_query, data={
        "email": "owner@shop-a.test", "password": PASSWORD, "csrf_token": csrf_token(page)})


def _assert_same_site(location: str) -> None:
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    for text in (location, unquote(location)):
        assert text.startswith("/") and not text.startswith("//") and "\\" not in text, location
        assert not any(c.isspace() or unicodedata.category(c)[0] in "CZ" for c in text), location


@pytest.mark.parametrize("raw", [
    "next=/%09/evil.example/x", "next=/%0A/x", "next=/%0D%0A/x", "next=%09/evil.example",
    "next=//evil.example/", "next=/%2F/evil.example", "next=%2F%2Fevil.example",
    "next=/%5Cevil.example", "next=/%255C%255Cevil", "next=https://evil.example/",
    "next=javascript:alert(1)", "next=/%E3%80%80/x", "next=/%E2%80%AE/x", "next=/%2509/x",
    "next=%20/x", "next=", "next=admin/orders/",
])
def test_next_that_is_not_a_plain_path_of_this_site_goes_to_the_dashboard(app, make_shop, raw):
    make_shop()
    response = _login_with_next(app, raw)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


@pytest.mark.parametrize("target", [
    "/admin/orders/1", "/admin/orders/?page=2&status=new", "/admin/products/#top",
    "/admin/orders/?name=%E5%B1%B1%E7%94%B0"])
def test_next_that_is_a_path_of_this_site_is_followed(app, make_shop, target):
    make_shop()
    response = _login_with_next(app, urlencode({"next": target}))
    assert response.headers["Location"] == target


@settings(max_examples=80, deadline=None, database=None,
          derandomize=not os.environ.get("FUZZ_EXPLORE"),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@example(target="/\t/host/x")
@example(target="/\n/x")
@example(target="/\u3000/x")
@example(target="/%2e%2e/%2F/x")
@given(target=st.one_of(
    st.text(),
    st.text().map(lambda text: "/" + text),
    st.builds(lambda head, tail: head + tail,
              st.sampled_from(["/", "//", "/\\", "\\", "/%09", "/%0a", "/%2F", "%2F", "http:",
                               "https://", "/\t", "/\x0b", "/\u2028", "/%E2%80%A8"]),
              st.text(max_size=20)),
))
def test_no_next_makes_a_500_or_leaves_the_site(app, make_shop, target):
    if not db.session.scalar(select(Staff)):
        make_shop()
    for raw in (urlencode({"next": target}), "next=" + quote(target, safe="/%:\\"),
                "next=" + quote(target, safe="")):
        response = _login_with_next(app, raw)
        assert response.status_code == 302, (raw, response.status_code)
        _assert_same_site(response.headers["Location"])
