"""Which payment methods a checkout may use, and with which delivery."""
from sqlalchemy import select

from cart.checkout.orders import CheckoutError
from cart.extensions import db
from cart.methods import registry
from cart.models import DeliveryMethod, PaymentMethod
from cart.models.delivery import delivery_payment_methods
from cart.pricing import Line
from cart.shop_config import kept
from cart.shop_settings import deliveries, listed_methods
from cart.subscriptions.offer import CARD_ONLY

NOT_PAIRED_MESSAGE = "選択された配送方法では、このお支払い方法はご利用いただけません。"


def offered_methods(shop_id: int, items_total: int,
                    subscription: bool = False) -> list[PaymentMethod]:
    """Configured methods whose 適用条件 match the product amount (shipping excluded) and whose
    own settings let them be offered; for a cart with 定期購入 lines, only those that keep the
    member's card."""
    return [m for m in listed_methods(shop_id)
            if m.applies_to(items_total) and registry.get(m.kind).available(shop_id)
            and (not subscription or registry.get(m.kind).keeps_cards(shop_id))]


def _pairs(shop_id: int) -> frozenset:
    """(delivery id, payment method id) of every pair the shop allows."""
    return kept(shop_id, "pairs", lambda: frozenset(
        (delivery_id, method_id) for delivery_id, method_id in db.session.execute(
            select(delivery_payment_methods.c.delivery_method_id,
                   delivery_payment_methods.c.payment_method_id)
            .join(DeliveryMethod,
                  DeliveryMethod.id == delivery_payment_methods.c.delivery_method_id)
            .where(DeliveryMethod.shop_id == shop_id))))


def check_choice(shop_id: int, lines: list[Line], delivery_id, method_id):
    """The delivery and payment method, if this pair may be used for this cart."""
    delivery = next((d for d in deliveries(shop_id) if d.id == delivery_id), None)
    if delivery is None:
        raise CheckoutError("配送方法を選択してください。", "delivery_method")
    items_total = sum(line.subtotal for line in lines)
    subscription = any(line.cycle for line in lines)
    method = next((m for m in offered_methods(shop_id, items_total, subscription)
                   if m.id == method_id), None)
    if method is None:
        if subscription and method_id and any(
                m.id == method_id for m in offered_methods(shop_id, items_total)):
            raise CheckoutError(CARD_ONLY, "payment_method")
        raise CheckoutError("お支払い方法を選択してください。", "payment_method")
    problem = registry.get(method.kind).delivery_problem(delivery)
    if problem:
        raise CheckoutError(problem, "payment_method")
    if (delivery.id, method.id) not in _pairs(shop_id):
        raise CheckoutError(NOT_PAIRED_MESSAGE, "payment_method")
    return delivery, method
