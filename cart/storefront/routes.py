from flask import Response, abort, g, render_template
from sqlalchemy import select

from cart.extensions import db
from cart.models import PaygentAccount, Product
from cart.storefront import bp
from cart.tenancy import get_or_404, scoped


@bp.get("/")
def index():
    """List the shop's published products."""
    products = db.session.scalars(
        scoped(Product).where(Product.published.is_(True)).order_by(Product.code)).all()
    return render_template("storefront/index.html", shop=g.shop, products=products)


@bp.get("/products/<int:product_id>")
def product(product_id):
    """Show one product with 「カゴに入れる」."""
    item = get_or_404(Product, product_id, g.shop.id)
    if not item.published:
        abort(404)
    return render_template("storefront/product.html", shop=g.shop, product=item)


@bp.get("/paidy-logo.png")
def paidy_logo():
    """The square logo the shop chose for the Paidy modal (passed to Checkout as logo_url)."""
    png = db.session.scalar(select(PaygentAccount.logo_png).where(
        PaygentAccount.shop_id == g.shop.id))
    if not png:
        abort(404)
    return Response(png, mimetype="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})
