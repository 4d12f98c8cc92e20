"""A shop's product images: added, removed and reordered in one transaction each, and read
without their bytes (one query for any number of products)."""
from typing import NamedTuple

from sqlalchemy import func, select

from cart.extensions import db, transaction
from cart.models import Product, ProductImage
from cart.shop_config import kept_each

from .processing import MAX_PER_PRODUCT, Prepared


class TooManyImages(ValueError):
    def __init__(self, stored: int, chosen: int):
        self.message = (f"画像は1商品につき{MAX_PER_PRODUCT}枚まで登録できます"
                        f"（登録済み{stored}枚、選択した画像{chosen}枚）。")
        super().__init__(self.message)


class ImageRef(NamedTuple):
    """What a page needs to show an image: never its bytes."""
    id: int
    product_id: int
    position: int
    digest: str
    large_width: int
    large_height: int
    thumb_width: int
    thumb_height: int

    @property
    def version(self) -> str:
        return self.digest[:16]

    def size(self, name: str) -> tuple[int, int]:
        return ((self.large_width, self.large_height) if name == "large"
                else (self.thumb_width, self.thumb_height))


_REF_COLUMNS = (ProductImage.id, ProductImage.product_id, ProductImage.position,
                ProductImage.digest, ProductImage.large_width, ProductImage.large_height,
                ProductImage.thumb_width, ProductImage.thumb_height)


def images_of(shop_id: int, product_id: int) -> list[ImageRef]:
    """A product's images, the main one first (kept per process between the shop's
    configuration changes, on storefront pages: ``kept_each``)."""
    def load(ids):
        rows = db.session.execute(select(*_REF_COLUMNS).where(
            ProductImage.shop_id == shop_id, ProductImage.product_id.in_(ids))
            .order_by(ProductImage.position, ProductImage.id))
        found: dict[int, list] = {}
        for row in rows:
            found.setdefault(row.product_id, []).append(ImageRef(*row))
        return {pid: tuple(refs) for pid, refs in found.items()}
    return list(kept_each(shop_id, "images", [product_id], load)[product_id] or ())


def main_images(shop_id: int, product_ids) -> dict[int, ImageRef]:
    """{product_id: its main image} for the products that have one: one query for those not
    kept (``kept_each``, as ``images_of``)."""
    ids = sorted({int(pid) for pid in product_ids if pid})
    if not ids:
        return {}
    kept = kept_each(shop_id, "main_image", ids, lambda missing: _main_images(shop_id, missing))
    return {pid: ref for pid, ref in kept.items() if ref is not None}


def _main_images(shop_id: int, ids) -> dict[int, ImageRef]:
    first = (select(ProductImage.product_id, func.min(ProductImage.position).label("position"))
             .where(ProductImage.shop_id == shop_id, ProductImage.product_id.in_(ids))
             .group_by(ProductImage.product_id).subquery())
    rows = db.session.execute(
        select(*_REF_COLUMNS).join(first, (first.c.product_id == ProductImage.product_id)
                                   & (first.c.position == ProductImage.position))
        .where(ProductImage.shop_id == shop_id).order_by(ProductImage.id))
    found = {}
    for row in rows:
        found.setdefault(row.product_id, ImageRef(*row))
    return found


def count_of(shop_id: int, product_id: int) -> int:
    return db.session.scalar(select(func.count(ProductImage.id)).where(
        ProductImage.shop_id == shop_id, ProductImage.product_id == product_id)) or 0


def check_room(shop_id: int, product_id: int | None, chosen: int) -> None:
    """Refuse more images than a product may have (before any file is decoded)."""
    stored = count_of(shop_id, product_id) if product_id else 0
    if stored + chosen > MAX_PER_PRODUCT:
        raise TooManyImages(stored, chosen)


def add_images(shop_id: int, product_id: int, prepared: list[Prepared]) -> list[ProductImage]:
    """Append images after the product's others, in the session's current (writing)
    transaction; the product row is locked first so that two uploads cannot pass the limit
    together. The caller commits."""
    db.session.execute(select(Product.id).where(
        Product.shop_id == shop_id, Product.id == product_id).with_for_update())
    stored = count_of(shop_id, product_id)
    if stored + len(prepared) > MAX_PER_PRODUCT:
        raise TooManyImages(stored, len(prepared))
    last = db.session.scalar(select(func.max(ProductImage.position)).where(
        ProductImage.shop_id == shop_id, ProductImage.product_id == product_id))
    position = -1 if last is None else last
    added = []
    for upload in prepared:
        position += 1
        large, thumb = upload["large"], upload["thumb"]
        image = ProductImage(shop_id=shop_id, product_id=product_id, position=position,
                             content_type=upload.content_type, digest=upload.digest,
                             large_width=large.width, large_height=large.height,
                             thumb_width=thumb.width, thumb_height=thumb.height,
                             large_data=large.data, thumb_data=thumb.data)
        db.session.add(image)
        added.append(image)
    db.session.flush()
    return added


def _ordered(shop_id: int, product_id: int) -> list[ProductImage]:
    # the rows without their bytes (deferred): positions only are changed
    return db.session.scalars(select(ProductImage).where(
        ProductImage.shop_id == shop_id, ProductImage.product_id == product_id)
        .order_by(ProductImage.position, ProductImage.id).with_for_update()).all()


def delete_image(shop_id: int, product_id: int, image_id: int) -> bool:
    """Remove one image (the next becomes the main one); False if the product has no such
    image."""
    with transaction():
        images = _ordered(shop_id, product_id)
        kept = [image for image in images if image.id != image_id]
        if len(kept) == len(images):
            return False
        db.session.delete(next(image for image in images if image.id == image_id))
        _renumber(kept)
    return True


MOVES = ("first", "up", "down")


def move_image(shop_id: int, product_id: int, image_id: int, move: str) -> bool:
    """先頭にする (``first``: the main image), 1つ前へ (``up``) or 1つ後へ (``down``); False if
    the product has no such image."""
    with transaction():
        images = _ordered(shop_id, product_id)
        index = next((i for i, image in enumerate(images) if image.id == image_id), None)
        if index is None:
            return False
        image = images.pop(index)
        target = {"first": 0, "up": max(0, index - 1),
                  "down": min(len(images), index + 1)}[move]
        images.insert(target, image)
        _renumber(images)
    return True


def _renumber(images: list[ProductImage]) -> None:
    for position, image in enumerate(images):
        if image.position != position:
            image.position = position
