"""The sandbox is mounted only when asked for, and its control API needs its token.

Without the token nobody can read the shops' 343 replies (buyer names, addresses), move the
clock, re-register a merchant's notice URL and hash key, or wipe the state; the pages the
shopper's browser uses and the PAYGENT paths (which check the connect ID and password) stay
open.
"""
import os
import queue
import stat
import subprocess
import sys
import threading

import pytest
import requests

from cart import create_app
from cart.config import TestConfig
from payments.paygent.codec import encode_form
from payments.sandbox import create_sandbox

from .paygent_helpers import CONNECT_ID, MERCHANT, PASSWORD, PUBLIC_KEY, authorize, register

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADER = "X-Sandbox-Token"


# -- mounted only when asked for ---------------------------------------------------------
def test_a_plain_create_app_does_not_mount_the_sandbox(tmp_path):
    """``create_app()`` with nothing in the environment about the sandbox: no /_sandbox."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'cart.sqlite3'}", SECRET_KEY="plain-app",
               LOG_LEVEL="WARNING")
    probe = (
        "from cart import create_app\n"
        "from cart.config import Config\n"
        "app = create_app()\n"
        "client = app.test_client()\n"
        "print(Config.SANDBOX_ENABLED, 'paygent_sandbox' in app.extensions,\n"
        "      client.get('/_sandbox/paidy/checkout.js').status_code,\n"
        "      client.post('/_sandbox/control/reset').status_code,\n"
        "      client.post('/_sandbox/paygent/n/ref/paynotice').status_code)\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "False", "404", "404", "404"]


def test_mounted_sandbox_keeps_its_token_in_its_folder(tmp_path):
    store = tmp_path / "sandbox.sqlite3"
    app = create_app(TestConfig, SANDBOX_ENABLED=True,
                     SANDBOX_DB=str(store), SANDBOX_TOKEN="")
    token_file = tmp_path / "sandbox_token"
    token = app.config["SANDBOX_TOKEN"]
    assert len(token) >= 32 and token_file.read_text().strip() == token
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    again = create_app(TestConfig, SANDBOX_ENABLED=True,
                       SANDBOX_DB=str(store), SANDBOX_TOKEN="")
    assert again.config["SANDBOX_TOKEN"] == token  # generated once, then kept
    client = again.test_client()
    assert client.post("/_sandbox/control/reset").status_code == 401
    assert client.post("/_sandbox/control/reset", headers={HEADER: token}).status_code == 200


def test_sandbox_token_from_the_environment_wins(tmp_path):
    app = create_app(TestConfig, SANDBOX_ENABLED=True,
                     SANDBOX_DB=str(tmp_path / "sandbox.sqlite3"), SANDBOX_TOKEN="chosen-token")
    assert not (tmp_path / "sandbox_token").exists()
    client = app.test_client()
    assert client.get("/_sandbox/control/notices",
                      headers={HEADER: "chosen-token"}).status_code == 200
    assert client.get("/_sandbox/control/notices",
                      headers={HEADER: "not-it"}).status_code == 403


def test_a_sandbox_built_without_a_token_gets_a_secret_one():
    app = create_sandbox(dispatch=False)
    token = app.extensions["sandbox"].control_token
    assert len(token) >= 32
    client = app.test_client()
    assert client.post("/control/reset").status_code == 401
    assert client.post("/control/reset", headers={HEADER: ""}).status_code == 401
    assert client.post("/control/reset", headers={HEADER: token}).status_code == 200


def test_demo_summary_prints_the_token_and_how_to_send_it():
    from cart.demo import summary
    app = create_app(TestConfig, SANDBOX_ENABLED=True, SANDBOX_TOKEN="printed-token-123")
    with app.app_context():
        text = summary()
    assert "printed-token-123" in text
    assert "curl" in text and "X-Sandbox-Token: printed-token-123" in text
    assert "/_sandbox/control/" in text


# -- every control endpoint refuses without the token and does nothing --------------------
@pytest.fixture
def paid(sandbox):
    register(sandbox)
    return authorize(sandbox, "order00501", 3000)


def _state(sandbox):
    db = sandbox.store.db
    return {
        "payments": [tuple(r) for r in db.execute("SELECT * FROM payments ORDER BY payment_id")],
        "merchants": [tuple(r) for r in db.execute("SELECT * FROM merchants")],
        "notices": [tuple(r) for r in db.execute("SELECT * FROM notices")],
        "faults": [tuple(r) for r in db.execute("SELECT * FROM faults")],
        "settings": [tuple(r) for r in db.execute("SELECT * FROM settings")],
    }


def _calls(paid):
    pid = paid["payment_id"]
    return [
        ("post", "reset", {"keep_merchants": False}),
        ("post", "merchants", {"merchant_id": MERCHANT, "connect_id": CONNECT_ID,
                               "connect_password": PASSWORD, "hash_key": "attacker-key",
                               "notice_url": "http://127.0.0.1:9/steal"}),
        ("post", "settings", {"latency_ms": 5}),
        ("post", "clock", {"advance_days": 40}),
        ("post", "faults", {"mode": "http500", "count": 3}),
        ("delete", "faults", None),
        ("post", "payments", {"merchant_id": MERCHANT, "trading_id": "order00502",
                              "amount": 100}),
        ("get", f"payments/{pid}", None),
        ("post", f"payments/{pid}/change", {"action": "capture"}),
        ("get", "telegrams", None),
        ("get", "notices", None),
        ("get", "no-such-thing", None),
    ]


CALL_NAMES = ["reset", "merchants", "settings", "clock", "faults", "clear-faults",
              "create-payment", "read-payment", "change-payment", "telegrams", "notices",
              "unknown"]


@pytest.mark.parametrize("index", range(len(CALL_NAMES)), ids=CALL_NAMES)
@pytest.mark.parametrize("token, code", [(None, 401), ("wrong-token", 403)],
                         ids=["no-token", "wrong-token"])
def test_control_refuses_without_the_right_token_and_does_nothing(sandbox, paid, index,
                                                                   token, code):
    sandbox.store.add_fault("drop", "999")  # something for "clear faults" to clear
    sandbox.control("telegrams", method="get")  # the token opens it (sanity)
    method, path, body = _calls(paid)[index]
    before = _state(sandbox)
    headers = {HEADER: token} if token else {}
    response = requests.request(method, f"{sandbox.url}/control/{path}", json=body,
                                headers=headers, timeout=10)
    assert response.status_code == code
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]
    assert "山田" not in response.text and "order00501" not in response.text
    assert _state(sandbox) == before


def test_control_works_with_the_token(sandbox, paid):
    pid = paid["payment_id"]
    assert requests.get(f"{sandbox.url}/control/payments/{pid}", timeout=10).status_code == 401
    assert sandbox.control(f"payments/{pid}", method="get")["status"] == "20"
    sandbox.control("clock", advance_days=2)
    assert float(sandbox.store.setting("clock_offset")) == 2 * 86400
    sandbox.control("settings", latency_ms=0, notice_retry_seconds=1.5)
    assert sandbox.store.setting("notice_retry_seconds") == 1.5
    sandbox.control("faults", mode="http500", telegram_kind="341")
    sandbox.control("faults", method="delete")
    assert sandbox.store.db.execute("SELECT COUNT(*) FROM faults").fetchone()[0] == 0
    changed = sandbox.control(f"payments/{pid}/change", action="capture")
    assert changed["result"] == "0"
    assert sandbox.control(f"payments/{pid}", method="get")["status"] == "40"
    assert [t["telegram_kind"] for t in sandbox.control("telegrams", method="get")] == []
    assert sandbox.control("notices", method="get")
    sandbox.control("reset", keep_merchants=False)
    assert sandbox.store.db.execute("SELECT COUNT(*) FROM payments").fetchone()[0] == 0


# -- what the shopper's browser and the shop's server use stays open ----------------------
def test_the_modal_and_the_paygent_paths_need_no_token(sandbox):
    """Only the control API is closed: the same server answers the browser and the shop."""
    register(sandbox)
    assert requests.get(f"{sandbox.url}/control/notices", timeout=10).status_code == 401
    assert requests.get(f"{sandbox.url}/paidy/checkout.js", timeout=10).status_code == 200
    assert requests.get(f"{sandbox.url}/paidy/try", timeout=10).status_code == 200
    preflight = requests.options(f"{sandbox.url}/paidy/payments", timeout=10)
    assert preflight.status_code == 204
    paid = requests.post(f"{sandbox.url}/paidy/payments", timeout=10, json={
        "api_key": PUBLIC_KEY, "email": "successful.payment@paidy.com",
        "phone": "08000000001",
        "payload": {"amount": 1000, "currency": "JPY", "buyer": {"name1": "山田 太郎"},
                    "order": {"order_ref": "order00601", "items": [], "tax": 0,
                              "shipping": 0}}})
    assert paid.status_code == 200 and paid.json()["status"] == "authorized"
    reply = requests.post(f"{sandbox.url}/paygent/n/ref/paynotice", timeout=10,
                          data=encode_form({"merchant_id": MERCHANT, "connect_id": CONNECT_ID,
                                            "connect_password": PASSWORD,
                                            "telegram_kind": "091",
                                            "telegram_version": "1.0"}))
    assert reply.status_code == 200 and reply.content.startswith(b"result=0\r\n")


def test_the_embedded_sandbox_guards_its_control_api(tmp_path):
    app = create_app(TestConfig, SANDBOX_ENABLED=True,
                     SANDBOX_DB=str(tmp_path / "sandbox.sqlite3"), SANDBOX_TOKEN="embedded-t")
    store = app.extensions["paygent_sandbox"].extensions["sandbox"].store
    store.upsert_merchant(MERCHANT, CONNECT_ID, PASSWORD, "hash", "", PUBLIC_KEY)
    client = app.test_client()
    assert client.post("/_sandbox/control/reset", json={"keep_merchants": False}
                       ).status_code == 401
    assert store.merchant(MERCHANT) is not None
    assert client.get("/_sandbox/paidy/checkout.js").status_code == 200
    assert client.post("/_sandbox/control/reset", json={"keep_merchants": False},
                       headers={HEADER: "embedded-t"}).status_code == 200
    assert store.merchant(MERCHANT) is None


# -- python -m payments.sandbox ----------------------------------------------------------
def test_the_standalone_sandbox_requires_and_prints_its_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "payments.sandbox", "--port", "0",
         "--db", str(tmp_path / "sandbox.sqlite3")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout],
                     daemon=True).start()
    try:
        printed = {}
        while "control token" not in printed:  # the banner ends with the token line
            key, _, value = lines.get(timeout=60).strip().partition(": ")
            printed[key] = value
        token = printed["control token"]
        url = printed["PAYGENT sandbox"].split()[0].removesuffix("/paygent")
        assert token == (tmp_path / "sandbox_token").read_text().strip()
        assert stat.S_IMODE((tmp_path / "sandbox_token").stat().st_mode) == 0o600
        assert requests.get(f"{url}/control/notices", timeout=10).status_code == 401
        assert requests.get(f"{url}/control/notices", headers={HEADER: token},
                            timeout=10).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_standalone_sandbox_takes_a_token_on_the_command_line(tmp_path):
    from payments.sandbox.__main__ import build
    app, token = build(["--db", str(tmp_path / "s.sqlite3"), "--control-token", "given-tok"])
    assert token == "given-tok" and not (tmp_path / "sandbox_token").exists()
    client = app.test_client()
    assert client.get("/control/notices", headers={HEADER: "given-tok"}).status_code == 200
    assert client.get("/control/notices").status_code == 401
