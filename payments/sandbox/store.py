"""The sandbox's own state store: an SQLite file (or a private in-memory database).

Every change runs in ``BEGIN IMMEDIATE`` so that concurrent telegrams for one payment
are serialised exactly as PAYGENT serialises them, whichever thread or process sends them.
"""
import json
import os
import sqlite3
import threading
import time
import tempfile
from contextlib import contextmanager

# ``id`` orders all notices (the dispatcher sends each merchant's in that order);
# ``payment_notice_id`` is the number the merchant sees, counted per merchant.
NOTICES_TABLE = """
CREATE TABLE IF NOT EXISTS notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id TEXT NOT NULL,
    payment_notice_id INTEGER NOT NULL,
    payment_id INTEGER NOT NULL,
    fields TEXT NOT NULL,
    created_at REAL NOT NULL,
    acknowledged INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    claimed_until REAL NOT NULL DEFAULT 0,
    last_reply TEXT NOT NULL DEFAULT ''
);
"""
NOTICE_COLUMNS = ("merchant_id, payment_id, fields, created_at, acknowledged, attempts, "
                  "next_attempt_at, claimed_until, last_reply")

SCHEMA = NOTICES_TABLE + """
CREATE TABLE IF NOT EXISTS merchants (
    merchant_id TEXT PRIMARY KEY,
    connect_id TEXT NOT NULL,
    connect_password TEXT NOT NULL,
    hash_key TEXT NOT NULL DEFAULT '',
    notice_url TEXT NOT NULL DEFAULT '',
    paidy_public_key TEXT NOT NULL DEFAULT '',
    store_name TEXT NOT NULL DEFAULT '',
    token_key TEXT NOT NULL DEFAULT '',
    tds_hash_key TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX IF NOT EXISTS merchants_public_key ON merchants(paidy_public_key)
    WHERE paidy_public_key != '';
CREATE TABLE IF NOT EXISTS payments (
    payment_id INTEGER PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    trading_id TEXT NOT NULL,
    paidy_payment_id TEXT NOT NULL,
    payment_type TEXT NOT NULL DEFAULT '22',
    status TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL DEFAULT 'JPY',
    authorized_at REAL,
    captured_at REAL,
    closed_at REAL,
    pending_target TEXT NOT NULL DEFAULT '',
    pending_event TEXT NOT NULL DEFAULT '',
    pending_until REAL,
    pending_amount INTEGER,
    parent_payment_id INTEGER,
    details TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_trading ON payments(merchant_id, trading_id);
CREATE INDEX IF NOT EXISTS payments_paidy ON payments(paidy_payment_id);
CREATE INDEX IF NOT EXISTS notices_pending ON notices(acknowledged, next_attempt_at);
CREATE INDEX IF NOT EXISTS notices_merchant_open ON notices(merchant_id, acknowledged, id);
CREATE UNIQUE INDEX IF NOT EXISTS notices_merchant_number
    ON notices(merchant_id, payment_notice_id);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mode TEXT NOT NULL,
    telegram_kind TEXT NOT NULL DEFAULT '',
    remaining INTEGER NOT NULL,
    apply INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS telegrams (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id TEXT NOT NULL,
    telegram_kind TEXT NOT NULL,
    payment_id TEXT NOT NULL DEFAULT '',
    request TEXT NOT NULL,
    reply TEXT NOT NULL,
    fault TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS locks (
    name TEXT PRIMARY KEY,
    until REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS card_tokens (
    token TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    token_key TEXT NOT NULL,
    outcome TEXT NOT NULL,
    masked_card_number TEXT NOT NULL,
    card_brand TEXT NOT NULL,
    card_valid_term TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE TABLE IF NOT EXISTS stored_cards (
    customer_card_id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    masked_card_number TEXT NOT NULL,
    card_brand TEXT NOT NULL,
    card_valid_term TEXT NOT NULL,
    created_at REAL NOT NULL,
    deleted_at REAL
);
CREATE INDEX IF NOT EXISTS stored_cards_customer ON stored_cards(merchant_id, customer_id);
CREATE TABLE IF NOT EXISTS file_payments (
    receipt_number INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    digest TEXT NOT NULL,
    data BLOB NOT NULL,
    received_at REAL NOT NULL,
    ready_at REAL NOT NULL,
    result BLOB
);
CREATE INDEX IF NOT EXISTS file_payments_digest ON file_payments(merchant_id, digest);
CREATE TABLE IF NOT EXISTS tds_auths (
    auth_id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    token TEXT NOT NULL,
    trading_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    term_url TEXT NOT NULL,
    challenge INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    response_code TEXT NOT NULL DEFAULT '',
    attempt_kbn TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    answered_at REAL,
    used_at REAL
);
"""
#: Card tables a store file from before the card sandbox lacks (made by SCHEMA), and the
#: merchants' columns it adds.
CARD_MERCHANT_COLUMNS = ("token_key", "tds_hash_key")

