"""Extension objects, bound to an app in create_app, and the session's transaction helpers."""
import logging
import threading
from contextlib import contextmanager

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints so Alembic can alter them (SQLite batch mode needs names).
metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# What a commit expires is chosen in _expire_volatile: everything but shop configuration.
db = SQLAlchemy(metadata=metadata, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True)
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "ログインしてください。"
login_manager.login_message_category = "warning"


def tune_sqlite(engine) -> None:
    """SQLite as a server-side store: WAL so readers never block the writer, a busy timeout
    so concurrent writers queue instead of failing, and foreign keys enforced."""
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


# How long a writer waits for the process's write turn before it falls back to SQLite's own
# busy handler (which still serialises it, only less fairly): a guard, never reached in use.
WRITE_TURN_TIMEOUT = 30.0
_WRITE_TURN = "cart.write_turn"
_write_turns: dict[str, threading.Lock] = {}
_write_turns_guard = threading.Lock()


def _write_turn(url: str) -> threading.Lock:
    with _write_turns_guard:
        return _write_turns.setdefault(url, threading.Lock())


def begin_write() -> None:
    """Start the session's next transaction as a writer.

    On SQLite a transaction that reads first and writes later can find its snapshot stale and
    fail at once (the busy timeout does not apply); taking the write lock up front makes such
    read-check-write transactions queue instead. Writers of one process take turns on a lock
    first, so they queue in order instead of in SQLite's sleep-and-retry busy handler, and
    the database lock is held only while one of them writes. What the session read before is
    kept if it only read (rows that change under writers, not shop configuration, are read
    again: see ``Stable``); a transaction that already wrote is committed first. Other
    databases use row locks and conditional updates, so this is a no-op there."""
    if db.engine.dialect.name != "sqlite":
        return
    session = db.session()
    if session.info.get(_WRITE_TURN):
        return  # this transaction writes already
    if session.in_transaction():
        raw = session.connection().connection.dbapi_connection
        if raw.in_transaction or session.new or session.dirty or session.deleted:
            session.commit()  # it wrote outside a writer transaction: keep that first
        else:
            _expire_volatile(session)
    turn = _write_turn(str(db.engine.url))
    if turn.acquire(timeout=WRITE_TURN_TIMEOUT):
        session.info[_WRITE_TURN] = turn
    from sqlalchemy import text
    session.execute(text("BEGIN IMMEDIATE"))
    session.info.setdefault(_WRITE_TURN, True)


_READ_ONCE = "cart.read_once"


def read_once(key, load):
    """``load()``'s row, read once per transaction of the session (later calls in the same
    transaction get the same object back): for shop configuration that several steps of one
    request consult. A missing row (None) is not remembered."""
    session = db.session()
    found = session.info.setdefault(_READ_ONCE, {})
    row = found.get(key)
    if row is None or row not in session:
        row = load()
        if row is not None:
            found[key] = row
    return row


@contextmanager
def write_turn():
    """The process's write turn (SQLite) for a write on a connection of its own, outside the
    session; a no-op on other databases, or when this thread's session holds the turn."""
    if db.engine.dialect.name != "sqlite" or db.session().info.get(_WRITE_TURN):
        yield
        return
    turn = _write_turn(str(db.engine.url))
    got = turn.acquire(timeout=WRITE_TURN_TIMEOUT)
    try:
        yield
    finally:
        if got:
            turn.release()


def _transaction_ended(session, transaction) -> None:
    if transaction.parent is not None:
        return
    session.info.pop(_READ_ONCE, None)
    turn = session.info.pop(_WRITE_TURN, None)
    if turn is not None and turn is not True:  # True: BEGIN IMMEDIATE without the turn
        turn.release()


class Stable:
    """Mixed into models of shop configuration (the shop, its settings, methods and
    deliveries): rows that change only when staff edit them, so what a request read of them
    stays valid when it goes on to write. Everything else is read again inside the writer's
    transaction."""


@contextmanager
def transaction(write: bool = True):
    """One unit of work on the request's session: begun (as a writer on SQLite when ``write``),
    committed when the block ends, rolled back on any error. What was registered with
    ``after_commit`` inside it runs once the commit succeeded."""
    if write:
        begin_write()
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


_AFTER_COMMIT = "cart.after_commit"


def after_commit(callback, *args) -> None:
    """Run ``callback(*args)`` once the session's current transaction commits; forgotten if it
    rolls back. For work that must not happen unless the change is stored (mail, jobs)."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append((callback, args))


def _expire_volatile(session) -> None:
    """What other transactions may have changed is read again (after a commit, as SQLAlchemy
    does by default, or when a reader becomes a writer); shop configuration (``Stable``) is
    kept for the rest of the request."""
    for obj in list(session.identity_map.values()):
        if not isinstance(obj, Stable):
            session.expire(obj)


def _run_after_commit(session) -> None:
    _expire_volatile(session)
    callbacks = session.info.pop(_AFTER_COMMIT, [])
    for callback, args in callbacks:
        try:
            callback(*args)
        except Exception:  # the change is committed; a failed follow-up is logged, not undone
            logging.getLogger("cart").exception("after-commit %s failed",
                                                getattr(callback, "__name__", callback))


def _forget_after_commit(session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


def _listen_for_commits() -> None:
    from flask_sqlalchemy.session import Session
    from sqlalchemy import event
    event.listen(Session, "after_commit", _run_after_commit)
    event.listen(Session, "after_rollback", _forget_after_commit)
    event.listen(Session, "after_transaction_end", _transaction_ended)


_listen_for_commits()
