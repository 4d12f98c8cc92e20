"""会員管理: the shop's members, for staff and owners (disabling is the owners')."""
from flask import Blueprint

from cart.tenancy import staff_only

bp = staff_only(Blueprint("admin_members", __name__, url_prefix="/admin/members"))

from cart.admin.members import routes  # noqa: E402,F401
