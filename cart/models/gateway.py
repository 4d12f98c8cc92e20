from datetime import datetime

from sqlalchemy import (CheckConstraint, DateTime, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, column_property, mapped_column

from cart.extensions import Stable, db
from cart.shop_config import ShopConfig
from cart.security.secrets import EncryptedText

from .base import ShopOwned, Timestamps, utcnow

ENVIRONMENTS = ("sandbox", "test", "production")
ENVIRONMENT_NAMES = {"sandbox": "ローカルサンドボックス", "test": "試験環境",
                     "production": "本番環境"}


class PaygentAccount(ShopConfig, Stable, ShopOwned, Timestamps, db.Model):
    """A shop's PAYGENT connection: credentials, environment and TLS material.

    The connect password, the notice hash key and the client certificate (which holds the
    private key) are encrypted at rest and never rendered back.
    """
    __tablename__ = "paygent_accounts"
    __table_args__ = (
        CheckConstraint("environment IN ('sandbox', 'test', 'production')",
                        name="environment"),
        UniqueConstraint("shop_id", name="uq_paygent_accounts_shop"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    environment: Mapped[str] = mapped_column(String(12), nullable=False, default="sandbox")
    merchant_id: Mapped[str] = mapped_column(String(9), nullable=False)
    connect_id: Mapped[str] = mapped_column(String(32), nullable=False)
    connect_password: Mapped[str] = mapped_column(EncryptedText, nullable=False)
    notice_hash_key: Mapped[str] = mapped_column(EncryptedText, nullable=False, default="")
    client_cert_pem: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    ca_pem: Mapped[str | None] = mapped_column(Text, nullable=True)
    paidy_public_key: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    capture_mode: Mapped[str] = mapped_column(String(12), nullable=False, default="auth")
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    # whether there is a logo, without loading it
    has_logo: Mapped[bool] = column_property(logo_png.isnot(None))

    @property
    def environment_name(self) -> str:
        return ENVIRONMENT_NAMES[self.environment]


class PaymentLog(ShopOwned, db.Model):
    """One telegram exchange, password masked (R2)."""
    __tablename__ = "payment_logs"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(Integer, db.ForeignKey("orders.id"),
                                                 index=True)
    telegram_kind: Mapped[str] = mapped_column(String(3), nullable=False)
    url: Mapped[str] = mapped_column(String(300), nullable=False)
    request: Mapped[str] = mapped_column(Text, nullable=False)
    response: Mapped[str] = mapped_column(Text, nullable=False)
    outcome: Mapped[str] = mapped_column(String(10), nullable=False)
    code: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    elapsed_ms: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 nullable=False, index=True)


class SettingsDraft(ShopOwned, db.Model):
    """A settings form between 「確認画面へ」 and 「設定する」, kept server-side and encrypted
    so that secrets never travel through the page."""
    __tablename__ = "settings_drafts"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    staff_id: Mapped[int] = mapped_column(Integer, db.ForeignKey("staff.id"), nullable=False)
    payload: Mapped[str] = mapped_column(EncryptedText, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 nullable=False)
