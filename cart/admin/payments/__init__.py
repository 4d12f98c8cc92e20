from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("payment_settings", __name__, url_prefix="/admin/payment-methods")


@bp.before_request
@login_required
def owners_only():
    """支払方法設定 is for owners; staff get 403."""
    if not current_user.is_owner:
        abort(403)


from cart.admin.payments import routes  # noqa: E402,F401
