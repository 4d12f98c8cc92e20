"""The shopper's カゴ, kept in the session per shop: {product_id: quantity}."""
from flask import g, session
from sqlalchemy import select

from cart.extensions import db
from cart.models import Product
from cart.pricing import Line

MAX_QUANTITY = 99


def _key() -> str:
    return f"cart:{g.shop.id}"


def quantities() -> dict[int, int]:
    return {int(k): int(v) for k, v in session.get(_key(), {}).items()}


def _save(items: dict[int, int]) -> None:
    session[_key()] = {str(k): v for k, v in items.items() if v > 0}


def add(product_id: int, quantity: int) -> None:
    items = quantities()
    items[product_id] = min(MAX_QUANTITY, items.get(product_id, 0) + quantity)
    _save(items)


def set_quantity(product_id: int, quantity: int) -> None:
    items = quantities()
    if product_id in items:
        items[product_id] = max(0, min(MAX_QUANTITY, quantity))
        _save(items)


def remove(product_id: int) -> None:
    items = quantities()
    items.pop(product_id, None)
    _save(items)


def clear() -> None:
    session.pop(_key(), None)


def lines() -> list[Line]:
    """The cart as priced lines, read from this shop's published products only."""
    items = quantities()
    if not items:
        return []
    products = db.session.scalars(select(Product).where(
        Product.shop_id == g.shop.id, Product.id.in_(items), Product.published.is_(True))
    ).all()
    by_id = {p.id: p for p in products}
    return [Line(p.id, p.code, p.name, p.price, items[p.id], p.tax_rate)
            for pid in items if (p := by_id.get(pid))]
