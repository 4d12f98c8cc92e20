from flask import abort, g, render_template

from cart.extensions import db
from cart.models import Product
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
    from cart.subscriptions import cycles, offer
    return render_template("storefront/product.html", shop=g.shop, product=item,
                           cycles=offer.product_cycles(g.shop.id, item),
                           cycle_label=cycles.label)
