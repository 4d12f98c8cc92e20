"""会員 forms: the checkout's buyer fields (same rules, same messages) plus passwords."""
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from cart.checkout.forms import BuyerForm, _nfkc
from cart.fields import JapaneseForm

MIN_PASSWORD = 8
MAX_PASSWORD = 200
MAX_ADDRESSES = 20  # お届け先 per member
DUPLICATE_EMAIL = "このメールアドレスはすでに会員登録されています。ログインしてください。"


def _new_password(label: str):
    return PasswordField(label, validators=[
        DataRequired(f"{label}を入力してください。"),
        Length(min=MIN_PASSWORD, max=MAX_PASSWORD,
               message=f"{MIN_PASSWORD}文字以上{MAX_PASSWORD}文字以内で入力してください。")])


def _confirm(of: str, label: str):
    return PasswordField(f"{label}（確認）", validators=[
        DataRequired(f"確認のため、{label}をもう一度入力してください。"),
        EqualTo(of, message=f"{label}と同じものを入力してください。")])


class ProfileForm(BuyerForm):
    """会員情報変更: the buyer fields the cart asks for."""

    def member_values(self) -> dict:
        data = self.buyer()
        return {"name": data["buyer_name"], "kana": data["buyer_kana"],
                "zip_code": data["zip_code"], "prefecture": data["prefecture"],
                "city": data["city"], "street": data["street"], "building": data["building"],
                "tel": data["tel"], "mobile": data["mobile"], "email": data["email"]}


class RegisterForm(ProfileForm):
    """会員登録: the buyer fields and a password, twice."""
    password = _new_password("パスワード")
    password_confirm = _confirm("password", "パスワード")


class AddressForm(BuyerForm):
    """お届け先: name, address and TEL (no email, no mobile)."""
    mobile = None
    email = None

    def address_values(self) -> dict:
        zip_code = self.zip_code.data or ""
        return {"name": self.buyer_name.data, "kana": self.buyer_kana.data,
                "zip_code": f"{zip_code[:3]}-{zip_code[3:]}",
                "prefecture": self.prefecture.data, "city": self.city.data,
                "street": self.street.data, "building": self.building.data or "",
                "tel": self.tel.data}


class LoginForm(JapaneseForm):
    email = EmailField("メールアドレス", filters=[_nfkc], validators=[
        DataRequired("メールアドレスを入力してください。"),
        Length(max=254, message="254文字以内で入力してください。")])
    password = PasswordField("パスワード", validators=[
        DataRequired("パスワードを入力してください。"),
        Length(max=MAX_PASSWORD, message=f"{MAX_PASSWORD}文字以内で入力してください。")])


class ForgotForm(JapaneseForm):
    email = EmailField("メールアドレス", filters=[_nfkc], validators=[
        DataRequired("メールアドレスを入力してください。"),
        Email("メールアドレスの形式が正しくありません。"),
        Length(max=254, message="254文字以内で入力してください。")])


class ResetForm(JapaneseForm):
    new_password = _new_password("新しいパスワード")
    new_password_confirm = _confirm("new_password", "新しいパスワード")


class PasswordForm(ResetForm):
    current_password = PasswordField("現在のパスワード", validators=[
        DataRequired("現在のパスワードを入力してください。"),
        Length(max=MAX_PASSWORD, message=f"{MAX_PASSWORD}文字以内で入力してください。")])


class ActionForm(JapaneseForm):
    """CSRF-only form behind ログアウト and 削除 buttons."""
