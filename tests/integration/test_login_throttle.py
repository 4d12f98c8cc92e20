"""Sign-in throttling: counted atomically across processes, per account and address (or known
device) with a growing delay, per account and per address; the client's address comes from
X-Forwarded-For only through a trusted proxy; nobody is locked out by someone else's guesses."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sqlalchemy import func, select

from cart import create_app
from cart.auth.proxies import TrustedProxies, TrustedProxyFix
from cart.config import TestConfig
from cart.extensions import db
from cart.models import LoginThrottle, Staff

from ..conftest import PASSWORD, csrf_token
from .checkout_helpers import setup_shops

OWNER = "owner@shop-a.test"
LOCKED = "ログインの失敗が続いたため、しばらくログインできません。"
FAILED = "メールアドレスまたはパスワードが正しくありません。"


class Clock:
    """The throttle's clock, moved on by the test instead of sleeping."""

    def __init__(self):
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(app):
    clock = Clock()
    app.extensions["login_throttle"].clock = clock
    return clock


@pytest.fixture
def checks(monkeypatch):
    """How many times a staff member's password was checked."""
    counted = []
    real = Staff.check_password

    def check_password(self, password):
        counted.append(self.email)
        return real(self, password)
    monkeypatch.setattr(Staff, "check_password", check_password)
    return counted


class Browser:
    """A browser at one address (Flask's test client with its own REMOTE_ADDR)."""

    def __init__(self, app, address="198.51.100.1", forwarded_for=None):
        self.client = app.test_client()
        self.environ = {"REMOTE_ADDR": address}
        self.headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}

    def login(self, email=OWNER, password="wrong-password"):
        page = self.client.get("/admin/login", environ_base=self.environ, headers=self.headers)
        return self.client.post("/admin/login", environ_base=self.environ, headers=self.headers,
                                data={"email": email, "password": password,
                                      "csrf_token": csrf_token(page.get_data(as_text=True))})

    def sign_out(self):
        """Leave the session, keep the known-device cookie (as after a logout)."""
        self.client.delete_cookie("session")


def refused(response, seconds=None) -> bool:
    html = response.get_data(as_text=True)
    ok = response.status_code == 429 and LOCKED in html and FAILED not in html
    if seconds is not None:
        ok = ok and response.headers["Retry-After"] == str(seconds)
    return ok


def refused_wait(response) -> str:
    assert refused(response), response.status_code
    return response.headers["Retry-After"]


def signed_in(response) -> bool:
    return response.status_code == 302 and response.headers["Location"] == "/admin/"


# -- one account from one address ----------------------------------------------------------
def test_after_five_failures_each_attempt_waits_twice_as_long_without_a_password_check(
        app, make_shop, clock, checks):
    make_shop()
    browser = Browser(app)
    for _ in range(5):
        assert FAILED in browser.login().get_data(as_text=True)
    assert len(checks) == 5
    locked = browser.login(password=PASSWORD)  # even the right password waits
    assert refused(locked, 2) and "2秒ほど待ってから" in locked.get_data(as_text=True)
    assert len(checks) == 5  # refused before the password was looked at
    waits = []
    for _ in range(5):
        clock.advance(int(refused_wait(browser.login())))
        assert FAILED in browser.login().get_data(as_text=True)  # one attempt per delay
        waits.append(int(refused_wait(browser.login())))
    assert waits == [4, 8, 16, 32, 64]
    assert len(checks) == 10
    clock.advance(64)
    # ten failures: the account's limit now holds this client until its window (15 minutes
    # from the first failure, 126 s ago) has passed
    at_limit = browser.login(password=PASSWORD)
    assert refused(at_limit, 900 - 126) and "13分ほど待ってから" in at_limit.get_data(as_text=True)
    clock.advance(900 - 126)
    assert FAILED in browser.login().get_data(as_text=True)
    assert refused(browser.login(), 128)  # the pair's delay goes on doubling
    assert len(checks) == 11
    clock.advance(128)
    assert signed_in(browser.login(password=PASSWORD))


def test_the_delay_doubles_from_two_seconds_to_fifteen_minutes(app):
    delays = [app.extensions["login_throttle"].delay(n) for n in range(1, 18)]
    assert delays == [0, 0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900]


def test_an_hour_of_quiet_or_a_success_starts_the_pair_afresh(app, make_shop, clock):
    make_shop()
    browser = Browser(app)
    for _ in range(5):
        browser.login()
    assert refused(browser.login())
    clock.advance(3600)
    for _ in range(4):
        assert browser.login().status_code == 200
    assert signed_in(browser.login(password=PASSWORD))
    browser.sign_out()
    stranger = Browser(app, browser.environ["REMOTE_ADDR"])  # same address, no known device
    for _ in range(5):
        assert stranger.login().status_code == 200  # the success gave the five back
    assert refused(stranger.login())


