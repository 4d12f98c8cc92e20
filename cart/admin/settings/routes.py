from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from cart.admin.settings import bp
from cart.admin.settings.forms import DeliveryForm, ShopSettingsForm
from cart.shop_settings import settings_for
from cart.extensions import db
from cart.models import DeliveryMethod, PaymentMethod
from cart.tenancy import get_or_404, scoped


@bp.route("/shop", methods=["GET", "POST"])
def shop():
    """Edit the cart type, 購入者情報欄 and mail settings."""
    settings = settings_for(current_user.shop_id)
    form = ShopSettingsForm(obj=settings)
    if form.validate_on_submit():
        form.populate_obj(settings)
        settings.mobile_required = settings.mobile_visible and settings.mobile_required
        if settings.id is None:
            db.session.add(settings)
        db.session.commit()
        flash("ショップ設定を更新しました。", "success")
        return redirect(url_for("settings.shop"))
    return render_template("admin/settings/shop.html", form=form)


@bp.get("/deliveries")
def deliveries():
    """List the delivery methods (宅配便) and the payment methods each accepts."""
    rows = db.session.scalars(scoped(DeliveryMethod).options(
        selectinload(DeliveryMethod.payment_methods)).order_by(
        DeliveryMethod.position, DeliveryMethod.id)).all()
    return render_template("admin/settings/deliveries.html", deliveries=rows,
                           methods=_methods())


@bp.route("/deliveries/new", methods=["GET", "POST"])
def delivery_new():
    """Add a delivery method."""
    return _delivery_form(DeliveryMethod(shop_id=current_user.shop_id, active=True))


@bp.route("/deliveries/<int:delivery_id>", methods=["GET", "POST"])
def delivery_edit(delivery_id):
    """Change a delivery method."""
    return _delivery_form(get_or_404(DeliveryMethod, delivery_id))


def _delivery_form(delivery: DeliveryMethod):
    methods = _methods()
    form = DeliveryForm(obj=delivery)
    form.payment_methods.choices = [(m.id, m.system_name) for m in methods]
    if not form.is_submitted():
        form.payment_methods.data = [m.id for m in delivery.payment_methods]
    if form.validate_on_submit():
        delivery.name = form.name.data
        delivery.fee = 0 if form.fee_undetermined.data else form.fee.data
        delivery.fee_undetermined = form.fee_undetermined.data
        delivery.active = form.active.data
        chosen = set(form.payment_methods.data or [])
        delivery.payment_methods = [m for m in methods if m.id in chosen]
        if delivery.id is None:
            db.session.add(delivery)
        db.session.commit()
        flash(f"宅配便「{delivery.name}」を保存しました。", "success")
        return redirect(url_for("settings.deliveries"))
    return render_template("admin/settings/delivery_form.html", form=form, delivery=delivery)


def _methods() -> list[PaymentMethod]:
    return db.session.scalars(scoped(PaymentMethod).order_by(PaymentMethod.position)).all()
