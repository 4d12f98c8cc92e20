"""Form fields shared by every form, with messages in Japanese."""
import unicodedata

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import IntegerField, SelectMultipleField
from wtforms.validators import StopValidation
from wtforms.widgets import (CheckboxInput, EmailInput, HiddenInput, ListWidget, SearchInput,
                             TelInput, TextInput, URLInput)


def stripped(value):
    """Filter: what was typed, without the spaces and line breaks around it."""
    return value.strip() if value else value


class JapaneseForm(FlaskForm):
    """The base of every form: WTForms' own messages (a choice no page offers, a value that
    cannot be converted) come in Japanese too, not only the ones written here."""

    class Meta:
        locales = ("ja",)

        def render_field(self, field, render_kw):
            """A text box renders as WTForms renders it (the same HTML, tested), with its
            attributes written in one pass: the storefront's forms have a dozen of them a
            page, and WTForms' own attribute writer is most of what rendering them costs."""
            widget = field.widget
            if type(widget) not in _PLAIN_INPUTS:
                return super().render_field(field, render_kw)
            kwargs = dict(field.render_kw or {}, **render_kw)
            kwargs.setdefault("id", field.id)
            kwargs.setdefault("type", widget.input_type)
            if "value" not in kwargs:
                kwargs["value"] = field._value()
            datalist = getattr(field, "_datalist", None)
            if datalist is not None and "list" not in kwargs:
                kwargs["list"] = datalist if isinstance(datalist, str) else datalist.id
            flags = vars(field.flags)  # the flags set (dir() in WTForms)
            for key in widget.validation_attrs:
                if key not in kwargs and key in flags:
                    value = flags[key]
                    kwargs[key] = value() if callable(value) else value
            return Markup(f"<input {html_params(name=field.name, **kwargs)}>")


#: the widgets JapaneseForm renders itself: an <input> and nothing else (no checked state,
#: no hidden value)
_PLAIN_INPUTS = frozenset({TextInput, EmailInput, TelInput, SearchInput, URLInput, HiddenInput})


def html_params(**kwargs) -> Markup:
    """``wtforms.widgets.html_params``, the same output, without a string formatter per
    attribute: attributes sorted by name, ``class_`` → ``class``, ``data_x``/``aria_x`` →
    ``data-x``/``aria-x``, True → the bare name, False → left out, values escaped."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = key.rstrip("_")
        if key.startswith(("data_", "aria_")):
            key = key.replace("_", "-")
        if value is True:
            params.append(key)
        elif value is not False:
            params.append(f'{key}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))


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
