"""The shopper's カゴ, kept in the session per shop: {product_id: quantity}, and for lines
bought as 定期購入 {product_id: cycle}."""
from flask import g, session
from sqlalchemy import func, select

from cart.extensions import db
from cart.models import Order, OrderItem, Product
from cart.pricing import Line

MAX_QUANTITY = 99


def _key() -> str:
    return f"cart:{g.shop.id}"


def quantities() -> dict[int, int]:
    return {int(k): int(v) for k, v in session.get(_key(), {}).items()}


def _save(items: dict[int, int]) -> None:
    session[_key()] = {str(k): v for k, v in items.items() if v > 0}
    chosen = cycles()
    if any(pid not in items or items[pid] <= 0 for pid in chosen):
        _save_cycles({pid: c for pid, c in chosen.items() if items.get(pid, 0) > 0})


def _cycles_key() -> str:
    return f"cycles:{g.shop.id}"


def cycles() -> dict[int, str]:
    """{product_id: cycle} of the lines bought as 定期購入 (a guest's cart has none)."""
    return {int(k): str(v) for k, v in session.get(_cycles_key(), {}).items()}


def _save_cycles(chosen: dict[int, str]) -> None:
    if chosen:
        session[_cycles_key()] = {str(k): v for k, v in chosen.items()}
    else:
        session.pop(_cycles_key(), None)


def add(product_id: int, quantity: int, cycle: str = "") -> None:
    """Put a product in the cart; ``cycle`` buys it as 定期購入 (the line's last choice
    counts: a one-time add of a 定期購入 line keeps it one line, now one-time)."""
    items = quantities()
    items[product_id] = min(MAX_QUANTITY, items.get(product_id, 0) + quantity)
    chosen = cycles()
    if cycle:
        chosen[product_id] = cycle
    else:
        chosen.pop(product_id, None)
    _save_cycles(chosen)
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
    session.pop(_cycles_key(), None)


def lines() -> list[Line]:
    """The cart as priced lines, read from this shop's published products only."""
    items = quantities()
    if not items:
        return []
    products = db.session.scalars(select(Product).where(
        Product.shop_id == g.shop.id, Product.id.in_(items), Product.published.is_(True))
    ).all()
    by_id = {p.id: p for p in products}
    chosen = cycles() if _cycles_key() in session else {}
    return [Line(p.id, p.code, p.name, p.price, items[p.id], p.tax_rate,
                 _offered(p, chosen.get(pid, "")), p.stock)
            for pid in items if (p := by_id.get(pid))]


def shortages(lines: list[Line], pending_order_id=None) -> dict[int, int]:
    """{product_id: how many can be had} of the lines the shelf cannot fill. The shopper's own
    決済処理中 order (a payment step left, e.g. the Paidy modal closed) holds its quantities
    off the shelf until the next attempt rebuilds it, so they count as the shopper's: read
    only when a line looks short."""
    short = {line.product_id: line.stock for line in lines
             if line.stock is not None and line.quantity > line.stock}
    if short and pending_order_id:
        held = dict(db.session.execute(
            select(OrderItem.product_id, func.sum(OrderItem.quantity))
            .join(Order, Order.id == OrderItem.order_id)
            .where(Order.id == pending_order_id, Order.shop_id == g.shop.id,
                   Order.status == "pending_payment", Order.stock_reserved.is_(True),
                   OrderItem.product_id.in_(short))
            .group_by(OrderItem.product_id)).all())
        wanted = {line.product_id: line.quantity for line in lines}
        short = {pid: available + held.get(pid, 0) for pid, available in short.items()
                 if wanted[pid] > available + held.get(pid, 0)}
    return short


def shortage_message(lines: list[Line], short: dict[int, int]) -> list[str]:
    """What the cart says of each short line."""
    return [(f"「{line.name}」は在庫切れのため、ご注文いただけません。削除してください。"
             if short[line.product_id] <= 0 else
             f"「{line.name}」の在庫が不足しています（残り{short[line.product_id]}点）。"
             "数量を変更してください。")
            for line in lines if line.product_id in short]


def _offered(product: Product, cycle: str) -> str:
    """The line's cycle while the product still offers it (else a one-time line)."""
    return cycle if cycle and cycle in (product.subscription_cycles or "").split(",") else ""


def has_subscription(lines: list[Line]) -> bool:
    return any(line.cycle for line in lines)
