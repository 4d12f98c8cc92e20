"""The owner's settings of あと払い(ペイディ) via PAYGENT (①–⑪, the connection and its
certificates): 「確認画面へ」 keeps the input server-side, 「設定する」 runs the connection test
and saves. The common PAYGENT parts (drafts, connection test, sandbox enrolment) are shared."""
import base64

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, Regexp

from cart.admin.payments import connection, services
from cart.admin.payments.connection import connection_fields
from cart.admin.payments.forms import ConditionsMixin
from cart.admin.payments.uploads import LOGO_MAX_BYTES, UploadError, read_upload, square_logo
from cart.extensions import db
from cart.fields import JapaneseForm, stripped
from cart.gateway import account_for, notice_url
from cart.models import PaygentAccount, PaymentMethod
from cart.models.order import CAPTURE_MODES
from cart.models.payment_method import BANNERS
from cart.tenancy import owners_only
from payments.methods import PAIDY

PUBLIC_KEY = r"^pk_(live|test)_[A-Za-z0-9_]{8,64}\Z"

bp = owners_only(Blueprint("paidy_settings", __name__, url_prefix="/admin/payment-methods"))
DRAFTS = services.Drafts(None, "paidy_settings.form")  # Paidy's drafts carry no kind
#: the page's own items, as a draft keeps them (the connection's are connection.FIELDS)
DRAFT_FIELDS = ("public_key", "capture_mode", "hide_under_on", "hide_under", "hide_from_on",
                "hide_from", "note", "note_on_payment_page", "note_in_thanks_mail", "banner",
                "logo_delete")


class PaidySettingsForm(ConditionsMixin, connection_fields("④ マーチャントID", "⑤ 接続ID",
                                                        "⑥ 接続IDパスワード"), JapaneseForm):
    draft = HiddenField()
    public_key = StringField("① パブリックキー", filters=[stripped],
                             validators=[DataRequired("パブリックキーを入力してください。"),
                                         Regexp(PUBLIC_KEY, message="パブリックキーは pk_live_ または pk_test_ で始まる英数字で入力してください。")])
    logo = FileField("② 決済モーダル用ロゴ画像")
    logo_delete = BooleanField("画像削除")
    capture_mode = RadioField("③ 同時売上フラグ", choices=list(CAPTURE_MODES.items()),
                              default="auth",
                              validators=[DataRequired("同時売上フラグを選択してください。")])
    banner = RadioField("⑪ 決済サービス ロゴ画像", choices=list(BANNERS.items()),
                        default="320x100")


@bp.route("/paidy", methods=["GET", "POST"])
def form():
    """The settings form; 「確認画面へ」 keeps the input server-side and shows it back."""
    shop = current_user.shop
    account = account_for(shop.id)
    method = _paidy_method()
    form = PaidySettingsForm(obj=account, data=None if account else {})
    submitted = form.is_submitted()
    if not submitted:
        _fill(form, account, method)
        form.draft.data = request.args.get("draft", "")  # 「戻る」 from the 確認画面
    saved = DRAFTS.load(shop.id, form.draft.data) or {}
    if not submitted and saved:  # that draft's input back in the form, as it was typed
        for name in DRAFT_FIELDS + connection.FIELDS:
            form[name].data = saved.get(name)
        connection.blank_secrets(form)
    elif not submitted:
        form.draft.data = ""  # not this owner's draft of this page: a fresh form
    if submitted:
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
    payload = DRAFTS.checked(shop.id, token)
    if payload is None:
        return DRAFTS.expired()
    failure = None
    if request.method == "POST":
        account = candidate(shop.id, payload)
        passed, failure = services.connection_test(shop, account)
        if passed or request.form.get("force") == "1":
            apply_paidy(shop, payload)
            services.drop_draft(shop.id, token)
            services.saved_message(passed)
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
    connection.blank_secrets(form)


def _read(form: PaidySettingsForm, account, saved: dict) -> tuple[dict, bool]:
    """The submitted settings as a draft payload; uploads checked, secrets carried over."""
    ok = form.check_conditions()
    payload = {name: form[name].data for name in DRAFT_FIELDS}
    common, common_ok = connection.read_connection(form, account, saved)
    payload.update(common)
    try:
        data = read_upload(form.logo.data, LOGO_MAX_BYTES)
        payload["logo"] = base64.b64encode(square_logo(data)).decode() if data else \
            saved.get("logo")
    except UploadError as error:
        form.logo.errors = list(form.logo.errors) + [str(error)]
        payload["logo"] = saved.get("logo")
        ok = False
    return payload, ok and common_ok


def candidate(shop_id: int, payload: dict) -> PaygentAccount:
    """The account these settings would make (not saved): blank secrets keep the stored ones."""
    stored = account_for(shop_id)
    with db.session.no_autoflush:
        account = connection.candidate(shop_id, payload, stored)
        account.paidy_public_key = payload["public_key"]
        account.capture_mode = payload["capture_mode"]
        if payload.get("logo_delete"):
            account.logo_png = None
        elif payload.get("logo"):
            account.logo_png = base64.b64decode(payload["logo"])
        else:
            account.logo_png = stored.logo_png if stored else None
    return account


def apply_paidy(shop, payload: dict) -> PaygentAccount:
    """Save the settings: account, Paidy method (設定済み) and its conditions; one transaction."""
    fresh = candidate(shop.id, payload)
    account = account_for(shop.id) or PaygentAccount(shop_id=shop.id)
    for name in connection.COLUMNS + ("paidy_public_key", "capture_mode", "logo_png"):
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


