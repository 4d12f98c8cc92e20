"""Every admin URL that names a row, asked for by another shop's staff: 404, never data; with
the other shop's row a Paidy order, then a card order (its 売上, 取消 and 金額変更 URLs too)
and its card method, then a コンビニ order (its numbers kept for the buyer), while the shop's own
card, コンビニ, ATM and 銀行ネット settings show nothing of the other's. The same for 会員管理, and for
every 会員 page (マイページ, 購入履歴, お届け先, パスワード再設定) asked for by a member of another
shop with the other shop's rows, 定期購入 (its admin pages, its 一括オーソリ run, マイページ's
定期購入 and 登録カード) included."""
import re
from datetime import date

import pytest
from sqlalchemy import select

from cart.extensions import db
from cart.members import reset
from cart.models import (BulkRun, CardSettings, DeferredPayment, DeferredSettings,
                         DeliveryMethod, Member, MemberAddress, Order, OutboxMail, Payment,
                         FilePaymentRun, PaymentMethod, PaymentNotice, Product, ProductImage,
                         Staff, StoredCard, Subscription, SubscriptionItem)

from ..conftest import csrf_token
from .checkout_helpers import setup_shops, shop

# Which row each URL parameter names.
PARAMS = {"order_id": Order, "product_id": Product, "delivery_id": DeliveryMethod,
          "method_id": PaymentMethod, "mail_id": OutboxMail, "run_id": BulkRun,
          "notice_id": PaymentNotice, "staff_id": Staff, "member_id": Member,
          "sub_id": Subscription, "file_run_id": FilePaymentRun, "card_id": StoredCard,
          "image_id": ProductImage}


SECRET_MERCHANT_NAME = "SecretShop3"


NAMES = {"paidy": "あと払い(ペイディ)", "card": "ペイジェント(クレジット決済)",
         "conveni": "コンビニ決済"}


@pytest.fixture(params=["paidy", "card", "conveni"])
def victim(request, app, sandbox):
    """Shop demo3's rows: one of each kind an admin URL can name; its order paid with the
    parameter's method (at オーソリOK), and its method that one."""
    setup_shops(app, sandbox)
    demo3 = shop("demo3")
    from .test_order_list import make_order
    kind = request.param
    order = make_order(demo3.id, 77, buyer_name="秘密 花子", payment_kind=kind,
                       payment_name=NAMES[kind])
    db.session.add(Payment(shop_id=demo3.id, order_id=order.id, method=kind,
                           reference="pay_secret" if kind == "paidy" else None,
                           paygent_payment_id="300000777",
                           status="10" if kind == "conveni" else "20", amount=1000))
    if kind == "conveni":
        order.status = "awaiting_payment"
        db.session.add(DeferredPayment(shop_id=demo3.id, order_id=order.id, method=kind,
                                       key="secret-key-of-demo3", stage="applied",
                                       lines='[["お客様番号", "秘密の番号"]]'))
    for code in ("conveni", "atm", "bank"):
        kept = db.session.scalar(select(DeferredSettings).where(
            DeferredSettings.shop_id == demo3.id, DeferredSettings.method == code))
        kept.shop_name, kept.shop_name_kana = SECRET_MERCHANT_NAME, "ヒミツ"
    settings = db.session.scalar(select(CardSettings).where(CardSettings.shop_id == demo3.id))
    if settings is None:
        settings = CardSettings(shop_id=demo3.id)
        db.session.add(settings)
    settings.merchant_name = SECRET_MERCHANT_NAME
    db.session.add(OutboxMail(shop_id=demo3.id, to_addr="x@example.com", subject="秘密の件名",
                              body="秘密"))
    staff3 = db.session.scalar(select(Staff).where(Staff.email == "staff3@example.com"))
    db.session.add(BulkRun(shop_id=demo3.id, token="t", staff_id=staff3.id, total=0,
                           status="done"))
    db.session.add(PaymentNotice(shop_id=demo3.id, payment_notice_id="1", trading_id="秘密",
                                 fields='{"trading_id": "秘密"}', outcome="unmatched"))
    secret_member = Member(shop_id=demo3.id, email="hanako@example.com", password_hash="x",
                           name="秘密 会員", kana="ヒミツ カイイン", zip_code="150-0001",
                           prefecture="東京都", city="秘密区", street="1", tel="0312345678")
    db.session.add(secret_member)
    db.session.flush()
    order.member_id = secret_member.id
    address = MemberAddress(shop_id=demo3.id, member_id=secret_member.id, name="秘密 宛先",
                            kana="ヒミツ", zip_code="150-0001", prefecture="東京都",
                            city="秘密区", street="2", tel="0312345678")
    db.session.add(address)
    card = StoredCard(shop_id=demo3.id, member_id=secret_member.id, customer_card_id="77",
                      masked="************7777", expiry="12/30")
    db.session.add(card)
    db.session.flush()
    sub = Subscription(shop_id=demo3.id, member_id=secret_member.id, cycle="1m", anchor_day=1,
                       next_date=date(2030, 1, 1), stored_card_id=card.id,
                       buyer_name="秘密 会員", buyer_kana="ヒミツ", zip_code="150-0001",
                       prefecture="東京都", city="秘密区", street="1", tel="0312345678",
                       email="hanako@example.com")
    sub.items.append(SubscriptionItem(shop_id=demo3.id, code="secret", name="秘密の定期便",
                                      unit_price=1000, quantity=1, tax_rate=8))
    db.session.add(sub)
    db.session.add(FilePaymentRun(shop_id=demo3.id, due_date=date(2030, 1, 1), mode="manual",
                                  file_name="auth_demo3.csv", request_file="秘密".encode("cp932"),
                                  records=1, amount=1000))
    db.session.commit()
    ids = {"address_id": address.id, "token": reset.make_token(secret_member),
           "action": "stop"}
    for param, model in PARAMS.items():
        ids[param] = db.session.scalar(select(model.id).where(model.shop_id == demo3.id))
    ids["order_id"] = order.id
    ids["method_id"] = db.session.scalar(select(PaymentMethod.id).where(
        PaymentMethod.shop_id == demo3.id, PaymentMethod.kind == kind))
    ids["kind"] = kind
    ids["size"] = "thumb"  # 商品画像's size (the image is demo3's, seeded)
    return ids


