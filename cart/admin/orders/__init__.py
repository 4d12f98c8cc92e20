from flask import Blueprint

from cart.tenancy import staff_only

bp = staff_only(Blueprint("orders", __name__, url_prefix="/admin/orders"))

from cart.admin.orders import routes  # noqa: E402,F401
from cart.admin.orders import documents, export  # noqa: E402,F401
