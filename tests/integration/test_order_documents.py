"""帳票出力: 納品書 and 領収書 of one order (amounts as stored, tax per rate, the 宛名 typed
escaped), the 領収書 only once the payment is done, another shop's order 404."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from cart.extensions import db
from cart.models import Order, OrderItem, Payment

from .checkout_helpers import setup_shops, shop


def text(html: str, element_id: str) -> str:
    """The text of the element with this id, tags dropped and spaces collapsed."""
    start = html.index(f'id="{element_id}"')
    start = html.index(">", start) + 1
    tag = re.search(r"<(\w+)", html[html.rindex("<", 0, start):]).group(1)
    depth, i = 1, start
    for match in re.finditer(rf"<(/?){tag}\b[^>]*>", html[start:]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            i = start + match.start()
            break
    return " ".join(re.sub(r"<[^>]+>", " ", html[start:i]).split())


def make(shop_id, number, *, payment=None, **values) -> Order:
    data = dict(shop_id=shop_id, number=number, status="new", cart_type="zero",
                buyer_name="山田 太郎", buyer_kana="ヤマダ タロウ", zip_code="150-0001",
                prefecture="東京都", city="渋谷区神宮前", street="1-2-3", building="サンプルビル101",
                tel="0312345678", email="taro@example.com", delivery_name="宅配便",
                payment_kind="paidy", payment_name="あと払い(ペイディ)",
                # 静岡煎茶 1,080 × 2 (8%), 湯呑み 3,300 × 1 (10%), 送料 800, 金額調整 −300 (10%)
                items_total=5460, shipping_fee=800, adjust_label="クーポン", adjust10=-300,
                target10=3800, tax10=345, target8=2160, tax8=160, total=5960,
                placed_at=datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc))
    data.update(values)
    order = Order(**data)
    db.session.add(order)
    db.session.flush()
    db.session.add_all([
        OrderItem(shop_id=shop_id, order_id=order.id, code="tea-001", name="静岡煎茶 深蒸し 100g",
                  unit_price=1080, quantity=2, tax_rate=8, subtotal=2160),
        OrderItem(shop_id=shop_id, order_id=order.id, code="cup-001", name="有田焼 湯呑み",
                  unit_price=3300, quantity=1, tax_rate=10, subtotal=3300)])
    if payment:
        now = datetime.now(timezone.utc)
        status, amount = payment
        db.session.add(Payment(shop_id=shop_id, order_id=order.id, method=data["payment_kind"],
                               paygent_payment_id="200000001", status=status, amount=amount,
                               authorized_at=now - timedelta(days=2),
                               captured_at=now - timedelta(days=1) if status == "40" else None))
    db.session.flush()
    return order


@pytest.fixture
def orders(app, sandbox, client, login_as):
    setup_shops(app, sandbox)
    demo = shop().id
    made = {
        "captured": make(demo, "order20001", payment=("40", 5960)),
        "authorised": make(demo, "order20002", payment=("20", 5960)),
        "refunded_part": make(demo, "order20003", payment=("40", 5000)),
        "cancelled": make(demo, "order20004", status="cancelled", payment=("32", 5960)),
        "bank_new": make(demo, "order20005", payment_kind="bank_transfer",
                         payment_name="銀行振込"),
        "bank_done": make(demo, "order20006", status="completed",
                          payment_kind="bank_transfer", payment_name="銀行振込"),
        "card_waiting": make(demo, "order20007", status="pending_payment", payment_kind="card",
                             payment_name="クレジットカード決済"),
        "other_shop": make(shop("demo3").id, "order20001", payment=("40", 5960),
                           buyer_name="他店 太郎"),
    }
    db.session.commit()
    login_as("staff@example.com", "demo1234")
    return {name: order.id for name, order in made.items()}


def get(client, path, **args):
    response = client.get(path, query_string=args)
    return response.status_code, response.get_data(as_text=True)


def test_delivery_note(client, orders):
    status, page = get(client, f"/admin/orders/{orders['captured']}/delivery-note")
    assert status == 200
    assert "納品書" in page and text(page, "doc-number") == "order20001"
    assert "2026年11月20日" in page  # 注文日 (JST)
    assert text(page, "doc-to") == ("お届け先 〒150-0001 東京都渋谷区神宮前1-2-3 サンプルビル101 "
                                    "山田 太郎 様 TEL 0312345678")
    assert text(page, "doc-issuer") == "サンプル商会"
    assert text(page, "doc-lines") == (
        "No 商品名 単価 数量 税率 小計 "
        "1 静岡煎茶 深蒸し 100g tea-001 1,080円 2 8%※ 2,160円 "
        "2 有田焼 湯呑み cup-001 3,300円 1 10% 3,300円")
    assert text(page, "doc-totals") == ("商品合計 5,460円 送料 800円 金額調整（クーポン） -300円 "
                                        "合計（税込） 5,960円")
    assert text(page, "doc-taxes") == "10%対象 3,800円 消費税 345円 8%対象 2,160円 消費税 160円"
    assert "※は軽減税率（8%）対象商品です。" in page
    assert "@media print" in open("static/css/documents.css", encoding="utf-8").read()
    assert "css/documents.css" in page and "data-print" in page


def test_receipt(client, orders):
    status, page = get(client, f"/admin/orders/{orders['captured']}/receipt")
    assert status == 200
    assert text(page, "receipt-to") == "山田 太郎 様"
    assert text(page, "receipt-amount") == "¥5,960- （税込）"
    assert text(page, "receipt-note") == "但し お品代として、上記正に領収いたしました。"
    assert text(page, "doc-taxes") == "10%対象 3,800円 消費税 345円 8%対象 2,160円 消費税 160円"
    assert text(page, "doc-issuer") == "サンプル商会"
    today = datetime.now(timezone(timedelta(hours=9))).date()
    assert text(page, "doc-issued") == f"{today.year}年{today.month}月{today.day}日"
    assert "登録番号" not in page  # the shop settings hold none
    assert "owner@example.com" not in page  # the shop's own inbox is not printed


def test_receipt_takes_the_typed_addressee_and_note_escaped(client, orders):
    status, page = get(client, f"/admin/orders/{orders['captured']}/receipt",
                       name='<script>alert("x")</script>株式会社サンプル', honorific="御中",
                       note="お茶代 & <b>器</b>")
    assert status == 200
    assert "<script>alert" not in page and "<b>器</b>" not in page
    assert ("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;株式会社サンプル</span> 御中"
            in page)
    assert text(page, "receipt-note") == "但し お茶代 &amp; &lt;b&gt;器&lt;/b&gt;として、上記正に領収いたしました。"
    # what was typed stays in the boxes
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;株式会社サンプル"' in page


def test_receipt_refuses_bad_input_with_a_message_and_keeps_it(client, orders):
    status, page = get(client, f"/admin/orders/{orders['captured']}/receipt",
                       name="長" * 101, honorific="殿", note="x" * 51)
    assert status == 200
    assert "100文字以内で入力してください。" in page and "50文字以内で入力してください。" in page
    assert "敬称は一覧から選択してください。" in page
    assert text(page, "receipt-to") == "山田 太郎 様"  # the defaults until it is corrected
    assert text(page, "receipt-note") == "但し お品代として、上記正に領収いたしました。"
    assert 'value="' + "長" * 101 + '"' in page


@pytest.mark.parametrize("name, why", [
    ("authorised", "決済状況が「オーソリOK」のため、領収書を発行できません。"),
    ("refunded_part", "受注額（5,960円）とペイジェントでの決済額（5,000円）が異なるため"),
    ("cancelled", "この受注はキャンセルのため、領収書を発行できません。"),
    ("bank_new", "銀行振込の受注は、入金をご確認のうえ受注完了一覧へ移動すると領収書を発行できます。"),
    ("card_waiting", "決済が完了していないため、領収書を発行できません。"),
])
def test_receipt_refused_until_the_payment_is_done(client, orders, name, why):
    status, page = get(client, f"/admin/orders/{orders[name]}/receipt")
    assert status == 409
    assert why in text(page, "receipt-refused")
    assert 'id="receipt"' not in page and "data-print" not in page
    status, detail = get(client, f"/admin/orders/{orders[name]}")
    assert why in text(detail, "receipt-unavailable")
    assert f'href="/admin/orders/{orders[name]}/receipt"' not in detail
    assert f'href="/admin/orders/{orders[name]}/delivery-note"' in detail


def test_the_order_page_offers_both_once_paid(client, orders):
    for name in ("captured", "bank_done"):
        status, detail = get(client, f"/admin/orders/{orders[name]}")
        links = text(detail, "document-links")
        assert links == "帳票出力 : 納品書 領収書"
        assert f'href="/admin/orders/{orders[name]}/receipt"' in detail
        assert get(client, f"/admin/orders/{orders[name]}/receipt")[0] == 200


def test_in_flight_payment_gets_no_receipt(client, orders):
    payment = db.session.query(Payment).filter_by(order_id=orders["captured"]).one()
    payment.in_flight_attempt_id = 999
    db.session.commit()
    status, page = get(client, f"/admin/orders/{orders['captured']}/receipt")
    assert status == 409 and "処理の結果を確認中のため" in page


def test_another_shops_order_is_404(client, orders):
    for path in ("delivery-note", "receipt"):
        assert client.get(f"/admin/orders/{orders['other_shop']}/{path}").status_code == 404
        assert client.get(f"/admin/orders/999999/{path}").status_code == 404
        assert client.get(f"/admin/orders/99999999999/{path}").status_code == 404
