from flask import Blueprint
from flask_login import login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_login():
    """Every admin page needs a signed-in staff member."""


from cart.admin import routes  # noqa: E402,F401
