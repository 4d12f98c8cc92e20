"""A shop's ペイジェント(クレジット決済) settings (seed 003 §1.6.2). The common PAYGENT connection
(merchant ID, connect ID and password, hash key, certificates) is the shop's ``PaygentAccount``,
shared by every PAYGENT method; this row holds only what the card method adds.

The トークン生成鍵 and the 3Dセキュア結果受付ハッシュ鍵 are encrypted at rest and never rendered.
"""
from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cart.extensions import Stable, db
from cart.security.secrets import EncryptedText
from cart.shop_config import ShopConfig

from .base import ShopOwned, Timestamps, utcnow

#: 支払い回数 the owner may offer, in the order the settings page lists them
PAYMENT_CLASSES = {"lump": "一括払い", "split": "分割払い", "revo": "リボ払い",
                   "bonus": "ボーナス一括払い"}
#: Attemptオーソリ制御区分 (3-D Secure 2.0)
ATTEMPT_AUTH = {"none": "全て実施しない", "normal": "正常時のみ実施", "all": "全て実施"}
TOKEN_ENVIRONMENTS = {"test": "試験環境", "production": "本番環境"}
SALES_MODES = {"auth": "オーソリのみ", "capture": "オーソリ+売上確定"}


class CardSettings(ShopConfig, Stable, ShopOwned, Timestamps, db.Model):
    __tablename__ = "card_settings"
    __table_args__ = (
        UniqueConstraint("shop_id", name="uq_card_settings_shop"),
        CheckConstraint("attempt_auth IN ('none', 'normal', 'all')", name="attempt_auth"),
        CheckConstraint("token_environment IN ('test', 'production')",
                        name="token_environment"),
        CheckConstraint("sales_mode IN ('auth', 'capture')", name="sales_mode"),
        CheckConstraint("file_payment_mode IN ('auto', 'manual')", name="file_payment_mode"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # comma-separated keys of PAYMENT_CLASSES, never empty once configured
    payment_classes: Mapped[str] = mapped_column(String(40), nullable=False, default="lump")
    security_code_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    three_d_secure: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    attempt_auth: Mapped[str] = mapped_column(String(8), nullable=False, default="none")
    merchant_name: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    tds_hash_key: Mapped[str] = mapped_column(EncryptedText, nullable=False, default="")
    token_environment: Mapped[str] = mapped_column(String(12), nullable=False, default="test")
    token_key: Mapped[str] = mapped_column(EncryptedText, nullable=False, default="")
    sales_mode: Mapped[str] = mapped_column(String(8), nullable=False, default="auth")
    # カード情報お預かり機能 (025–027: members' stored cards) and カード有効性チェック on 025
    card_stock: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    card_validity_check: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # 定期購入の一括オーソリ: sent by file payment, or the CSV downloaded and its result uploaded
    file_payment_mode: Mapped[str] = mapped_column(String(6), nullable=False, default="auto")

    @property
    def classes(self) -> list[str]:
        """The offered 支払い回数, in PAYMENT_CLASSES order."""
        chosen = set(filter(None, (self.payment_classes or "").split(",")))
        return [key for key in PAYMENT_CLASSES if key in chosen]


class CardAuthorization(ShopOwned, db.Model):
    """One card payment attempt at checkout, from the posted token to 020's answer: what the
    3-D Secure return needs (the token, kept encrypted until 020 has used it), and the claim
    that lets a double click, a re-post or a re-sent return send each telegram once. A token
    is taken once (its digest is unique)."""
    __tablename__ = "card_authorizations"
    __table_args__ = (
        CheckConstraint("stage IN ('secure', 'authorizing', 'authorized', 'declined', "
                        "'unknown')", name="stage"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    key: Mapped[str] = mapped_column(String(43), nullable=False, unique=True)
    token_digest: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    token: Mapped[str] = mapped_column(EncryptedText, nullable=False, default="")
    payment_class: Mapped[str] = mapped_column(String(8), nullable=False)
    split_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amount: Mapped[int] = mapped_column(Integer, nullable=False)
    masked_card: Mapped[str] = mapped_column(String(24), nullable=False, default="")
    # a member's stored card paid with instead of a token (450 and 020 name it)
    stored_card_id: Mapped[int | None] = mapped_column(ForeignKey("stored_cards.id"))
    tds_auth_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    # secure: waiting for the 3-D Secure result; authorizing: 020 is out; then its outcome
    stage: Mapped[str] = mapped_column(String(12), nullable=False)
    code: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    message: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    order = relationship("Order", lazy="select")
