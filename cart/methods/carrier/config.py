"""The shop's 携帯キャリア決済 settings row, read once per transaction (and kept between
configuration changes on storefront requests, as the shop's other settings are)."""
from sqlalchemy import select

from cart.extensions import db, read_once
from cart.models import CarrierSettings
from cart.shop_config import kept


def carrier_settings_for(shop_id: int) -> CarrierSettings | None:
    """The shop's ペイジェント(携帯キャリア決済) settings, or None before they are configured."""
    return read_once(("carrier_settings", shop_id), lambda: kept(
        shop_id, "carrier_settings", lambda: db.session.scalar(
            select(CarrierSettings).where(CarrierSettings.shop_id == shop_id))))
