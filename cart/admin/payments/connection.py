"""The shop's common PAYGENT connection (共通設定: 接続先, マーチャントID, 接続ID and password,
差分通知ハッシュ値生成キー, certificates), one ``PaygentAccount`` shared by every PAYGENT method.

A method's settings page that asks for it mixes ``connection_fields()`` into its form, reads
it with ``read_connection`` into the draft payload and builds the account it would make with
``candidate``; ``templates/admin/payments/_connection*.html`` render the fields, the rows of
the 確認画面 and a read-only summary. ペイジェント共通設定 (``cart.admin.payments.paygent``) edits
the connection alone, the Paidy page together with Paidy's own fields."""
from flask_wtf.file import FileField
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from cart.admin.payments.uploads import (PEM_MAX_BYTES, UploadError, ca_bundle,
                                         client_certificate, read_upload)
from cart.fields import stripped
from cart.models import PaygentAccount
from cart.models.gateway import ENVIRONMENT_NAMES

#: what the connection puts in a draft payload besides its secrets and uploads
FIELDS = ("environment", "merchant_id", "connect_id", "client_cert_delete", "ca_delete")
SECRETS = (("connect_password", "接続IDパスワード"),
           ("notice_hash_key", "差分通知ハッシュ値生成キー"))
#: the account's columns the connection sets
COLUMNS = ("environment", "merchant_id", "connect_id", "connect_password", "notice_hash_key",
           "client_cert_pem", "ca_pem")


def connection_fields(merchant_id_label: str = "マーチャントID",
                      connect_id_label: str = "接続ID",
                      connect_password_label: str = "接続IDパスワード") -> type:
    """A form mixin with the connection's fields (a page numbering its items passes its
    labels); the messages are the same on every page."""

    class ConnectionFields:
        environment = SelectField("接続先", choices=list(ENVIRONMENT_NAMES.items()),
                                  default="sandbox")
        merchant_id = StringField(
            merchant_id_label, filters=[stripped],
            validators=[DataRequired("マーチャントIDを入力してください。"),
                        Regexp(r"^[0-9]{9}\Z", message="マーチャントIDは9桁の半角数字で入力してください。")])
        connect_id = StringField(
            connect_id_label, filters=[stripped],
            validators=[DataRequired("接続IDを入力してください。"),
                        Regexp(r"^[A-Za-z0-9_]{1,32}\Z", message="接続IDは32文字以内の半角英数字で入力してください。")])
        connect_password = PasswordField(connect_password_label, validators=[
            Length(max=64, message="64文字以内で入力してください。")])
        notice_hash_key = PasswordField("差分通知ハッシュ値生成キー", validators=[
            Length(max=128, message="128文字以内で入力してください。")])
        client_cert = FileField("クライアント証明書（証明書と秘密鍵を含むPEM）")
        client_cert_delete = BooleanField("クライアント証明書を削除する")
        ca_file = FileField("CAファイル（PEM）")
        ca_delete = BooleanField("CAファイルを削除する")

    return ConnectionFields


def read_connection(form, account: PaygentAccount | None, saved: dict,
                    labels: dict | None = None) -> tuple[dict, bool]:
    """The connection as typed, for the draft payload: a secret left blank is the one typed
    before (kept in the draft) or the stored one; certificates are checked. Errors are added
    beside their fields (a secret missing is named by ``labels``, if the page names it
    otherwise)."""
    ok = True
    payload = {name: form[name].data for name in FIELDS}
    for secret, label in SECRETS:
        label = (labels or {}).get(secret, label)
        value = form[secret].data or saved.get(secret) or ""
        payload[secret] = value
        if not value and not (account and getattr(account, secret)):
            form[secret].errors = list(form[secret].errors) + [f"{label}を入力してください。"]
            ok = False
    for name, key, check in (("client_cert", "client_cert", client_certificate),
                             ("ca_file", "ca", ca_bundle)):
        try:
            data = read_upload(form[name].data, PEM_MAX_BYTES)
            payload[key] = check(data) if data else saved.get(key)
        except UploadError as error:
            form[name].errors = list(form[name].errors) + [str(error)]
            payload[key] = saved.get(key)
            ok = False
    return payload, ok


def blank_secrets(form) -> None:
    """Secrets are never shown back in a form."""
    for secret, _ in SECRETS:
        form[secret].data = ""


def candidate(shop_id: int, payload: dict, stored: PaygentAccount | None) -> PaygentAccount:
    """The account the payload's connection would make (not added to the session): blank
    secrets and certificates keep the stored ones. The caller holds ``no_autoflush``."""
    keep = (lambda name: getattr(stored, name) if stored else None)
    account = PaygentAccount(
        shop_id=shop_id, environment=payload["environment"],
        merchant_id=payload["merchant_id"], connect_id=payload["connect_id"],
        connect_password=payload.get("connect_password") or keep("connect_password") or "",
        notice_hash_key=payload.get("notice_hash_key") or keep("notice_hash_key") or "")
    account.client_cert_pem = None if payload.get("client_cert_delete") else (
        payload.get("client_cert") or keep("client_cert_pem"))
    account.ca_pem = None if payload.get("ca_delete") else (
        payload.get("ca") or keep("ca_pem"))
    return account
