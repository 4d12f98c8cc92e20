"""支払方法設定 forms: 適用条件 and 注意書き shared by every method, and the basic methods' form
(a method with settings of its own keeps its form in its cart module)."""
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from cart.fields import JapaneseForm, WholeNumberField


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


class BasicMethodForm(ConditionsMixin, JapaneseForm):
    instructions = TextAreaField("サンクスメールに記載するご案内（振込先など）", validators=[
        Length(max=2000, message="2000文字以内で入力してください。")])

