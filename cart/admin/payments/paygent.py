"""ペイジェント共通設定: the shop's PAYGENT connection on a page of its own (seed 003 §1.6.2
共通設定: マーチャントID, 接続ID, 接続パスワード, 差分通知ハッシュ値生成キー; the 接続先 and the
certificates besides; モジュール型 only, so no システム種別).

The connection is one ``PaygentAccount`` shared by every PAYGENT method; a shop that uses only
the card changes it here (the Paidy page edits it too, together with Paidy's own fields).
The flow is the other settings pages': 「確認画面へ」 keeps the input server-side in a draft
(secrets never in the page), 「設定する」 runs the connection test and saves only if it passed.
Saving writes the connection's columns and nothing of a method's (Paidy's public key, 同時売上
and logo, the card's settings), and enrols the result at the embedded sandbox with the methods'
keys as they are stored."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import HiddenField

from cart.admin.payments import connection, services
from cart.extensions import db
from cart.fields import JapaneseForm
from cart.gateway import account_for, notice_url
from cart.models import PaygentAccount
from cart.models.gateway import ENVIRONMENT_NAMES
from cart.tenancy import owners_only
from payments import methods

bp = owners_only(Blueprint("paygent_settings", __name__,
                           url_prefix="/admin/payment-methods/paygent"))

DRAFT_KIND = "paygent"
DRAFTS = services.Drafts(DRAFT_KIND, "paygent_settings.form")
TITLE = "ペイジェント共通設定"
PASSWORD_LABEL = "接続パスワード"
#: seed 003 §1.6.2 共通設定's 入力説明 (接続ID and 接続パスワード: 「同上。」)
ISSUED = "ペイジェントとの契約時に通知されたものを入力してください。"
DIFFERS = "※試験・本番で値が異なります。本番運用開始時に変更してください。"
HINTS = {
    "environment": "接続試験は「試験環境」で行い、本番運用開始時に「本番環境」に変更してください"
                   "（マーチャントID・接続ID・接続パスワードも本番用に変更します）。",
    "merchant_id": f"{ISSUED} {DIFFERS}",
    "connect_id": f"{ISSUED} {DIFFERS}",
    "connect_password": f"{ISSUED} {DIFFERS}",
    "notice_hash_key": ISSUED,
}


class PaygentSettingsForm(connection.connection_fields(connect_password_label=PASSWORD_LABEL),
                          JapaneseForm):
    draft = HiddenField()


def paygent_methods() -> list[str]:
    """The names of the methods that go through PAYGENT, and so use this connection."""
    return [m.system_name for m in methods.ALL if m.through_paygent]


@bp.route("", methods=["GET", "POST"])
def form():
    """The form; 「確認画面へ」 keeps the input server-side and shows it back. Opened again from
    the 確認画面 (「戻る」, ``?draft=``) it shows that draft's input, its secrets kept in it."""
    shop = current_user.shop
    account = account_for(shop.id)
    form = PaygentSettingsForm(data=_initial(account))
    submitted = form.is_submitted()
    if not submitted:  # 「戻る」 from the 確認画面 brings its draft back
        form.draft.data = request.args.get("draft", "")
    saved = DRAFTS.load(shop.id, form.draft.data) or {}
    if not submitted and saved:
        for name in connection.FIELDS:
            form[name].data = saved.get(name)
    elif not submitted:
        form.draft.data = ""  # not this owner's draft of this page: a fresh form
    if submitted:
        valid = form.validate()  # first: validate() resets the errors read_connection adds
        payload, ok = _read(form, account, saved)
        payload["checked"] = valid and ok  # only checked input may reach 「設定する」
        token = services.save_draft(shop.id, current_user.id, payload, form.draft.data or None)
        if valid and ok:
            return redirect(url_for("paygent_settings.confirm", draft=token))
        form.draft.data = token
        saved = payload
    connection.blank_secrets(form)
    return render_template("admin/payments/paygent_form.html", form=form, account=account,
                           saved=saved, notice_url=notice_url(shop), hints=HINTS,
                           used_by=paygent_methods())


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
    """「設定する」: the connection test, then the connection saved; a failed test saves
    nothing and says why."""
    shop = current_user.shop
    token = request.form.get("draft", "")
    payload = DRAFTS.checked(shop.id, token)
    if payload is None:
        return DRAFTS.expired()
    stored = account_for(shop.id)
    if payload["setup"] != (stored is None):  # the connection was set up meanwhile
        flash("ペイジェントの接続設定が変更されました。もう一度入力してください。", "warning")
        return redirect(url_for("paygent_settings.form"))
    passed, failure = services.connection_test(shop, _candidate(shop.id, payload, stored))
    if not passed:
        return _confirm_page(shop, payload, token, failure)
    apply_connection(shop, payload)
    services.drop_draft(shop.id, token)
    flash("接続試験に成功し、ペイジェント共通設定を保存しました。", "success")
    return redirect(url_for("payment_settings.index"))


# -- reading and showing ---------------------------------------------------------------
def _initial(account: PaygentAccount | None) -> dict:
    """What the form shows first (and falls back on for a field a submission leaves out):
    the stored connection, never a secret; the local sandbox for a new one."""
    if account is None:
        return {"environment": "sandbox"}
    return {"environment": account.environment, "merchant_id": account.merchant_id,
            "connect_id": account.connect_id}


def _read(form, account: PaygentAccount | None, saved: dict) -> tuple[dict, bool]:
    payload = {"kind": DRAFT_KIND, "setup": account is None}
    common, ok = connection.read_connection(form, account, saved,
                                            labels={"connect_password": PASSWORD_LABEL})
    payload.update(common)
    return payload, ok



def _confirm_page(shop, payload: dict, token: str, failure: str | None):
    account = account_for(shop.id)
    return render_template("admin/payments/paygent_confirm.html", p=payload, token=token,
                           failure=failure, account=account, notice_url=notice_url(shop),
                           password_label=PASSWORD_LABEL, environments=ENVIRONMENT_NAMES,
                           used_by=paygent_methods())


# -- saving ----------------------------------------------------------------------------
def _candidate(shop_id: int, payload: dict, stored: PaygentAccount | None) -> PaygentAccount:
    """The connection the payload would make (not saved), with the methods' own columns as
    stored (the sandbox enrolment passes Paidy's public key along)."""
    with db.session.no_autoflush:
        account = connection.candidate(shop_id, payload, stored)
        account.paidy_public_key = stored.paidy_public_key if stored else ""
        account.capture_mode = stored.capture_mode if stored else "auth"
    return account


def apply_connection(shop, payload: dict) -> PaygentAccount:
    """Save the connection's columns (the account is made for a shop that has none), then
    tell the embedded sandbox, with the card's keys as stored."""
    stored = account_for(shop.id)
    fresh = _candidate(shop.id, payload, stored)
    account = stored or PaygentAccount(shop_id=shop.id, paidy_public_key="",
                                       capture_mode="auth")
    for name in connection.COLUMNS:
        setattr(account, name, getattr(fresh, name))
    if account.id is None:
        db.session.add(account)
    db.session.commit()
    services.enroll_at_sandbox(shop, account)
    return account
