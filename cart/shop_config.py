"""A shop's configuration kept per process between its changes.

Storefront pages read the same few rows on every request: the shop's settings, deliveries,
payment methods and PAYGENT account. ``shops.config_version`` is raised in the transaction of
every change to one of them (``ShopConfig`` rows, whatever page or command changes them), and
the storefront reads the shop, with its version, first thing in each request. What a process
read of the configuration is kept under that version and handed to later requests as rows of
their own session (``merge(load=False)``: no query), until the version moves.

Invariants:
- only a request that resolved its shop (``g.shop``: the storefront and the 差分通知
  endpoint) uses what is kept, and only for that shop; admin pages and jobs always read the
  database;
- what is kept was read after the version it is kept under, so it is never older than it;
- a transaction that changed the configuration neither uses nor keeps anything (its changes
  are not committed, and may never be).
"""
import threading
from collections import OrderedDict

from flask import g, has_app_context
from sqlalchemy import event, inspect, update
from sqlalchemy.orm import make_transient_to_detached

from cart.extensions import db

_CHANGED = "cart.config_changed"
_kept: dict[tuple[str, int, str], tuple[int, object]] = {}  # (database, shop, what)
_guard = threading.Lock()


class ShopConfig:
    """Mixed into the models that make up a shop's configuration."""


def kept(shop_id: int, name: str, load):
    """``load()``'s result for the shop, read once per process and configuration version.
    ``load`` returns a row, a list of rows, None, or a plain immutable value."""
    shop = getattr(g, "shop", None) if has_app_context() else None
    session = db.session()
    if shop is None or shop.id != shop_id or session.info.get(_CHANGED):
        return load()
    version = shop.config_version
    key = (str(db.engine.url), shop_id, name)
    entry = _kept.get(key)
    if entry is not None and entry[0] == version:
        return _attach(session, entry[1])
    value = load()
    if not session.info.get(_CHANGED):
        with _guard:
            _kept[key] = (version, _detach(value))
    return value


#: per-key values kept by ``kept_each``, least recently used first, at most this many in all
EACH_KEPT = 20_000
_kept_each: "OrderedDict[tuple[str, int, str, object], tuple[int, object]]" = OrderedDict()


def kept_each(shop_id: int, name: str, keys, load) -> dict:
    """{key: value} for each of ``keys``, read once per process and configuration version
    like ``kept``, for values of which a shop has too many to keep whole (one per product):
    ``load(missing_keys)`` returns {key: value} for the keys not kept (a key it leaves out
    is kept as None). Values must be immutable (tuples, named tuples), never rows. At most
    EACH_KEPT values are kept in all, the least recently used going first."""
    keys = list(dict.fromkeys(keys))
    shop = getattr(g, "shop", None) if has_app_context() else None
    session = db.session()
    if shop is None or shop.id != shop_id or session.info.get(_CHANGED):
        loaded = load(keys) if keys else {}
        return {key: loaded.get(key) for key in keys}
    version, database = shop.config_version, str(db.engine.url)
    found, missing = {}, []
    with _guard:
        for key in keys:
            entry = _kept_each.get((database, shop_id, name, key))
            if entry is not None and entry[0] == version:
                _kept_each.move_to_end((database, shop_id, name, key))
                found[key] = entry[1]
            else:
                missing.append(key)
    if missing:
        loaded = load(missing)
        fresh = {key: loaded.get(key) for key in missing}
        found.update(fresh)
        if not session.info.get(_CHANGED):
            with _guard:
                for key, value in fresh.items():
                    _kept_each[(database, shop_id, name, key)] = (version, value)
                    _kept_each.move_to_end((database, shop_id, name, key))
                while len(_kept_each) > EACH_KEPT:
                    _kept_each.popitem(last=False)
    return found


def _detach(value):
    if isinstance(value, list):
        return tuple(_copy(row) for row in value)
    if isinstance(value, db.Model):
        return _copy(value)
    return value


def _attach(session, value):
    if isinstance(value, tuple) and value and isinstance(value[0], db.Model):
        return [session.merge(row, load=False) for row in value]
    if isinstance(value, tuple) and not value:
        return []
    if isinstance(value, db.Model):
        return session.merge(value, load=False)
    return value


def _copy(row):
    """A detached copy of a loaded row's columns (what is not loaded stays unloaded)."""
    state = inspect(row)
    clone = state.manager.new_instance()
    for prop in state.mapper.column_attrs:
        if prop.key in state.dict:
            clone.__dict__[prop.key] = state.dict[prop.key]
    make_transient_to_detached(clone)
    return clone


def _note_changes(session, _context, _instances) -> None:
    """Raise the version of every shop whose configuration this flush changes."""
    from cart.models import Shop
    shop_ids = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, ShopConfig):
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=True):
            continue
        shop_id = obj.shop_id
        if shop_id is not None:
            shop_ids.add(shop_id)
    if not shop_ids:
        return
    session.info[_CHANGED] = True
    session.connection().execute(update(Shop).where(Shop.id.in_(shop_ids)).values(
        config_version=Shop.config_version + 1))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Shop) and obj.id in shop_ids:
            session.expire(obj, ["config_version"])


def _transaction_ended(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)


def _listen() -> None:
    from flask_sqlalchemy.session import Session
    event.listen(Session, "before_flush", _note_changes)
    event.listen(Session, "after_transaction_end", _transaction_ended)


_listen()
