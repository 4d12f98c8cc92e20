"""Our forms write their text boxes' attributes themselves (JapaneseForm.Meta.render_field):
the page must get exactly what WTForms' own widgets render, whatever the value, the
attributes the template passes, the validators' flags and the errors of a re-render."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import EmailField, HiddenField, SearchField, StringField, TelField, URLField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional
from wtforms.widgets import html_params as wtforms_html_params

from cart import create_app
from cart.checkout.forms import BuyerForm
from cart.fields import JapaneseForm, html_params

TEXT = st.text(alphabet=st.sampled_from('aあ<>&"\' =/\\\n\t0'), max_size=12)
VALUES = st.one_of(TEXT, st.integers(-5, 5), st.booleans(),
                   TEXT.map(Markup), TEXT.map(lambda text: Markup(f'"{text}"')))
KEYS = st.sampled_from(["class_", "for_", "id", "name", "placeholder", "data_role",
                        "data_x_y", "aria_label", "aria_describedby", "required", "value",
                        "autocomplete", "inputmode", "maxlength", "type"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=8))
def test_the_attributes_are_written_as_wtforms_writes_them(kwargs):
    assert str(html_params(**kwargs)) == str(wtforms_html_params(**kwargs))


@pytest.fixture(scope="module")
def request_context():
    app = create_app(SECRET_KEY="test", SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.test_request_context():
        yield


class Boxes(JapaneseForm):
    name = StringField("お名前", validators=[InputRequired(), Length(max=20)])
    kana = StringField("フリガナ", validators=[Optional(), Length(min=2, max=40)],
                       render_kw={"placeholder": "ヤマダ", "class": "wide"})
    mail = EmailField("メールアドレス", validators=[DataRequired(), Email()])
    tel = TelField("電話番号", validators=[Length(max=13)])
    url = URLField("URL")
    word = SearchField("キーワード")
    token = HiddenField()


SUBMITTED = [{}, {"name": "", "mail": "not-an-address"},
             {"name": '山田 "太郎" <b>', "kana": "ヤ", "mail": "a@example.com", "tel": "0" * 20,
              "url": "https://example.com/?a=1&b=2", "word": "&amp;", "token": "x'y"}]


@pytest.mark.parametrize("posted", SUBMITTED)
@pytest.mark.parametrize("extra", [{}, {"placeholder": "例：<山田>", "autocomplete": "name"},
                                   {"required": False, "class_": "x", "data_kind": "a b"},
                                   {"value": "上書き", "id": "other"}])
def test_every_text_box_renders_as_its_wtforms_widget_does(request_context, posted, extra):
    form = Boxes(formdata=MultiDict(posted) if posted else None, meta={"csrf": False})
    if posted:
        form.validate()
    for field in form:
        expected = field.widget(field, **dict(field.render_kw or {}, **extra))
        assert str(field(**extra)) == str(expected), field.name


def test_the_buyer_form_renders_as_wtforms_does(request_context):
    """The storefront's own form, as its template calls it, with an error re-render."""
    form = BuyerForm(formdata=MultiDict({"buyer_name": "<山田>", "zip_code": "abc",
                                         "email": 'a"b'}), meta={"csrf": False})
    form.validate()
    rendered = 0
    for field in form:
        if field.type in ("StringField", "EmailField", "TelField", "HiddenField"):
            kwargs = {"placeholder": "山田 太郎", "autocomplete": "name"}
            assert str(field(**kwargs)) == str(field.widget(field, **kwargs)), field.name
            rendered += 1
    assert rendered >= 8
