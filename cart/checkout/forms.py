"""Checkout forms (K1–K3). Messages in Japanese, next to the field."""
import re
import unicodedata
from functools import lru_cache

from markupsafe import Markup, escape
from wtforms import EmailField, RadioField, SelectField, StringField
from wtforms.widgets import Select
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional, ValidationError

from cart.fields import JapaneseForm, html_params

PREFECTURES = [
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
]
KATAKANA = re.compile(r"^[\u30A0-\u30FF\u3000 ]+\Z")
# [0-9], not \d: digits of other scripts are left after NFKC and mean nothing to a phone
TEL = re.compile(r"^0[0-9]{9,10}\Z")
MOBILE = re.compile(r"^0[789]0[0-9]{8}\Z")
BUYER_FIELDS = ("buyer_name", "buyer_kana", "zip_code", "prefecture", "city", "street",
                "building", "tel", "mobile", "email")


def _nfkc(value):
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


def _digits(value):
    return re.sub(r"[-ー－‐\s]", "", _nfkc(value) or "")


def _kana(value):
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFKC", value).strip()
    # ひらがな → カタカナ, so either is accepted
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in value)


class FixedOptionsSelect(Select):
    """A select whose options never change (the 47 都道府県): rendered once per chosen value
    and kept, instead of option by option on every page."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        if "required" not in kwargs and "required" in getattr(field, "flags", []):
            kwargs["required"] = True
        selected = None if field.data is None else str(field.data)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>"
                      f"{_options(tuple(field.choices), selected)}</select>")


@lru_cache(maxsize=256)
def _options(choices: tuple, selected: str | None) -> str:
    return "".join(f'<option{" selected" if value == selected else ""} value="{escape(value)}">'
                   f"{escape(label)}</option>" for value, label in choices)


class BuyerForm(JapaneseForm):
    """購入者情報 (K1); 携帯電話番号 shown / required per the shop's settings (P5)."""
    buyer_name = StringField("氏名", filters=[_nfkc], validators=[
        DataRequired("氏名を入力してください。"), Length(max=50, message="50文字以内で入力してください。")])
    buyer_kana = StringField("氏名(フリガナ)", filters=[_kana], validators=[
        DataRequired("氏名(フリガナ)を入力してください。"),
        Length(max=50, message="50文字以内で入力してください。")])
    zip_code = StringField("郵便番号", filters=[_digits], validators=[
        DataRequired("郵便番号を入力してください。")])
    prefecture = SelectField("都道府県", choices=[("", "選択してください")] + [
        (p, p) for p in PREFECTURES], validate_choice=False, widget=FixedOptionsSelect(),
        validators=[
        DataRequired("都道府県を選択してください。"),
        AnyOf(PREFECTURES, "都道府県を選択してください。")])
    city = StringField("市区町村", filters=[_nfkc], validators=[
        DataRequired("市区町村を入力してください。"), Length(max=50, message="50文字以内で入力してください。")])
    street = StringField("番地", filters=[_nfkc], validators=[
        DataRequired("番地を入力してください。"), Length(max=50, message="50文字以内で入力してください。")])
    building = StringField("建物", filters=[_nfkc], validators=[
        Optional(), Length(max=50, message="50文字以内で入力してください。")])
    tel = StringField("TEL", filters=[_digits], validators=[DataRequired("TELを入力してください。")])
    mobile = StringField("携帯電話番号", filters=[_digits])
    email = EmailField("メールアドレス", filters=[_nfkc], validators=[
        DataRequired("メールアドレスを入力してください。"),
        Email("メールアドレスの形式が正しくありません。"),
        Length(max=254, message="254文字以内で入力してください。")])

    def __init__(self, *args, settings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.mobile_visible = settings.mobile_visible if settings else True
        self.mobile_required = bool(settings and settings.mobile_visible
                                    and settings.mobile_required)

    def validate_buyer_kana(self, field):
        if field.data and not KATAKANA.match(field.data):
            raise ValidationError("全角カタカナで入力してください。")

    def validate_zip_code(self, field):
        if field.data and not re.fullmatch(r"[0-9]{7}", field.data):
            raise ValidationError("郵便番号は7桁の数字で入力してください（例：150-0001）。")

    def validate_tel(self, field):
        if field.data and not TEL.match(field.data):
            raise ValidationError("電話番号は0から始まる10〜11桁の数字で入力してください。")

    def validate_mobile(self, field):
        if not self.mobile_visible:
            field.data = ""
            return
        if not field.data:
            if self.mobile_required:
                raise ValidationError("携帯電話番号を入力してください。")
            return
        if not MOBILE.match(field.data):
            raise ValidationError("携帯電話番号は070・080・090から始まる11桁で入力してください。")

    def buyer(self) -> dict:
        data = {name: getattr(self, name).data or "" for name in BUYER_FIELDS}
        data["zip_code"] = f"{data['zip_code'][:3]}-{data['zip_code'][3:]}"
        data["email"] = data["email"].lower()
        return data


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ChoiceForm(JapaneseForm):
    """配送方法 and お支払い方法 (K2, K3). Choices are filled in by the view."""
    delivery_method = RadioField("配送方法", coerce=_int_or_none, validate_choice=False,
                                 validators=[DataRequired("配送方法を選択してください。")])
    payment_method = RadioField("お支払い方法", coerce=_int_or_none, validate_choice=False,
                                validators=[DataRequired("お支払い方法を選択してください。")])


class ZeroStepForm(BuyerForm, ChoiceForm):
    """The zero-step cart's single page: buyer, delivery and payment at once."""
