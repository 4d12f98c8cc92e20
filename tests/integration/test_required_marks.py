"""必須 beside every field the shopper must fill in, and nowhere else (issue 18)."""
import re

from cart.extensions import db
from cart.models import ShopSettings

from .checkout_helpers import BUYER, add_to_cart, shop, token

MARK = '<span class="badge badge-warn required-mark">必須</span>'


def _marked(html: str) -> set[str]:
    """The labels (and legends) followed by the 必須 mark."""
    labels = re.findall(r'<label class="label" for="[^"]+">([^<]+)</label>' + re.escape(MARK), html)
    legends = re.findall(r"<legend>([^<]+?) " + re.escape(MARK) + "</legend>", html)
    return set(labels) | set(legends)


def test_the_one_page_form_marks_what_it_requires(client, shops):
    add_to_cart(client)
    page = client.get("/s/demo/cart").get_data(as_text=True)
    marked = _marked(page)
    assert {"氏名", "氏名(フリガナ)", "郵便番号", "都道府県", "市区町村", "番地", "TEL",
            "メールアドレス", "配送方法", "お支払い方法"} <= marked
    assert "建物" not in marked


def test_the_mobile_number_is_marked_only_when_the_shop_requires_it(client, shops):
    add_to_cart(client)
    settings = db.session.query(ShopSettings).filter_by(shop_id=shop().id).one()
    settings.mobile_visible, settings.mobile_required = True, False
    db.session.commit()
    assert "携帯電話番号" not in _marked(client.get("/s/demo/cart").get_data(as_text=True))
    settings.mobile_required = True
    db.session.commit()
    assert "携帯電話番号" in _marked(client.get("/s/demo/cart").get_data(as_text=True))


def test_a_missing_choice_is_said_next_to_it_in_the_error_style(client, shops):
    add_to_cart(client)
    data = {"csrf_token": token(client, "/s/demo/cart"), **BUYER, "confirm": "1"}
    page = client.post("/s/demo/cart", data=data).get_data(as_text=True)
    assert "赤字の項目をご確認ください" in page
    for block in ("delivery", "payment"):
        fieldset = re.search(rf'<fieldset class="panel has-error" id="{block}">(.*?)</fieldset>',
                             page, re.S)
        assert fieldset, block
        assert '<p class="error" role="alert">' in fieldset.group(1)
