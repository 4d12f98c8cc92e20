from flask import Blueprint
from flask_login import login_required

bp = Blueprint("mails", __name__, url_prefix="/admin/mails")


@bp.before_request
@login_required
def require_login():
    """The outbox is for signed-in staff."""


from cart.admin.mails import routes  # noqa: E402,F401
