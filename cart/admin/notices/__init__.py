from flask import Blueprint

from cart.tenancy import staff_only

bp = staff_only(Blueprint("notice_log", __name__, url_prefix="/admin/notices"))

from cart.admin.notices import routes  # noqa: E402,F401
