from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length

from cart.fields import JapaneseForm


class LoginForm(JapaneseForm):
    email = EmailField("メールアドレス", validators=[
        DataRequired("メールアドレスを入力してください。"),
        Length(max=254, message="254文字以内で入力してください。")])
    password = PasswordField("パスワード", validators=[
        DataRequired("パスワードを入力してください。"),
        Length(max=200, message="200文字以内で入力してください。")])
    submit = SubmitField("ログイン")


class LogoutForm(JapaneseForm):
    """CSRF-only form behind the logout button."""
