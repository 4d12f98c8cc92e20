"""コンビニ決済, ATM決済 and 銀行ネット決済 in the cart: each method's settings row per shop
(seed 003 §1.6.2), and each order's application (the 030/010/060 claim and what its answer
gave the buyer to pay with). The PAYGENT connection is the shop's common ``PaygentAccount``."""
from datetime import datetime

from sqlalchemy import (CheckConstraint, DateTime, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from cart.extensions import Stable, db
from cart.shop_config import ShopConfig

from .base import ShopOwned, Timestamps, utcnow


class DeferredSettings(ShopConfig, Stable, ShopOwned, Timestamps, db.Model):
    """One deferred method's settings for a shop; which columns apply depends on the method
    (its settings page names them)."""
    __tablename__ = "deferred_settings"
    __table_args__ = (
        UniqueConstraint("shop_id", "method", name="uq_deferred_settings_shop_method"),
        CheckConstraint("days > 0", name="days_positive"),
        CheckConstraint("reminder_days >= 0", name="reminder_days_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(20), nullable=False)  # a payments.methods code
    days: Mapped[int] = mapped_column(Integer, nullable=False)        # 支払期限日: 購入日より N 日
    # コンビニ: コンビニ接続タイプ and the stores offered (comma-separated cvs_company_ids)
    connection_type: Mapped[str] = mapped_column(String(3), nullable=False, default="ABD")
    stores: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    # ATM: 店舗名(カナ); 銀行ネット: 店舗名(全角), 店舗名(カナ), コピーライト, 自由メモ欄
    shop_name: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    shop_name_kana: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    copyright: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    free_memo: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # お支払い期限のお知らせメール: sent this many days before the deadline (0: not sent)
    reminder_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    @property
    def store_codes(self) -> list[str]:
        return [s for s in (self.stores or "").split(",") if s]


class DeferredPayment(ShopOwned, db.Model):
    """An order's application to a method paid away from the shop (the deferred methods, and
    the carrier's hand-over to its page, whose ``store`` is the carrier), from the claim to
    PAYGENT's answer: the
    conditional move out of ``applying`` lets a double click or a re-post send one telegram;
    ``lines`` (JSON: [label, value] pairs) are what the buyer pays with, shown on the
    completion page, in the mail and on the page the mail's signed link opens."""
    __tablename__ = "deferred_payments"
    __table_args__ = (
        UniqueConstraint("order_id", name="uq_deferred_payments_order"),
        CheckConstraint("stage IN ('applying', 'applied', 'failed', 'unknown')", name="stage"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False)
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    key: Mapped[str] = mapped_column(String(43), nullable=False, unique=True)
    stage: Mapped[str] = mapped_column(String(10), nullable=False, default="applying")
    store: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    lines: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    handover_url: Mapped[str] = mapped_column(Text, nullable=False, default="")
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    code: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    message: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
