"""Checkout through the test client, paying with Paidy through the sandbox over real HTTP."""
import pytest
from sqlalchemy import select

from cart.extensions import db
from cart.models import OrderHistory, OutboxMail, Payment

from .checkout_helpers import (at_confirmation, BUYER, add_to_cart, authorize_at_paidy, delivery, fill_zero_step,
                               method, orders, paidy_result, paidy_start, product,
                               token)


def _paid_order(client, sandbox, **buyer):
    add_to_cart(client)
    assert at_confirmation(fill_zero_step(client, **buyer))
    start = paidy_start(client).get_json()
    paid = authorize_at_paidy(sandbox, start["payload"])
    return start, paid


# -- the happy paths ---------------------------------------------------------------------
def test_bank_transfer_order_is_accepted_with_mail_and_stock(client, shops):
    before = product().stock
    add_to_cart(client, quantity=2)
    response = fill_zero_step(client, kind="bank_transfer")
    assert at_confirmation(response)  # the answer is the confirmation page itself
    page = response.get_data(as_text=True)
    assert page == client.get("/s/demo/checkout/confirm").get_data(as_text=True)
    assert "注文する" in page and "2,960円" in page  # 1,080 × 2 + 800 shipping
    placed = client.post("/s/demo/checkout/confirm",
                         data={"csrf_token": token(client, "/s/demo/checkout/confirm")})
    assert placed.headers["Location"].endswith("/s/demo/checkout/complete")
    done = client.get("/s/demo/checkout/complete").get_data(as_text=True)
    assert "ご注文ありがとうございました！" in done and "order00001" in done
    assert "商品ページへ戻る" in done and 'id="conversion-tags"' in done
    [order] = orders()
    assert (order.status, order.payment_kind, order.total) == ("new", "bank_transfer", 2960)
    assert (order.target8, order.tax8, order.target10, order.tax10) == (2160, 160, 800, 72)
    assert product().stock == before - 2
    mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
    assert [m.to_addr for m in mails] == ["successful.payment@paidy.com", "owner@example.com"]
    assert mails[1].subject.startswith("【受注通知用コピーメール】")
    assert "order00001" in mails[0].body and "2,960円" in mails[0].body
    assert "サンプル銀行" in mails[0].body  # the bank's instructions


def test_paidy_payload_is_built_from_the_order(client, shops):
    add_to_cart(client, "tea-001", 2)
    add_to_cart(client, "cup-001", 1)
    fill_zero_step(client)
    start = paidy_start(client).get_json()
    payload = start["payload"]
    [order] = orders()
    assert order.status == "pending_payment" and start["order_number"] == order.number
    assert payload["amount"] == 1080 * 2 + 3300 + 800 == order.total
    assert payload["currency"] == "JPY"
    assert payload["order"]["order_ref"] == order.number
    assert payload["order"]["shipping"] == 800 and payload["order"]["tax"] == 0
    assert sorted((i["title"], i["quantity"], i["unit_price"]) for i in payload["order"]["items"]) \
        == [("有田焼 湯呑み", 1, 3300), ("静岡煎茶 深蒸し 100g", 2, 1080)]
    assert payload["buyer"] == {"email": "successful.payment@paidy.com", "name1": "山田 太郎",
                                "name2": "ヤマダ タロウ", "phone": "08000000001"}
    assert payload["shipping_address"] == {"line1": "サンプルビル101", "line2": "1-2-3",
                                           "city": "渋谷区神宮前", "state": "東京都",
                                           "zip": "150-0001"}
    assert product().stock == 500 - 2  # reserved before the modal opens


def test_phone_is_tel_when_no_mobile_is_given(client, shops):
    add_to_cart(client)
    fill_zero_step(client, mobile="")
    payload = paidy_start(client).get_json()["payload"]
    assert payload["buyer"]["phone"] == "0312345678"


