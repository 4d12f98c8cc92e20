from flask import Blueprint

from cart.tenancy import staff_only

bp = staff_only(Blueprint("bulk", __name__, url_prefix="/admin/bulk"))

from cart.admin.bulk import routes  # noqa: E402,F401
