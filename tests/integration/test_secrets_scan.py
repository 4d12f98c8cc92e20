"""The secrets scan itself notices a leak (so its silence over the suite means something)."""
import logging

from tests import secrets_scan

from .checkout_helpers import setup_shops


def test_a_secret_in_a_page_a_log_line_or_the_session_is_caught(app, client, sandbox):
    setup_shops(app, sandbox)

    @app.get("/leaky")
    def leaky():
        from flask import session
        session["oops"] = "demo-hash-key-0001"
        return "connect password: demo-connect-pass"

    client.get("/leaky")
    logging.getLogger("cart.test").warning("key -----BEGIN PRIVATE KEY----- MII...")
    caught, secrets_scan.LEAKS[:] = list(secrets_scan.LEAKS), []
    assert any("page GET /leaky" in leak for leak in caught)
    assert any("session cookie" in leak for leak in caught)
    assert any("private key in a log line" in leak for leak in caught)
