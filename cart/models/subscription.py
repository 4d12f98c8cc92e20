"""Stored cards, 定期購入 subscriptions and the file payment runs that authorise their repeat
orders (seed 002). Amounts are ints of yen; dates are the shop's calendar dates (JST).

A stored card is PAYGENT's: the row keeps PAYGENT's ``customer_card_id``, the masked number
and the expiry, never the card. A subscription keeps what was bought (items and prices as
bought, the address, the delivery method and the card) and its next date. A run is one per
shop, date and 取引種別: a second run on the same date finds it and creates nothing.
"""
from datetime import date, datetime

from sqlalchemy import (CheckConstraint, Date, DateTime, ForeignKey, Integer, LargeBinary,
                        String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cart.extensions import db

from .base import ShopOwned, Timestamps, utcnow

SUBSCRIPTION_STATUSES = {"active": "継続中", "stopped": "解約済み"}
RUN_STATES = {
    "created": "受注作成済み（未送信）",
    "sending": "送信中",
    "sent": "PAYGENTで処理中",
    "unknown": "送信結果を確認中",
    "done": "完了",
    "failed": "ファイルエラー",
}
RUN_MODES = {"auto": "自動（ファイル決済を送信）", "manual": "手動（CSVをダウンロードしてアップロード）"}


class StoredCard(ShopOwned, db.Model):
    """A member's card at PAYGENT's card store (025), as 027 lists it."""
    __tablename__ = "stored_cards"
    __table_args__ = (
        UniqueConstraint("shop_id", "member_id", "customer_card_id",
                         name="uq_stored_cards_member_card"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), nullable=False, index=True)
    customer_card_id: Mapped[str] = mapped_column(String(30), nullable=False)
    masked: Mapped[str] = mapped_column(String(24), nullable=False, default="")
    expiry: Mapped[str] = mapped_column(String(5), nullable=False, default="")  # MM/YY
    brand: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def label(self) -> str:
        expiry = f"（有効期限 {self.expiry}）" if self.expiry else ""
        return f"{self.brand + ' ' if self.brand else ''}{self.masked}{expiry}"


class Subscription(ShopOwned, Timestamps, db.Model):
    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'stopped')", name="status"),
        CheckConstraint("anchor_day BETWEEN 1 AND 31", name="anchor_day"),
        db.Index("ix_subscriptions_due", "shop_id", "status", "next_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")
    # "1m", "2m", "3m" (every 1–3 months) or "<n>w" (every n weeks); see cart.subscriptions.cycles
    cycle: Mapped[str] = mapped_column(String(4), nullable=False)
    anchor_day: Mapped[int] = mapped_column(Integer, nullable=False)  # a month cycle's day
    next_date: Mapped[date] = mapped_column(Date, nullable=False)
    skipped_date: Mapped[date | None] = mapped_column(Date)  # the delivery skipped last
    stored_card_id: Mapped[int | None] = mapped_column(ForeignKey("stored_cards.id"))
    delivery_method_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_methods.id"))
    payment_method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"))
    # the buyer and address, as on the first order
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
    # ids of its first and latest orders (orders.subscription_id is the reference)
    first_order_id: Mapped[int | None] = mapped_column(Integer)
    last_order_id: Mapped[int | None] = mapped_column(Integer)
    times: Mapped[int] = mapped_column(Integer, nullable=False, default=1)  # orders so far
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    items = relationship("SubscriptionItem", lazy="select", order_by="SubscriptionItem.id",
                         cascade="all, delete-orphan")
    stored_card = relationship("StoredCard", lazy="select")

    @property
    def status_name(self) -> str:
        return SUBSCRIPTION_STATUSES[self.status]

    @property
    def items_total(self) -> int:
        return sum(item.unit_price * item.quantity for item in self.items)


class SubscriptionItem(ShopOwned, db.Model):
    __tablename__ = "subscription_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"),
                                                 nullable=False, index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    unit_price: Mapped[int] = mapped_column(Integer, nullable=False)  # tax included, as bought
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    tax_rate: Mapped[int] = mapped_column(Integer, nullable=False)


class SubscriptionHistory(ShopOwned, db.Model):
    """One line of a subscription's 変更履歴: who (会員, a staff member, 自動) did what."""
    __tablename__ = "subscription_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"),
                                                 nullable=False, index=True)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 nullable=False)


class FilePaymentRun(ShopOwned, db.Model):
    """One authorisation file of a shop's due repeat orders (seed 002's 一括オーソリ)."""
    __tablename__ = "file_payment_runs"
    __table_args__ = (
        UniqueConstraint("shop_id", "due_date", "kind", name="uq_file_payment_runs_due"),
        CheckConstraint("state IN ('created', 'sending', 'sent', 'unknown', 'done', 'failed')",
                        name="state"),
        CheckConstraint("mode IN ('auto', 'manual')", name="mode"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    kind: Mapped[str] = mapped_column(String(3), nullable=False, default="020")
    mode: Mapped[str] = mapped_column(String(6), nullable=False, default="auto")
    state: Mapped[str] = mapped_column(String(8), nullable=False, default="created")
    file_name: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    request_file: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, default=b"")
    result_file: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, default=b"")
    receipt: Mapped[str] = mapped_column(String(30), nullable=False, default="")
    records: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    ok_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    ng_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    amount: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    code: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    items = relationship("FilePaymentRunItem", lazy="select", order_by="FilePaymentRunItem.id")

    @property
    def state_name(self) -> str:
        return RUN_STATES[self.state]

    @property
    def mode_name(self) -> str:
        return RUN_MODES[self.mode]


class FilePaymentRunItem(ShopOwned, db.Model):
    """One data record (3) of a run: the repeat order it authorises, and its result."""
    __tablename__ = "file_payment_run_items"
    __table_args__ = (
        UniqueConstraint("run_id", "trading_id", name="uq_file_payment_run_items_trading"),
        CheckConstraint("result IN ('', 'ok', 'ng')", name="result"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("file_payment_runs.id"), nullable=False,
                                        index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"),
                                                 nullable=False, index=True)
    trading_id: Mapped[str] = mapped_column(String(25), nullable=False)
    amount: Mapped[int] = mapped_column(Integer, nullable=False)
    customer_id: Mapped[str] = mapped_column(String(20), nullable=False)
    previous_trading_id: Mapped[str] = mapped_column(String(25), nullable=False, default="")
    result: Mapped[str] = mapped_column(String(2), nullable=False, default="")
    payment_id: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    code: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    detail: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    booked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
