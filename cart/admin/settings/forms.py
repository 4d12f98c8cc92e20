from wtforms import (BooleanField, EmailField, HiddenField, RadioField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import (DataRequired, Email, InputRequired, Length, NumberRange, Optional,
                                ValidationError)
from wtforms.widgets import CheckboxInput, ListWidget

from cart.fields import JapaneseForm, WholeNumberField
from cart.models.store_settings import CART_TYPES


class OnByDefaultField(BooleanField):
    """A checkbox checked while the setting was never stored (the shop's row, or its column,
    not written yet)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "BooleanField"  # drawn as the checkbox it is

    def process_data(self, value):
        self.data = True if value is None else bool(value)


class ShopSettingsForm(JapaneseForm):
    cart_type = RadioField("カートの種類", choices=list(CART_TYPES.items()),
                           validators=[DataRequired("カートの種類を選択してください。")])
    mobile_visible = BooleanField("携帯電話番号を表示する")
    mobile_required = BooleanField("携帯電話番号を必須にする")
    shop_email = EmailField("受注通知メールの送信先", validators=[
        Optional(), Email("メールアドレスの形式が正しくありません。"),
        Length(max=254, message="254文字以内で入力してください。")])
    thanks_mail_subject = StringField("サンクスメールの件名", validators=[
        DataRequired("件名を入力してください。"), Length(max=200, message="200文字以内で入力してください。")])
    conversion_tag = TextAreaField("注文完了画面のタグ（コンバージョンタグ等）", validators=[
        Length(max=20000, message="20000文字以内で入力してください。")])
    pending_cancel_days = WholeNumberField("決済処理中の注文の取消期間（日）", validators=[
        InputRequired("日数を入力してください。"), NumberRange(min=1, max=90, message="1〜90日で入力してください。")])
    expiry_mail = OnByDefaultField("オーソリ期限切れ間近のお知らせメールを送信する")


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes; a value no box offers is refused in Japanese."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, validate_choice=False, **kwargs)

    def pre_validate(self, form):
        offered = {self.coerce(value) for value, *_ in self.choices or ()}
        if any(value not in offered for value in self.data or ()):
            raise ValidationError("一覧にない項目が選択されています。画面を開き直してください。")


class DeliveryForm(JapaneseForm):
    name = StringField("宅配便の名称", validators=[
        DataRequired("名称を入力してください。"), Length(max=100, message="100文字以内で入力してください。")])
    fee = WholeNumberField("送料（税込）", validators=[
        InputRequired("送料を入力してください（別途連絡の場合は0）。"), NumberRange(min=0, max=999_999, message="0〜999,999円で入力してください。")])
    fee_undetermined = BooleanField("送料は別途連絡（注文時には確定しない）")
    active = BooleanField("使用する", default=True)
    payment_methods = MultiCheckboxField("対応可能な支払方法", coerce=int)
    draft = HiddenField()  # the draft 「戻る」 came back with, kept until 「設定する」
