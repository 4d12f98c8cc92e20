"""Form fields shared by every form, with messages in Japanese."""
import unicodedata

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget, TextInput


def stripped(value):
    """Filter: what was typed, without the spaces and line breaks around it."""
    return value.strip() if value else value


class JapaneseForm(FlaskForm):
    """The base of every form: WTForms' own messages (a choice no page offers, a value that
    cannot be converted) come in Japanese too, not only the ones written here."""

    class Meta:
        locales = ("ja",)


class WholeNumberField(IntegerField):
    """An integer typed by a person: full-width digits and thousands separators accepted.

    On bad input the raw text stays in the field so nothing the user typed is lost. Rendered
    as a text box (not type=number) so that the browser never swallows what was typed.
    """
    widget = TextInput()

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = unicodedata.normalize("NFKC", valuelist[0] or "").strip().replace(",", "")
        if text == "":
            self.data = None  # required-ness is the validators' business (InputRequired)
            return
        sign = text[0] == "-"
        digits = text[1:] if sign else text
        if not digits.isdigit() or not digits.isascii() or len(digits) > 12:
            self.data = None
            raise ValueError("半角数字（整数）で入力してください。")
        self.data = -int(digits) if sign else int(digits)

    def pre_validate(self, form):
        if self.process_errors:  # one message is enough: skip range checks on non-numbers
            raise StopValidation()


class CheckboxListField(SelectMultipleField):
    """Several choices, each a checkbox; a value no page offers is refused in Japanese."""
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        offered = {value for value, _ in self.choices}
        if any(value not in offered for value in self.data or ()):
            raise StopValidation("選択肢が正しくありません。")
