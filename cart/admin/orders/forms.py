from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from cart.fields import JapaneseForm, WholeNumberField


class PaymentActionForm(JapaneseForm):
    """売上確定 / キャンセル / 最新の状態を取得: CSRF and what the page showed."""
    state = HiddenField()


class RefundForm(PaymentActionForm):
    # nothing chosen at first: 全額 or 一部 is the operator's explicit choice
    mode = RadioField(choices=[("full", "全額"), ("partial", "一部")], default=None,
                      validate_choice=False,
                      validators=[InputRequired("返金の方法を選択してください。"),
                                  AnyOf(["full", "partial"], "返金の方法を選択してください。")])
    amount = WholeNumberField("返金額", validators=[Optional()])


class OrderMoveForm(JapaneseForm):
    """受注完了一覧へ移動 / 受注キャンセル一覧へ移動."""
    version = HiddenField()


class AdjustForm(JapaneseForm):
    """編集モード: 金額調整 (名目 and an amount per tax category) and 送料 (O5)."""
    version = HiddenField()
    adjust_label = StringField("名目", validators=[
        Length(max=50, message="50文字以内で入力してください。")])
    adjust10 = WholeNumberField("10%対象", validators=[
        InputRequired("金額を入力してください（調整しない場合は0）。"),
        NumberRange(min=-9_999_999, max=9_999_999, message="金額が大きすぎます。")])
    adjust8 = WholeNumberField("8%対象", validators=[
        InputRequired("金額を入力してください（調整しない場合は0）。"),
        NumberRange(min=-9_999_999, max=9_999_999, message="金額が大きすぎます。")])
    shipping_fee = WholeNumberField("送料", validators=[
        InputRequired("送料を入力してください。"),
        NumberRange(min=0, max=9_999_999, message="0円以上で入力してください。")])
