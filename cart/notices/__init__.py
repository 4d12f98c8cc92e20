from flask import Blueprint

bp = Blueprint("notices", __name__, url_prefix="/notices")

from cart.notices import routes  # noqa: E402,F401
