"""PAYGENT module-type client: builds telegrams, sends them over mutual TLS, classifies replies.

The client never touches a database. Each call returns a :class:`TelegramResult`; an
``on_telegram`` hook receives a masked record of every exchange (the cart stores it as the
payment log).
"""
import logging
import os
import tempfile
import time
from dataclasses import dataclass, replace

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError

from . import codes
from .codec import (CHARSET, MAX_FILE_TELEGRAM_BYTES, MAX_TELEGRAM_BYTES, MalformedReply,
                    encode_form, parse_file_reply, parse_reference_reply, parse_reply)
from .results import Outcome, TelegramResult

log = logging.getLogger("payments.paygent")

TELEGRAM_VERSION = "1.0"
PATHS = {
    "340": "/n/paidy/request",
    "341": "/n/paidy/request",
    "342": "/n/paidy/request",
    "343": "/n/paidy/request",
    "020": "/n/card/request",
    "021": "/n/card/request",
    "022": "/n/card/request",
    "023": "/n/card/request",
    "028": "/n/card/request",
    "029": "/n/card/request",
    "450": "/n/card/request",
    "025": "/n/card/request",
    "026": "/n/card/request",
    "027": "/n/card/request",
    "010": "/n/atm/request",
    "030": "/n/conveni/request",
    "050": "/n/bank/request",
    "060": "/n/bank/requestasp",
    "100": "/n/c/request",
    "101": "/n/c/request",
    "102": "/n/c/request",
    "103": "/n/c/request",
    "091": "/n/ref/paynotice",
    "094": "/n/ref/paymentref",
    "200": "/n/o/requestdata",
    "201": "/n/o/requestdata",
}
HOSTS = {
    "production": "https://module.paygent.co.jp",
    "test": "https://sandbox.paygent.co.jp",
}
#: File payment (200/201) has its own production host; on any other base URL (the test host,
#: a sandbox) it goes where every telegram goes.
FILE_KINDS = frozenset({"200", "201"})
FILE_HOSTS = {HOSTS["production"]: "https://online.paygent.co.jp"}
MASK = "********"
# a card token is used once, but until then it pays with the buyer's card: never logged
SECRET_FIELDS = ("connect_password", "card_token")
#: Request fields carrying a file (200's ``data``): logged by their size only.
FILE_FIELDS = ("data",)


@dataclass(frozen=True)
class Credentials:
    merchant_id: str
    connect_id: str
    connect_password: str

    def __repr__(self) -> str:  # never let the password reach a log line or a traceback
        return f"Credentials(merchant_id={self.merchant_id!r}, connect_id={self.connect_id!r})"


@dataclass(frozen=True)
class Endpoint:
    """Where telegrams go and how the TLS session is authenticated.

    ``base_url`` is a PAYGENT host (see :data:`HOSTS`) or a sandbox's PAYGENT root.
    ``client_cert_pem`` holds the certificate and its private key; ``ca_pem`` the CA
    bundle that signs the server. Both are PEM text, written to private temporary files
    only for the life of one request because the TLS library reads files.
    """
    base_url: str
    client_cert_pem: str | None = None
    ca_pem: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 35.0

    def __repr__(self) -> str:
        return f"Endpoint(base_url={self.base_url!r})"


@dataclass(frozen=True)
class TelegramRecord:
    """What the ``on_telegram`` hook gets: the exchange with secrets masked."""
    telegram_kind: str
    url: str
    request: dict
    response: dict
    outcome: Outcome
    code: str
    elapsed_ms: int


def mask(fields: dict) -> dict:
    return {k: (MASK if k in SECRET_FIELDS and v
                else f"({len(v)} bytes)" if k in FILE_FIELDS and v is not None else v)
            for k, v in fields.items()}


