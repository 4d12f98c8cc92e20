"""The 都道府県 select is rendered from a kept copy of its options: the page must get exactly
what WTForms' own select would render, for every chosen value, the error re-render included."""
import pytest
from wtforms.widgets import Select

from cart import create_app
from cart.checkout.forms import PREFECTURES, BuyerForm


@pytest.fixture(scope="module")
def request_context():
    app = create_app(SECRET_KEY="test", SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.test_request_context():
        yield


@pytest.mark.parametrize("value", [None, "", "東京都", "沖縄県", "<script>", "東京"])
def test_the_kept_options_render_as_wtforms_does(request_context, value):
    form = BuyerForm(data={"prefecture": value}, meta={"csrf": False})
    ours = str(form.prefecture(autocomplete="address-level1"))
    assert ours == str(Select()(form.prefecture, autocomplete="address-level1"))
    assert ours.count("<option") == len(PREFECTURES) + 1
    assert ours.count(" selected") == (1 if value in ["", *PREFECTURES] else 0)
