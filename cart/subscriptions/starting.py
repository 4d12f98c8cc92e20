"""A member's first 定期購入 order starts its subscriptions once its payment accepts it."""
from cart.models import Order
from cart.subscriptions.services import create_from_order


def start_for(order: Order) -> list:
    """In the accepting transaction: one subscription per cycle among the order's 定期購入
    lines, paid with the order's stored card. Nothing for a guest's order or one without
    such lines (a repeat order's lines carry no cycle)."""
    if not order.member_id or order.subscription_id:
        return []
    by_cycle: dict[str, list] = {}
    for item in order.items:
        if item.subscription_cycle:
            by_cycle.setdefault(item.subscription_cycle, []).append(item)
    return [create_from_order(order, items, cycle, order.member_id, order.stored_card_id)
            for cycle, items in by_cycle.items()]