def telegram_url(base_url: str, telegram_kind: str) -> str:
    """Where a telegram goes: the base URL (file payment's own host in production) + its
    path."""
    base = base_url.rstrip("/")
    if telegram_kind in FILE_KINDS:
        base = FILE_HOSTS.get(base, base)
    return base + PATHS[telegram_kind]


class PaygentClient:
    def __init__(self, credentials: Credentials, endpoint: Endpoint, on_telegram=None,
                 session: requests.Session | None = None):
        self.credentials = credentials
        self.endpoint = endpoint
        self.on_telegram = on_telegram
        self.session = session or _session_for(endpoint.base_url)

    # -- telegrams -------------------------------------------------------------------
    def verify_paidy(self, paidy_payment_id: str) -> TelegramResult:
        """343 決済情報検証: ask PAYGENT what Paidy holds for this pay_… id."""
        return self.send("343", paidy_payment_id=paidy_payment_id)

    def capture(self, payment_id: str = None, trading_id: str = None) -> TelegramResult:
        """341 売上: capture the whole authorised amount (only from status 20)."""
        return self.send("341", payment_id=payment_id, trading_id=trading_id)

    def cancel_authorization(self, payment_id: str = None,
                             trading_id: str = None) -> TelegramResult:
        """340 オーソリキャンセル (only from status 20)."""
        return self.send("340", payment_id=payment_id, trading_id=trading_id)

    def refund(self, payment_id: str, amount: int | None = None) -> TelegramResult:
        """342 返金: full without ``amount``; partial returns a *new* payment_id."""
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
            raise TypeError("amount must be an int of yen")
        return self.send("342", payment_id=payment_id, amount=amount)

    def fetch_notice(self, payment_notice_id: str = None) -> TelegramResult:
        """091 決済情報差分照会: one notice per call; ``success_code=1`` when none is left."""
        return self.send("091", payment_notice_id=payment_notice_id)

    def inquire(self, payment_id: str = None, trading_id: str = None) -> TelegramResult:
        """094 決済情報照会: the payment's current data."""
        return self.send("094", payment_id=payment_id, trading_id=trading_id)

    # -- transport -------------------------------------------------------------------
    def build(self, telegram_kind: str, **fields) -> dict:
        c = self.credentials
        telegram = {
            "merchant_id": c.merchant_id,
            "connect_id": c.connect_id,
            "connect_password": c.connect_password,
            "telegram_kind": telegram_kind,
            "telegram_version": TELEGRAM_VERSION,
        }
        telegram.update({k: v for k, v in fields.items() if v is not None})
        return telegram

    def send(self, telegram_kind: str, **fields) -> TelegramResult:
        telegram = self.build(telegram_kind, **fields)
        url = telegram_url(self.endpoint.base_url, telegram_kind)
        started = time.monotonic()
        result = self._post(url, telegram_kind, telegram)
        elapsed = int((time.monotonic() - started) * 1000)
        record = TelegramRecord(telegram_kind, url, mask(telegram), dict(result.data),
                                result.outcome, result.code, elapsed)
        log.info("telegram %s %s -> %s %s (%d ms)", telegram_kind, url, result.outcome.value,
                 result.code or "-", elapsed)
        if self.on_telegram:
            self.on_telegram(record)
        return result

    def _post(self, url: str, kind: str, telegram: dict) -> TelegramResult:
        body = encode_form(telegram, MAX_FILE_TELEGRAM_BYTES if kind in FILE_KINDS
                           else MAX_TELEGRAM_BYTES)
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=Shift_JIS"}
        with _PemFiles(self.endpoint) as (cert, verify):
            try:
                response = self.session.post(
                    url, data=body, headers=headers, cert=cert,
                    verify=self.session.verify if verify is True else verify,
                    timeout=(self.endpoint.connect_timeout, self.endpoint.read_timeout),
                    allow_redirects=False)
            except requests.exceptions.SSLError as exc:
                return _failure(Outcome.ERROR, kind, codes.CERTIFICATE_ERROR, exc)
            except requests.exceptions.ConnectTimeout as exc:
                return _failure(Outcome.ERROR, kind, codes.CONNECT_ERROR, exc)
            except requests.exceptions.ReadTimeout as exc:
                return _failure(Outcome.UNKNOWN, kind, codes.TIMEOUT_ERROR, exc)
            except requests.exceptions.ConnectionError as exc:
                if _never_connected(exc):
                    return _failure(Outcome.ERROR, kind, codes.CONNECT_ERROR, exc)
                # The telegram may have arrived before the connection dropped.
                return _failure(Outcome.UNKNOWN, kind, codes.CONNECT_ERROR, exc)
            except requests.exceptions.RequestException as exc:
                return _failure(Outcome.UNKNOWN, kind, codes.CONNECT_ERROR, exc)
        if response.status_code != 200:
            return _failure(Outcome.UNKNOWN, kind, codes.HTTP_ERROR,
                            f"HTTP {response.status_code}")
        try:
            return _read_reply(kind, response.content)
        except MalformedReply as exc:
            return _failure(Outcome.UNKNOWN, kind, codes.MALFORMED_REPLY, exc)