def test_an_address_that_guesses_does_not_stop_another_address(app, make_shop, clock):
    make_shop()
    attacker = Browser(app, "203.0.113.66")
    for _ in range(8):
        attacker.login()
    assert refused(attacker.login(password=PASSWORD))
    assert signed_in(Browser(app, "198.51.100.7").login(password=PASSWORD))


# -- one account from many addresses --------------------------------------------------------
def test_the_account_limit_spares_clients_that_have_not_failed_and_known_devices(
        app, make_shop, clock, checks):
    make_shop()
    device = Browser(app, "198.51.100.50")
    assert signed_in(device.login(password=PASSWORD))  # the owner's usual browser
    device.sign_out()
    attackers = [Browser(app, f"203.0.113.{i}") for i in range(1, 13)]
    for attacker in attackers:  # twelve addresses, one guess each: the account is at its limit
        assert FAILED in attacker.login().get_data(as_text=True)
    for attacker in attackers[:3]:  # a second guess from any of them is refused unchecked
        assert refused(attacker.login(password=PASSWORD))
    assert len(checks) == 1 + 12

    assert signed_in(Browser(app, "198.51.100.9").login(password=PASSWORD))  # never failed
    assert signed_in(device.login(password=PASSWORD))  # a known device
    device.sign_out()
    on_attacked_address = Browser(app, "203.0.113.1")  # the device cookie, at an attacker's
    on_attacked_address.client.set_cookie("known_device",
                                           device.client.get_cookie("known_device",
                                                                    path="/admin").value,
                                           path="/admin")
    assert signed_in(on_attacked_address.login(password=PASSWORD))

    clock.advance(900)  # the account's window has passed
    assert signed_in(attackers[5].login(password=PASSWORD))


def test_a_known_device_is_throttled_on_its_own(app, make_shop, clock):
    make_shop()
    device = Browser(app)
    assert signed_in(device.login(password=PASSWORD))
    device.sign_out()
    for _ in range(5):
        assert device.login().status_code == 200
    assert refused(device.login(password=PASSWORD), 2)
    # the same address without the cookie is another client
    assert signed_in(Browser(app, device.environ["REMOTE_ADDR"]).login(password=PASSWORD))


def test_a_device_cookie_of_another_account_or_a_forged_one_is_no_known_device(
        app, make_shop, clock):
    make_shop()
    make_shop("shop-b")
    device = Browser(app)
    assert signed_in(device.login("owner@shop-b.test", PASSWORD))
    device.sign_out()
    for _ in range(5):
        device.login(OWNER)
    assert refused(device.login(OWNER, PASSWORD))  # shop-b's device is nobody for shop-a
    forged = Browser(app)
    forged.client.set_cookie("known_device", "eyJkIjoieCIsInMiOlsxXX0.forged.sig",
                             path="/admin")
    assert refused(forged.login(OWNER, PASSWORD))


# -- one address, many accounts ----------------------------------------------------------
def test_one_address_trying_many_accounts_is_stopped_at_fifty(app, make_shop, clock, checks):
    make_shop()
    device = Browser(app, "192.0.2.10")
    assert signed_in(device.login(password=PASSWORD))
    device.sign_out()
    stuffer = Browser(app, "192.0.2.10")
    for n in range(50):
        assert stuffer.login(f"user{n}@shop-a.test").status_code == 200
    assert refused(stuffer.login(password=PASSWORD))
    assert signed_in(Browser(app, "192.0.2.11").login(password=PASSWORD))
    assert signed_in(device.login(password=PASSWORD))  # a known device at that address
    clock.advance(900)
    assert signed_in(Browser(app, "192.0.2.10").login(password=PASSWORD))


# -- the client's address ------------------------------------------------------------------
def echo_address(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["REMOTE_ADDR"].encode()]


