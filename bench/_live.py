"""A live app on a loopback port (embedded sandbox, fresh SQLite files) for benchmarks."""
import os
import re
import tempfile

from cart import create_app
from cart.config import Config
from cart.demo import seed_demo
from cart.extensions import db
from payments.sandbox.server import SandboxServer


class _Late:
    """A WSGI callable whose target is set once the port (and so the URL) is known."""
    target = None

    def __call__(self, environ, start_response):
        return self.target(environ, start_response)


def start_live_app(**overrides):
    """Migrate and seed a throwaway database, serve the app, return (server, app)."""
    from flask_migrate import upgrade
    folder = tempfile.mkdtemp(prefix="cart-bench-")
    late = _Late()
    server = SandboxServer(late)
    app = create_app(Config, SECRET_KEY="bench", LOG_LEVEL="WARNING",
                     SQLALCHEMY_DATABASE_URI=f"sqlite:///{os.path.join(folder, 'cart.sqlite3')}",
                     SANDBOX_DB=os.path.join(folder, "sandbox.sqlite3"), SANDBOX_ENABLED=True,
                     PUBLIC_BASE_URL=server.url, **overrides)
    late.target = app
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.remove()
    return server.start(), app


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'data-csrf="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)
