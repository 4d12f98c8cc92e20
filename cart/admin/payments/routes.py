"""支払方法設定 (P1–P4): the list and the basic methods' settings; a method with settings of
its own (あと払い(ペイディ)) serves them from its cart module."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from cart.admin.payments import bp, services
from cart.admin.payments.forms import BasicMethodForm
from cart.extensions import db
from cart.gateway import account_for
from cart.methods import registry
from cart.models import PaymentMethod
from cart.shop_settings import deliveries
from cart.tenancy import get_or_404

TAB_NAMES = {"in_use": "使用決済", "basic": "基本決済", "partner": "他社連携"}


@bp.get("/")
def index():
    """Show the 使用決済 list, or the methods that can be added (基本決済 / 他社連携); beside
    the tabs, the way to ペイジェント共通設定 (the shop's PAYGENT connection)."""
    tab = request.args.get("tab", "in_use")
    if tab not in TAB_NAMES:
        tab = "in_use"
    shop_id = current_user.shop_id
    return render_template("admin/payments/index.html", tab=tab, tabs=TAB_NAMES,
                           methods=services.listed(shop_id),
                           addable=services.addable(shop_id, tab),
                           deliveries=deliveries(shop_id), account=account_for(shop_id))


@bp.post("/add")
def add():
    """「リストに追加」."""
    kind = request.form.get("kind", "")
    if kind not in services.ADDABLE:
        abort(400)
    method = services.add(current_user.shop_id, kind)
    flash(f"「{method.system_name}」を使用決済に追加しました。設定を行ってください。", "success")
    return redirect(url_for("payment_settings.index"))


@bp.post("/<int:method_id>/remove")
def remove(method_id):
    """「リストから削除」."""
    method = get_or_404(PaymentMethod, method_id)
    services.remove(method)
    flash(f"「{method.system_name}」を使用決済から削除しました。", "success")
    return redirect(url_for("payment_settings.index"))


@bp.post("/<int:method_id>/move")
def move(method_id):
    """↑↓ display order."""
    method = get_or_404(PaymentMethod, method_id)
    if method.in_use:
        services.move(current_user.shop_id, method, request.form.get("direction", "up"))
    return redirect(url_for("payment_settings.index"))


@bp.route("/<int:method_id>/basic", methods=["GET", "POST"])
def basic(method_id):
    """Settings of 銀行振込 / 代金引換: 適用条件, 注意書き and the buyer's instructions."""
    method = get_or_404(PaymentMethod, method_id)
    own = registry.get(method.kind).settings_url(method)
    if own != request.path:  # a method with settings of its own
        return redirect(own)
    form = BasicMethodForm(obj=method)
    if request.method == "GET":
        form.hide_under_on.data = method.hide_under is not None
        form.hide_from_on.data = method.hide_from is not None
    if form.validate_on_submit() and form.check_conditions():
        services.apply_conditions(method, form.data)
        method.instructions = form.instructions.data or ""
        method.configured = True
        db.session.commit()
        flash(f"「{method.system_name}」を設定しました。", "success")
        return redirect(url_for("payment_settings.index"))
    return render_template("admin/payments/basic_form.html", form=form, method=method)


