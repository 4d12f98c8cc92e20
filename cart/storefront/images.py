"""商品画像 on the storefront: ``/s/<shop_code>/images/<image_id>/<size>``, and the template
helpers every page showing products uses (storefront, カゴ, the admin's order lines).

An image's bytes never change (a new upload is a new id), so a response may be cached for a
year as immutable; its URL carries the digest (``?v=``) as well. Serving is one query: the shop
by code, the product published, the image of both, and the bytes of one size, which are left
out (NULL) when the browser's If-None-Match already names them (304). No Shop or Product
object is loaded and the storefront's shop lookup is not run.
"""
from flask import Blueprint, abort, g, url_for
from sqlalchemy import select

from cart.extensions import db
from cart.images import catalog
from cart.images.http import data_unless_cached, image_response
from cart.images.processing import SIZES
from cart.models import Product, ProductImage, Shop
from cart.tenancy import current_shop_id

bp = Blueprint("product_images", __name__, url_prefix="/s/<shop_code>/images")


@bp.get("/<int:image_id>/<size>")
def serve(shop_code, image_id, size):
    """One size of a published product's image."""
    if size not in SIZES or "\x00" in shop_code or not 0 < image_id < 2**31:
        abort(404)
    row = db.session.execute(
        select(data_unless_cached(size), ProductImage.content_type, ProductImage.digest)
        .join(Shop, Shop.id == ProductImage.shop_id)
        .join(Product, (Product.id == ProductImage.product_id)
              & (Product.shop_id == ProductImage.shop_id))
        .where(Shop.code == shop_code, ProductImage.id == image_id,
               Product.published.is_(True))).first()
    if row is None:
        abort(404)
    return image_response(row, size, private=False)


# -- template helpers ----------------------------------------------------------------------
@bp.app_template_global("product_main_images")
def product_main_images(product_ids) -> dict:
    """{product_id: main image} of the current shop's products (one query)."""
    return catalog.main_images(current_shop_id(), list(product_ids or ()))


@bp.app_template_global("product_images")
def product_images(product_id: int) -> list:
    """A product of the current shop's images, the main one first (one query)."""
    return catalog.images_of(current_shop_id(), product_id)


@bp.app_template_global("product_image_url")
def product_image_url(image, size: str = "thumb", admin: bool = False) -> str:
    if admin:
        return url_for("products.image", image_id=image.id, size=size, v=image.version)
    return url_for("product_images.serve", shop_code=g.shop.code, image_id=image.id, size=size,
                   v=image.version)
