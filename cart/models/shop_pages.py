"""A shop's 特定商取引法に基づく表記 and プライバシーポリシー, one row per shop.

Not part of the shop's kept configuration (``ShopConfig``): only the two pages themselves read
it, once per request, and the footer that links to them on every storefront page needs
nothing of it, so the checkout pages do not read it at all.
"""
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from cart.extensions import db

from .base import ShopOwned, Timestamps

#: 特定商取引法に基づく表記, in the order the page shows them: (column, label, required)
TOKUSHOHO_FIELDS = (
    ("seller", "販売業者", True),
    ("manager", "運営統括責任者", True),
    ("address", "所在地", True),
    ("phone", "電話番号", True),
    ("phone_hours", "電話受付時間", False),
    ("email", "メールアドレス", True),
    ("website", "ホームページ", False),
    ("price", "販売価格", True),
    ("extra_charges", "商品代金以外の必要料金", True),
    ("order_method", "注文方法", False),
    ("payment_methods", "支払方法", True),
    ("payment_timing", "支払時期", True),
    ("delivery_timing", "商品の引渡し時期", True),
    ("returns", "返品・交換・キャンセル", True),
    ("return_shipping", "返品送料", False),
    ("other", "その他", False),
)
REQUIRED_TOKUSHOHO = tuple(name for name, _, required in TOKUSHOHO_FIELDS if required)


class ShopPages(ShopOwned, Timestamps, db.Model):
    """The texts of the storefront's footer pages, as the owner wrote them (plain text:
    the pages escape it and keep its line breaks)."""
    __tablename__ = "shop_pages"
    __table_args__ = (db.UniqueConstraint("shop_id", name="uq_shop_pages_shop"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    seller: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    manager: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    phone_hours: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    email: Mapped[str] = mapped_column(String(254), nullable=False, default="")
    website: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    price: Mapped[str] = mapped_column(Text, nullable=False, default="")
    extra_charges: Mapped[str] = mapped_column(Text, nullable=False, default="")
    order_method: Mapped[str] = mapped_column(Text, nullable=False, default="")
    payment_methods: Mapped[str] = mapped_column(Text, nullable=False, default="")
    payment_timing: Mapped[str] = mapped_column(Text, nullable=False, default="")
    delivery_timing: Mapped[str] = mapped_column(Text, nullable=False, default="")
    returns: Mapped[str] = mapped_column(Text, nullable=False, default="")
    return_shipping: Mapped[str] = mapped_column(Text, nullable=False, default="")
    other: Mapped[str] = mapped_column(Text, nullable=False, default="")
    privacy_policy: Mapped[str] = mapped_column(Text, nullable=False, default="")

    @property
    def tokushoho_filled(self) -> bool:
        """Every item the law asks for is written (the admin form will not save less)."""
        return all((getattr(self, name) or "").strip() for name in REQUIRED_TOKUSHOHO)

    @property
    def privacy_filled(self) -> bool:
        return bool((self.privacy_policy or "").strip())


def pages_for(shop_id: int) -> ShopPages | None:
    """The shop's pages as saved, or None before the owner first saves them."""
    return db.session.scalar(select(ShopPages).where(ShopPages.shop_id == shop_id))
