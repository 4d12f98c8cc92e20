from flask import Blueprint

from cart.tenancy import owners_only

bp = owners_only(Blueprint("settings", __name__, url_prefix="/admin/settings"))

from cart.admin.settings import routes  # noqa: E402,F401
