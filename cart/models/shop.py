from flask import current_app
from flask_login import UserMixin
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from cart.extensions import Stable, db

from .base import ShopOwned, Timestamps

ROLES = ("owner", "staff")
ROLE_NAMES = {"owner": "オーナー", "staff": "スタッフ"}


class Shop(Stable, Timestamps, db.Model):
    __tablename__ = "shops"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    # Raised with every change to the shop's configuration (cart/shop_config.py).
    config_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1,
                                                server_default="1")

    staff = relationship("Staff", back_populates="shop", lazy="select")  # loaded only when asked for


class Staff(Stable, UserMixin, ShopOwned, Timestamps, db.Model):
    __tablename__ = "staff"
    __table_args__ = (CheckConstraint("role IN ('owner', 'staff')", name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    role: Mapped[str] = mapped_column(String(10), nullable=False, default="staff")
    # A disabled account can neither sign in nor use a session it already has.
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True,
                                         server_default=true())
    # Part of every session's user id: raising it ends all of the account's sessions.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1,
                                                 server_default="1")

    shop = relationship("Shop", back_populates="staff", lazy="joined")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What the session stores: the id and the session version it was signed in under."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def end_sessions(self) -> None:
        """Every session of the account ends once this is committed (their cookies name the
        previous version). Done in SQL, so two changes at once both count."""
        self.session_version = Staff.session_version + 1

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]


class LoginThrottle(db.Model):
    """A sign-in counter (docs/architecture.md, "Sign-in and sessions"): per account and
    address (or known device), per account, per address. Keys are hashes, so the table holds
    neither emails nor addresses."""
    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                              index=True)
    blocked_until: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
