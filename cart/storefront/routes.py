from flask import g, render_template

from cart.extensions import db
from cart.models import Product
from cart.storefront import bp
from cart.tenancy import scoped


@bp.get("/")
def index():
    """List the shop's published products."""
    products = db.session.scalars(
        scoped(Product).where(Product.published.is_(True)).order_by(Product.code)).all()
    return render_template("storefront/index.html", shop=g.shop, products=products)
