"""The cart's tables. Everything a shop owns carries ``shop_id``."""
from .shop import LoginThrottle, Shop, Staff
from .catalog import Product
from .gateway import PaygentAccount, PaymentLog, SettingsDraft
from .store_settings import ShopSettings
from .card_settings import CardAuthorization, CardSettings
from .deferred import DeferredPayment, DeferredSettings
from .carrier_settings import CarrierSettings
from .delivery import DeliveryMethod
from .payment_method import PaymentMethod
from .order import Order, OrderItem, OrderHistory
from .payment import OutboxMail, Payment, PaymentAttempt, PaymentNotice
from .bulk import BulkRun, BulkRunItem
from .member import Member, MemberAddress
from .subscription import (FilePaymentRun, FilePaymentRunItem, StoredCard, Subscription,
                           SubscriptionHistory, SubscriptionItem)

__all__ = ["Shop", "Staff", "Product", "PaygentAccount", "PaymentLog", "ShopSettings",
           "DeliveryMethod", "PaymentMethod", "Order", "OrderItem", "OrderHistory", "Payment",
           "PaymentNotice", "OutboxMail", "SettingsDraft", "PaymentAttempt", "BulkRun",
           "BulkRunItem", "LoginThrottle", "CardSettings",
           "CardAuthorization", "DeferredSettings", "DeferredPayment",
           "CarrierSettings", "Member", "MemberAddress", "StoredCard", "Subscription",
           "SubscriptionItem", "SubscriptionHistory", "FilePaymentRun", "FilePaymentRunItem"]
from .product_image import ProductImage  # noqa: E402
__all__ += ["ProductImage"]
from .shop_pages import ShopPages  # noqa: E402
__all__ += ["ShopPages"]
from .reconciliation import ReconcileCheck, ReconcileState  # noqa: E402,F401
