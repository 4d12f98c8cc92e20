from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, Integer, String, Text,
                        UniqueConstraint, true)
from sqlalchemy.orm import Mapped, mapped_column

from cart.extensions import Stable, db
from cart.shop_config import ShopConfig

from .base import ShopOwned, Timestamps, utcnow

CART_TYPES = {"zero": "ゼロステップカート", "three": "3ステップカート"}


class ShopSettings(ShopConfig, Stable, ShopOwned, Timestamps, db.Model):
    """Per-shop storefront settings: cart type, buyer fields (P5), mail and tags."""
    __tablename__ = "shop_settings"
    __table_args__ = (
        CheckConstraint("cart_type IN ('zero', 'three')", name="cart_type"),
        db.UniqueConstraint("shop_id", name="uq_shop_settings_shop"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    cart_type: Mapped[str] = mapped_column(String(8), nullable=False, default="zero")
    mobile_visible: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    mobile_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    shop_email: Mapped[str] = mapped_column(String(254), nullable=False, default="")
    thanks_mail_subject: Mapped[str] = mapped_column(
        String(200), nullable=False, default="ご注文ありがとうございました")
    conversion_tag: Mapped[str] = mapped_column(Text, nullable=False, default="")
    pending_cancel_days: Mapped[int] = mapped_column(Integer, nullable=False, default=7)
    order_seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # オーソリ期限切れ間近のお知らせメール to the shop's owners (docs/deadlines.md)
    expiry_mail: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True,
                                              server_default=true())


class ExpiryNotice(ShopOwned, db.Model):
    """オーソリ期限切れ間近のお知らせ sent to a shop on one day (JST): the unique row, written in
    the transaction that queues the mail, is what keeps it to one a day whoever runs the
    round."""
    __tablename__ = "expiry_notices"
    __table_args__ = (UniqueConstraint("shop_id", "sent_on", name="uq_expiry_notices_shop_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sent_on: Mapped[date] = mapped_column(Date, nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    total: Mapped[int] = mapped_column(Integer, nullable=False)     # yen
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 nullable=False)
