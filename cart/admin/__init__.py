from flask import Blueprint

from cart.tenancy import staff_only

bp = staff_only(Blueprint("admin", __name__, url_prefix="/admin"))

from cart.admin import routes  # noqa: E402,F401
