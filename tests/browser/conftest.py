"""Fixtures for tests that drive Chromium through real pages with Playwright.

``browser`` is one headless Chromium per session; ``page`` is a fresh Japanese-locale context
per test, whose last view is saved to ``test-artifacts/screenshots/<test name>.png``.
``screenshot(label)`` saves an extra view in the middle of a test.
The whole folder is skipped only when the system Chromium is missing.
"""
import os
import re
import secrets
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from cart import create_app
from cart.config import TestConfig
from cart.demo import seed_demo
from cart.extensions import db
from cart.models import (Order, OrderHistory, OrderItem, OutboxMail, PaygentAccount,
                         PaymentNotice, Product, Shop)
from payments.sandbox.server import SandboxServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent.parent
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
SKIP_REASON = f"browser tests need Chromium at {CHROMIUM}, which is not installed"
DEFAULT_TIMEOUT_MS = 10_000


def _chromium_missing() -> bool:
    return not os.path.exists(CHROMIUM)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Chromium through real pages (Playwright)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE not in Path(item.path).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if _chromium_missing():
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", name).strip("_") or "test"


@pytest.fixture(scope="session")
def browser():
    if _chromium_missing():
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def accept_dialog(dialog) -> None:
    """The operator answers はい to a confirmation (static/js/confirm-action.js) unless the
    test says otherwise: a test that dismisses removes this listener first
    (``page.remove_listener("dialog", accept_dialog)``)."""
    dialog.accept()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.page_errors = errors  # uncaught script errors, for tests that want to look
    page.on("dialog", accept_dialog)
    try:
        yield page
    finally:
        try:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{_safe_name(request.node.name)}.png"))
        except Exception as exc:  # a crashed page must not hide the test's own outcome
            print(f"screenshot of {request.node.name} failed: {exc}")
        context.close()
    if errors:
        pytest.fail("uncaught errors in the page's scripts:\n" + "\n".join(errors))


