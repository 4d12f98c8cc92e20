from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/admin")


@bp.record_once
def _set_up(state) -> None:
    from cart.auth.throttle import Throttle
    state.app.extensions["login_throttle"] = Throttle.from_config(state.app.config)


from cart.auth import routes  # noqa: E402,F401
