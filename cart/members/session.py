"""A member's sign-in, kept in Flask's session under a key of its own per shop.

The session holds ``member:<shop id>`` = ``[member id, session version]``; the member is
believed only while the row belongs to that shop, is active and still has that version
(logout, a password change, a reset and disabling raise it). Staff sign-in (Flask-Login's
keys) is never read nor touched here. A request whose session names no member makes no query.
"""
from functools import wraps

from flask import g, redirect, request, session, url_for

from cart.extensions import db
from cart.models import Member

#: マイページ's navigation, in order: (label, endpoint). Another area adds its own section
#: (定期購入, 登録カード) by appending to this list when its blueprint is set up.
MYPAGE_SECTIONS: list[tuple[str, str]] = [
    ("購入履歴", "members.orders"),
    ("会員情報変更", "members.profile"),
    ("お届け先", "members.addresses"),
    ("パスワード変更", "members.password"),
]

_CACHE = "_members_signed_in"


def _key(shop_id: int) -> str:
    return f"member:{shop_id}"


def current_member(shop) -> Member | None:
    """The member signed in at ``shop`` in this request's session, else None. Read once per
    request; a stale, foreign or disabled member's sign-in is dropped from the session."""
    if shop is None:
        return None
    cache = g.setdefault(_CACHE, {})
    if shop.id in cache:
        return cache[shop.id]
    raw = session.get(_key(shop.id))
    member = None
    if raw is not None:
        member = _load(shop.id, raw)
        if member is None:
            session.pop(_key(shop.id), None)
    cache[shop.id] = member
    return member


def _load(shop_id: int, raw) -> Member | None:
    if not (isinstance(raw, list) and len(raw) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and 0 < v < 2**31
                    for v in raw)):
        return None
    member = db.session.get(Member, raw[0])
    if (member is None or member.shop_id != shop_id or not member.active
            or member.session_version != raw[1]):
        return None
    return member


def sign_in(member: Member) -> None:
    """Sign ``member`` in at their shop, under their current session version (call it after
    committing a change of the version, so the number is the stored one)."""
    session[_key(member.shop_id)] = [member.id, member.session_version]
    g.setdefault(_CACHE, {})[member.shop_id] = member


def sign_out() -> None:
    """End this session's member sign-in at the request's shop (other sessions of the member
    end only when the member's session version is raised)."""
    shop = getattr(g, "shop", None)
    if shop is None:
        return
    session.pop(_key(shop.id), None)
    g.setdefault(_CACHE, {})[shop.id] = None


def member_required(view):
    """A storefront page for signed-in members only: others go to ログイン and come back."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_member(g.shop) is None:
            target = request.path if request.method == "GET" else None
            return redirect(url_for("members.login", next=target))
        return view(*args, **kwargs)
    return wrapped