def test_authorized_payment_is_verified_then_accepted(client, shops):
    start, paid = _paid_order(client, shops)
    result = paidy_result(client, start["order_number"], "authorized", paid["id"]).get_json()
    assert result["redirect"].endswith("/checkout/complete")
    [order] = orders()
    assert order.status == "new" and order.placed_at is not None
    payment = db.session.scalar(select(Payment))
    assert payment.reference == paid["id"] and payment.status == "20"
    assert payment.paygent_payment_id and payment.amount == order.total
    assert [t["telegram_kind"] for t in shops.telegrams()] == ["343"]
    texts = [h.text for h in db.session.scalars(select(OrderHistory))]
    assert any("オーソリOK" in t and payment.paygent_payment_id in t for t in texts)
    assert db.session.scalar(select(OutboxMail).where(
        OutboxMail.to_addr == "successful.payment@paidy.com")) is not None
    # a re-post of the same callback changes nothing and sends no second mail
    paidy_result(client, start["order_number"], "authorized", paid["id"])
    assert len(db.session.scalars(select(OutboxMail)).all()) == 2


# -- refusals ------------------------------------------------------------------------------
def test_amount_mismatch_is_refused_and_the_shop_alerted(client, shops):
    add_to_cart(client)
    fill_zero_step(client)
    start = paidy_start(client).get_json()
    tampered = dict(start["payload"], amount=1)
    tampered["order"] = dict(tampered["order"], items=[], shipping=0)
    paid = authorize_at_paidy(shops, tampered)
    answer = paidy_result(client, start["order_number"], "authorized", paid["id"]).get_json()
    assert not answer["redirect"].endswith("/complete")
    [order] = orders()
    assert order.status == "pending_payment" and order.needs_review
    assert db.session.scalar(select(Payment)) is None
    texts = [h.text for h in db.session.scalars(select(OrderHistory))]
    assert any("一致しません" in t for t in texts)
    alert = db.session.scalar(select(OutboxMail).where(OutboxMail.to_addr == "owner@example.com"))
    assert "要確認" in alert.subject
    page = client.get(answer["redirect"]).get_data(as_text=True)
    assert "お支払い情報を確認できなかった" in page


def test_a_pay_id_unknown_to_paygent_is_refused(client, shops):
    add_to_cart(client)
    fill_zero_step(client)
    start = paidy_start(client).get_json()
    paidy_result(client, start["order_number"], "authorized", "pay_forged-123")
    assert orders()[0].status == "pending_payment"


def test_a_pay_id_of_another_order_cannot_be_reused(client, app, shops):
    start, paid = _paid_order(client, shops)
    paidy_result(client, start["order_number"], "authorized", paid["id"])
    other = app.test_client()
    add_to_cart(other)
    fill_zero_step(other)
    second = paidy_start(other).get_json()
    paidy_result(other, second["order_number"], "authorized", paid["id"])
    first, again = orders()
    assert first.status == "new" and again.status == "pending_payment" and again.needs_review
    assert len(db.session.scalars(select(Payment)).all()) == 1


def test_a_malformed_pay_id_is_refused_without_asking_paygent(client, shops):
    add_to_cart(client)
    fill_zero_step(client)
    start = paidy_start(client).get_json()
    paidy_result(client, start["order_number"], "authorized", "'; drop table orders;--")
    assert orders()[0].status == "pending_payment"
    assert shops.telegrams() == []


def test_another_shops_product_cannot_be_added(client, shops):
    foreign = product(shop_code="demo3")
    csrf = token(client, f"/s/demo/products/{product().id}")
    response = client.post("/s/demo/cart/add", data={"csrf_token": csrf,
                                                      "product_id": foreign.id})
    assert response.status_code == 404


def test_prices_come_from_the_catalogue_not_the_form(client, shops):
    add_to_cart(client)
    csrf = token(client, "/s/demo/cart")
    client.post("/s/demo/cart", data={"csrf_token": csrf, **BUYER, "confirm": "1",
                                      "price": "1", "total": "1",
                                      "delivery_method": delivery().id,
                                      "payment_method": method("paidy").id})
    assert paidy_start(client).get_json()["payload"]["amount"] == 1880


# -- rejected, closed, retried ------------------------------------------------------------
@pytest.mark.parametrize("status, words, history", [
    ("rejected", "今回のお支払いは承認されませんでした。恐れ入りますが、他の支払い方法をお選びください。",
     "ペイディでのお支払いが承認されませんでした（購入者には他のお支払い方法をご案内しました）"),
    ("closed", "ペイディでのお支払いが中断されました",
     "購入者がペイディの決済画面を閉じ、お支払いを中断しました"),
])
def test_back_to_the_payment_choice_with_input_kept(client, shops, status, words, history):
    add_to_cart(client)
    fill_zero_step(client)
    start = paidy_start(client).get_json()
    answer = paidy_result(client, start["order_number"], status).get_json()
    assert answer["redirect"].endswith("/s/demo/cart#payment")
    page = client.get("/s/demo/cart").get_data(as_text=True)
    assert words in page and 'value="山田 太郎"' in page and "静岡煎茶" in page
    assert f'name="payment_method" value="{method("paidy").id}"' in page
    # the shop sees in 変更履歴 why the order stays 決済処理中
    [order] = orders()
    assert order.status == "pending_payment"
    assert f"注文番号 : {order.number} {history}（注文は決済処理中のままです）" in [
        h.text for h in order.history]


