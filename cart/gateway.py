"""Builds the PAYGENT client for a shop. Only services call it; it never touches a view."""
import json
import logging

from flask import current_app
from sqlalchemy import insert, select

from cart.config import sandbox_url
from cart.extensions import db, read_once
from cart.models import PaygentAccount, PaymentLog
from payments.paygent import Credentials, Endpoint, PaygentClient
from payments.paygent.client import HOSTS

log = logging.getLogger("cart.gateway")


def account_for(shop_id: int) -> PaygentAccount | None:
    """The shop's PAYGENT settings, or None before they are configured."""
    return read_once(("account", shop_id), lambda: db.session.scalar(
        select(PaygentAccount).where(PaygentAccount.shop_id == shop_id)))


def endpoint_for(account: PaygentAccount) -> Endpoint:
    cfg = current_app.config
    if account.environment == "sandbox":
        base = sandbox_url(cfg) + "/paygent"
    else:
        base = HOSTS[account.environment]
    return Endpoint(base_url=base, client_cert_pem=account.client_cert_pem or None,
                    ca_pem=account.ca_pem or None,
                    connect_timeout=cfg["PAYGENT_CONNECT_TIMEOUT"],
                    read_timeout=cfg["PAYGENT_READ_TIMEOUT"])


def client_for(account: PaygentAccount, order_id: int | None = None) -> PaygentClient:
    """A client that records every telegram in the shop's payment log (R2)."""
    shop_id = account.shop_id
    engine = db.engine

    def record(entry):
        # Written on its own connection: the caller holds no transaction while PAYGENT
        # answers, and the log must survive whatever the caller does next.
        with engine.begin() as conn:
            conn.execute(insert(PaymentLog).values(
                shop_id=shop_id, order_id=order_id, telegram_kind=entry.telegram_kind,
                url=entry.url,
                request=json.dumps(entry.request, ensure_ascii=False),
                response=json.dumps(entry.response, ensure_ascii=False),
                outcome=entry.outcome.value, code=entry.code, elapsed_ms=entry.elapsed_ms))

    credentials = Credentials(account.merchant_id, account.connect_id, account.connect_password)
    return PaygentClient(credentials, endpoint_for(account), on_telegram=record)


def notice_url(shop) -> str:
    """The 差分通知 URL this shop registers at PAYGENT."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/notices/paygent/{shop.code}"
