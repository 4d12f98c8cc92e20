"""The owner's settings of ペイジェント(クレジット決済) (seed 003 §1.6.2 クレジット決済設定):
支払い回数, セキュリティコード, 3Dセキュア 2.0 and its keys, トークン接続先 and トークン生成鍵,
同時売上, 適用条件 and 注意書き. 「確認画面へ」 keeps the input server-side (secrets included, never
in the page), 「設定する」 runs the connection test and saves.

The PAYGENT connection is the shop's common one (``PaygentAccount``), shared by every PAYGENT
method: a shop without one enters it here, with the same fields and checks as on the Paidy
page (``cart.admin.payments.connection``); a shop with one sees it read-only, and saving the
card settings leaves it (and everything of Paidy's) untouched."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import HiddenField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from cart.admin.payments import connection, services
from cart.admin.payments.forms import ConditionsMixin
from cart.extensions import db
from cart.fields import CheckboxListField, JapaneseForm, stripped
from cart.gateway import account_for, notice_url
from cart.methods.card.config import card_settings_for
from cart.models import CardSettings, PaygentAccount, PaymentMethod
from cart.models.subscription import RUN_MODES
from cart.models.card_settings import (ATTEMPT_AUTH, PAYMENT_CLASSES, SALES_MODES,
                                       TOKEN_ENVIRONMENTS)
from cart.tenancy import owners_only
from payments.methods.card import CARD

bp = owners_only(Blueprint("card_settings", __name__, url_prefix="/admin/payment-methods/card"))

DRAFT_KIND = "card"
DRAFTS = services.Drafts(DRAFT_KIND, "card_settings.form")
SECURITY_CODE = {"required": "要", "optional": "不要"}
THREE_D_SECURE = {"2.0": "2.0", "off": "利用しない"}
REQUIRED = {"yes": "要", "no": "不要"}
#: half-width letters, digits and symbols (a space between words allowed)
HALF_WIDTH = r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?\Z"
#: keys as PAYGENT issues them: half-width letters, digits and symbols, no spaces
KEY = r"^[\x21-\x7e]*\Z"
CARD_FIELDS = ("payment_classes", "security_code", "three_d_secure", "attempt_auth",
               "merchant_name", "token_environment", "sales_mode", "card_stock",
               "card_validity_check", "file_payment_mode")
CONDITION_FIELDS = ("hide_under_on", "hide_under", "hide_from_on", "hide_from", "note",
                    "note_on_payment_page", "note_in_thanks_mail")
SECRETS = (("tds_hash_key", "3Dセキュア結果受付ハッシュ鍵"), ("token_key", "トークン生成鍵"))


class CardSettingsForm(ConditionsMixin, JapaneseForm):
    """クレジット決済設定, for a shop whose PAYGENT connection is already set."""
    draft = HiddenField()
    payment_classes = CheckboxListField(
        "支払い回数", choices=list(PAYMENT_CLASSES.items()),
        validators=[DataRequired("支払い回数を1つ以上選択してください。")])
    security_code = RadioField("セキュリティコード", choices=list(SECURITY_CODE.items()),
                               default="required")
    three_d_secure = RadioField("3Dセキュア", choices=list(THREE_D_SECURE.items()),
                                default="2.0")
    attempt_auth = RadioField("Attemptオーソリ制御区分", choices=list(ATTEMPT_AUTH.items()),
                              default="none")
    merchant_name = StringField("加盟店名(半角英数字記号)", filters=[stripped], validators=[
        Optional(), Length(max=40, message="加盟店名は40文字以内で入力してください。"),
        Regexp(HALF_WIDTH, message="加盟店名は半角英数字記号で入力してください。")])
    tds_hash_key = PasswordField("3Dセキュア結果受付ハッシュ鍵", validators=[
        Length(max=128, message="128文字以内で入力してください。"),
        Regexp(KEY, message="3Dセキュア結果受付ハッシュ鍵は半角英数字記号で入力してください。")])
    token_environment = RadioField("トークン接続先", choices=list(TOKEN_ENVIRONMENTS.items()),
                                   default="test")
    token_key = PasswordField("トークン生成鍵", validators=[
        Length(max=128, message="128文字以内で入力してください。"),
        Regexp(KEY, message="トークン生成鍵は半角英数字記号で入力してください。")])
    sales_mode = RadioField("同時売上", choices=list(SALES_MODES.items()), default="auth")
    card_stock = RadioField("カード情報お預かり機能", choices=list(REQUIRED.items()), default="yes")
    card_validity_check = RadioField("カード有効性チェック", choices=list(REQUIRED.items()),
                                     default="no")
    file_payment_mode = RadioField("定期購入の一括オーソリ", choices=list(RUN_MODES.items()),
                                   default="auto")


class CardSetupForm(connection.connection_fields(), CardSettingsForm):
    """The same, with the common PAYGENT connection for a shop that has none yet."""


@bp.route("", methods=["GET", "POST"])
def form():
    """The settings form; 「確認画面へ」 keeps the input server-side and shows it back."""
    shop = current_user.shop
    account = account_for(shop.id)
    settings = card_settings_for(shop.id)
    form_class = CardSettingsForm if account else CardSetupForm
    form = form_class(data=_initial(account, settings, _card_method(shop.id)))
    submitted = form.is_submitted()
    if not submitted:  # 「戻る」 from the 確認画面 (``?draft=``) brings its draft back
        form.draft.data = request.args.get("draft", "")
    saved = DRAFTS.load(shop.id, form.draft.data) or {}
    if not submitted and saved:
        for name in CARD_FIELDS + CONDITION_FIELDS + (
                connection.FIELDS if account is None else ()):
            form[name].data = saved.get(name)
    elif not submitted:
        form.draft.data = ""  # not this owner's draft of this page: a fresh form
    if submitted:
        valid = form.validate()  # first: validate() resets the errors _read adds
        payload, ok = _read(form, account, settings, saved)
        payload["checked"] = valid and ok  # only checked input may reach 「設定する」
        token = services.save_draft(shop.id, current_user.id, payload, form.draft.data or None)
        if valid and ok:
            return redirect(url_for("card_settings.confirm", draft=token))
        form.draft.data = token
        saved = payload
    for secret, _ in SECRETS:
        form[secret].data = ""
    if account is None:
        connection.blank_secrets(form)
    return render_template("methods/card/settings_form.html", form=form, account=account,
                           settings=settings, saved=saved, notice_url=notice_url(shop))


@bp.get("/confirm")
def confirm():
    """確認画面: what 「設定する」 will save, secrets masked."""
    shop = current_user.shop
    token = request.args.get("draft", "")
    payload = DRAFTS.checked(shop.id, token)
    if payload is None:
        return DRAFTS.expired()
    return _confirm_page(shop, payload, token, failure=None)


@bp.post("/save")
def save():
    """「設定する」: the connection test, then the settings saved (or saved anyway)."""
    shop = current_user.shop
    token = request.form.get("draft", "")
    payload = DRAFTS.checked(shop.id, token)
    if payload is None:
        return DRAFTS.expired()
    stored = account_for(shop.id)
    if payload["setup"] != (stored is None):  # the connection was set up meanwhile
        flash("ペイジェントの接続設定が変更されました。もう一度入力してください。", "warning")
        return redirect(url_for("card_settings.form"))
    account = stored or _candidate(shop.id, payload)
    passed, failure = services.connection_test(shop, account)
    if not (passed or request.form.get("force") == "1"):
        return _confirm_page(shop, payload, token, failure)
    apply_card(shop, payload)
    services.drop_draft(shop.id, token)
    services.saved_message(passed)
    return redirect(url_for("payment_settings.index"))


# -- reading and showing ---------------------------------------------------------------
def _card_method(shop_id: int) -> PaymentMethod | None:
    return db.session.scalar(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop_id, PaymentMethod.kind == CARD.code))


def _initial(account, settings: CardSettings | None, method: PaymentMethod | None) -> dict:
    """What the form shows first (and falls back on for a field a submission leaves out):
    the stored values, or the recommended ones for a new setup. Never a secret."""
    data = {"payment_classes": ["lump"], "security_code": "required", "three_d_secure": "2.0",
            "attempt_auth": "none", "merchant_name": "", "token_environment": "test",
            "sales_mode": "auth", "card_stock": "yes", "card_validity_check": "no",
            "file_payment_mode": "auto", "hide_under_on": False, "hide_under": None,
            "hide_from_on": False, "hide_from": None, "note": "",
            "note_on_payment_page": False, "note_in_thanks_mail": False}
    if settings is not None:
        data.update(
            payment_classes=settings.classes,
            security_code="required" if settings.security_code_required else "optional",
            three_d_secure="2.0" if settings.three_d_secure else "off",
            attempt_auth=settings.attempt_auth, merchant_name=settings.merchant_name,
            token_environment=settings.token_environment, sales_mode=settings.sales_mode,
            card_stock="yes" if settings.card_stock else "no",
            card_validity_check="yes" if settings.card_validity_check else "no",
            file_payment_mode=settings.file_payment_mode)
    if method is not None:
        data.update(hide_under_on=method.hide_under is not None, hide_under=method.hide_under,
                    hide_from_on=method.hide_from is not None, hide_from=method.hide_from,
                    note=method.note, note_on_payment_page=method.note_on_payment_page,
                    note_in_thanks_mail=method.note_in_thanks_mail)
    if account is None:
        data["environment"] = "sandbox"
    return data


def _read(form, account, settings: CardSettings | None, saved: dict) -> tuple[dict, bool]:
    """The submitted settings as a draft payload: a secret left blank is the one typed before
    (kept in the draft) or the stored one; the connection too when the shop has none."""
    ok = form.check_conditions()
    payload = {"kind": DRAFT_KIND, "setup": account is None}
    payload.update({name: form[name].data for name in CARD_FIELDS + CONDITION_FIELDS})
    three_d_secure = form.three_d_secure.data == "2.0"
    for secret, label in SECRETS:
        value = "" if form[secret].errors else (form[secret].data or saved.get(secret) or "")
        payload[secret] = value
        required = secret == "token_key" or three_d_secure
        if required and not value and not form[secret].errors and not (
                settings and getattr(settings, secret)):
            form[secret].errors = list(form[secret].errors) + [f"{label}を入力してください。"]
            ok = False
    if three_d_secure and not form.merchant_name.data and not form.merchant_name.errors:
        form.merchant_name.errors = list(form.merchant_name.errors) + [
            "3Dセキュアを利用する場合は加盟店名を入力してください。"]
        ok = False
    if account is None:
        common, common_ok = connection.read_connection(form, None, saved)
        payload.update(common)
        ok = ok and common_ok
    return payload, ok


def _confirm_page(shop, payload: dict, token: str, failure: str | None):
    return render_template("methods/card/settings_confirm.html", p=payload, token=token,
                           failure=failure, account=account_for(shop.id),
                           settings=card_settings_for(shop.id), notice_url=notice_url(shop),
                           classes=PAYMENT_CLASSES, security_codes=SECURITY_CODE,
                           three_d_secure=THREE_D_SECURE, attempt_auth=ATTEMPT_AUTH,
                           token_environments=TOKEN_ENVIRONMENTS, sales_modes=SALES_MODES,
                           required=REQUIRED, run_modes=RUN_MODES)


# -- saving ----------------------------------------------------------------------------
def _candidate(shop_id: int, payload: dict) -> PaygentAccount:
    """The connection a first setup would make (not saved), with nothing of Paidy's."""
    with db.session.no_autoflush:
        account = connection.candidate(shop_id, payload, None)
        account.paidy_public_key, account.capture_mode = "", "auth"
    return account


