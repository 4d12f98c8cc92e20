"""The shop's card settings row, read once per transaction (and kept between configuration
changes on storefront requests, as the shop's other settings are)."""
from sqlalchemy import select

from cart.extensions import db, read_once
from cart.models import CardSettings
from cart.shop_config import kept


def card_settings_for(shop_id: int) -> CardSettings | None:
    """The shop's ペイジェント(クレジット決済) settings, or None before they are configured."""
    return read_once(("card_settings", shop_id), lambda: kept(
        shop_id, "card_settings", lambda: db.session.scalar(
            select(CardSettings).where(CardSettings.shop_id == shop_id))))
