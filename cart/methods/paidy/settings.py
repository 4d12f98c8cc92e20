"""The owner's settings of あと払い(ペイディ) via PAYGENT (①–⑪, the connection and its
certificates): 「確認画面へ」 keeps the input server-side, 「設定する」 runs the connection test
and saves. The common PAYGENT parts (drafts, connection test, sandbox enrolment) are shared."""
import base64

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from cart.admin.payments import services
from cart.admin.payments.forms import ConditionsMixin
from cart.admin.payments.uploads import (LOGO_MAX_BYTES, PEM_MAX_BYTES, UploadError,
                                         ca_bundle, client_certificate, read_upload,
                                         square_logo)
from cart.extensions import db
from cart.fields import JapaneseForm, stripped
from cart.gateway import account_for, notice_url
from cart.models import PaygentAccount, PaymentMethod
from cart.models.gateway import ENVIRONMENT_NAMES
from cart.models.order import CAPTURE_MODES
from cart.models.payment_method import BANNERS
from cart.tenancy import owners_only
from payments.methods import PAIDY

PUBLIC_KEY = r"^pk_(live|test)_[A-Za-z0-9_]{8,64}\Z"

bp = owners_only(Blueprint("paidy_settings", __name__, url_prefix="/admin/payment-methods"))


class PaidySettingsForm(ConditionsMixin, JapaneseForm):
    draft = HiddenField()
    public_key = StringField("① パブリックキー", filters=[stripped],
                             validators=[DataRequired("パブリックキーを入力してください。"),
                                         Regexp(PUBLIC_KEY, message="パブリックキーは pk_live_ または pk_test_ で始まる英数字で入力してください。")])
    logo = FileField("② 決済モーダル用ロゴ画像")
    logo_delete = BooleanField("画像削除")
    capture_mode = RadioField("③ 同時売上フラグ", choices=list(CAPTURE_MODES.items()),
                              default="auth",
                              validators=[DataRequired("同時売上フラグを選択してください。")])
    environment = SelectField("接続先", choices=list(ENVIRONMENT_NAMES.items()),
                              default="sandbox")
    merchant_id = StringField("④ マーチャントID", filters=[stripped],
                              validators=[DataRequired("マーチャントIDを入力してください。"),
                                          Regexp(r"^[0-9]{9}\Z", message="マーチャントIDは9桁の半角数字で入力してください。")])
    connect_id = StringField("⑤ 接続ID", filters=[stripped],
                             validators=[DataRequired("接続IDを入力してください。"),
                                         Regexp(r"^[A-Za-z0-9_]{1,32}\Z", message="接続IDは32文字以内の半角英数字で入力してください。")])
    connect_password = PasswordField("⑥ 接続IDパスワード", validators=[
        Length(max=64, message="64文字以内で入力してください。")])
    notice_hash_key = PasswordField("差分通知ハッシュ値生成キー", validators=[
        Length(max=128, message="128文字以内で入力してください。")])
    client_cert = FileField("クライアント証明書（証明書と秘密鍵を含むPEM）")
    client_cert_delete = BooleanField("クライアント証明書を削除する")
    ca_file = FileField("CAファイル（PEM）")
    ca_delete = BooleanField("CAファイルを削除する")
    banner = RadioField("⑪ 決済サービス ロゴ画像", choices=list(BANNERS.items()),
                        default="320x100")


@bp.route("/paidy", methods=["GET", "POST"])
def form():
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
            return redirect(url_for("paidy_settings.confirm", draft=token))
        form.draft.data = token
        saved = payload
    return render_template("methods/paidy/settings_form.html", form=form, account=account,
                           saved=saved, notice_url=notice_url(shop))


@bp.route("/paidy/confirm", methods=["GET", "POST"])
def confirm():
    """確認画面: 「設定する」 runs the connection test, then saves (or saves anyway)."""
    shop = current_user.shop
    token = request.values.get("draft", "")
    payload = services.load_draft(shop.id, current_user.id, token)
    if payload is None or not payload.get("checked"):
        flash("確認画面の有効期限が切れました。もう一度入力してください。", "warning")
        return redirect(url_for("paidy_settings.form"))
    failure = None
    if request.method == "POST":
        account = candidate(shop.id, payload)
        passed, failure = services.connection_test(shop, account)
        if passed or request.form.get("force") == "1":
            apply_paidy(shop, payload)
            services.drop_draft(shop.id, token)
            if passed:
                flash("接続試験に成功し、設定しました。", "success")
            else:
                flash("接続試験に失敗しましたが、設定を保存しました。接続情報をご確認ください。",
                      "warning")
            return redirect(url_for("payment_settings.index"))
    return render_template("methods/paidy/settings_confirm.html", p=payload, token=token,
                           failure=failure, account=account_for(shop.id),
                           notice_url=notice_url(shop))


def _paidy_method() -> PaymentMethod | None:
    return next((m for m in services.listed(current_user.shop_id) if m.kind == PAIDY.code),
                None)


def _fill(form: PaidySettingsForm, account, method) -> None:
    """First display: stored values, or the recommended ones for a new setup."""
    from cart.methods.paidy import PAIDY_NOTE
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


def candidate(shop_id: int, payload: dict) -> PaygentAccount:
    """The account these settings would make (not saved): blank secrets keep the stored ones."""
    stored = account_for(shop_id)
    keep = (lambda name: getattr(stored, name) if stored else None)
    with db.session.no_autoflush:
        account = PaygentAccount(
            shop_id=shop_id, environment=payload["environment"],
            merchant_id=payload["merchant_id"], connect_id=payload["connect_id"],
            connect_password=payload.get("connect_password") or keep("connect_password") or "",
            notice_hash_key=payload.get("notice_hash_key") or keep("notice_hash_key") or "",
            paidy_public_key=payload["public_key"], capture_mode=payload["capture_mode"])
        account.client_cert_pem = None if payload.get("client_cert_delete") else (
            payload.get("client_cert") or keep("client_cert_pem"))
        account.ca_pem = None if payload.get("ca_delete") else (
            payload.get("ca") or keep("ca_pem"))
        if payload.get("logo_delete"):
            account.logo_png = None
        elif payload.get("logo"):
            account.logo_png = base64.b64decode(payload["logo"])
        else:
            account.logo_png = keep("logo_png")
    return account


def apply_paidy(shop, payload: dict) -> PaygentAccount:
    """Save the settings: account, Paidy method (設定済み) and its conditions; one transaction."""
    fresh = candidate(shop.id, payload)
    account = account_for(shop.id) or PaygentAccount(shop_id=shop.id)
    for name in ("environment", "merchant_id", "connect_id", "connect_password",
                 "notice_hash_key", "paidy_public_key", "capture_mode", "client_cert_pem",
                 "ca_pem", "logo_png"):
        setattr(account, name, getattr(fresh, name))
    if account.id is None:
        db.session.add(account)
    method = db.session.scalar(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop.id, PaymentMethod.kind == PAIDY.code))
    if method is None or not method.in_use:
        method = services.add(shop.id, PAIDY.code)
    services.apply_conditions(method, payload)
    method.banner = payload["banner"]
    method.configured = True
    db.session.commit()
    services.enroll_at_sandbox(shop, account)
    return account


