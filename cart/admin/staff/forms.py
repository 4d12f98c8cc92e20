from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from cart.fields import JapaneseForm

MIN_PASSWORD = 8


class PasswordForm(JapaneseForm):
    current_password = PasswordField("現在のパスワード", validators=[
        DataRequired("現在のパスワードを入力してください。"),
        Length(max=200, message="200文字以内で入力してください。")])
    new_password = PasswordField("新しいパスワード", validators=[
        DataRequired("新しいパスワードを入力してください。"),
        Length(min=MIN_PASSWORD, max=200,
               message=f"{MIN_PASSWORD}文字以上200文字以内で入力してください。")])
    new_password_confirm = PasswordField("新しいパスワード（確認）", validators=[
        DataRequired("確認のため、新しいパスワードをもう一度入力してください。"),
        EqualTo("new_password", message="新しいパスワードと同じものを入力してください。")])


class StaffActionForm(JapaneseForm):
    """CSRF-only form behind the 無効にする / 有効にする buttons."""
