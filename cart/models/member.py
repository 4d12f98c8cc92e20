"""会員: a shop's registered buyers and their extra delivery addresses (お届け先).

Members are per shop: the same email at two shops is two accounts. Emails are stored
lower-case, so the unique constraint compares them lower-case.
"""
from datetime import datetime

from flask import current_app
from sqlalchemy import (Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint,
                        true)
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from cart.extensions import db

from .base import ShopOwned, Timestamps

#: the address fields a member and an お届け先 share with an order's buyer
ADDRESS_FIELDS = ("name", "kana", "zip_code", "prefecture", "city", "street", "building", "tel")


class Member(ShopOwned, Timestamps, db.Model):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("shop_id", "email", name="uq_members_shop_email"),
        # 会員管理's searches
        Index("ix_members_shop_name", "shop_id", "name"),
        Index("ix_members_shop_kana", "shop_id", "kana"),
        Index("ix_members_shop_tel", "shop_id", "tel"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False)  # lower-case
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)   # 姓 名
    kana: Mapped[str] = mapped_column(String(100), nullable=False)   # セイ メイ
    zip_code: Mapped[str] = mapped_column(String(8), nullable=False)  # NNN-NNNN
    prefecture: Mapped[str] = mapped_column(String(10), nullable=False)
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    street: Mapped[str] = mapped_column(String(100), nullable=False)
    building: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    tel: Mapped[str] = mapped_column(String(20), nullable=False)
    mobile: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    # A disabled member can neither sign in nor use a session they already have.
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True,
                                         server_default=true())
    # Part of every member session: raising it ends all of the member's sessions.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1,
                                                 server_default="1")
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Every session of the member ends once this is committed. Done in SQL, so two
        changes at once both count."""
        self.session_version = Member.session_version + 1

    @property
    def paygent_customer_id(self) -> str:
        """The id PAYGENT's card store knows the member by: M + the id in 10 digits."""
        return f"M{self.id:010d}"


class MemberAddress(ShopOwned, Timestamps, db.Model):
    """お届け先: one of a member's extra delivery addresses."""
    __tablename__ = "member_addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kana: Mapped[str] = mapped_column(String(100), nullable=False)
    zip_code: Mapped[str] = mapped_column(String(8), nullable=False)
    prefecture: Mapped[str] = mapped_column(String(10), nullable=False)
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    street: Mapped[str] = mapped_column(String(100), nullable=False)
    building: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    tel: Mapped[str] = mapped_column(String(20), nullable=False)
