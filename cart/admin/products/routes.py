from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from cart.admin.products import bp
from cart.admin.products.forms import ProductForm
from cart.extensions import db
from cart.models import Product
from cart.tenancy import get_or_404, owner_required, scoped


@bp.get("/")
def index():
    """List the shop's products."""
    products = db.session.scalars(scoped(Product).order_by(Product.code)).all()
    return render_template("admin/products/index.html", products=products)


@bp.route("/new", methods=["GET", "POST"])
@owner_required
def create():
    """Add a product."""
    form = ProductForm()
    if form.validate_on_submit():
        if _code_taken(form.code.data):
            form.code.errors.append("この商品コードは既に使われています。")
        else:
            product = Product(shop_id=current_user.shop_id)
            form.populate_obj(product)
            db.session.add(product)
            db.session.commit()
            flash(f"商品「{product.name}」を登録しました。", "success")
            return redirect(url_for("products.index"))
    return render_template("admin/products/form.html", form=form, product=None)


@bp.route("/<int:product_id>/edit", methods=["GET", "POST"])
@owner_required
def edit(product_id):
    """Change a product."""
    product = get_or_404(Product, product_id)
    form = ProductForm(obj=product)
    if form.validate_on_submit():
        if _code_taken(form.code.data, exclude=product.id):
            form.code.errors.append("この商品コードは既に使われています。")
        else:
            form.populate_obj(product)
            db.session.commit()
            flash(f"商品「{product.name}」を更新しました。", "success")
            return redirect(url_for("products.index"))
    return render_template("admin/products/form.html", form=form, product=product)


def _code_taken(code: str, exclude: int | None = None) -> bool:
    query = scoped(Product).where(Product.code == code)
    if exclude:
        query = query.where(Product.id != exclude)
    return db.session.scalar(select(query.exists())) or False
