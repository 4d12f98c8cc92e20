"""A live app on a loopback port (embedded sandbox, fresh SQLite files) for benchmarks.

The server runs in its own process so that the load generator does not share its
interpreter lock: ``python -m bench._live`` prints its URL and the demo IDs, then serves.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Late:
    """A WSGI callable whose target is set once the port (and so the URL) is known."""
    target = None

    def __call__(self, environ, start_response):
        return self.target(environ, start_response)


def serve() -> None:
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
    app = create_app(Config, SECRET_KEY="bench", LOG_LEVEL="WARNING", SANDBOX_ENABLED=True,
                     SQLALCHEMY_DATABASE_URI=f"sqlite:///{os.path.join(folder, 'cart.sqlite3')}",
                     SANDBOX_DB=os.path.join(folder, "sandbox.sqlite3"),
                     PUBLIC_BASE_URL=server.url)
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
    print(json.dumps({"url": server.url, "ids": ids}), flush=True)
    server.server.serve_forever()


class LiveApp:
    """Start the server process; ``.url`` and ``.ids`` once it is ready."""

    def __init__(self):
        self.process = subprocess.Popen([sys.executable, "-m", "bench._live"], cwd=ROOT,
                                        stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the app did not start")
        info = json.loads(line)
        self.url, self.ids = info["url"], info["ids"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'data-csrf="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


if __name__ == "__main__":
    serve()
