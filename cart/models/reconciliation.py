"""照合レポート: what PAYGENT answered (094) for each open payment, and each shop's last round.

Only the reconciliation writes these rows, and it writes nothing else: a payment or an order
changes only through the existing paths (差分通知, 「最新の状態を取得」, the operations).
"""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cart.extensions import db

from .base import ShopOwned

SAME = "same"            # PAYGENT holds what we hold
DIFFERS = "differs"      # another 決済状況 or amount at PAYGENT
UNCHECKED = "unchecked"  # the telegram failed or timed out: 確認できませんでした
OUTCOMES = (SAME, DIFFERS, UNCHECKED)


class ReconcileCheck(ShopOwned, db.Model):
    """The last check of one payment: ours as it was when PAYGENT answered, and its answer.
    One row per payment, rewritten at each check (``checked_at`` orders the next round)."""
    __tablename__ = "reconcile_checks"
    __table_args__ = (
        db.UniqueConstraint("payment_id", name="uq_reconcile_checks_payment"),
        Index("ix_reconcile_checks_shop_outcome", "shop_id", "outcome", "checked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), nullable=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False)
    # ours when asked: the 取引ID asked for, the status and the amount (int yen)
    paygent_payment_id: Mapped[str] = mapped_column(String(18), nullable=False, default="")
    our_status: Mapped[str] = mapped_column(String(2), nullable=False, default="")
    our_amount: Mapped[int] = mapped_column(Integer, nullable=False)
    # PAYGENT's answer ("" / None when it could not be had)
    paygent_status: Mapped[str] = mapped_column(String(2), nullable=False, default="")
    paygent_amount: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(10), nullable=False)
    detail: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    payment = relationship("Payment", lazy="joined", innerjoin=True)
    order = relationship("Order", lazy="joined", innerjoin=True)


class ReconcileState(ShopOwned, db.Model):
    """A shop's reconciliation: who runs it now (``run_token``, claimed by a conditional
    update so a round and a hand-started run never overlap) and what its last run found."""
    __tablename__ = "reconcile_states"
    __table_args__ = (db.UniqueConstraint("shop_id", name="uq_reconcile_states_shop"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_token: Mapped[str | None] = mapped_column(String(32))
    running_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(10), nullable=False, default="")  # round | hand
    last_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_checked: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_differing: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_unchecked: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
