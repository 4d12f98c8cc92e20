"""The sandbox as a WSGI app: PAYGENT paths, a Paidy Checkout look-alike, a control API.

Mounted under ``/_sandbox`` when the cart is asked to (``SANDBOX_ENABLED``; PAYGENT's root is
then ``/_sandbox/paygent``), or served alone on its own port by ``python -m payments.sandbox``.
``create_sandbox`` registers one blueprint per concern: the PAYGENT endpoint (``paygent.py``),
each payment method's own pages (``methods/``) and the control API (``control.py``). The
control API answers only requests that carry its token in ``X-Sandbox-Token``: it reads every
shop's buyers and can move the clock, re-register a merchant or wipe the state. The pages the
shopper's browser uses and the PAYGENT paths (connect ID and password) need none.
"""
import secrets
import threading
from collections import Counter

from flask import Flask

from . import control, methods, paygent
from .dispatcher import Dispatcher
from .store import Store


class Sandbox:
    """The sandbox's state and its notice dispatcher, shared by the routes."""

    def __init__(self, store: Store, control_token: str):
        self.store = store
        self.control_token = control_token
        self.dispatcher = Dispatcher(store)
        self._arrived, self._lock = Counter(), threading.Lock()

    def arrived(self, kind: str) -> None:
        with self._lock:
            self._arrived[kind] += 1

    def arrivals(self, kind: str) -> int:
        """Telegrams of this kind received so far, answered or still being processed."""
        with self._lock:
            return self._arrived[kind]


def create_sandbox(store_path: str | None = None, dispatch: bool = True,
                   control_token: str | None = None) -> Flask:
    """The sandbox app on the store at ``store_path`` (None: a throwaway one).

    Its control API needs ``control_token``; without one a random token is made, which only
    code holding the app can read (``app.extensions["sandbox"].control_token``).
    """
    app = Flask(__name__, static_folder=None)
    sandbox = Sandbox(Store(store_path), control_token or secrets.token_urlsafe(32))
    app.extensions["sandbox"] = sandbox

    if dispatch:
        # Started by the first request rather than at import, so CLI commands that build
        # the app do not leave a sender thread behind.
        app.before_request(sandbox.dispatcher.start)

    app.register_blueprint(paygent.blueprint)
    # the deferred methods share one blueprint: each is registered once
    for blueprint in dict.fromkeys(m.blueprint for m in methods.ALL if m.blueprint is not None):
        app.register_blueprint(blueprint)
    app.register_blueprint(control.blueprint)  # its token check runs before every request
    return app


__all__ = ["Sandbox", "create_sandbox"]
