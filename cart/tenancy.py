"""Scoped access to shop-owned rows: the only way admin and storefront code reads them.

A row of another shop is indistinguishable from a missing row: both are 404.
"""
from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required
from sqlalchemy import select

from cart.extensions import db


def current_shop_id() -> int:
    """The shop of the request: the signed-in staff member's, or the storefront's."""
    shop = getattr(g, "shop", None)
    if shop is not None:
        return shop.id
    if current_user.is_authenticated:
        return current_user.shop_id
    abort(404)


def scoped(model, shop_id: int | None = None):
    """``select(model)`` limited to the current shop."""
    return select(model).where(model.shop_id == (shop_id or current_shop_id()))


def get_or_404(model, ident, shop_id: int | None = None):
    """Load one row of the current shop by primary key, or 404."""
    try:
        ident = int(ident)
    except (TypeError, ValueError):
        abort(404)
    if not 0 < ident < 2**31:  # no row has such a key (and the database cannot compare it)
        abort(404)
    row = db.session.scalar(scoped(model, shop_id).where(model.id == ident))
    if row is None:
        abort(404)
    return row


def owner_required(view):
    """Only the shop's owners: staff get 403."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_owner:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def staff_only(blueprint):
    """Every page of the blueprint needs a signed-in staff member (of any role)."""
    @blueprint.before_request
    @login_required
    def require_login():
        """Signed-in staff only."""
    return blueprint


def owners_only(blueprint):
    """Every page of the blueprint is for owners; staff get 403."""
    @blueprint.before_request
    @login_required
    def require_owner():
        """Owners only."""
        if not current_user.is_owner:
            abort(403)
    return blueprint
