from flask import Blueprint

from cart.tenancy import staff_only

bp = staff_only(Blueprint("mails", __name__, url_prefix="/admin/mails"))

from cart.admin.mails import routes  # noqa: E402,F401
