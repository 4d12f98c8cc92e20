from flask import Blueprint

from cart.tenancy import owners_only

bp = owners_only(Blueprint("pages", __name__, url_prefix="/admin/pages"))

from cart.admin.pages import routes  # noqa: E402,F401
