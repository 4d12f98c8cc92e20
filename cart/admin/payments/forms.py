"""支払方法設定 forms: Paidy via PAYGENT (①–⑪ plus environment and certificates), basic methods."""
from flask_wtf.file import FileField
from wtforms import (BooleanField, HiddenField, PasswordField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from cart.fields import JapaneseForm, WholeNumberField, stripped
from cart.models.gateway import ENVIRONMENT_NAMES
from cart.models.order import CAPTURE_MODES
from cart.models.payment_method import BANNERS

PUBLIC_KEY = r"^pk_(live|test)_[A-Za-z0-9_]{8,64}\Z"


class ConditionsMixin:
    """⑨ 適用条件 and ⑩ 注意書き, shared by every method."""
    hide_under_on = BooleanField("商品金額が")
    hide_under = WholeNumberField("円未満の場合は表示しない", validators=[
        Optional(), NumberRange(min=1, max=99_999_999, message="1円以上で入力してください。")])
    hide_from_on = BooleanField("商品金額が")
    hide_from = WholeNumberField("円以上の場合は表示しない", validators=[
        Optional(), NumberRange(min=1, max=99_999_999, message="1円以上で入力してください。")])
    note = TextAreaField("注意書き", validators=[
        Length(max=2000, message="2000文字以内で入力してください。")])
    note_on_payment_page = BooleanField("支払方法画面")
    note_in_thanks_mail = BooleanField("サンクスメール")

    def check_conditions(self) -> bool:
        ok = True
        for switch, amount in ((self.hide_under_on, self.hide_under),
                               (self.hide_from_on, self.hide_from)):
            if switch.data and amount.data is None and not amount.errors:
                amount.errors = list(amount.errors) + ["金額を入力してください。"]
                ok = False
        if (self.hide_under_on.data and self.hide_from_on.data and self.hide_under.data
                and self.hide_from.data and self.hide_under.data >= self.hide_from.data):
            self.hide_from.errors = list(self.hide_from.errors) + [
                "「円以上の場合は表示しない」金額は「円未満」の金額より大きくしてください。"]
            ok = False
        return ok


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


class BasicMethodForm(ConditionsMixin, JapaneseForm):
    instructions = TextAreaField("サンクスメールに記載するご案内（振込先など）", validators=[
        Length(max=2000, message="2000文字以内で入力してください。")])