#: Kinds whose reply is CSV rather than ``key=value`` lines (PAYGENT's module reads 027 as a
#: reference and 201 as a file payment result).
REFERENCE_KINDS = frozenset({"027"})
FILE_RESULT_KIND = "201"


def _read_reply(kind: str, content: bytes) -> TelegramResult:
    if kind in REFERENCE_KINDS:
        data, rows = parse_reference_reply(content)
        return replace(TelegramResult.from_reply(kind, data), rows=tuple(rows))
    if kind == FILE_RESULT_KIND:
        data = parse_file_reply(content)
        # the file is the caller's; the log and the hook see its size only
        data["result_file_bytes"] = str(len(content))
        return replace(TelegramResult.from_reply(kind, data), body=content)
    return TelegramResult.from_reply(kind, parse_reply(content))


def _failure(outcome: Outcome, kind: str, code: str, exc) -> TelegramResult:
    detail = codes.explain(code)
    log.warning("telegram %s failed: %s (%s)", kind, code, type(exc).__name__
                if isinstance(exc, BaseException) else exc)
    return TelegramResult(outcome, kind, {}, code, detail)


def _never_connected(exc: BaseException) -> bool:
    """True when the connection was refused or the host unknown, so nothing was sent."""
    stack, seen = [exc], set()
    while stack:
        err = stack.pop()
        if not isinstance(err, BaseException) or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, (NewConnectionError, NameResolutionError)):
            return True
        stack.extend([getattr(err, "reason", None), err.__cause__, err.__context__, *err.args])
    return False


def _session_for(base_url: str) -> requests.Session:
    """A session that reads the environment (proxies, a CA bundle) once, when it is made,
    rather than on every telegram as requests does by default (a noticeable share of a
    telegram's CPU on a busy process)."""
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    return session


class _PemFiles:
    """Materialise PEM text as private temporary files for the duration of one request."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        self.dir = None

    def __enter__(self):
        cert = None
        verify = True
        if self.endpoint.client_cert_pem or self.endpoint.ca_pem:
            self.dir = tempfile.TemporaryDirectory(prefix="paygent-")
            os.chmod(self.dir.name, 0o700)
        if self.endpoint.client_cert_pem:
            cert = self._write("client.pem", self.endpoint.client_cert_pem)
        if self.endpoint.ca_pem:
            verify = self._write("ca.pem", self.endpoint.ca_pem)
        return cert, verify

    def _write(self, name: str, text: str) -> str:
        path = os.path.join(self.dir.name, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(text)
        return path

    def __exit__(self, *exc):
        if self.dir:
            self.dir.cleanup()
        return False


__all__ = ["PaygentClient", "Credentials", "Endpoint", "TelegramRecord", "HOSTS", "PATHS",
           "CHARSET"]
