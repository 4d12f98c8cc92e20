from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")


@bp.before_request
@login_required
def owners_only():
    """Shop settings are for owners; staff get 403."""
    if not current_user.is_owner:
        abort(403)


from cart.admin.settings import routes  # noqa: E402,F401
