from wtforms import StringField
from wtforms.validators import Length

from cart.checkout.forms import _digits, _kana, _nfkc
from cart.fields import JapaneseForm, stripped


class MemberSearchForm(JapaneseForm):
    """会員検索 (GET): each box matches part of the field; empty boxes are ignored."""

    class Meta:
        csrf = False

    name = StringField("氏名", filters=[_nfkc],
                       validators=[Length(max=50, message="50文字以内で入力してください。")])
    kana = StringField("フリガナ", filters=[_kana],
                       validators=[Length(max=50, message="50文字以内で入力してください。")])
    email = StringField("メールアドレス", filters=[stripped, _nfkc],
                        validators=[Length(max=254, message="254文字以内で入力してください。")])
    tel = StringField("電話番号", filters=[_digits],
                      validators=[Length(max=20, message="20文字以内で入力してください。")])


class MemberActionForm(JapaneseForm):
    """CSRF-only form behind 無効にする / 有効にする."""
