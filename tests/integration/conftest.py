"""Fixtures shared by the integration tests."""
import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from .card_helpers import card_shop  # noqa: F401 (a fixture: the demo shop with the card)
from .checkout_helpers import setup_shops
from .method_helpers import authorised  # noqa: F401 (a fixture: an order of each method)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def shops(app, sandbox):
    """The demo shops (zero-step ``demo``, three-step ``demo3``) talking to the sandbox."""
    setup_shops(app, sandbox)
    return sandbox


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served(str):
    """The URL gunicorn serves on, with its master's process id (to kill its workers)."""
    master_pid: int


@pytest.fixture
def gunicorn(app, database_url, sandbox):
    """The app under gunicorn: 3 worker processes × 4 threads, on the test's database."""
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=app.config["SECRET_KEY"],
               SANDBOX_ENABLED="0", SANDBOX_URL=sandbox.url,
               PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", NOTICE_POLL_MINUTES="0",
               LOG_LEVEL="WARNING", GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="3",
               REDIS_URL=app.config.get("REDIS_URL", ""), RQ_QUEUE=app.config["RQ_QUEUE"])
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile",
         "/dev/null", "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    url = Served(f"http://127.0.0.1:{port}")
    url.master_pid = process.pid
    deadline = time.monotonic() + 60  # workers boot and import the app; CI machines are busy
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/admin/login", timeout=10).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("gunicorn did not start: " + process.stderr.read().decode()[-2000:])
    yield url
    process.terminate()
    process.wait(timeout=15)