def test_retry_reuses_the_pending_order_and_never_duplicates(client, shops):
    add_to_cart(client)
    fill_zero_step(client)
    first = paidy_start(client).get_json()
    paidy_result(client, first["order_number"], "closed")
    second = paidy_start(client).get_json()
    assert second["order_number"] == first["order_number"]
    paidy_result(client, second["order_number"], "rejected")
    fill_zero_step(client, kind="bank_transfer")
    client.post("/s/demo/checkout/confirm",
                data={"csrf_token": token(client, "/s/demo/checkout/confirm")})
    [order] = orders()
    assert order.number == first["order_number"] and order.status == "new"
    assert order.payment_kind == "bank_transfer"
    assert product().stock == 499  # reserved once, not three times


def test_changed_cart_rebuilds_the_pending_order_and_its_stock(client, shops):
    add_to_cart(client)
    fill_zero_step(client)
    first = paidy_start(client).get_json()
    paidy_result(client, first["order_number"], "closed")
    add_to_cart(client, "cup-001", 2)
    fill_zero_step(client)
    second = paidy_start(client).get_json()
    [order] = orders()
    assert second["order_number"] == first["order_number"]
    assert order.total == 1080 + 3300 * 2 + 800 == second["payload"]["amount"]
    assert product().stock == 499 and product("cup-001").stock == 118


def test_not_enough_stock_is_explained_and_nothing_reserved(client, shops):
    add_to_cart(client, "cup-001", 10)
    fill_zero_step(client)
    csrf = token(client, "/s/demo/checkout/confirm")
    product("cup-001").stock = 5  # sold meanwhile, while the confirmation page was open
    db.session.commit()
    answer = client.post("/s/demo/checkout/paidy/start", json={}, headers={"X-CSRFToken": csrf})
    assert answer.status_code == 409 and "在庫が不足しています" in answer.get_json()["error"]
    assert orders() == [] and product("cup-001").stock == 5
    # the confirmation page, opened again, sends the shopper back to the cart, which says why
    back = client.get("/s/demo/checkout/confirm")
    assert back.status_code == 302 and back.headers["Location"].endswith("/s/demo/cart#cart")
    page = client.get("/s/demo/cart").get_data(as_text=True)
    assert "「有田焼 湯呑み」の在庫が不足しています（残り5点）。数量を変更してください。" in page


# -- choices and their rules --------------------------------------------------------------
def test_paidy_with_an_undetermined_fee_is_refused_at_the_field(client, shops):
    add_to_cart(client)
    page = fill_zero_step(client, delivery_name="大型配送").get_data(as_text=True)
    assert "送料が確定していない配送方法（送料別途連絡）では、あと払い(ペイディ)はご利用いただけません。" \
        in page
    assert 'value="山田 太郎"' in page


def test_paidy_is_not_offered_outside_its_conditions(client, shops):
    method("paidy").hide_from = 1000
    db.session.commit()
    add_to_cart(client)  # 1,080 yen of products
    page = client.get("/s/demo/cart").get_data(as_text=True)
    assert 'alt="あと払い(ペイディ)"' not in page and "銀行振込" in page
    assert f'name="payment_method" value="{method("paidy").id}"' not in page
    page = fill_zero_step(client).get_data(as_text=True)
    assert "お支払い方法を選択してください。" in page


def test_method_not_paired_with_the_delivery_is_refused(client, shops):
    add_to_cart(client)
    page = fill_zero_step(client, kind="cod", delivery_name="大型配送").get_data(as_text=True)
    assert "選択された配送方法では、このお支払い方法はご利用いただけません。" in page


