"""What the shopper has entered so far, kept in the session per shop until the order is done."""
from flask import g, session


def _key() -> str:
    return f"checkout:{g.shop.id}"


def get() -> dict:
    return dict(session.get(_key(), {}))


def update(**values) -> None:
    data = get()
    data.update(values)
    session[_key()] = data


def finish(order_number: str) -> None:
    """The order is done: forget the draft, remember the number for the completion page."""
    session.pop(_key(), None)
    session[f"completed:{g.shop.id}"] = order_number


def completed_number() -> str | None:
    return session.get(f"completed:{g.shop.id}")
