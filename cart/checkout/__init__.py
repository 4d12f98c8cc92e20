from flask import Blueprint

from cart.storefront import shop_scoped

bp = shop_scoped(Blueprint("checkout", __name__, url_prefix="/s/<shop_code>"))

from cart.checkout import routes  # noqa: E402,F401