@pytest.mark.parametrize("field, value, message", [
    ("buyer_name", "", "氏名を入力してください。"),
    ("buyer_kana", "Yamada", "全角カタカナで入力してください。"),
    ("zip_code", "15000", "郵便番号は7桁の数字で入力してください"),
    ("tel", "12345", "電話番号は0から始まる10〜11桁の数字で入力してください。"),
    ("mobile", "0312345678", "携帯電話番号は070・080・090から始まる11桁で入力してください。"),
    ("email", "not-an-email", "メールアドレスの形式が正しくありません。"),
])
def test_buyer_field_errors_are_next_to_the_field_and_input_kept(client, shops, field, value,
                                                                 message):
    add_to_cart(client)
    page = fill_zero_step(client, **{field: value}).get_data(as_text=True)
    assert message in page
    assert 'value="渋谷区神宮前"' in page
    assert orders() == []


def test_mobile_required_setting(client, shops):
    from cart.shop_settings import settings_for
    from .checkout_helpers import shop
    settings_for(shop().id).mobile_required = True
    db.session.commit()
    add_to_cart(client)
    page = fill_zero_step(client, mobile="").get_data(as_text=True)
    assert "携帯電話番号を入力してください。" in page


def test_three_step_cart(client, shops):
    add_to_cart(client, shop_code="demo3")
    cart = client.get("/s/demo3/cart").get_data(as_text=True)
    assert "注文手続きへ" in cart
    proceed = client.post("/s/demo3/cart", data={"csrf_token": token(client, "/s/demo3/cart"),
                                                 "proceed": "1"})
    assert proceed.headers["Location"].endswith("/s/demo3/checkout/step1")
    step1 = client.post("/s/demo3/checkout/step1", data={
        "csrf_token": token(client, "/s/demo3/checkout/step1"), **BUYER})
    assert step1.headers["Location"].endswith("/checkout/step2")
    step2 = client.post("/s/demo3/checkout/step2", data={
        "csrf_token": token(client, "/s/demo3/checkout/step2"),
        "delivery_method": delivery(shop_code="demo3").id,
        "payment_method": method("paidy", "demo3").id})
    assert at_confirmation(step2)
    confirm = step2.get_data(as_text=True)
    assert "注文する" in confirm and "ペイディで支払う" not in confirm
    start = paidy_start(client, "demo3").get_json()
    paid = authorize_at_paidy(shops, start["payload"], public_key="pk_test_demo_shop_0003")
    paidy_result(client, start["order_number"], "authorized", paid["id"], "demo3")
    [order] = orders("demo3")
    assert order.status == "new" and order.cart_type == "three"
    assert orders("demo") == []


def test_shops_number_their_orders_independently(client, app, shops):
    add_to_cart(client)
    fill_zero_step(client, kind="bank_transfer")
    client.post("/s/demo/checkout/confirm",
                data={"csrf_token": token(client, "/s/demo/checkout/confirm")})
    add_to_cart(client, shop_code="demo3")
    start = None
    client.post("/s/demo3/checkout/step1", data={
        "csrf_token": token(client, "/s/demo3/checkout/step1"), **BUYER})
    client.post("/s/demo3/checkout/step2", data={
        "csrf_token": token(client, "/s/demo3/checkout/step2"),
        "delivery_method": delivery(shop_code="demo3").id,
        "payment_method": method("paidy", "demo3").id})
    start = paidy_start(client, "demo3").get_json()
    assert orders()[0].number == "order00001" == start["order_number"]


def test_a_huge_paste_keeps_the_basket_and_what_fits_of_the_input(client, shops):
    """The session is a cookie: a browser drops one over ~4 KB, and the basket with it."""
    add_to_cart(client, quantity=2)
    pasted = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(5000))  # hardly compresses
    item = product()
    response = client.post("/s/demo/cart", data={
        "csrf_token": token(client, "/s/demo/cart"), **{name: pasted for name in BUYER},
        "city": "渋谷区神宮前", f"qty-{item.id}": "3"})  # 数量変更, not 注文確認
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert len(cookie) < 4000, len(cookie)
    page = client.get("/s/demo/cart").get_data(as_text=True)
    assert f'value="{pasted[:51]}"' in page     # what was typed, as far as it fits
    assert 'value="3"' in page and 'value="渋谷区神宮前"' in page
    confirm = fill_zero_step(client, buyer_name=pasted[:51]).get_data(as_text=True)
    assert "50文字以内で入力してください。" in confirm  # still too long: nothing cut silently
