from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


JST = timezone(timedelta(hours=9))  # Japan keeps no summer time


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def jst_midnight(day: date) -> datetime:
    """The UTC moment a JST day begins (UTC, as times are stored: SQLite compares them as
    text, so a moment bound into SQL must be in that zone)."""
    return datetime.combine(day, time(0), JST).astimezone(timezone.utc)


def aware(moment: datetime) -> datetime:
    """A stored time as an aware UTC one (SQLite hands stored times back naive, in UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


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
