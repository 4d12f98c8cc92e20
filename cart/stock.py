"""An order's stock: reserved when the order is written, given back when it is cancelled,
rolled back or its reservation lapses, taken again when a lapsed order is paid after all.
Every change is a conditional update in the caller's transaction."""
from sqlalchemy import update

from cart.extensions import db
from cart.models import Order, Product
from cart.models.base import utcnow


class OutOfStock(Exception):
    """A line asks for more than the shelf holds; the argument is the product's name."""


def reserve(shop_id: int, lines) -> None:
    """Take each line's quantity off the shelf, or raise OutOfStock (the caller rolls back)."""
    for line in lines:
        taken = db.session.execute(update(Product).where(
            Product.id == line.product_id, Product.shop_id == shop_id,
            Product.stock >= line.quantity).values(stock=Product.stock - line.quantity))
        if taken.rowcount != 1:
            raise OutOfStock(line.name)


def release(order: Order) -> None:
    """Give an order's stock back (cancel, rollback, or rebuilding a pending order)."""
    if not order.stock_reserved:
        return
    give_back(order)
    order.stock_reserved = False


def give_back(order: Order) -> None:
    """Put the order's quantities back on the shelf (the caller owns the reservation flag)."""
    for item in order.items:
        if item.product_id:
            db.session.execute(update(Product).where(
                Product.id == item.product_id, Product.shop_id == order.shop_id
            ).values(stock=Product.stock + item.quantity))


def retake(order: Order) -> list[str]:
    """Reserve again the stock of an order whose reservation had lapsed and that was paid after
    all; returns the names of the items the shelf no longer had (taken as far as it had)."""
    short = []
    for item in order.items:
        if not item.product_id:
            continue
        taken = db.session.execute(update(Product).where(
            Product.id == item.product_id, Product.shop_id == order.shop_id,
            Product.stock >= item.quantity).values(stock=Product.stock - item.quantity))
        if taken.rowcount != 1:
            db.session.execute(update(Product).where(
                Product.id == item.product_id, Product.shop_id == order.shop_id
            ).values(stock=0))
            short.append(item.name)
    order.stock_reserved = True
    order.reserved_at = utcnow()
    return short
