"""The cart's side of PAYGENT: secrets at rest, the payment log, the demo data."""
import logging

from sqlalchemy import select, text

from cart.demo import DEMO_PAYGENT, seed_demo
from cart.extensions import db
from cart.gateway import client_for
from cart.models import PaygentAccount, PaymentLog

from .paygent_helpers import authorize


def _account(shop, sandbox_url):
    account = PaygentAccount(shop_id=shop.id, environment="sandbox", merchant_id="900000123",
                             connect_id="test_connect", connect_password="test-pass-xyz",
                             notice_hash_key="hash-key-123",
                             paidy_public_key="pk_test_integration")
    db.session.add(account)
    db.session.commit()
    return account


def test_secrets_are_encrypted_at_rest(app, make_shop):
    shop = make_shop()
    _account(shop, "")
    raw = db.session.execute(text(
        "SELECT connect_password, notice_hash_key FROM paygent_accounts")).one()
    assert "test-pass-xyz" not in raw[0] and "hash-key-123" not in raw[1]
    db.session.expire_all()
    account = db.session.scalar(select(PaygentAccount))
    assert account.connect_password == "test-pass-xyz"


def test_every_telegram_lands_in_the_payment_log_masked(app, make_shop, sandbox, caplog):
    from .paygent_helpers import register
    register(sandbox)
    app.config["SANDBOX_URL"] = sandbox.url
    shop = make_shop()
    account = _account(shop, sandbox.paygent_url)
    paid = authorize(sandbox)
    with caplog.at_level(logging.DEBUG):
        assert client_for(account).capture(paid["payment_id"]).ok
    log = db.session.scalar(select(PaymentLog))
    assert log.shop_id == shop.id and log.telegram_kind == "341" and log.outcome == "ok"
    assert "test-pass-xyz" not in log.request and "********" in log.request
    assert "test-pass-xyz" not in caplog.text


def test_dashboard_shows_connection_but_never_the_password(client, app, make_shop, login_as):
    shop = make_shop()
    _account(shop, "")
    login_as("owner@shop-a.test")
    html = client.get("/admin/").get_data(as_text=True)
    assert "900000123" in html and "/notices/paygent/shop-a" in html
    assert "test-pass-xyz" not in html and "hash-key-123" not in html


def test_demo_seed_is_repeatable_and_registers_at_the_sandbox(app, runner):
    from payments.sandbox import create_sandbox
    sandbox = create_sandbox(dispatch=False)
    app.extensions["paygent_sandbox"] = sandbox
    first = runner.invoke(args=["demo", "seed"])
    second = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert "owner@example.com" in first.output and "/s/demo/" in first.output
    merchant = sandbox.extensions["sandbox"].store.merchant(DEMO_PAYGENT["merchant_id"])
    assert merchant["connect_id"] == DEMO_PAYGENT["connect_id"]
    assert merchant["notice_url"].endswith("/notices/paygent/demo")
    assert len(seed_demo()) == 0  # nothing new the third time
