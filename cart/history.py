"""The one way to write a 変更履歴 line: in the caller's transaction, never committed here."""
from cart.extensions import db
from cart.models import OrderHistory


def record(order, text: str, staff=None) -> OrderHistory:
    line = OrderHistory(shop_id=order.shop_id, order_id=order.id, text=text,
                        staff_id=staff.id if staff else None,
                        actor=(staff.name or staff.email) if staff else "システム")
    db.session.add(line)
    return line
