"""The one way to write a 変更履歴 line: in the caller's transaction, never committed here."""
from dataclasses import dataclass

from cart.extensions import db
from cart.models import OrderHistory


@dataclass(frozen=True)
class OrderRef:
    """What a 変更履歴 line needs of its order, without loading it."""
    shop_id: int
    id: int
    number: str


def record(order, text: str, staff=None) -> OrderHistory:
    line = OrderHistory(shop_id=order.shop_id, order_id=order.id, text=text,
                        staff_id=staff.id if staff else None,
                        actor=(staff.name or staff.email) if staff else "システム")
    db.session.add(line)
    return line