@pytest.fixture
def screenshot(page, request):
    """Save the current view as ``<test name>-<label>.png``."""
    def take(label: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{_safe_name(request.node.name)}-{_safe_name(label)}.png"
        page.screenshot(path=str(path))
        return path
    return take


# -- the whole shop on a real port ------------------------------------------------------
class _LateBoundApp:
    """A WSGI callable whose target is set after the server (and so its port) exists."""

    def __init__(self):
        self.target = None

    def __call__(self, environ, start_response):
        return self.target(environ, start_response)


class LiveShop:
    """The cart with its embedded sandbox, served over HTTP for a real browser.

    The sandbox's 差分通知 go back to this same server (``PUBLIC_BASE_URL`` is its URL),
    exactly as PAYGENT would send them to a deployed shop.
    """

    def __init__(self, server, app):
        self.server = server
        self.app = app
        self.url = server.url
        self.sandbox = app.extensions["paygent_sandbox"]
        self.sandbox_store = self.sandbox.extensions["sandbox"].store
        self.sandbox_token = app.config["SANDBOX_TOKEN"]  # for /_sandbox/control/…
        self._serial = 0

    def shop_url(self, shop_code: str, path: str = "/") -> str:
        return f"{self.url}/s/{shop_code}{path}"

    def read(self, fn):
        """Run ``fn()`` against the shop's database, seeing everything committed so far."""
        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()

    def new_product(self, shop_code: str, name: str, price: int, tax_rate: int = 8,
                    stock: int = 20) -> int:
        """A product no other test has touched; returns its id."""
        self._serial += 1
        code = f"live-{self._serial:03d}"

        def create():
            shop = db.session.scalar(select(Shop).where(Shop.code == shop_code))
            product = Product(shop_id=shop.id, code=code, name=name, price=price,
                              tax_rate=tax_rate, stock=stock, published=True)
            db.session.add(product)
            db.session.commit()
            return product.id
        return self.read(create)

    def stock(self, product_id: int) -> int:
        return self.read(lambda: db.session.get(Product, product_id).stock)

    def orders_with(self, product_id: int) -> list[dict]:
        """Every order holding this product, oldest first, as plain data."""
        def load():
            orders = db.session.scalars(select(Order).where(Order.id.in_(
                select(OrderItem.order_id).where(OrderItem.product_id == product_id)
            )).order_by(Order.id)).all()
            return [_order_data(order) for order in orders]
        return self.read(load)

    def merchant_id(self, shop_code: str) -> str:
        return self.read(lambda: db.session.scalar(
            select(PaygentAccount.merchant_id).join(Shop, Shop.id == PaygentAccount.shop_id)
            .where(Shop.code == shop_code)))

    def sandbox_payments(self, shop_code: str, trading_id: str) -> list[dict]:
        """The shop's payments at the sandbox under this 取引ID (the order number)."""
        rows = self.sandbox_store.db.execute(
            "SELECT * FROM payments WHERE merchant_id=? AND trading_id=? ORDER BY payment_id",
            (self.merchant_id(shop_code), trading_id)).fetchall()
        return [dict(row) for row in rows]

    def sandbox_notices(self, shop_code: str, trading_id: str) -> list[dict]:
        """The 差分通知 the sandbox queued for those payments, with how the shop answered."""
        rows = self.sandbox_store.db.execute(
            "SELECT n.* FROM notices n JOIN payments p ON p.payment_id = n.payment_id "
            "WHERE p.merchant_id=? AND p.trading_id=? ORDER BY n.payment_notice_id",
            (self.merchant_id(shop_code), trading_id)).fetchall()
        return [dict(row) for row in rows]

    def received_notices(self, order_id: int) -> list[dict]:
        """The 差分通知 the shop recorded for an order."""
        def load():
            return [{"payment_status": n.payment_status, "outcome": n.outcome}
                    for n in db.session.scalars(select(PaymentNotice).where(
                        PaymentNotice.order_id == order_id).order_by(PaymentNotice.id))]
        return self.read(load)


def _order_data(order) -> dict:
    data = {column.name: getattr(order, column.name) for column in order.__table__.columns}
    payment = order.payment
    data["payment"] = ({column.name: getattr(payment, column.name)
                        for column in payment.__table__.columns} if payment else None)
    data["items"] = [(item.product_id, item.quantity, item.subtotal) for item in order.items]
    data["history"] = db.session.scalars(select(OrderHistory.text).where(
        OrderHistory.order_id == order.id).order_by(OrderHistory.id)).all()
    data["mails"] = [(mail.to_addr, mail.subject) for mail in db.session.scalars(
        select(OutboxMail).where(OutboxMail.order_id == order.id).order_by(OutboxMail.id))]
    return data


@pytest.fixture(scope="module")
def live_shop(migrated_db, tmp_path_factory):
    """The demo shops (``demo`` zero-step, ``demo3`` three-step) with the sandbox mounted.

    Module-scoped: tests keep apart by buying products made for them (``new_product``)
    in their own browser context.
    """
    folder = tmp_path_factory.mktemp("live-shop")
    database = folder / "cart.sqlite3"
    shutil.copy(migrated_db, database)
    front = _LateBoundApp()
    server = SandboxServer(front)
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
                     SANDBOX_ENABLED=True, SANDBOX_DB=str(folder / "sandbox.sqlite3"),
                     SANDBOX_TOKEN=secrets.token_urlsafe(32),
                     PUBLIC_BASE_URL=server.url)
    front.target = app
    with app.app_context():
        seed_demo()
        db.session.remove()
    shop = LiveShop(server, app)
    # A notice the shop failed to take is re-sent soon, not after PAYGENT's usual wait.
    shop.sandbox_store.set_setting("notice_retry_seconds", 0.5)
    server.start()
    try:
        yield shop
    finally:
        shop.sandbox.extensions["sandbox"].dispatcher.stop()
        server.stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def full_screenshot(page, request):
    """Save the whole page, scrolled content included, as ``<test name>-<label>.png``."""
    def take(label: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{_safe_name(request.node.name)}-{_safe_name(label)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return take


# -- the 管理画面 ---------------------------------------------------------------------------
@pytest.fixture
def sign_in(page, live_shop):
    """Sign a staff member in through the login form, leaving any shopper session behind.

    The page starts from no cookies, so a test can buy as a shopper and then look at the
    order as staff in the same page (and the same screenshots).
    """
    from playwright.sync_api import expect

    from cart.demo import DEMO_PASSWORD

    def login(email: str, password: str = DEMO_PASSWORD):
        page.context.clear_cookies()
        page.goto(f"{live_shop.url}/admin/login")
        page.get_by_label("メールアドレス").fill(email)
        page.get_by_label("パスワード").fill(password)
        page.get_by_role("button", name="ログイン").click()
        expect(page.locator(".admin-header .who")).to_contain_text(email.lower())
    return login
