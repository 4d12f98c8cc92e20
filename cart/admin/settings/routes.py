from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload

from cart.admin.payments.services import drop_draft, save_draft
from cart.admin.settings import bp
from cart.admin.settings import deliveries as drafted_delivery
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


def _form_url(delivery_id, **args) -> str:
    if delivery_id is None:
        return url_for("settings.delivery_new", **args)
    return url_for("settings.delivery_edit", delivery_id=delivery_id, **args)


def _delivery_form(delivery: DeliveryMethod):
    """The form; 「確認画面へ」 keeps the checked input as a draft and shows it back. Opened again
    from the 確認画面 (「戻る」, ``?draft=``) it shows that draft's input. A payment method
    that refuses the delivery (its own rule) is named next to 対応可能な支払方法; nothing is
    kept then."""
    methods = _methods()
    form = DeliveryForm(data=drafted_delivery.initial(delivery))
    form.payment_methods.choices = [(m.id, m.system_name) for m in methods]
    if not form.is_submitted():
        token = request.args.get("draft", "")
        saved = drafted_delivery.DRAFTS.load(current_user.shop_id, token)
        if saved is not None and saved.get("delivery_id") == delivery.id:
            for name in drafted_delivery.FIELDS:
                form[name].data = saved[name]
            form.draft.data = token
    elif form.validate():
        payload = drafted_delivery.read(form)
        problems = drafted_delivery.pairing_problems(payload, methods)
        if not problems:
            payload.update(kind=drafted_delivery.DRAFT_KIND, delivery_id=delivery.id,
                           checked=True)
            token = save_draft(current_user.shop_id, current_user.id, payload,
                               form.draft.data or None)
            return redirect(url_for("settings.delivery_confirm", draft=token))
        form.payment_methods.errors = list(form.payment_methods.errors) + problems
    return render_template("admin/settings/delivery_form.html", form=form, delivery=delivery)


@bp.get("/deliveries/confirm")
def delivery_confirm():
    """確認画面: what 「設定する」 will save."""
    token = request.args.get("draft", "")
    payload = drafted_delivery.DRAFTS.checked(current_user.shop_id, token)
    if payload is None:
        return drafted_delivery.DRAFTS.expired()
    delivery = _drafted(payload)
    chosen = set(payload["payment_methods"])
    return render_template("admin/settings/delivery_confirm.html", p=payload, token=token,
                           delivery=delivery, back=_form_url(delivery.id, draft=token),
                           methods=[m for m in _methods() if m.id in chosen])


@bp.post("/deliveries/save")
def delivery_save():
    """「設定する」: the draft saved, the pairing asked again (a method's settings may have
    changed meanwhile); refused, nothing is saved and the form says why."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    token = request.form.get("draft", "")
    payload = drafted_delivery.DRAFTS.checked(current_user.shop_id, token)
    if payload is None:
        return drafted_delivery.DRAFTS.expired()
    delivery = _drafted(payload)
    methods = _methods()
    problems = drafted_delivery.pairing_problems(payload, methods)
    if problems:
        form = DeliveryForm(formdata=None,
                            data={k: payload[k] for k in drafted_delivery.FIELDS})
        form.payment_methods.choices = [(m.id, m.system_name) for m in methods]
        form.draft.data = token
        form.payment_methods.errors = problems
        return render_template("admin/settings/delivery_form.html", form=form,
                               delivery=delivery), 409
    drafted_delivery.apply(delivery, payload, methods)
    if delivery.id is None:
        db.session.add(delivery)
    db.session.commit()
    drop_draft(current_user.shop_id, token)
    flash(f"宅配便「{delivery.name}」を保存しました。", "success")
    return redirect(url_for("settings.deliveries"))


def _drafted(payload: dict) -> DeliveryMethod:
    """The delivery a draft is for: the shop's own (404 if gone), or a new one."""
    if payload.get("delivery_id") is None:
        return DeliveryMethod(shop_id=current_user.shop_id, active=True)
    return get_or_404(DeliveryMethod, payload["delivery_id"])


def _methods() -> list[PaymentMethod]:
    return db.session.scalars(scoped(PaymentMethod).order_by(PaymentMethod.position)).all()
