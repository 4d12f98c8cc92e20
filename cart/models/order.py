from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cart.extensions import db

from .base import ShopOwned, Timestamps, utcnow

STATUSES = {
    "pending_payment": "決済処理中",
    "new": "新規受付",
    "awaiting_payment": "入金待ち",
    "paid": "入金済み",
    "completed": "受注完了",
    "cancelled": "キャンセル",
    "payment_failed": "決済失敗",
}
#: orders still being handled (the 受注一覧 tab), and those staff may move on
OPEN = ("pending_payment", "new", "awaiting_payment", "paid")
COMPLETABLE = ("new", "paid")
EDITABLE = ("new", "pending_payment")
CAPTURE_MODES = {"auth": "オーソリのみ", "auth_capture": "オーソリ+売上確定"}


class Order(ShopOwned, Timestamps, db.Model):
    """An order. Amounts are ints of yen; prices are tax-included and the included tax per
    category is computed once, when the order is created, and stored."""
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "number", name="uq_orders_shop_number"),
        CheckConstraint("status IN ('pending_payment', 'new', 'awaiting_payment', 'paid', "
                        "'completed', 'cancelled', 'payment_failed')",
                        name="status"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        Index("ix_orders_shop_created", "shop_id", "created_at"),
        Index("ix_orders_shop_status_created", "shop_id", "status", "created_at"),
        Index("ix_orders_shop_email", "shop_id", "email"),
        Index("ix_orders_shop_tel", "shop_id", "tel"),
        Index("ix_orders_shop_mobile", "shop_id", "mobile"),
        # prefix searches (LIKE 'x%') use these on PostgreSQL whatever the collation
        Index("ix_orders_shop_name", "shop_id", "buyer_name",
              postgresql_ops={"buyer_name": "varchar_pattern_ops"}),
        Index("ix_orders_shop_kana", "shop_id", "buyer_kana",
              postgresql_ops={"buyer_kana": "varchar_pattern_ops"}),
        # the shopper's own pending order, and how many an address holds
        Index("ix_orders_shop_checkout_token", "shop_id", "checkout_token"),
        Index("ix_orders_shop_client_status", "shop_id", "client_address", "status"),
        # 決済処理中 orders whose stock is due back, and the dashboard's 要確認 list
        Index("ix_orders_status_reserved", "status", "reserved_at"),
        Index("ix_orders_shop_review", "shop_id", "needs_review"),
        # 購入金額 range searches count their 件HIT from the index alone
        Index("ix_orders_shop_status_total", "shop_id", "status", "total", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(25), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending_payment")
    cart_type: Mapped[str] = mapped_column(String(8), nullable=False)
    capture_mode: Mapped[str] = mapped_column(String(12), nullable=False, default="auth")
    # 購入者情報
    buyer_name: Mapped[str] = mapped_column(String(100), nullable=False)
    buyer_kana: Mapped[str] = mapped_column(String(100), nullable=False)
    zip_code: Mapped[str] = mapped_column(String(8), nullable=False)
    prefecture: Mapped[str] = mapped_column(String(10), nullable=False)
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    street: Mapped[str] = mapped_column(String(100), nullable=False)
    building: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    tel: Mapped[str] = mapped_column(String(20), nullable=False)
    mobile: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    # delivery and payment, as chosen (names kept even if the shop renames them later)
    delivery_method_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_methods.id"))
    delivery_name: Mapped[str] = mapped_column(String(100), nullable=False)
    payment_method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"))
    payment_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    payment_name: Mapped[str] = mapped_column(String(100), nullable=False)
    # money
    items_total: Mapped[int] = mapped_column(Integer, nullable=False)
    shipping_fee: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    target10: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    target8: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    tax10: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    tax8: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    adjust_label: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    adjust10: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # 金額調整 10%
    adjust8: Mapped[int] = mapped_column(Integer, nullable=False, default=0)   # 金額調整 8%
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stock_reserved: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    reserved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The checkout that made a 決済処理中 order (a random token kept in the shopper's session)
    # and the address it came from: a replayed session reuses its order, and one address
    # can hold only a few orders' stock at once.
    checkout_token: Mapped[str | None] = mapped_column(String(32))
    client_address: Mapped[str] = mapped_column(String(45), nullable=False, default="")
    needs_review: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    placed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the 会員 who placed it (None: a guest)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    # the 定期購入 it started or repeats (None: a one-time order)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"),
                                                        index=True)
    # the member's stored card it is paid with (registered at its checkout, or chosen there)
    stored_card_id: Mapped[int | None] = mapped_column(ForeignKey("stored_cards.id"))

    # Loaded when first used; lists that show them ask for them in their query.
    items = relationship("OrderItem", back_populates="order", lazy="select",
                         order_by="OrderItem.id", cascade="all, delete-orphan")
    payment = relationship("Payment", back_populates="order", uselist=False, lazy="select")
    history = relationship("OrderHistory", lazy="select", order_by="desc(OrderHistory.id)")

    @property
    def status_name(self) -> str:
        return STATUSES[self.status]


def status_named(label: str, default: str = "new") -> str:
    """The order status a method's 対応状況 label names (入金待ち, 入金済み), else ``default``."""
    return next((code for code, name in STATUSES.items() if name == label and label), default)


class OrderItem(ShopOwned, db.Model):
    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    unit_price: Mapped[int] = mapped_column(Integer, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    tax_rate: Mapped[int] = mapped_column(Integer, nullable=False)
    subtotal: Mapped[int] = mapped_column(Integer, nullable=False)
    # 定期購入: the cycle the member chose for this line ("" for a one-time purchase)
    subscription_cycle: Mapped[str] = mapped_column(String(4), nullable=False, default="")

    order = relationship("Order", back_populates="items")


class OrderHistory(ShopOwned, db.Model):
    """One 変更履歴 line, written in the same transaction as the change it describes."""
    __tablename__ = "order_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    actor: Mapped[str] = mapped_column(String(100), nullable=False, default="システム")
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 nullable=False)
