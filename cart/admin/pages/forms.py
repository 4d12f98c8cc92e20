"""The forms of 特定商取引法に基づく表記 and プライバシーポリシー."""
import re
import unicodedata

from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from cart.fields import JapaneseForm
from cart.models.shop_pages import TOKUSHOHO_FIELDS

LABELS = {name: label for name, label, _ in TOKUSHOHO_FIELDS}
#: one-line items and their column's length; the others are free text
SHORT = {"seller": 200, "manager": 100, "address": 300, "phone": 30, "phone_hours": 200,
         "email": 254, "website": 300}
TEXT_LIMIT = 4000
PRIVACY_LIMIT = 20000


def text(value):
    """Filter: what was typed, line breaks as ``\\n``, without blanks around it."""
    if not value:
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def half_width(value):
    """Filter: full-width digits, letters and hyphens typed as they are meant (NFKC)."""
    return unicodedata.normalize("NFKC", value).strip() if value else value


def _phone(form, field):
    digits = re.sub(r"\D", "", field.data or "")
    if not re.fullmatch(r"[0-9()\- ]+", field.data or "") or not 10 <= len(digits) <= 11 \
            or not digits.startswith("0"):
        raise ValidationError("電話番号は市外局番から半角数字とハイフンで入力してください"
                              "（例：03-1234-5678）。")


def _required(name):
    return DataRequired(f"{LABELS[name]}を入力してください。")


def _length(limit):
    return Length(max=limit, message=f"{limit:,}文字以内で入力してください。")


def _field(name, required, *validators, filters=(text,)):
    kind = StringField if name in SHORT else TextAreaField
    checks = [_required(name) if required else Optional(),
              _length(SHORT.get(name, TEXT_LIMIT)), *validators]
    return kind(LABELS[name], filters=list(filters), validators=checks)


_EXTRA = {
    "phone": dict(validators=(_phone,), filters=(half_width,)),
    "email": dict(validators=(Email("メールアドレスの形式が正しくありません。"),),
                  filters=(half_width,)),
    "website": dict(validators=(Regexp(r"^https?://[^\s/?#]+[^\s]*\Z", message=(
        "http:// または https:// で始まるURLを入力してください。")),), filters=(half_width,)),
}


def _tokushoho_form():
    fields = {"draft": HiddenField()}
    for name, _, required in TOKUSHOHO_FIELDS:
        extra = _EXTRA.get(name, {})
        fields[name] = _field(name, required, *extra.get("validators", ()),
                              filters=extra.get("filters", (text,)))
    return type("TokushohoForm", (JapaneseForm,), fields)


TokushohoForm = _tokushoho_form()


class PrivacyForm(JapaneseForm):
    draft = HiddenField()
    privacy_policy = TextAreaField("プライバシーポリシー", filters=[text], validators=[
        DataRequired("プライバシーポリシーを入力してください。"), _length(PRIVACY_LIMIT)])
