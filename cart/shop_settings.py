"""A shop's storefront settings and deliveries, as checkout and the admin read them."""
from sqlalchemy import select

from cart.extensions import db, read_once
from cart.models import DeliveryMethod, ShopSettings
from cart.shop_config import kept


def settings_for(shop_id: int) -> ShopSettings:
    settings = read_once(("settings", shop_id), lambda: kept(
        shop_id, "settings", lambda: db.session.scalar(
            select(ShopSettings).where(ShopSettings.shop_id == shop_id))))
    return settings or ShopSettings(shop_id=shop_id, cart_type="zero", mobile_visible=True,
                                    mobile_required=False)


def deliveries(shop_id: int) -> list[DeliveryMethod]:
    """The shop's deliveries in use, in its order."""
    return kept(shop_id, "deliveries", lambda: list(db.session.scalars(select(DeliveryMethod).where(
        DeliveryMethod.shop_id == shop_id, DeliveryMethod.active.is_(True)
    ).order_by(DeliveryMethod.position, DeliveryMethod.id))))
