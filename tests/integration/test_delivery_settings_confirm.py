"""宅配便・送料設定 goes 「確認画面へ」 → 確認画面 → 「設定する」; 「戻る」 keeps the draft; a pairing the
payment method refuses (あと払い(ペイディ) with 送料別途連絡) is refused with the method's reason
next to 対応可能な支払方法, nothing stored — the same rule checkout asks."""
import json
import re
from html import unescape

from sqlalchemy import func, select

from cart.extensions import db
from cart.methods.paidy import FEE_UNDETERMINED_MESSAGE
from cart.models import DeliveryMethod, SettingsDraft

from ..conftest import csrf_token
from .checkout_helpers import delivery, method

NEW = "/admin/settings/deliveries/new"


def _submit(client, path, data):
    page = client.get(path).get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_token(page), **data})


def _draft(response) -> str:
    return re.search(r"draft=([\w-]+)", response.headers["Location"]).group(1)


def _save(client, token):
    page = client.get(NEW).get_data(as_text=True)
    return client.post("/admin/settings/deliveries/save",
                       data={"csrf_token": csrf_token(page), "draft": token})


def _field_errors(page: str) -> str:
    """The text next to 対応可能な支払方法 (the field's own error lines)."""
    return unescape(re.sub(r"<[^>]+>", " ", page))


def _checked(page: str, name: str, value=None) -> bool:
    """Whether the box ``name`` (of ``value``) is ticked on the page."""
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag and (value is None or f'value="{value}"' in tag):
            return " checked" in tag
    raise AssertionError(f"no box {name} {value}")


def _pairs(delivery_id: int) -> list[str]:
    db.session.expire_all()
    return sorted(m.kind for m in db.session.get(DeliveryMethod, delivery_id).payment_methods)


def test_a_new_delivery_is_saved_only_by_setsu_tei_suru(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    count = db.session.scalar(select(func.count()).select_from(DeliveryMethod))
    response = _submit(client, NEW, {"name": "メール便", "fee": "180", "active": "y",
                                     "payment_methods": [str(method("bank_transfer").id)]})
    assert response.status_code == 302 and "/admin/settings/deliveries/confirm" in \
        response.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(DeliveryMethod)) == count
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "宅配便の追加 確認" in page and "メール便" in page and "180円" in page
    assert "銀行振込" in page and "設定する" in page and "戻る" in page
    assert db.session.scalar(select(func.count()).select_from(DeliveryMethod)) == count

    saved = _save(client, _draft(response))
    assert saved.status_code == 302 and saved.headers["Location"].endswith(
        "/admin/settings/deliveries")
    added = db.session.scalar(select(DeliveryMethod).where(DeliveryMethod.name == "メール便"))
    assert added.fee == 180 and added.active and _pairs(added.id) == ["bank_transfer"]
    assert "宅配便「メール便」を保存しました。" in client.get(saved.headers["Location"]).get_data(
        as_text=True)
    # the draft is gone: posting it again saves nothing twice
    again = _save(client, _draft(response))
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(DeliveryMethod).where(
        DeliveryMethod.name == "メール便")) == 1


