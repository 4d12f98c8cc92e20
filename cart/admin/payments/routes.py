"""支払方法設定 (P1–P4): the list, the Paidy via PAYGENT form, basic methods."""
import base64

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from cart.admin.payments import bp, services
from cart.admin.payments.forms import BasicMethodForm, PaidySettingsForm
from cart.admin.payments.uploads import (LOGO_MAX_BYTES, PEM_MAX_BYTES, UploadError,
                                         ca_bundle, client_certificate, read_upload,
                                         square_logo)
from cart.checkout.services import deliveries
from cart.extensions import db
from cart.gateway import account_for, notice_url
from cart.models import PaymentMethod
from cart.models.payment_method import KINDS
from cart.tenancy import get_or_404

TAB_NAMES = {"in_use": "使用決済", "basic": "基本決済", "partner": "他社連携"}


@bp.get("/")
def index():
    """Show the 使用決済 list, or the methods that can be added (基本決済 / 他社連携)."""
    tab = request.args.get("tab", "in_use")
    if tab not in TAB_NAMES:
        tab = "in_use"
    shop_id = current_user.shop_id
    return render_template("admin/payments/index.html", tab=tab, tabs=TAB_NAMES,
                           methods=services.listed(shop_id),
                           addable=services.addable(shop_id, tab), kinds=KINDS,
                           deliveries=deliveries(shop_id))


@bp.post("/add")
def add():
    """「リストに追加」."""
    kind = request.form.get("kind", "")
    if kind not in KINDS:
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


# -- Paidy via PAYGENT --------------------------------------------------------------------
@bp.route("/paidy", methods=["GET", "POST"])
def paidy():
    """The settings form; 「確認画面へ」 keeps the input server-side and shows it back."""
    shop = current_user.shop
    account = account_for(shop.id)
    method = _paidy_method()
    form = PaidySettingsForm(obj=account, data=None if account else {})
    if request.method == "GET":
        _fill(form, account, method)
    saved = services.load_draft(shop.id, current_user.id, form.draft.data) or {}
    if form.is_submitted():
        valid = form.validate()  # first: validate() resets the errors _read adds
        payload, ok = _read(form, account, saved)
        payload["checked"] = valid and ok  # only checked input may reach 「設定する」
        token = services.save_draft(shop.id, current_user.id, payload, form.draft.data or None)
        if valid and ok:
            return redirect(url_for("payment_settings.paidy_confirm", draft=token))
        form.draft.data = token
        saved = payload
    return render_template("admin/payments/paidy_form.html", form=form, account=account,
                           saved=saved, notice_url=notice_url(shop))


@bp.route("/paidy/confirm", methods=["GET", "POST"])
def paidy_confirm():
    """確認画面: 「設定する」 runs the connection test, then saves (or saves anyway)."""
    shop = current_user.shop
    token = request.values.get("draft", "")
    payload = services.load_draft(shop.id, current_user.id, token)
    if payload is None or not payload.get("checked"):
        flash("確認画面の有効期限が切れました。もう一度入力してください。", "warning")
        return redirect(url_for("payment_settings.paidy"))
    failure = None
    if request.method == "POST":
        candidate = services.candidate(shop.id, payload)
        passed, failure = services.connection_test(shop, candidate)
        if passed or request.form.get("force") == "1":
            services.apply_paidy(shop, payload)
            services.drop_draft(shop.id, token)
            if passed:
                flash("接続試験に成功し、設定しました。", "success")
            else:
                flash("接続試験に失敗しましたが、設定を保存しました。接続情報をご確認ください。",
                      "warning")
            return redirect(url_for("payment_settings.index"))
    return render_template("admin/payments/paidy_confirm.html", p=payload, token=token,
                           failure=failure, account=account_for(shop.id),
                           notice_url=notice_url(shop))


@bp.route("/<int:method_id>/basic", methods=["GET", "POST"])
def basic(method_id):
    """Settings of 銀行振込 / 代金引換: 適用条件, 注意書き and the buyer's instructions."""
    method = get_or_404(PaymentMethod, method_id)
    if method.kind == "paidy":
        return redirect(url_for("payment_settings.paidy"))
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


# -- helpers --------------------------------------------------------------------------------
def _paidy_method() -> PaymentMethod | None:
    return next((m for m in services.listed(current_user.shop_id) if m.kind == "paidy"), None)


def _fill(form: PaidySettingsForm, account, method) -> None:
    """First display: stored values, or the recommended ones for a new setup."""
    from cart.demo import PAIDY_NOTE
    if account is None:
        form.environment.data = "sandbox"
    form.public_key.data = account.paidy_public_key if account else ""
    source = method
    form.hide_under_on.data = bool(source and source.hide_under is not None)
    form.hide_under.data = source.hide_under if source else None
    form.hide_from_on.data = bool(source.hide_from is not None) if source else True
    form.hide_from.data = source.hide_from if source and source.hide_from else 300_000
    form.note.data = source.note if source else PAIDY_NOTE
    form.note_on_payment_page.data = source.note_on_payment_page if source else True
    form.note_in_thanks_mail.data = source.note_in_thanks_mail if source else False
    form.banner.data = source.banner if source else "320x100"
    form.connect_password.data = ""
    form.notice_hash_key.data = ""


def _read(form: PaidySettingsForm, account, saved: dict) -> tuple[dict, bool]:
    """The submitted settings as a draft payload; uploads checked, secrets carried over."""
    ok = form.check_conditions()
    payload = {name: form[name].data for name in (
        "public_key", "capture_mode", "environment", "merchant_id", "connect_id",
        "hide_under_on", "hide_under", "hide_from_on", "hide_from", "note",
        "note_on_payment_page", "note_in_thanks_mail", "banner", "logo_delete",
        "client_cert_delete", "ca_delete")}
    for secret, label in (("connect_password", "接続IDパスワード"),
                          ("notice_hash_key", "差分通知ハッシュ値生成キー")):
        value = form[secret].data or saved.get(secret) or ""
        payload[secret] = value
        if not value and not (account and getattr(account, secret)):
            form[secret].errors = list(form[secret].errors) + [f"{label}を入力してください。"]
            ok = False
    uploads = (("logo", LOGO_MAX_BYTES, lambda b: base64.b64encode(square_logo(b)).decode()),
               ("client_cert", PEM_MAX_BYTES, client_certificate),
               ("ca_file", PEM_MAX_BYTES, ca_bundle))
    for name, limit, check in uploads:
        key = "ca" if name == "ca_file" else name
        try:
            data = read_upload(form[name].data, limit)
            payload[key] = check(data) if data else saved.get(key)
        except UploadError as error:
            form[name].errors = list(form[name].errors) + [str(error)]
            payload[key] = saved.get(key)
            ok = False
    return payload, ok
