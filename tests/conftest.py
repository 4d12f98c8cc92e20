"""Shared fixtures: a guarded network, a migrated app per test, the sandbox on a real port."""
import ipaddress
import os
import re
import shutil
import socket

import pytest
import requests
from flask import g

from cart import create_app
from cart.cli import add_staff, create_shop
from cart.config import TestConfig
from cart.extensions import db
from payments.sandbox import create_sandbox
from payments.sandbox.server import SandboxServer

pytest_plugins = ["tests.secrets_scan"]  # every test fails if a PAYGENT secret shows up

# -- network guard ----------------------------------------------------------------------
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def network_guard(monkeypatch):
    """Fail any test that tries to reach an address outside the loopback."""
    attempts = []

    def guarded(real):
        def connect(self, address):
            if not _is_local(address):
                attempts.append(address)
                raise ConnectionRefusedError(f"test tried to reach {address!r}")
            return real(self, address)
        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(_real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(_real_connect_ex))
    yield attempts
    if attempts:
        pytest.fail(f"outbound network access attempted: {attempts}")


# -- the app ----------------------------------------------------------------------------
# With TEST_POSTGRES_URL (a server URL) the suite runs on PostgreSQL: one database migrated
# once as a template, and a fresh copy of it for every test.
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
# one template per pytest-xdist worker ("main" without workers), so that workers never drop
# each other's
TEMPLATE_DB = f"cart_test_template_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def _pg_admin():
    from sqlalchemy import create_engine
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory):
    """A database migrated once from the Alembic revisions; copied for each test."""
    from flask_migrate import upgrade
    if POSTGRES_URL:
        from sqlalchemy import text
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
        url = _pg_url(TEMPLATE_DB)
    else:
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        url = f"sqlite:///{path}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url if POSTGRES_URL else path


@pytest.fixture
def database_url(migrated_db, tmp_path):
    """A fresh copy of the migrated database for one test."""
    if POSTGRES_URL:
        import uuid

        from sqlalchemy import text
        name = f"cart_test_{uuid.uuid4().hex[:12]}"
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}"))
        yield _pg_url(name)
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    else:
        path = tmp_path / "cart.sqlite3"
        shutil.copy(migrated_db, path)
        yield f"sqlite:///{path}"


# With TEST_REDIS_URL background work goes through RQ on that Redis server, one queue per
# test, run by a worker thread (tests/rq_worker.py).
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


@pytest.fixture
def app(database_url):
    extra = {}
    if REDIS_URL:
        import uuid
        extra = dict(REDIS_URL=REDIS_URL, RQ_QUEUE=f"cart-test-{uuid.uuid4().hex[:12]}")
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, **extra)
    worker = None
    if REDIS_URL:
        from tests.rq_worker import WorkerThread
        worker = WorkerThread(app).start()

    @app.teardown_request
    def forget_request_globals(exc):
        # The test holds one app context open, so requests would share ``g`` (the signed-in
        # user, the CSRF token, the storefront's shop); in production each request has its own.
        for key in list(g):
            g.pop(key)

    with app.app_context():
        yield app
        app.extensions["jobs"].wait_idle(30)
        if worker is not None:
            worker.stop()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


PASSWORD = "password123"


@pytest.fixture
def make_shop(app):
    """Create a shop with an owner (owner@CODE.test) and a staff member (staff@CODE.test)."""
    def make(code: str = "shop-a", name: str = "テスト商店"):
        shop = create_shop(code, name, f"owner@{code}.test", PASSWORD)
        add_staff(shop, f"staff@{code}.test", PASSWORD, "staff", "スタッフ")
        db.session.commit()
        return shop
    return make


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def login_as(client):
    """Sign in through the real login form (CSRF included)."""
    def login(email: str, password: str = PASSWORD):
        page = client.get("/admin/login").get_data(as_text=True)
        return client.post("/admin/login", data={
            "email": email, "password": password, "csrf_token": csrf_token(page)})
    return login


# -- the sandbox on a real port ---------------------------------------------------------
class RunningSandbox:
    def __init__(self, server: SandboxServer):
        self.server = server
        self.url = server.url
        self.paygent_url = server.url + "/paygent"
        self.store = server.app.extensions["sandbox"].store
        self.token = server.app.extensions["sandbox"].control_token

    def control(self, path: str, method: str = "post", **json):
        """Call the control API with its token."""
        response = requests.request(method, f"{self.url}/control/{path}", json=json or None,
                                    headers={"X-Sandbox-Token": self.token}, timeout=10)
        response.raise_for_status()
        return response.json()

    def telegrams(self, kind: str | None = None):
        return self.store.telegrams(kind)


@pytest.fixture(scope="session")
def _sandbox_server():
    # The cart under test reaches it as a deployed cart reaches SANDBOX_URL: with SANDBOX_TOKEN.
    server = SandboxServer(create_sandbox(control_token=TestConfig.SANDBOX_TOKEN)).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(_sandbox_server):
    """The sandbox over real HTTP, emptied for each test."""
    running = RunningSandbox(_sandbox_server)
    running.store.reset(keep_merchants=False)
    yield running
    running.store.reset(keep_merchants=False)


ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "test-artifacts")
