"""A live app on a loopback port, on a fresh database, for benchmarks.

``LiveApp(...)`` prepares a database (a fresh SQLite file in a temporary folder unless
``database_url`` names one: migrated with the project's Alembic migrations and seeded with the
demo shops), then starts the app server in processes of its own, so that the load generator
does not share their interpreter lock:

- ``server="dev"``: the threaded development server in one process (``bench._live serve``);
- ``server="gunicorn"``: ``gunicorn -c gunicorn.conf.py`` with ``workers`` × ``threads``.

The PAYGENT + Paidy sandbox is either mounted in the app at ``/_sandbox`` (``sandbox=
"embedded"``, the default, as ``make run`` does) or runs as a process of its own on its own
port (``sandbox="process"``: ``python -m payments.sandbox``), as PAYGENT does, so that its CPU
time is not the app's. Either way the demo merchants are registered in its store with the
app's 差分通知 URLs. ``stats=True`` adds bench/_stats.py's per-request figures to the app.

Everything it starts is stopped and its folder removed by ``stop()``, also at interpreter exit
and when the benchmark process dies (the children get SIGTERM then).

``python -m bench._live [--database-url URL]`` prints the URL, the demo IDs, the database URL
and the sandbox's control token (``X-Sandbox-Token``) as one JSON line, then serves until
Ctrl-C.
"""
import atexit
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench._proc import Child, descendants, free_port, wait_until  # noqa: E402

SECRET_KEY = "bench"  # bench/notices.py relies on it: stored hash keys are encrypted with it
START_SECONDS = 120


class LiveApp:
    """The running app: ``url``, ``ids``, ``database``, ``folder``, ``sandbox_url``,
    ``sandbox_token``, ``server_pid`` (the process whose tree serves the app)."""

    def __init__(self, database_url: str | None = None, *, server: str = "dev",
                 sandbox: str = "embedded", workers: int = 2, threads: int = 4,
                 stats: bool = False, stock: int | None = None):
        if server not in ("dev", "gunicorn") or sandbox not in ("embedded", "process"):
            raise ValueError(f"server {server!r}, sandbox {sandbox!r}")
        self.server_kind, self.sandbox_kind = server, sandbox
        self.workers = workers if server == "gunicorn" else 1
        self.server = self.sandbox = None
        self.folder = tempfile.mkdtemp(prefix="cart-bench-")
        atexit.register(self.stop)
        try:
            self._start(database_url, threads, stats, stock)
        except BaseException:
            self.stop()
            raise

    def _start(self, database_url, threads, stats, stock) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.sandbox_url = (f"http://127.0.0.1:{free_port()}" if self.sandbox_kind == "process"
                            else self.url + "/_sandbox")
        self.sandbox_token = secrets.token_urlsafe(32)  # header X-Sandbox-Token for /control
        self.database = database_url or "sqlite:///" + os.path.join(self.folder, "cart.sqlite3")
        sandbox_db = os.path.join(self.folder, "sandbox.sqlite3")
        self.env = dict(
            os.environ, DATABASE_URL=self.database, SECRET_KEY=SECRET_KEY, LOG_LEVEL="WARNING",
            PUBLIC_BASE_URL=self.url, SANDBOX_DB=sandbox_db, SANDBOX_TOKEN=self.sandbox_token,
            SANDBOX_ENABLED="1" if self.sandbox_kind == "embedded" else "0",
            SANDBOX_URL="" if self.sandbox_kind == "embedded" else self.sandbox_url,
            NOTICE_POLL_MINUTES="0", REDIS_URL="", MAIL_URL="",
            BENCH_STATS="1" if stats else "0", BENCH_STOCK=str(stock or ""),
            GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS=str(self.workers),
            GUNICORN_THREADS=str(threads))
        self.ids = self._prepare()
        if self.sandbox_kind == "process":
            self._start_sandbox(sandbox_db)
        self._start_server()

    # -- the parts ----------------------------------------------------------------------
    def _prepare(self) -> dict:
        done = subprocess.run([sys.executable, "-m", "bench._live", "prepare"], cwd=ROOT,
                              env=self.env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError("preparing the database failed:\n" + done.stderr[-3000:])
        return json.loads(done.stdout.strip().splitlines()[-1])

    def _start_sandbox(self, sandbox_db: str) -> None:
        port = self.sandbox_url.rsplit(":", 1)[1]
        with open(os.path.join(self.folder, "sandbox.log"), "wb") as log:
            self.sandbox = Child([sys.executable, "-m", "payments.sandbox", "--port", port,
                                  "--control-token", self.sandbox_token, "--db", sandbox_db],
                                 cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: _answers(self.sandbox_url + "/paidy/checkout.js"), START_SECONDS,
                   "the sandbox", alive=self.sandbox.alive)

    def _start_server(self) -> None:
        if self.server_kind == "dev":
            command = [sys.executable, "-m", "bench._live", "serve"]
        else:
            command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                       "--access-logfile", "/dev/null", "--error-logfile", "-",
                       "bench._live:wsgi_app()"]
        with open(os.path.join(self.folder, "server.log"), "wb") as log:
            self.server = Child(command, cwd=ROOT, env=self.env, stdout=log,
                                stderr=subprocess.STDOUT)
        self.server_pid = self.server.pid
        self.process = self.server.process
        try:
            wait_until(lambda: len(descendants(self.server_pid)) > self.workers - (
                self.server_kind == "dev") and _answers(self.url + "/"), START_SECONDS,
                f"the {self.server_kind} server", alive=self.server.alive)
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n{self.log()[-3000:]}") from None

    # -- reading and stopping ---------------------------------------------------------------
    def log(self, name: str = "server.log") -> str:
        """What the server (or ``sandbox.log``: the sandbox) wrote so far."""
        try:
            with open(os.path.join(self.folder, name), errors="replace") as fh:
                return fh.read()
        except FileNotFoundError:
            return ""

    def worker_pids(self) -> list[int]:
        """The processes that run the app: the dev server, or gunicorn's workers."""
        tree = descendants(self.server_pid)
        return tree if self.server_kind == "dev" else tree[1:]

    def stop(self) -> None:
        """Stop the server and the sandbox and remove their files (safe to call again)."""
        for child in (self.server, self.sandbox):
            if child is not None:
                child.stop()
        self.server = self.sandbox = None
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
        atexit.unregister(self.stop)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'data-csrf="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