def apply_card(shop, payload: dict) -> CardSettings:
    """Save the settings: the method joins the list if it is not in it, then one transaction
    writes the connection (when this is the shop's first), the card settings row and the
    method's conditions (設定済み)."""
    method = _card_method(shop.id)
    if method is None or not method.in_use:  # (as 「リストに追加」 does, committed on its own)
        method = services.add(shop.id, CARD.code)
    account = account_for(shop.id)
    if account is None:
        fresh = _candidate(shop.id, payload)
        account = PaygentAccount(shop_id=shop.id)
        for name in connection.COLUMNS + ("paidy_public_key", "capture_mode"):
            setattr(account, name, getattr(fresh, name))
        db.session.add(account)
    settings = card_settings_for(shop.id)
    if settings is None:
        settings = CardSettings(shop_id=shop.id)
        db.session.add(settings)
    settings.payment_classes = ",".join(k for k in PAYMENT_CLASSES
                                        if k in payload["payment_classes"])
    settings.security_code_required = payload["security_code"] == "required"
    settings.three_d_secure = payload["three_d_secure"] == "2.0"
    settings.attempt_auth = payload["attempt_auth"]
    settings.merchant_name = payload["merchant_name"] or ""
    settings.token_environment = payload["token_environment"]
    settings.sales_mode = payload["sales_mode"]
    settings.card_stock = payload.get("card_stock", "yes") == "yes"
    settings.card_validity_check = payload.get("card_validity_check") == "yes"
    settings.file_payment_mode = payload.get("file_payment_mode") or "auto"
    for secret, _ in SECRETS:
        if payload.get(secret):
            setattr(settings, secret, payload[secret])
    services.apply_conditions(method, payload)
    method.configured = True
    db.session.commit()
    services.enroll_at_sandbox(shop, account)
    return settings
