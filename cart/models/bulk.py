from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cart.extensions import db

from .base import ShopOwned, utcnow

#: 処理内容: an operation of the payment rules (cart.operations), run on up to 50 orders at once
BULK_ACTIONS = {"capture": "売上確定処理", "cancel": "取消処理"}


class BulkRun(ShopOwned, db.Model):
    """One 外部決済一括処理 run: what was asked, by whom, and how far it got (B2, B3)."""
    __tablename__ = "bulk_runs"
    __table_args__ = (UniqueConstraint("shop_id", "token", name="uq_bulk_runs_shop_token"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), nullable=False)  # one run per confirm page
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), nullable=False)
    action: Mapped[str] = mapped_column(String(10), nullable=False, default="capture")
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="queued")
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    succeeded: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 nullable=False, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # last start
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    items = relationship("BulkRunItem", lazy="select", order_by="BulkRunItem.id")
    staff = relationship("Staff", lazy="joined")

    @property
    def done(self) -> int:
        return self.succeeded + self.failed

    @property
    def action_name(self) -> str:
        return BULK_ACTIONS[self.action]


class BulkRunItem(ShopOwned, db.Model):
    __tablename__ = "bulk_run_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("bulk_runs.id"), nullable=False, index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False)
    outcome: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    code: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    message: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    order = relationship("Order", lazy="joined")

    @property
    def log_text(self) -> str:
        return log_text(self.outcome, self.code)


def log_text(outcome: str, code: str) -> str:
    """「正常終了」 or 「エラーコード:xxx」, as the 詳細ログ and 変更履歴 show an item's result."""
    if outcome == "success":
        return "正常終了"
    if outcome == "pending":
        return "処理待ち"
    return f"エラーコード:{code or '-'}"