def _admin_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin") and set(rule.arguments) & set(PARAMS):
            yield rule


def test_every_admin_url_naming_a_row_is_404_for_another_shop(app, client, victim):
    page = client.get("/admin/login").get_data(as_text=True)
    client.post("/admin/login", data={"csrf_token": csrf_token(page),
                                      "email": "owner@example.com", "password": "demo1234"})
    token = csrf_token(client.get("/admin/").get_data(as_text=True))
    checked, crawled = 0, set()
    for rule in _admin_rules(app):
        url = rule.rule
        for arg in rule.arguments:
            url = re.sub(rf"<(?:int:)?{arg}>", str(victim[arg]), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token, "state": "x",
                                                   "version": "1", "mode": "full"})
            body = response.get_data(as_text=True)
            assert response.status_code == 404, (method, url, response.status_code)
            assert "秘密" not in body and SECRET_MERCHANT_NAME not in body
            assert "ヒミツ" not in body
            checked += 1
            crawled.add(rule.rule)
    assert checked >= 15  # the crawl really walked the admin
    assert {"/admin/orders/<int:order_id>", "/admin/orders/<int:order_id>/capture",
            "/admin/orders/<int:order_id>/cancel-payment",
            "/admin/orders/<int:order_id>/change-amount", "/admin/members/<int:member_id>",
            "/admin/members/<int:member_id>/disable", "/admin/subscriptions/<int:sub_id>",
            "/admin/subscriptions/<int:sub_id>/<action>",
            "/admin/subscriptions/runs/<int:file_run_id>/csv",
            "/admin/subscriptions/runs/<int:file_run_id>/result",
            "/admin/products/images/<int:image_id>/<size>",
            "/admin/products/<int:product_id>/images/<int:image_id>/delete"} <= crawled
    # the shop's own card settings, and their 確認画面: nothing of the other shop's
    for url in ("/admin/payment-methods/card", "/admin/payment-methods/card/confirm",
                "/admin/payment-methods/conveni", "/admin/payment-methods/atm",
                "/admin/payment-methods/bank", "/admin/payment-methods/bank/confirm"):
        response = client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        assert SECRET_MERCHANT_NAME not in response.get_data(as_text=True)
    assert "加盟店名" in client.get("/admin/payment-methods/card").get_data(as_text=True)


MEMBER_PARAMS = {"order_id", "address_id", "token", "sub_id", "card_id", "action"}


def test_every_member_page_naming_a_row_is_404_for_a_member_of_another_shop(app, victim):
    """Signed in at demo, with the address demo3's member registered with; demo3's order (its
    member's own), お届け先 and reset link: 404 at demo, never data, nothing changed."""
    from .test_members import MEMBER, register
    browser = app.test_client()
    assert register(browser, "demo").status_code == 302
    token = csrf_token(browser.get("/s/demo/member/orders").get_data(as_text=True))
    crawled = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/s/<shop_code>/member") or \
                not set(rule.arguments) & MEMBER_PARAMS:
            continue
        url = rule.rule.replace("<shop_code>", "demo")
        for arg in set(rule.arguments) & MEMBER_PARAMS:
            url = re.sub(rf"<(?:int:)?{arg}>", str(victim[arg]), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = browser.get(url)
            else:
                response = browser.post(url, data={
                    "csrf_token": token, **MEMBER, "new_password": "taken-over-1",
                    "new_password_confirm": "taken-over-1"})
            body = response.get_data(as_text=True)
            assert response.status_code == 404, (method, url, response.status_code)
            assert "秘密" not in body and "ヒミツ" not in body
            crawled.add((method, rule.rule))
    assert {("GET", "/s/<shop_code>/member/orders/<int:order_id>"),
            ("POST", "/s/<shop_code>/member/addresses/<int:address_id>/edit"),
            ("POST", "/s/<shop_code>/member/addresses/<int:address_id>/delete"),
            ("POST", "/s/<shop_code>/member/password/reset/<token>"),
            ("GET", "/s/<shop_code>/member/subscriptions/<int:sub_id>"),
            ("POST", "/s/<shop_code>/member/subscriptions/<int:sub_id>/<action>"),
            ("POST", "/s/<shop_code>/member/cards/<int:card_id>/delete")} <= crawled
    db.session.expire_all()
    address = db.session.get(MemberAddress, victim["address_id"])
    assert address is not None and address.name == "秘密 宛先"
    assert db.session.get(Member, address.member_id).password_hash == "x"
    assert db.session.get(Subscription, victim["sub_id"]).status == "active"
    assert db.session.get(StoredCard, victim["card_id"]).deleted_at is None
    # and 購入履歴 at demo lists nothing of demo3's member's orders
    assert "order00077" not in browser.get("/s/demo/member/orders").get_data(as_text=True)
