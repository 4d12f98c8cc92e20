from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cart.extensions import Stable, db
from cart.shop_config import ShopConfig

from .base import ShopOwned, Timestamps

# Which payment methods each delivery method accepts (対応可能な支払方法).
delivery_payment_methods = Table(
    "delivery_payment_methods", db.metadata,
    Column("delivery_method_id", Integer, ForeignKey("delivery_methods.id", ondelete="CASCADE"),
           primary_key=True),
    Column("payment_method_id", Integer, ForeignKey("payment_methods.id", ondelete="CASCADE"),
           primary_key=True),
)


class DeliveryMethod(ShopConfig, Stable, ShopOwned, Timestamps, db.Model):
    """A delivery method (宅配便) with its fee, or a fee the shop tells the buyer later."""
    __tablename__ = "delivery_methods"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    fee: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    fee_undetermined: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    payment_methods = relationship("PaymentMethod", secondary=delivery_payment_methods,
                                   lazy="select", back_populates="delivery_methods")

    @property
    def fee_label(self) -> str:
        return "送料別途連絡" if self.fee_undetermined else f"{self.fee:,}円"
