"""Configuration, read from environment variables in this one place (a `.env` is honoured)."""
import os
import secrets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INSTANCE = os.path.join(ROOT, "instance")


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _dev_secret_key() -> str:
    """A key kept in instance/ so that encrypted settings survive restarts in development."""
    path = os.path.join(INSTANCE, "secret_key")
    if not os.path.exists(path):
        os.makedirs(INSTANCE, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    with open(path) as fh:
        return fh.read().strip()


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY") or None  # filled in by create_app if unset
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", "sqlite:///" + os.path.join(INSTANCE, "cart.sqlite3"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    # The embedded PAYGENT + Paidy sandbox, mounted at /_sandbox only when asked for
    # (`make run` does). Its control API needs SANDBOX_TOKEN in the X-Sandbox-Token header;
    # empty: a token generated once into sandbox_token beside SANDBOX_DB (instance/).
    SANDBOX_ENABLED = _flag("SANDBOX_ENABLED", False)
    SANDBOX_DB = os.environ.get("SANDBOX_DB", os.path.join(INSTANCE, "sandbox.sqlite3"))
    SANDBOX_TOKEN = os.environ.get("SANDBOX_TOKEN", "")
    # The sandbox that shops in the "sandbox" environment use: its PAYGENT root is
    # SANDBOX_URL/paygent and its Paidy script SANDBOX_URL/paidy/checkout.js.
    SANDBOX_URL = os.environ.get("SANDBOX_URL", "")
    PAYGENT_CONNECT_TIMEOUT = float(os.environ.get("PAYGENT_CONNECT_TIMEOUT", "10"))
    PAYGENT_READ_TIMEOUT = float(os.environ.get("PAYGENT_READ_TIMEOUT", "35"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    # Proxies whose X-Forwarded-For names the client (gunicorn.conf.py reads the same variable):
    # comma-separated addresses or networks, "*" for any peer; empty = use the peer's address.
    FORWARDED_ALLOW_IPS = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
    # Sign-in throttling (docs/architecture.md, "Sign-in and sessions"), seconds and counts.
    LOGIN_FREE_ATTEMPTS = 5     # per account and address (or known device), then a delay
    LOGIN_MAX_DELAY = 900       # the delay doubles from 2 s up to this
    LOGIN_FORGET = 3600         # an account and address left alone this long start afresh
    LOGIN_WINDOW = 900          # the account and address limits count over this
    LOGIN_ACCOUNT_LIMIT = 10    # per account, for clients that already failed (no known device)
    LOGIN_ADDRESS_LIMIT = 50    # per address, every account together (no known device)
    LOGIN_DEVICE_DAYS = 365     # how long a browser that signed in stays a known device
    WTF_I18N_ENABLED = False  # WTForms' own catalogue (JapaneseForm), no Flask-Babel needed
    WTF_CSRF_TIME_LIMIT = None  # a staff page left open all morning must still submit
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    JOB_WORKERS = int(os.environ.get("JOB_WORKERS", "4"))  # embedded thread pool only
    REDIS_URL = os.environ.get("REDIS_URL", "")  # set: background work goes to RQ workers
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "cart")
    JOB_TIMEOUT = int(os.environ.get("JOB_TIMEOUT", "900"))  # seconds; a bulk run of 50 fits
    NOTICE_POLL_MINUTES = float(os.environ.get("NOTICE_POLL_MINUTES", "10"))
    BULK_CONCURRENCY = int(os.environ.get("BULK_CONCURRENCY", "8"))  # telegrams in flight
    # A 決済処理中 order whose payment has not reached us gives its stock back after this long
    # (it stays 決済処理中 until the shop's rollback period; a late payment takes it again).
    PENDING_STOCK_MINUTES = float(os.environ.get("PENDING_STOCK_MINUTES", "30"))
    # 決済処理中 orders one address may hold stock for at once, per shop.
    PENDING_ORDERS_PER_ADDRESS = int(os.environ.get("PENDING_ORDERS_PER_ADDRESS", "5"))
    SETTLE_DELAYS = (2.0, 10.0, 60.0)  # when to ask PAYGENT (094) after an unknown outcome
    # 照合: open payments asked (094) per shop and round (0 = never), seconds between two
    RECONCILE_PER_ROUND = int(os.environ.get("RECONCILE_PER_ROUND", "20"))
    RECONCILE_PAUSE_SECONDS = float(os.environ.get("RECONCILE_PAUSE_SECONDS", "1"))
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024  # uploads are checked per file, far below this

    PAIDY_SCRIPT_URL = "https://apps.paidy.com/"
    # PAYGENT's token script by トークン接続先 (the sandbox serves its own look-alike)
    CARD_TOKEN_SCRIPT_URLS = {"test": "https://sandbox.paygent.co.jp/js/PaygentToken.js",
                              "production": "https://token.paygent.co.jp/js/PaygentToken.js"}
    MAIL_URL = os.environ.get("MAIL_URL", "")  # smtp://user:pass@host:port; empty = outbox only
    MAIL_FROM = os.environ.get("MAIL_FROM", "no-reply@cart.example")


def sandbox_url(app_config) -> str:
    return (app_config.get("SANDBOX_URL") or app_config["PUBLIC_BASE_URL"] + "/_sandbox").rstrip("/")


def sandbox_token(app_config) -> str:
    """The sandbox's control token: SANDBOX_TOKEN, else the one kept beside SANDBOX_DB."""
    if app_config.get("SANDBOX_TOKEN"):
        return app_config["SANDBOX_TOKEN"]
    from payments.sandbox.control import token_in_folder
    store = app_config.get("SANDBOX_DB") or os.path.join(INSTANCE, "sandbox.sqlite3")
    return token_in_folder(os.path.dirname(os.path.abspath(store)))


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = True
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast in tests; production uses scrypt
    FORWARDED_ALLOW_IPS = "127.0.0.1"  # the same whatever the environment says
    SETTLE_DELAYS = (0.2, 0.5)
    NOTICE_POLL_MINUTES = 0  # tests run the periodic round themselves
    RECONCILE_PER_ROUND = 0  # the 照合 tests turn it on
    SANDBOX_ENABLED = False
    SANDBOX_DB = None
    SANDBOX_TOKEN = "test-sandbox-control-token"  # the suite's shared sandbox uses it too