# -- inside the child processes (configured by the environment LiveApp sets) ----------------
def wsgi_app():
    """The app as the server process runs it: ``create_app()`` with bench/_stats.py's
    figures when BENCH_STATS=1 (gunicorn calls this in each worker)."""
    import logging

    from cart import create_app
    app = create_app()
    if os.environ.get("BENCH_STATS") == "1":
        from bench._stats import install
        install(app)
    if os.environ.get("BENCH_PROFILE"):
        from bench._profile import install as profile
        profile(app, os.environ["BENCH_PROFILE"])
    logging.disable(logging.WARNING)  # errors still reach the log
    return app


def serve() -> None:
    """The threaded development server, in this process."""
    from payments.sandbox.server import SandboxServer  # a quiet threaded WSGI server
    port = int(os.environ["GUNICORN_BIND"].rsplit(":", 1)[1])
    SandboxServer(wsgi_app(), port=port).server.serve_forever()


def prepare() -> None:
    """Migrate and seed the database, register the demo merchants at the sandbox's store,
    print the IDs a benchmark needs as one JSON line."""
    from flask_migrate import upgrade
    from sqlalchemy import select, update

    from cart import create_app
    from cart.demo import DEMO_SHOPS, seed_demo
    from cart.extensions import db
    from cart.gateway import notice_url
    from cart.models import DeliveryMethod, PaymentMethod, Product, Shop
    from payments.sandbox.store import Store

    app = create_app()
    store = Store(os.environ["SANDBOX_DB"])
    shops = {}
    with app.app_context():
        upgrade()
        seed_demo()
        for spec in DEMO_SHOPS:
            shop = db.session.scalar(select(Shop).where(Shop.code == spec["code"]))
            if os.environ.get("BENCH_STOCK"):
                db.session.execute(update(Product).where(Product.shop_id == shop.id).values(
                    stock=int(os.environ["BENCH_STOCK"])))
            p = spec["paygent"]
            card = spec.get("card", {})
            store.upsert_merchant(p["merchant_id"], p["connect_id"], p["connect_password"],
                                  p["notice_hash_key"], notice_url(shop), p["paidy_public_key"],
                                  spec["name"], token_key=card.get("token_key", ""),
                                  tds_hash_key=card.get("tds_hash_key", ""))

            def one(model, **where):
                query = select(model.id).where(model.shop_id == shop.id)
                for key, value in where.items():
                    query = query.where(getattr(model, key) == value)
                return db.session.scalar(query)

            shops[spec["code"]] = {
                "shop": shop.id, "product": one(Product, code="tea-001"),
                "delivery": one(DeliveryMethod, name="宅配便"),
                "paidy": one(PaymentMethod, kind="paidy"),
                "card": one(PaymentMethod, kind="card"),
                "conveni": one(PaymentMethod, kind="conveni"),
                "public_key": p["paidy_public_key"], "merchant_id": p["merchant_id"],
                "token_key": card.get("token_key", "")}
        db.session.commit()
    ids = {key: shops["demo"][key] for key in ("product", "delivery", "paidy")}
    print(json.dumps(dict(ids, shops=shops)), flush=True)


def main() -> None:
    import argparse
    import signal
    parser = argparse.ArgumentParser(description="Serve the app for a benchmark.")
    parser.add_argument("part", nargs="?", choices=("prepare", "serve"),
                        help="(used by LiveApp) one step, configured by the environment")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.part == "prepare":
        return prepare()
    if args.part == "serve":
        return serve()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with LiveApp(args.database_url) as live:
        print(json.dumps({"url": live.url, "ids": live.ids, "database": live.database,
                          "folder": live.folder, "sandbox_token": live.sandbox_token}),
              flush=True)
        try:
            while live.server.alive():
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
