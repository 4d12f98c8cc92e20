from flask import Blueprint, abort, g
from sqlalchemy import select

from cart.extensions import db
from cart.models import Shop

bp = Blueprint("storefront", __name__, url_prefix="/s/<shop_code>")


@bp.url_value_preprocessor
def load_shop(endpoint, values):
    """Resolve the shop from the URL; an unknown code is 404."""
    code = values.pop("shop_code", None)
    shop = db.session.scalar(select(Shop).where(Shop.code == code)) if code else None
    if shop is None:
        abort(404)
    g.shop = shop


@bp.url_defaults
def add_shop_code(endpoint, values):
    if "shop_code" not in values and getattr(g, "shop", None) is not None:
        values["shop_code"] = g.shop.code


from cart.storefront import routes  # noqa: E402,F401
