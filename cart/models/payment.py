from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cart.extensions import db
from payments import methods

from .base import ShopOwned, Timestamps, utcnow


class Payment(ShopOwned, Timestamps, db.Model):
    """An order's payment as PAYGENT holds it (PAYGENT is the authority, this mirrors), of any
    method: ``method`` names its module, ``reference`` is the method's own id of it (Paidy's
    ``pay_…``), unique per method."""
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("order_id", name="uq_payments_order"),
        UniqueConstraint("method", "reference", name="uq_payments_method_reference"),
        # the dashboard's 売上集計: a shop's payments by the day authorised / captured
        Index("ix_payments_shop_authorized", "shop_id", "authorized_at"),
        Index("ix_payments_shop_captured", "shop_id", "captured_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False)
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    reference: Mapped[str | None] = mapped_column(String(64))
    paygent_payment_id: Mapped[str] = mapped_column(String(18), nullable=False, default="",
                                                    index=True)
    status: Mapped[str] = mapped_column(String(2), nullable=False, default="")
    # which of the method's variants it is (a carrier payment's 携帯キャリア), "" for none
    variant: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    amount: Mapped[int] = mapped_column(Integer, nullable=False)
    authorized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refunded: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The claim: the attempt whose telegram is out (or whose outcome is unknown). Set by a
    # conditional update, so two operations can never be in flight for one payment.
    in_flight_attempt_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    order = relationship("Order", back_populates="payment")
    attempts = relationship("PaymentAttempt", lazy="select", order_by="desc(PaymentAttempt.id)")

    @property
    def lib(self) -> methods.Method:
        return methods.get(self.method)

    @property
    def status_name(self) -> str:
        return self.lib.status_name(self.status) if self.status else "確認中"


class PaymentAttempt(ShopOwned, db.Model):
    """One payment operation (capture, cancel, refund) from claim to settled outcome."""
    __tablename__ = "payment_attempts"
    # (shop_id, paygent_payment_id): 受注一覧 finds a payment by a 取引ID it had before a
    # partial refund or 金額変更 gave it a new one (the attempt was sent with the old one)
    __table_args__ = (Index("ix_payment_attempts_outcome_created", "outcome", "created_at"),
                      Index("ix_payment_attempts_shop_payment_id", "shop_id",
                            "paygent_payment_id"),
                      # the dashboard's 返金 per day
                      Index("ix_payment_attempts_shop_finished", "shop_id", "finished_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), nullable=False,
                                            index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(10), nullable=False)
    amount: Mapped[int | None] = mapped_column(Integer)           # refund amount; None = full
    paygent_payment_id: Mapped[str] = mapped_column(String(18), nullable=False)
    outcome: Mapped[str] = mapped_column(String(10), nullable=False, default="claimed")
    code: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    detail: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    new_payment_id: Mapped[str] = mapped_column(String(18), nullable=False, default="")
    source: Mapped[str] = mapped_column(String(10), nullable=False, default="order")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PaymentNotice(ShopOwned, db.Model):
    """A 差分通知 as received, kept once per payment_notice_id; unmatched ones wait for review."""
    __tablename__ = "payment_notices"
    __table_args__ = (
        UniqueConstraint("shop_id", "payment_notice_id", name="uq_payment_notices_shop_notice"),
        Index("ix_payment_notices_shop_outcome", "shop_id", "outcome"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    payment_notice_id: Mapped[str] = mapped_column(String(20), nullable=False)
    payment_id: Mapped[str] = mapped_column(String(18), nullable=False, default="")
    trading_id: Mapped[str] = mapped_column(String(25), nullable=False, default="")
    payment_status: Mapped[str] = mapped_column(String(2), nullable=False, default="")
    payment_amount: Mapped[int | None] = mapped_column(Integer)
    fields: Mapped[str] = mapped_column(Text, nullable=False)
    outcome: Mapped[str] = mapped_column(String(12), nullable=False)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                  nullable=False)


class OutboxMail(ShopOwned, db.Model):
    """A mail the shop sent; the outbox is readable in the admin, and SMTP sends it when set."""
    __tablename__ = "outbox_mails"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    to_addr: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 nullable=False, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str] = mapped_column(String(300), nullable=False, default="")
