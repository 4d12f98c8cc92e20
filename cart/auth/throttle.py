"""Sign-in throttling (docs/architecture.md, "Sign-in and sessions").

Every attempt takes its place in the counters *before* the password is checked, each place
with one conditional statement (``UPDATE … SET hits = hits + 1 … WHERE <still allowed>
RETURNING hits``), so concurrent attempts in any number of processes cannot all pass: the
database orders them. A refused attempt counts nowhere and its password is never checked; a
successful sign-in gives its places back.

Counters, each a row of ``login_throttle``:
  * pair: one account from one address, or from one known device. The first
    ``free`` attempts pass; from then on each attempt blocks the pair for a delay that doubles
    (2 s, 4 s, 8 s, …, at most ``max_delay``). Forgotten after ``forget`` seconds of quiet.
  * address: every account from one address, ``address_limit`` per ``window``.
  * account: one account from every address, ``account_limit`` per ``window``, applied only
    to a client whose pair has already been used (a client's first attempt is never refused
    by it, so a distributed attack cannot lock a legitimate user out).
Known devices are throttled by their pair only.
"""
import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import DateTime, case, delete, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cart.extensions import begin_write, db
from cart.models import LoginThrottle
from cart.models.base import utcnow

T = LoginThrottle


@dataclass(frozen=True)
class Attempt:
    """What the throttle said about one sign-in attempt."""
    allowed: bool
    wait: int = 0      # seconds before the refused client may try again
    limit: str = ""    # the counter that refused: "pair", "address" or "account"
    taken: tuple = ()  # the counters the allowed attempt counts in (the pair first)


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256(json.dumps([kind, *parts]).encode()).hexdigest()
    return f"{kind}:{digest}"


def _at(value: datetime):
    return literal(value, DateTime(timezone=True))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # SQLite: naive UTC


class Throttle:
    def __init__(self, free: int = 5, max_delay: int = 900, forget: int = 3600,
                 window: int = 900, account_limit: int = 10, address_limit: int = 50,
                 clock=utcnow):
        self.free = max(1, free)
        self.max_delay = max_delay
        self.forget = max(forget, max_delay)  # a pair is never forgotten while it is blocked
        self.window = window
        self.account_limit = account_limit
        self.address_limit = address_limit
        self.clock = clock  # tests replace it to move time on

    @classmethod
    def from_config(cls, config) -> "Throttle":
        return cls(free=config["LOGIN_FREE_ATTEMPTS"], max_delay=config["LOGIN_MAX_DELAY"],
                   forget=config["LOGIN_FORGET"], window=config["LOGIN_WINDOW"],
                   account_limit=config["LOGIN_ACCOUNT_LIMIT"],
                   address_limit=config["LOGIN_ADDRESS_LIMIT"])

    def delay(self, hits: int) -> int:
        """Seconds a pair waits after its attempt number ``hits``."""
        if hits < self.free:
            return 0
        return min(2 ** (hits - self.free + 1), self.max_delay)

    # -- one attempt ------------------------------------------------------------------------
    def attempt(self, email: str, address: str, device: str | None = None) -> Attempt:
        """Take the attempt's places, or refuse it (nothing counted) with the wait."""
        now = self.clock()
        if device:
            pair, windows = _key("device", email, device), []
        else:
            pair = _key("pair", email, address)
            windows = [("address", _key("address", address), self.address_limit),
                       ("account", _key("account", email), self.account_limit)]
        begin_write()  # SQLite: one writer at a time; PostgreSQL: the statements' row locks
        try:
            result = self._take(pair, windows, now)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return result

    def _take(self, pair: str, windows: list, now: datetime) -> Attempt:
        self._ensure([pair] + [key for _, key, _ in windows], now)
        hits = self._take_pair(pair, now)
        if hits is None:
            return Attempt(False, self._pair_wait(pair, now), "pair")
        taken = [pair]
        for name, key, limit in windows:
            if name == "account" and hits == 1:
                limit = None  # this client has not failed before: the account limit spares it
            if self._take_window(key, now, limit) is None:
                wait = self._window_wait(key, now)
                self._give_back(taken)
                return Attempt(False, wait, name)
            taken.append(key)
        return Attempt(True, taken=tuple(taken))

    def succeeded(self, attempt: Attempt) -> None:
        """A correct password: the pair starts afresh, the other counters get their place back."""
        pair, *windows = attempt.taken
        db.session.execute(delete(T).where(T.key == pair))
        self._give_back(windows)
        db.session.commit()

    def failed(self, attempt: Attempt) -> None:
        """A wrong password: it stays counted. Rows nobody will consult again are dropped."""
        now = self.clock()
        db.session.execute(delete(T).where(
            T.last_at < now - timedelta(seconds=max(self.forget, self.window))))
        db.session.commit()

    # -- the statements ---------------------------------------------------------------------
    def _ensure(self, keys: list[str], now: datetime) -> None:
        dialect = db.engine.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        db.session.execute(insert(T).values([
            {"key": key, "hits": 0, "started_at": now, "last_at": now, "blocked_until": now}
            for key in keys]).on_conflict_do_nothing(index_elements=["key"]))

    def _take_pair(self, key: str, now: datetime) -> int | None:
        """The pair's attempt number for this attempt, or None while the pair is blocked."""
        fresh = T.last_at <= _at(now - timedelta(seconds=self.forget))
        hits = case((fresh, 1), else_=T.hits + 1)
        blocks = [(hits == n, _at(now + timedelta(seconds=self.delay(n))))
                  for n in range(self.free, self.free + 32) if self.delay(n) < self.max_delay]
        blocked_until = case((hits < self.free, _at(now)), *blocks,
                             else_=_at(now + timedelta(seconds=self.max_delay)))
        return db.session.execute(
            update(T).where(T.key == key, T.blocked_until <= _at(now))
            .values(hits=hits, started_at=case((fresh, _at(now)), else_=T.started_at),
                    last_at=_at(now), blocked_until=blocked_until)
            .returning(T.hits)).scalar()

    def _take_window(self, key: str, now: datetime, limit: int | None) -> int | None:
        """The counter's count with this attempt, or None when it is at its limit."""
        expired = T.started_at <= _at(now - timedelta(seconds=self.window))
        condition = T.key == key
        if limit is not None:
            condition = condition & or_(expired, T.hits < limit)
        return db.session.execute(
            update(T).where(condition)
            .values(hits=case((expired, 1), else_=T.hits + 1),
                    started_at=case((expired, _at(now)), else_=T.started_at), last_at=_at(now))
            .returning(T.hits)).scalar()

    def _give_back(self, keys: list[str]) -> None:
        if keys:
            db.session.execute(update(T).where(T.key.in_(keys), T.hits > 0)
                               .values(hits=T.hits - 1))

    def _pair_wait(self, key: str, now: datetime) -> int:
        until = db.session.scalar(select(T.blocked_until).where(T.key == key))
        return _seconds(_aware(until) - now)

    def _window_wait(self, key: str, now: datetime) -> int:
        started = db.session.scalar(select(T.started_at).where(T.key == key))
        return _seconds(_aware(started) + timedelta(seconds=self.window) - now)


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def throttle() -> Throttle:
    """The app's throttle (``app.extensions["login_throttle"]``)."""
    return current_app.extensions["login_throttle"]


def wait_text(seconds: int) -> str:
    """「N秒」 or 「N分」, for the message of a refused attempt."""
    return f"{seconds}秒" if seconds < 60 else f"{math.ceil(seconds / 60)}分"