DEFAULT_SETTINGS = {
    "clock_offset": 0.0,        # seconds added to the wall clock (moves the Paidy windows)
    "latency_ms": 0,            # added before every PAYGENT reply
    "notice_retry_seconds": 5.0,
    "notice_pause_seconds": 900.0,  # after 5 straight failures PAYGENT pauses 15 minutes
    "settle_seconds": 0.0,      # how long a 24005 payment stays in 30/31/42
    "token_ttl_seconds": 600.0,  # how long a card token stays usable (PaygentToken.js)
    "file_result_seconds": 60.0,  # how long a file payment takes before 201 has its result
}
FIRST_PAYMENT_ID = 200000001


class Store:
    def __init__(self, path: str | None = None):
        """Open (or create) the store at ``path``; None makes a throwaway one."""
        self._tmp = None
        if path is None:
            # A throwaway file rather than a shared-cache memory database: the latter locks
            # whole tables and ignores the busy timeout, which concurrent telegrams need.
            self._tmp = tempfile.TemporaryDirectory(prefix="paygent-sandbox-")
            path = os.path.join(self._tmp.name, "sandbox.sqlite3")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.path = os.path.abspath(path)
        self._local = threading.local()
        self.on_notice = None  # called (inside the transaction) when a notice is queued
        self._number_notices_per_merchant()
        self.db.executescript(SCHEMA)
        columns = {row["name"] for row in self.db.execute("PRAGMA table_info(payments)")}
        if "pending_amount" not in columns:  # a store file from before parked partial refunds
            self.db.execute("ALTER TABLE payments ADD COLUMN pending_amount INTEGER")
        columns = {row["name"] for row in self.db.execute("PRAGMA table_info(merchants)")}
        for column in CARD_MERCHANT_COLUMNS:  # a store file from before the card sandbox
            if column not in columns:
                self.db.execute(f"ALTER TABLE merchants ADD COLUMN {column} TEXT NOT NULL "
                                "DEFAULT ''")

    def _number_notices_per_merchant(self) -> None:
        """Bring a store file from before per-merchant notice numbers up to date.

        Its notices keep the numbers the shops have seen (one global sequence, so also
        unique per merchant); new ones continue from each merchant's highest. Runs before the
        schema script, whose indexes belong to the rebuilt table.
        """
        with self.write() as db:
            columns = {row["name"] for row in db.execute("PRAGMA table_info(notices)")}
            if not columns or "id" in columns:
                return
            db.execute("ALTER TABLE notices RENAME TO notices_before_per_merchant")
            db.execute(NOTICES_TABLE)
            db.execute(f"INSERT INTO notices(id, payment_notice_id, {NOTICE_COLUMNS}) "
                       f"SELECT payment_notice_id, payment_notice_id, {NOTICE_COLUMNS} "
                       "FROM notices_before_per_merchant ORDER BY payment_notice_id")
            db.execute("DROP TABLE notices_before_per_merchant")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                             check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=30000")
        return db

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    @contextmanager
    def write(self):
        """One serialised transaction."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    # -- settings and clock ----------------------------------------------------------
    def setting(self, key: str):
        row = self.db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return json.loads(row["value"]) if row else DEFAULT_SETTINGS[key]

    def set_setting(self, key: str, value) -> None:
        if key not in DEFAULT_SETTINGS:
            raise KeyError(key)
        with self.write() as db:
            db.execute("INSERT INTO settings(key, value) VALUES(?, ?) "
                       "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                       (key, json.dumps(value)))

    def now(self) -> float:
        """The sandbox's clock: wall time plus the offset tests set."""
        return time.time() + float(self.setting("clock_offset"))

    # -- merchants -------------------------------------------------------------------
    def upsert_merchant(self, merchant_id: str, connect_id: str, connect_password: str,
                        hash_key: str = "", notice_url: str = "", paidy_public_key: str = "",
                        store_name: str = "", token_key: str = "",
                        tds_hash_key: str = "") -> None:
        with self.write() as db:
            if paidy_public_key:
                db.execute("UPDATE merchants SET paidy_public_key='' "
                           "WHERE paidy_public_key=? AND merchant_id!=?",
                           (paidy_public_key, merchant_id))
            db.execute(
                "INSERT INTO merchants(merchant_id, connect_id, connect_password, hash_key,"
                " notice_url, paidy_public_key, store_name, token_key, tds_hash_key) "
                "VALUES(?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(merchant_id) DO UPDATE SET connect_id=excluded.connect_id,"
                " connect_password=excluded.connect_password, hash_key=excluded.hash_key,"
                " notice_url=excluded.notice_url, paidy_public_key=excluded.paidy_public_key,"
                " store_name=excluded.store_name, token_key=excluded.token_key,"
                " tds_hash_key=excluded.tds_hash_key",
                (merchant_id, connect_id, connect_password, hash_key, notice_url,
                 paidy_public_key, store_name, token_key, tds_hash_key))

    def merchant(self, merchant_id: str):
        return self.db.execute("SELECT * FROM merchants WHERE merchant_id=?",
                               (merchant_id,)).fetchone()

    def merchant_by_public_key(self, key: str):
        if not key:
            return None
        return self.db.execute("SELECT * FROM merchants WHERE paidy_public_key=?",
                               (key,)).fetchone()

    # -- faults ----------------------------------------------------------------------
    def add_fault(self, mode: str, telegram_kind: str = "", count: int = 1,
                  apply: bool = False) -> None:
        with self.write() as db:
            db.execute("INSERT INTO faults(mode, telegram_kind, remaining, apply) "
                       "VALUES(?,?,?,?)", (mode, telegram_kind, count, int(apply)))

    def take_fault(self, telegram_kind: str):
        """Consume one matching fault, oldest first; None when no fault is armed."""
        with self.write() as db:
            row = db.execute(
                "SELECT * FROM faults WHERE remaining > 0 AND telegram_kind IN ('', ?) "
                "ORDER BY id LIMIT 1", (telegram_kind,)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE faults SET remaining = remaining - 1 WHERE id=?", (row["id"],))
            return dict(row)

    def clear_faults(self) -> None:
        with self.write() as db:
            db.execute("DELETE FROM faults")

    # -- telegram log ----------------------------------------------------------------
    def log_telegram(self, merchant_id: str, kind: str, payment_id: str, request: dict,
                     reply: dict, fault: str = "") -> None:
        with self.write() as db:
            db.execute("INSERT INTO telegrams(merchant_id, telegram_kind, payment_id, request,"
                       " reply, fault, at) VALUES(?,?,?,?,?,?,?)",
                       (merchant_id, kind, payment_id, json.dumps(request, ensure_ascii=False),
                        json.dumps(reply, ensure_ascii=False), fault, time.time()))

    def telegrams(self, kind: str | None = None) -> list[dict]:
        sql, args = "SELECT * FROM telegrams", ()
        if kind:
            sql, args = sql + " WHERE telegram_kind=?", (kind,)
        rows = self.db.execute(sql + " ORDER BY id", args).fetchall()
        return [dict(r, request=json.loads(r["request"]), reply=json.loads(r["reply"]))
                for r in rows]

    # -- locks -----------------------------------------------------------------------
    def try_lock(self, name: str, seconds: float = 30.0) -> bool:
        now = time.time()
        with self.write() as db:
            row = db.execute("SELECT until FROM locks WHERE name=?", (name,)).fetchone()
            if row and row["until"] > now:
                return False
            db.execute("INSERT INTO locks(name, until) VALUES(?, ?) ON CONFLICT(name) "
                       "DO UPDATE SET until=excluded.until", (name, now + seconds))
            return True

    def unlock(self, name: str) -> None:
        with self.write() as db:
            db.execute("DELETE FROM locks WHERE name=?", (name,))

    # -- reset -----------------------------------------------------------------------
    def reset(self, keep_merchants: bool = True) -> None:
        with self.write() as db:
            for table in ("payments", "notices", "faults", "telegrams", "settings", "locks",
                          "card_tokens", "tds_auths", "stored_cards", "file_payments"):
                db.execute(f"DELETE FROM {table}")
            db.execute("DELETE FROM sqlite_sequence WHERE name IN ('notices', 'stored_cards',"
                       " 'file_payments')")
            if not keep_merchants:
                db.execute("DELETE FROM merchants")
