from flask import Blueprint
from flask_login import login_required

bp = Blueprint("orders", __name__, url_prefix="/admin/orders")


@bp.before_request
@login_required
def require_login():
    """Order pages are for the shop's staff and owners."""


from cart.admin.orders import routes  # noqa: E402,F401
