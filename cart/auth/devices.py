"""Known devices: a signed cookie, set when a staff member signs in, naming the browser and
the accounts that signed in from it. Such a browser is throttled on its own (account +
device) and never by the account-wide or address-wide limits, so someone else's guessing
cannot keep it out."""
import secrets

from flask import current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer

COOKIE = "known_device"
MAX_ACCOUNTS = 20  # a shared shop PC: the accounts last signed in from it


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="cart.auth.known-device")


def _max_age() -> int:
    return int(current_app.config["LOGIN_DEVICE_DAYS"]) * 86400


def _payload() -> dict | None:
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 4096:
        return None
    try:
        data = _serializer().loads(raw, max_age=_max_age())
    except BadData:
        return None
    if (not isinstance(data, dict) or not isinstance(data.get("d"), str)
            or not isinstance(data.get("s"), list)):
        return None
    return data


def known_device(staff) -> str | None:
    """The id of this browser if ``staff`` has signed in from it before, else None."""
    data = _payload()
    if staff is None or data is None or staff.id not in data["s"]:
        return None
    return data["d"]


def remember_device(response, staff) -> None:
    """Mark this browser as one ``staff`` signs in from (on a successful sign-in)."""
    data = _payload() or {"d": secrets.token_urlsafe(16), "s": []}
    accounts = [staff.id] + [i for i in data["s"] if i != staff.id and isinstance(i, int)]
    value = _serializer().dumps({"d": data["d"], "s": accounts[:MAX_ACCOUNTS]})
    response.set_cookie(COOKIE, value, max_age=_max_age(), path="/admin", httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
