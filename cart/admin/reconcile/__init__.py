from flask import Blueprint

from cart.tenancy import staff_only

bp = staff_only(Blueprint("reconcile", __name__, url_prefix="/admin/reconcile"))

from cart.admin.reconcile import routes  # noqa: E402,F401
