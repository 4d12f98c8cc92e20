from flask import Blueprint, abort, g
from sqlalchemy import select

from cart.extensions import db
from cart.models import Shop

bp = Blueprint("storefront", __name__, url_prefix="/s/<shop_code>")


def load_shop(endpoint, values):
    """Resolve the shop from the URL; an unknown code is 404."""
    code = values.pop("shop_code", None) if values else None
    shop = db.session.scalar(select(Shop).where(Shop.code == code)) \
        if code and "\x00" not in code else None
    if shop is None:
        abort(404)
    g.shop = shop


def add_shop_code(endpoint, values):
    if "shop_code" not in values and getattr(g, "shop", None) is not None:
        values["shop_code"] = g.shop.code


def shop_scoped(blueprint: Blueprint) -> Blueprint:
    """Make a blueprint under /s/<shop_code>/ resolve its shop (g.shop) for every request."""
    blueprint.url_value_preprocessor(load_shop)
    blueprint.url_defaults(add_shop_code)
    return blueprint


shop_scoped(bp)


from cart.storefront import routes  # noqa: E402,F401
from cart.storefront import legal  # noqa: E402,F401
