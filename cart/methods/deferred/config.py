"""A shop's settings row of one deferred method, read once per transaction (and kept between
configuration changes on storefront requests, as the shop's other settings are)."""
from sqlalchemy import select

from cart.extensions import db, read_once
from cart.models import DeferredSettings
from cart.shop_config import kept


def deferred_settings_for(shop_id: int, method: str) -> DeferredSettings | None:
    """The shop's settings of ``method`` (a deferred method's code), or None before they are
    configured."""
    return read_once(("deferred_settings", shop_id, method), lambda: kept(
        shop_id, f"deferred_settings:{method}", lambda: db.session.scalar(
            select(DeferredSettings).where(DeferredSettings.shop_id == shop_id,
                                           DeferredSettings.method == method))))
