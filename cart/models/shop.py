from flask import current_app
from flask_login import UserMixin
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from cart.extensions import db

from .base import ShopOwned, Timestamps, utcnow

ROLES = ("owner", "staff")
ROLE_NAMES = {"owner": "オーナー", "staff": "スタッフ"}


class Shop(Timestamps, db.Model):
    __tablename__ = "shops"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)

    staff = relationship("Staff", back_populates="shop", lazy="selectin")


class Staff(UserMixin, ShopOwned, Timestamps, db.Model):
    __tablename__ = "staff"
    __table_args__ = (CheckConstraint("role IN ('owner', 'staff')", name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    role: Mapped[str] = mapped_column(String(10), nullable=False, default="staff")

    shop = relationship("Shop", back_populates="staff", lazy="joined")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]


class LoginFailure(db.Model):
    """A failed sign-in, kept briefly to slow down password guessing."""
    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False, index=True)
    ip: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