@pytest.mark.parametrize("spec, peer, forwarded, seen", [
    ("10.0.0.1", "198.51.100.9", "203.0.113.5", "198.51.100.9"),  # not a proxy: ignored
    ("10.0.0.1", "10.0.0.1", "203.0.113.5", "203.0.113.5"),
    ("10.0.0.1", "10.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the proxy's own entry
    ("10.0.0.0/8", "10.1.2.3", "6.6.6.6, 203.0.113.5, 10.9.9.9", "203.0.113.5"),  # two proxies
    ("10.0.0.1", "10.0.0.1", "", "10.0.0.1"),
    ("", "127.0.0.1", "203.0.113.5", "127.0.0.1"),  # nobody trusted
    ("127.0.0.1, ::1", "::1", "2001:db8::5", "2001:db8::5"),
    ("*", "198.51.100.9", "6.6.6.6, 203.0.113.5", "203.0.113.5"),
])
def test_x_forwarded_for_is_believed_only_from_a_listed_proxy(spec, peer, forwarded, seen):
    from werkzeug.test import Client
    trusted = TrustedProxies(spec)
    app = TrustedProxyFix(echo_address, trusted) if trusted else echo_address
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    response = Client(app).get("/", environ_base={"REMOTE_ADDR": peer}, headers=headers)
    assert response.get_data(as_text=True) == seen


@pytest.fixture
def behind_proxy(database_url, app):
    """The app configured for one proxy at 10.0.0.1, on the test's database."""
    proxied = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url,
                         FORWARDED_ALLOW_IPS="10.0.0.1")
    clock = Clock()
    proxied.extensions["login_throttle"].clock = clock
    yield proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def test_addresses_spoofed_by_an_untrusted_peer_are_ignored(behind_proxy, make_shop):
    make_shop()
    spoofer = [Browser(behind_proxy, "198.51.100.9", f"203.0.113.{n}") for n in range(7)]
    for browser in spoofer[:5]:
        assert browser.login().status_code == 200
    for browser in spoofer[5:]:  # new X-Forwarded-For, same peer: the same client
        assert refused(browser.login(password=PASSWORD))
    proxied = [Browser(behind_proxy, "10.0.0.1", f"203.0.113.{n}") for n in (1, 2)]
    for _ in range(5):
        proxied[0].login()
    assert refused(proxied[0].login(password=PASSWORD))
    assert signed_in(proxied[1].login(password=PASSWORD))  # behind the proxy: another client


# -- through gunicorn: 3 processes -----------------------------------------------------------
def _attempt(url, email, password, forwarded_for, cookies=None):
    session = requests.Session()
    if cookies:
        session.cookies.update(cookies)
    headers = {"X-Forwarded-For": forwarded_for}
    token = csrf_token(session.get(url + "/admin/login", headers=headers, timeout=30).text)
    return session, lambda: session.post(
        url + "/admin/login", data={"email": email, "password": password, "csrf_token": token},
        headers=headers, allow_redirects=False, timeout=60)


def _burst(posts):
    start, answers = threading.Barrier(len(posts)), []

    def run(post):
        start.wait()
        answers.append(post())
    threads = [threading.Thread(target=run, args=(post,)) for post in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.fixture
def served(request, monkeypatch):
    """gunicorn with the loopback as the trusted proxy (as in the README's set-up)."""
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", getattr(request, "param", "127.0.0.1"))
    return request.getfixturevalue("gunicorn")


def test_thirty_parallel_guesses_are_checked_at_most_ten_times_and_others_still_sign_in(
        app, sandbox, served):
    setup_shops(app, sandbox)
    db.session.commit()
    known, post = _attempt(served, "staff@example.com", "demo1234", "203.0.113.77")
    assert post().status_code == 302  # the staff member's usual browser, before the attack
    device = {"known_device": known.cookies.get("known_device")}

    posts = [_attempt(served, "staff@example.com", f"guess-{n}", "203.0.113.77")[1]
             for n in range(30)]
    answers = _burst(posts)
    assert len(answers) == 30 and {a.status_code for a in answers} <= {200, 429}
    checked = [a for a in answers if a.status_code == 200]
    assert 1 <= len(checked) <= 10, len(checked)
    assert all(FAILED in a.text for a in checked)
    for answer in answers:
        if answer.status_code == 429:
            assert LOCKED in answer.text and int(answer.headers["Retry-After"]) >= 1
    db.session.expire_all()
    assert db.session.scalar(select(func.max(LoginThrottle.hits))) == len(checked)

    # while the attack goes on, another address and the known device sign in
    assert device["known_device"]
    assert _attempt(served, "staff@example.com", "demo1234", "198.51.100.20")[1]().status_code \
        == 302
    assert _attempt(served, "staff@example.com", "demo1234", "203.0.113.77",
                    cookies=device)[1]().status_code == 302


@pytest.mark.parametrize("served", ["10.255.255.1"], indirect=True)
def test_through_gunicorn_an_untrusted_peer_cannot_spread_its_guesses_over_made_up_addresses(
        app, sandbox, served):
    setup_shops(app, sandbox)
    db.session.commit()
    posts = [_attempt(served, "staff@example.com", f"guess-{n}", f"203.0.113.{n}")[1]
             for n in range(20)]
    answers = _burst(posts)
    checked = [a for a in answers if a.status_code == 200]
    assert len(answers) == 20 and 1 <= len(checked) <= 10  # one client, not twenty
    assert all(a.status_code == 429 for a in answers if a not in checked)
