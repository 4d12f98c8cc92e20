from flask import Blueprint

from cart.tenancy import staff_only

bp = staff_only(Blueprint("products", __name__, url_prefix="/admin/products"))

from cart.admin.products import routes  # noqa: E402,F401
