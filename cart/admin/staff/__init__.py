"""The signed-in staff member's password, and the owners' スタッフ管理."""
from flask import Blueprint

from cart.tenancy import staff_only

bp = staff_only(Blueprint("staff", __name__, url_prefix="/admin"))

from cart.admin.staff import routes  # noqa: E402,F401
