"""The cart's tables. Everything a shop owns carries ``shop_id``."""
from .shop import Shop, Staff
from .catalog import Product
from .gateway import PaygentAccount, PaymentLog

__all__ = ["Shop", "Staff", "Product", "PaygentAccount", "PaymentLog"]
