"""What the shopper has entered so far, kept in the session per shop until the order is done."""
import secrets

from flask import g, session

# The session travels in a cookie (about 4 KB at most, or the browser drops it with the
# basket). What is kept of an unvalidated field is capped one character past the field's
# limit (email 254, the rest 50), so it is still refused as too long when confirmed; the page
# that refused a submission shows everything typed, from the request itself.
KEPT_CHARS = {"email": 255}
KEPT_CHARS_DEFAULT = 51


def _key() -> str:
    return f"checkout:{g.shop.id}"


def get() -> dict:
    return dict(session.get(_key(), {}))


def update(**values) -> None:
    data = get()
    data.update(values)
    # One token per checkout, from its first step: a session replayed from any later point
    # still names the same checkout, so it reuses its 決済処理中 order instead of making more.
    data.setdefault("token", secrets.token_hex(16))
    session[_key()] = data


def typed(form, names) -> dict:
    """What the shopper typed into ``names`` (not yet validated), capped for the cookie."""
    return {name: form.get(name, "")[:KEPT_CHARS.get(name, KEPT_CHARS_DEFAULT)]
            for name in names}


def finish(order_number: str, kind: str = "") -> None:
    """The order is done: forget the draft, remember the number for the completion page (and
    the payment method's code when its page shows more than the number)."""
    session.pop(_key(), None)
    session[f"completed:{g.shop.id}"] = order_number
    if kind:
        session[f"completed_kind:{g.shop.id}"] = kind
    else:
        session.pop(f"completed_kind:{g.shop.id}", None)


def completed_number() -> str | None:
    return session.get(f"completed:{g.shop.id}")


def completed_kind() -> str:
    return session.get(f"completed_kind:{g.shop.id}", "")
