"""A shop's ペイジェント(クレジット決済) settings (seed 003 §1.6.2). The common PAYGENT connection
(merchant ID, connect ID and password, hash key, certificates) is the shop's ``PaygentAccount``,
shared by every PAYGENT method; this row holds only what the card method adds.

The トークン生成鍵 and the 3Dセキュア結果受付ハッシュ鍵 are encrypted at rest and never rendered.
"""
from sqlalchemy import Boolean, CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cart.extensions import Stable, db
from cart.security.secrets import EncryptedText
from cart.shop_config import ShopConfig

from .base import ShopOwned, Timestamps

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

    @property
    def classes(self) -> list[str]:
        """The offered 支払い回数, in PAYMENT_CLASSES order."""
        chosen = set(filter(None, (self.payment_classes or "").split(",")))
        return [key for key in PAYMENT_CLASSES if key in chosen]
