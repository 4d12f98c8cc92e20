"""Every test is watched for leaked PAYGENT secrets.

Whatever the cart app sends (page bodies, headers, the session that travels in a cookie) and
every log record of the run is scanned for the connect passwords, notice hash keys and client
private keys the run has stored, and the card method's 3Dセキュア結果受付ハッシュ鍵. A test during
which one showed up fails, naming where. (The card's トークン生成鍵 is not among them: PAYGENT's
token script takes it in the buyer's browser, so the checkout page carries it.)
"""
import logging
import re

import pytest
from flask import Flask, request, session
from sqlalchemy import event

from cart.demo import DEMO_SHOPS
from cart.models import CardSettings, PaygentAccount

SECRETS: set[str] = set()
LEAKS: list[str] = []
PEM_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\s*([A-Za-z0-9+/=]{40})")
MARKER = "PRIVATE KEY-----"


def remember(*values) -> None:
    for value in values:
        if not value:
            continue
        for body in PEM_KEY.findall(value):  # the key itself, not the certificate beside it
            SECRETS.add(body)
        if MARKER not in value and len(value) >= 6:
            SECRETS.add(value)


for _spec in DEMO_SHOPS:
    remember(_spec["paygent"]["connect_password"], _spec["paygent"]["notice_hash_key"],
             _spec["card"]["tds_hash_key"])


def _account_seen(target, *args) -> None:
    remember(target.connect_password, target.notice_hash_key, target.client_cert_pem)


def _card_seen(target, *args) -> None:
    remember(target.tds_hash_key)


for _name in ("load", "refresh"):
    event.listen(PaygentAccount, _name, _account_seen)
    event.listen(CardSettings, _name, _card_seen)
for _name in ("before_insert", "before_update"):
    event.listen(PaygentAccount, _name, lambda mapper, conn, target: _account_seen(target))
    event.listen(CardSettings, _name, lambda mapper, conn, target: _card_seen(target))


def scan(text: str, where: str) -> None:
    if MARKER in text:
        LEAKS.append(f"a private key in {where}")
    for secret in list(SECRETS):
        if secret in text:
            LEAKS.append(f"{secret[:3]}… in {where}")


_process_response = Flask.process_response


def _scanned_response(self, response):
    response = _process_response(self, response)
    if self.import_name == "cart":
        where = f"{request.method} {request.full_path}"
        scan(str(dict(session)), f"the session cookie of {where}")
        scan(str(response.headers), f"the headers of {where}")
        if not response.direct_passthrough and not response.is_streamed:
            scan(response.get_data().decode("utf-8", "replace"), f"the page {where}")
    return response


class _LogScanner(logging.Handler):
    def emit(self, record):
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            text += " " + repr(record.exc_info[1])
        scan(text, f"a log line of {record.name}")


LOG_SCANNER = _LogScanner(level=logging.DEBUG)


def pytest_configure(config):
    Flask.process_response = _scanned_response


@pytest.fixture(autouse=True)
def no_secret_leaked():
    root = logging.getLogger()
    if LOG_SCANNER not in root.handlers:  # logging.config (Alembic's env) replaces handlers
        root.addHandler(LOG_SCANNER)
    if root.level > logging.INFO:  # scan what production logs at its default level
        root.setLevel(logging.INFO)
    LEAKS.clear()
    yield
    leaks, LEAKS[:] = sorted(set(LEAKS)), []
    assert not leaks, "secrets leaked: " + "; ".join(leaks)
