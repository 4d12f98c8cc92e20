"""Builds the PAYGENT client for a shop. Only services call it; it never touches a view."""
import json
import logging
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import insert, select

from cart.config import sandbox_url
from cart.extensions import begin_write, db, read_once, write_turn
from cart.models import PaygentAccount, PaymentLog
from cart.shop_config import kept
from payments.paygent import Credentials, Endpoint, PaygentClient
from payments.paygent.client import HOSTS

log = logging.getLogger("cart.gateway")


def account_for(shop_id: int) -> PaygentAccount | None:
    """The shop's PAYGENT settings, or None before they are configured."""
    return read_once(("account", shop_id), lambda: kept(
        shop_id, "account", lambda: db.session.scalar(
            select(PaygentAccount).where(PaygentAccount.shop_id == shop_id))))


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


class TelegramLog:
    """The payment log entries (R2) of telegrams whose outcome a transaction is about to book:
    written in that transaction (``book``), or on their own if it fails (``write_alone``)."""

    def __init__(self, shop_id: int, order_id: int | None):
        self.shop_id, self.order_id, self.entries = shop_id, order_id, []

    def rows(self) -> list[dict]:
        return [_log_row(self.shop_id, self.order_id, entry) for entry in self.entries]

    def book(self) -> None:
        """Add the entries to the session's transaction."""
        rows = self.rows()
        if rows:
            db.session.execute(insert(PaymentLog), rows)

    @contextmanager
    def booking(self):
        """A writer transaction that books the answer with these entries: committed at the
        end; on any error rolled back, and the entries written on their own (the telegrams
        went out: their log must not be lost)."""
        try:
            begin_write()
            self.book()
            yield
            db.session.commit()
        except BaseException:
            db.session.rollback()
            self.write_alone()
            raise

    def write_alone(self) -> None:
        """Write the entries on a connection of their own (the booking transaction failed)."""
        rows, self.entries = self.rows(), []
        if rows:
            with write_turn(), db.engine.begin() as conn:
                conn.execute(insert(PaymentLog), rows)


def _log_row(shop_id, order_id, entry) -> dict:
    return dict(shop_id=shop_id, order_id=order_id, telegram_kind=entry.telegram_kind,
                url=entry.url, request=json.dumps(entry.request, ensure_ascii=False),
                response=json.dumps(entry.response, ensure_ascii=False),
                outcome=entry.outcome.value, code=entry.code, elapsed_ms=entry.elapsed_ms)


def client_for(account: PaygentAccount, order_id: int | None = None,
               log: TelegramLog | None = None) -> PaygentClient:
    """A client that records every telegram in the shop's payment log (R2): into ``log``, for
    the transaction that books the outcome, or else at once on a connection of its own (the
    caller holds no transaction while PAYGENT answers, and the log must survive whatever the
    caller does next)."""
    shop_id = account.shop_id

    def record(entry):
        if log is not None:
            log.entries.append(entry)
            return
        with write_turn(), db.engine.begin() as conn:
            conn.execute(insert(PaymentLog).values(**_log_row(shop_id, order_id, entry)))

    credentials = Credentials(account.merchant_id, account.connect_id, account.connect_password)
    return PaygentClient(credentials, endpoint_for(account), on_telegram=record)


def notice_url(shop) -> str:
    """The 差分通知 URL this shop registers at PAYGENT."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/notices/paygent/{shop.code}"