def test_back_from_the_confirmation_keeps_the_draft(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    courier = delivery()
    path = f"/admin/settings/deliveries/{courier.id}"
    response = _submit(client, path, {"name": "宅配便（冷蔵）", "fee": "1,200",
                                      "payment_methods": [str(method("cod").id)]})
    token = _draft(response)
    confirm = client.get(response.headers["Location"]).get_data(as_text=True)
    back = re.search(r'<a class="btn" href="([^"]+)">戻る</a>', confirm).group(1)
    assert unescape(back) == f"{path}?draft={token}"
    form = client.get(unescape(back)).get_data(as_text=True)
    assert 'value="宅配便（冷蔵）"' in form and 'value="1200"' in form
    assert _checked(form, "payment_methods", method("cod").id)
    assert not _checked(form, "payment_methods", method("paidy").id)
    assert not _checked(form, "active")  # 使用する was left unticked
    assert f'value="{token}"' in form
    db.session.expire_all()
    assert courier.name == "宅配便" and courier.fee == 800  # nothing saved yet
    # another delivery's form does not take this draft
    other = delivery("大型配送")
    assert 'value="宅配便（冷蔵）"' not in client.get(
        f"/admin/settings/deliveries/{other.id}?draft={token}").get_data(as_text=True)
    # changed again from the kept draft, then saved
    resubmitted = _submit(client, unescape(back), {
        "name": "宅配便（冷蔵）", "fee": "1300", "active": "y", "draft": token,
        "payment_methods": [str(method("cod").id)]})
    assert _draft(resubmitted) == token
    _save(client, token)
    db.session.expire_all()
    assert (courier.name, courier.fee, courier.active) == ("宅配便（冷蔵）", 1300, True)
    assert _pairs(courier.id) == ["cod"]


def test_paidy_with_a_fee_undetermined_delivery_is_refused_with_the_reason(
        client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    courier = delivery()
    before = _pairs(courier.id)
    drafts = db.session.scalar(select(func.count()).select_from(SettingsDraft))
    response = _submit(client, f"/admin/settings/deliveries/{courier.id}", {
        "name": "宅配便", "fee": "0", "fee_undetermined": "y", "active": "y",
        "payment_methods": [str(method("paidy").id), str(method("bank_transfer").id)]})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = _field_errors(page)
    assert f"「ペイジェント(あと払い(ペイディ))」: {FEE_UNDETERMINED_MESSAGE}" in text
    # next to the field: the error sits in 対応可能な支払方法's block, after its boxes
    block = page[page.index('name="payment_methods"'):]
    assert FEE_UNDETERMINED_MESSAGE in unescape(block[:block.index("</form>")])
    # what was typed is still there, nothing is stored, no draft is kept
    assert _checked(page, "fee_undetermined")
    assert _checked(page, "payment_methods", method("paidy").id)
    db.session.expire_all()
    assert not courier.fee_undetermined and courier.fee == 800 and _pairs(courier.id) == before
    assert db.session.scalar(select(func.count()).select_from(SettingsDraft)) == drafts
    # without ペイディ the same delivery is accepted
    ok = _submit(client, f"/admin/settings/deliveries/{courier.id}", {
        "name": "宅配便", "fee": "0", "fee_undetermined": "y", "active": "y",
        "payment_methods": [str(method("bank_transfer").id)]})
    assert ok.status_code == 302


def test_the_pairing_is_asked_again_when_saving(client, login_as, shops):
    """A draft checked while the delivery's fee was fixed, saved after a change to the rule's
    input (here the draft itself is turned into a refused pair): 「設定する」 refuses it too."""
    login_as("owner@example.com", "demo1234")
    courier = delivery()
    response = _submit(client, f"/admin/settings/deliveries/{courier.id}", {
        "name": "宅配便", "fee": "800", "active": "y",
        "payment_methods": [str(method("paidy").id)]})
    token = _draft(response)
    row = db.session.scalar(select(SettingsDraft).where(SettingsDraft.token == token))
    payload = json.loads(row.payload)
    payload.update(fee=0, fee_undetermined=True)
    row.payload = json.dumps(payload, ensure_ascii=False)
    db.session.commit()
    refused = _save(client, token)
    assert refused.status_code == 409
    assert FEE_UNDETERMINED_MESSAGE in _field_errors(refused.get_data(as_text=True))
    db.session.expire_all()
    assert not courier.fee_undetermined


def test_checkout_refuses_the_same_pair_by_the_same_rule(client, login_as, shops):
    """The rule the settings ask is the one checkout asks (the method module's
    ``delivery_problem``): the demo's 大型配送 (送料別途連絡) stored with ペイディ before the rule
    existed is refused at checkout with the same words."""
    from cart.checkout.orders import CheckoutError
    from cart.checkout.services import check_choice
    from cart.pricing import Line
    later = delivery("大型配送")
    assert later.fee_undetermined and "paidy" in _pairs(later.id)
    try:
        check_choice(later.shop_id, [Line(product_id=1, code="x", name="x", unit_price=1000, quantity=1,
                                          tax_rate=8)], later.id, method("paidy").id)
    except CheckoutError as refused:
        assert str(refused) == FEE_UNDETERMINED_MESSAGE
    else:
        raise AssertionError("checkout accepted ペイディ with 送料別途連絡")
    # the list says so beside the stored pair
    login_as("owner@example.com", "demo1234")
    listing = client.get("/admin/settings/deliveries").get_data(as_text=True)
    row = next(r for r in listing.split("<tr>") if "大型配送" in r)
    assert "○（利用不可）" in row and FEE_UNDETERMINED_MESSAGE in unescape(row)
