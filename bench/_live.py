"""A live app on a loopback port (embedded sandbox, fresh SQLite files) for benchmarks.

The server runs in its own process so that the load generator does not share its
interpreter lock: ``python -m bench._live`` prints its URL, the demo IDs, its database URL and
the sandbox's control token (``X-Sandbox-Token``), then serves. ``--database-url URL``
serves from that (empty) database instead of a fresh SQLite file; it is migrated and seeded
the same way.
"""
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Late:
    """A WSGI callable whose target is set once the port (and so the URL) is known."""
    target = None

    def __call__(self, environ, start_response):
        return self.target(environ, start_response)


def serve(database_url: str | None = None) -> None:
    import logging

    from flask_migrate import upgrade
    from sqlalchemy import select

    from cart import create_app
    from cart.config import Config
    from cart.demo import seed_demo
    from cart.extensions import db
    from cart.models import DeliveryMethod, PaymentMethod, Product, Shop
    from payments.sandbox.server import SandboxServer

    folder = tempfile.mkdtemp(prefix="cart-bench-")
    late = _Late()
    server = SandboxServer(late)
    database_url = database_url or f"sqlite:///{os.path.join(folder, 'cart.sqlite3')}"
    # The sandbox is mounted only when asked for, and its control API needs this token.
    app = create_app(Config, SECRET_KEY="bench", LOG_LEVEL="WARNING", SANDBOX_ENABLED=True,
                     SQLALCHEMY_DATABASE_URI=database_url,
                     SANDBOX_DB=os.path.join(folder, "sandbox.sqlite3"),
                     SANDBOX_TOKEN=secrets.token_urlsafe(32), PUBLIC_BASE_URL=server.url)
    late.target = app
    with app.app_context():
        upgrade()
        seed_demo()
        shop = db.session.scalar(select(Shop).where(Shop.code == "demo"))

        def one(model, **where):
            query = select(model).where(model.shop_id == shop.id)
            for key, value in where.items():
                query = query.where(getattr(model, key) == value)
            return db.session.scalar(query).id

        ids = {"product": one(Product, code="tea-001"),
               "delivery": one(DeliveryMethod, name="宅配便"),
               "paidy": one(PaymentMethod, kind="paidy")}
        db.session.remove()
    logging.disable(logging.WARNING)
    print(json.dumps({"url": server.url, "ids": ids, "database": database_url,
                      "folder": folder, "sandbox_token": app.config["SANDBOX_TOKEN"]}),
          flush=True)
    server.server.serve_forever()


class LiveApp:
    """Start the server process; ``.url``, ``.ids`` and ``.database`` once it is ready."""

    def __init__(self, database_url: str | None = None):
        command = [sys.executable, "-m", "bench._live"]
        if database_url:
            command += ["--database-url", database_url]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the app did not start")
        info = json.loads(line)
        self.url, self.ids, self.database = info["url"], info["ids"], info["database"]
        self.folder = info["folder"]
        self.sandbox_token = info["sandbox_token"]  # header X-Sandbox-Token for /_sandbox/control

    def stop(self) -> None:
        """Stop the server and remove its files."""
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'data-csrf="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description="Serve the app for a benchmark.")
    parser.add_argument("--database-url", default=None)
    serve(parser.parse_args().database_url)
