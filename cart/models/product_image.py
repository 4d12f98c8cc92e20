"""商品画像: a product's images, kept in the database as the re-encoded bytes of each size
served (docs/product-images.md). The bytes are deferred: listing images reads their sizes and
hashes only, and serving one reads one size's bytes."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from cart.extensions import db
from cart.shop_config import ShopConfig

from .base import ShopOwned, utcnow


class ProductImage(ShopConfig, ShopOwned, db.Model):
    """One uploaded image of a product; the lowest ``position`` is the main image. The bytes
    of an id never change (a new upload is a new row), so ``digest`` names them for ETags and
    cache-busting URLs. Which images a product has is kept per process like the shop's
    configuration (``ShopConfig``: adding, moving or removing one raises the shop's version),
    so storefront pages show them without a query."""
    __tablename__ = "product_images"
    __table_args__ = (
        Index("ix_product_images_product_position", "product_id", "position"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("products.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    content_type: Mapped[str] = mapped_column(String(40), nullable=False)  # image/jpeg, …
    digest: Mapped[str] = mapped_column(String(64), nullable=False)  # SHA-256 of both sizes
    # 商品ページ size (at most 800 px a side) and 一覧 size (at most 300 px a side)
    large_width: Mapped[int] = mapped_column(Integer, nullable=False)
    large_height: Mapped[int] = mapped_column(Integer, nullable=False)
    thumb_width: Mapped[int] = mapped_column(Integer, nullable=False)
    thumb_height: Mapped[int] = mapped_column(Integer, nullable=False)
    large_data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, deferred=True)
    thumb_data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 nullable=False)
