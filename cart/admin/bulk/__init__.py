from flask import Blueprint
from flask_login import login_required

bp = Blueprint("bulk", __name__, url_prefix="/admin/bulk")


@bp.before_request
@login_required
def require_login():
    """外部決済一括処理 is for the shop's staff and owners."""


from cart.admin.bulk import routes  # noqa: E402,F401
