from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cart.extensions import Stable, db
from cart.shop_config import ShopConfig

from payments import methods

from .base import ShopOwned, Timestamps
from .delivery import delivery_payment_methods

BANNERS = {
    "320x100": "320 x 100 px バナー",
    "240x150": "240 x 150 px バナー",
    "728x90": "728 x 90 px バナー",
}


class PaymentMethod(ShopConfig, Stable, ShopOwned, Timestamps, db.Model):
    """A payment method in the shop's 使用決済 list, with its 適用条件 and 注意書き."""
    __tablename__ = "payment_methods"
    __table_args__ = (
        db.UniqueConstraint("shop_id", "kind", name="uq_payment_methods_shop_kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # a payments.methods code
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    in_use: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)  # 使用決済
    configured: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # 適用条件: hidden when the product amount (shipping and fees excluded) is under / from.
    hide_under: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hide_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    note_on_payment_page: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    note_in_thanks_mail: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    banner: Mapped[str] = mapped_column(String(10), nullable=False, default="320x100")
    instructions: Mapped[str] = mapped_column(Text, nullable=False, default="")

    delivery_methods = relationship("DeliveryMethod", secondary=delivery_payment_methods,
                                    lazy="select", back_populates="payment_methods")

    @property
    def lib(self) -> methods.Method:
        return methods.get(self.kind)

    @property
    def name(self) -> str:
        return self.lib.name

    @property
    def system_name(self) -> str:
        return self.lib.system_name

    def applies_to(self, product_amount: int) -> bool:
        """True when the 適用条件 let this method show for a cart of this product amount."""
        if self.hide_under is not None and product_amount < self.hide_under:
            return False
        if self.hide_from is not None and product_amount >= self.hide_from:
            return False
        return True
