from flask import Blueprint

from cart.tenancy import staff_only

bp = staff_only(Blueprint("subscriptions", __name__, url_prefix="/admin/subscriptions"))

from cart.admin.subscriptions import routes, runs  # noqa: E402,F401
