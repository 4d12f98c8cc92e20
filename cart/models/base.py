from datetime import datetime, timezone

from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ShopOwned:
    """Mixin for rows that belong to one shop; scoped queries filter on this column."""

    @declared_attr
    def shop_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("shops.id"), nullable=False, index=True)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow, nullable=False)
