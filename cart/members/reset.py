"""パスワード再設定 links: signed, valid for an hour, and usable once.

The token names the shop and the member and carries a keyed digest of the member's password
hash as it is when the mail is sent. Setting a new password changes the hash, so the link (and
any other link sent before) stops working; so does a password change in マイページ.
"""
import hashlib
import hmac
import time

from flask import current_app
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from cart.extensions import db
from cart.models import Member

MAX_AGE = 3600  # seconds


def clock() -> float:
    """The time tokens are stamped and checked with (tests move it on)."""
    return time.time()


class _Signer(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(clock())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="cart.members.password-reset",
                                  signer=_Signer)


def _fingerprint(member: Member) -> str:
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, member.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def make_token(member: Member) -> str:
    return _serializer().dumps({"s": member.shop_id, "m": member.id, "p": _fingerprint(member)})


def member_for(token: str, shop_id: int) -> Member | None:
    """The active member of ``shop_id`` the token was made for, if it is still valid: signed,
    under an hour old, and the password unchanged since."""
    if not token or len(token) > 500:
        return None
    try:
        data = _serializer().loads(token, max_age=MAX_AGE)
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("s") != shop_id or not isinstance(data.get("m"), int):
        return None
    if not 0 < data["m"] < 2**31:
        return None
    member = db.session.get(Member, data["m"])
    if member is None or member.shop_id != shop_id or not member.active:
        return None
    if not hmac.compare_digest(str(data.get("p", "")), _fingerprint(member)):
        return None
    return member
