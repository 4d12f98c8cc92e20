from flask import Blueprint
from flask_login import login_required

bp = Blueprint("products", __name__, url_prefix="/admin/products")


@bp.before_request
@login_required
def require_login():
    """Product pages need a signed-in staff member."""


from cart.admin.products import routes  # noqa: E402,F401
