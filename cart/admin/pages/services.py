"""Saving a shop's 特定商取引法に基づく表記 and プライバシーポリシー."""
from sqlalchemy.exc import IntegrityError

from cart.extensions import db
from cart.models.shop_pages import ShopPages, pages_for


def save(shop_id: int, values: dict) -> ShopPages:
    """Write ``values`` (columns of ``ShopPages``) to the shop's row, made on first save."""
    try:
        return _write(shop_id, values)
    except IntegrityError:  # another first save made the row meanwhile: write to that one
        db.session.rollback()
        return _write(shop_id, values)


def _write(shop_id: int, values: dict) -> ShopPages:
    pages = pages_for(shop_id) or ShopPages(shop_id=shop_id)
    for name, value in values.items():
        setattr(pages, name, value)
    if pages.id is None:
        db.session.add(pages)
    db.session.commit()
    return pages
