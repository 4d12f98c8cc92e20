"""A shop's ペイジェント(携帯キャリア決済) settings (seed 003 §1.6.2 携帯キャリア決済設定): which
carriers are offered (利用決済) and 同時売上. The PAYGENT connection is the shop's common one."""
from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cart.extensions import Stable, db
from cart.shop_config import ShopConfig

from .base import ShopOwned, Timestamps


class CarrierSettings(ShopConfig, Stable, ShopOwned, Timestamps, db.Model):
    __tablename__ = "carrier_settings"
    __table_args__ = (
        UniqueConstraint("shop_id", name="uq_carrier_settings_shop"),
        CheckConstraint("sales_mode IN ('auth', 'capture')", name="sales_mode"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # comma-separated carriers of payments.methods.carrier.CARRIERS, never empty once set
    carriers: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    sales_mode: Mapped[str] = mapped_column(String(8), nullable=False, default="auth")

    @property
    def offered(self) -> list[str]:
        from payments.methods.carrier import CARRIERS
        chosen = set(filter(None, (self.carriers or "").split(",")))
        return [c for c in CARRIERS if c in chosen]
