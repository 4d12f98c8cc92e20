from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/admin")

from cart.auth import routes  # noqa: E402,F401
