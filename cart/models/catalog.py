from sqlalchemy import Boolean, CheckConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cart.extensions import db

from .base import ShopOwned, Timestamps

TAX_RATES = (10, 8)
TAX_RATE_NAMES = {10: "標準税率 10%", 8: "軽減税率 8%"}


class Product(ShopOwned, Timestamps, db.Model):
    """A product; ``price`` is the tax-included unit price, an int of yen."""
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("shop_id", "code", name="uq_products_shop_code"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("tax_rate IN (8, 10)", name="tax_rate"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    price: Mapped[int] = mapped_column(Integer, nullable=False)
    tax_rate: Mapped[int] = mapped_column(Integer, nullable=False, default=10)
    stock: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    description: Mapped[str] = mapped_column(String(2000), nullable=False, default="")
    # 定期購入: the cycles a member may choose ("1m,2m,3m", "2w"; empty: not sold so)
    subscription_cycles: Mapped[str] = mapped_column(String(40), nullable=False, default="")

    # the product form's 定期購入 fields, over ``subscription_cycles``
    @property
    def cycle_months(self) -> list[str]:
        return [c for c in (self.subscription_cycles or "").split(",") if c.endswith("m")]

    @cycle_months.setter
    def cycle_months(self, chosen) -> None:
        self.subscription_cycles = ",".join(
            [c for c in ("1m", "2m", "3m") if c in (chosen or [])]
            + [c for c in (self.subscription_cycles or "").split(",") if c.endswith("w")])

    @property
    def cycle_weeks(self) -> int | None:
        weeks = [c for c in (self.subscription_cycles or "").split(",") if c.endswith("w")]
        return int(weeks[0][:-1]) if weeks and weeks[0][:-1].isdigit() else None

    @cycle_weeks.setter
    def cycle_weeks(self, weeks) -> None:
        months = self.cycle_months
        self.subscription_cycles = ",".join(months + ([f"{int(weeks)}w"] if weeks else []))

