"""A shop's storefront settings, deliveries and payment methods, as checkout, mail and the
admin read them."""
from sqlalchemy import select

from cart.extensions import db, read_once
from cart.models import DeliveryMethod, PaymentMethod, ShopSettings
from cart.shop_config import kept


def settings_for(shop_id: int) -> ShopSettings:
    settings = read_once(("settings", shop_id), lambda: kept(
        shop_id, "settings", lambda: db.session.scalar(
            select(ShopSettings).where(ShopSettings.shop_id == shop_id))))
    return settings or ShopSettings(shop_id=shop_id, cart_type="zero", mobile_visible=True,
                                    mobile_required=False)


def deliveries(shop_id: int) -> list[DeliveryMethod]:
    """The shop's deliveries in use, in its order."""
    return kept(shop_id, "deliveries", lambda: list(db.session.scalars(
        select(DeliveryMethod).where(
            DeliveryMethod.shop_id == shop_id, DeliveryMethod.active.is_(True))
        .order_by(DeliveryMethod.position, DeliveryMethod.id))))


def listed_methods(shop_id: int) -> list[PaymentMethod]:
    """The shop's configured methods in use, in its order."""
    return kept(shop_id, "methods", lambda: list(db.session.scalars(
        select(PaymentMethod).where(
            PaymentMethod.shop_id == shop_id, PaymentMethod.in_use.is_(True),
            PaymentMethod.configured.is_(True))
        .order_by(PaymentMethod.position, PaymentMethod.id))))
