from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from cart.admin.products import bp
from cart.admin.products.forms import ProductForm
from cart.extensions import db, transaction
from cart.images import catalog
from cart.images.catalog import TooManyImages
from cart.images.http import data_unless_cached, image_response
from cart.images.processing import (MAX_BYTES, MAX_PER_PRODUCT, SIZES, ImageRefused, prepare,
                                    read_limited)
from cart.models import Product, ProductImage
from cart.tenancy import get_or_404, owner_required, scoped

NOT_STORED = "画像は登録されていません。もう一度選択してください（ほかの入力内容はそのままです）。"
# the product form may carry as many images of the largest size as a product may have; each
# file is still checked on its own (it is spooled to disk while the form is read)
FORM_MAX_BYTES = MAX_PER_PRODUCT * MAX_BYTES + 1024 * 1024


@bp.url_value_preprocessor  # runs before any before_request (CSRFProtect reads the form there)
def _room_for_images(endpoint, values):
    if endpoint in ("products.create", "products.edit"):
        try:
            request.max_content_length = FORM_MAX_BYTES
        except AttributeError:  # Flask before 3.1: the app's MAX_CONTENT_LENGTH applies
            pass


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
            _not_stored(form)
        elif (prepared := _prepared_images(form, None)) is not None:
            with transaction():
                product = Product(shop_id=current_user.shop_id)
                form.populate_obj(product)
                db.session.add(product)
                db.session.flush()
                catalog.add_images(current_user.shop_id, product.id, prepared)
            flash(f"商品「{product.name}」を登録しました。{_added(prepared)}", "success")
            return redirect(url_for("products.index"))
    else:
        _not_stored(form)
    return render_template("admin/products/form.html", form=form, product=None, images=[])


@bp.route("/<int:product_id>/edit", methods=["GET", "POST"])
@owner_required
def edit(product_id):
    """Change a product; images chosen in 商品画像を追加 are added after its others."""
    product = get_or_404(Product, product_id)
    form = ProductForm(obj=product)
    if form.validate_on_submit():
        if _code_taken(form.code.data, exclude=product.id):
            form.code.errors.append("この商品コードは既に使われています。")
            _not_stored(form)
        elif (prepared := _prepared_images(form, product.id)) is not None:
            try:
                with transaction():
                    form.populate_obj(product)
                    catalog.add_images(product.shop_id, product.id, prepared)
            except TooManyImages as refused:  # another upload took the room meanwhile
                form.images.errors.extend([refused.message, NOT_STORED])
            else:
                flash(f"商品「{product.name}」を更新しました。{_added(prepared)}", "success")
                return redirect(url_for("products.index"))
    else:
        _not_stored(form)
    return render_template("admin/products/form.html", form=form, product=product,
                           images=catalog.images_of(product.shop_id, product.id))


@bp.post("/<int:product_id>/images/<int:image_id>/delete")
@owner_required
def delete_image(product_id, image_id):
    """Remove one of the product's images."""
    product = get_or_404(Product, product_id)
    if not catalog.delete_image(product.shop_id, product.id, image_id):
        abort(404)
    flash("画像を削除しました。", "success")
    return redirect(url_for("products.edit", product_id=product.id, _anchor="product-images"))


@bp.post("/<int:product_id>/images/<int:image_id>/move")
@owner_required
def move_image(product_id, image_id):
    """先頭にする, or move one of the product's images one place up or down."""
    product = get_or_404(Product, product_id)
    move = request.form.get("move", "")
    if move not in catalog.MOVES:
        abort(400)
    if not catalog.move_image(product.shop_id, product.id, image_id, move):
        abort(404)
    flash("メイン画像を変更しました。" if move == "first" else "画像の順番を変更しました。",
          "success")
    return redirect(url_for("products.edit", product_id=product.id, _anchor="product-images"))


@bp.get("/images/<int:image_id>/<size>")
def image(image_id, size):
    """One size of one of the shop's product images, published or not (staff only)."""
    if size not in SIZES or not 0 < image_id < 2**31:
        abort(404)
    row = db.session.execute(
        select(data_unless_cached(size), ProductImage.content_type, ProductImage.digest)
        .where(ProductImage.shop_id == current_user.shop_id,
               ProductImage.id == image_id)).first()
    if row is None:
        abort(404)
    return image_response(row, size, private=True)


def _prepared_images(form: ProductForm, product_id: int | None):
    """The chosen files checked and re-encoded, or None with the reasons on the field."""
    files = form.chosen_images()
    if not files:
        return []
    try:
        catalog.check_room(current_user.shop_id, product_id, len(files))
    except TooManyImages as refused:
        form.images.errors.extend([refused.message, NOT_STORED])
        return None
    prepared, errors = [], []
    for storage in files:
        name = _display_name(storage.filename)
        try:
            prepared.append(prepare(read_limited(storage.stream, name), name))
        except ImageRefused as refused:
            errors.append(refused.message)
    if errors:
        form.images.errors.extend(errors + [NOT_STORED])
        return None
    return prepared


def _not_stored(form: ProductForm) -> None:
    """Files chosen with a form that is refused are not kept: say so beside the field."""
    if request.method == "POST" and form.chosen_images():
        form.images.errors = list(form.images.errors) + [NOT_STORED]


def _added(prepared: list) -> str:
    return f"画像を{len(prepared)}枚追加しました。" if prepared else ""


def _display_name(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name if len(name) <= 60 else name[:57] + "…"


def _code_taken(code: str, exclude: int | None = None) -> bool:
    query = scoped(Product).where(Product.code == code)
    if exclude:
        query = query.where(Product.id != exclude)
    return db.session.scalar(select(query.exists())) or False
