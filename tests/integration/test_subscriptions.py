"""定期購入 end to end through the Flask test client and the sandbox over real HTTP: a member buys
a 定期購入 product with a new card (025 before the payment), the subscription starts, マイページ
skips and undoes it, the due run creates the repeat order and authorises it by file payment
(200, 9103, 201), a second run on the date creates nothing, a declined card gives 決済失敗 and a
mail, and the manual path's CSV and result upload."""
from io import BytesIO

import pytest
from sqlalchemy import func, select

from cart.admin.bulk.services import unprocessed
from cart.extensions import db
from cart.models import (FilePaymentRun, Member, Order, OutboxMail, StoredCard, Subscription,
                         SubscriptionHistory)
from cart.subscriptions import cycles
from cart.subscriptions.runs import due_round
from payments.paygent import file_payment as wire

from ..conftest import csrf_token
from .card_helpers import DECLINED, card_settings, make_token
from .checkout_helpers import at_confirmation, fill_zero_step, orders, product, shop, token
from .test_members import member_client

pytestmark = pytest.mark.usefixtures("card_shop")


@pytest.fixture
def sub_product(app):
    item = product()
    item.subscription_cycles = "1m,2m,2w"
    settings = card_settings(shop().id)
    settings.three_d_secure, settings.card_stock = False, True
    db.session.commit()
    return item.id


def add_subscription(browser, product_id, cycle="1m", quantity=1):
    csrf = token(browser, f"/s/demo/products/{product_id}")
    return browser.post("/s/demo/cart/add", data={"csrf_token": csrf, "product_id": product_id,
                                                  "quantity": quantity, "cycle": cycle})


def buy_subscription(app, sandbox, product_id, number="4111111111111111", email=None):
    browser = member_client(app, **({"email": email} if email else {}))
    assert add_subscription(browser, product_id).status_code == 302
    response = fill_zero_step(browser, kind="card", **({"email": email} if email else {}))
    assert at_confirmation(response), response.headers
    confirm = response.get_data(as_text=True)
    assert "定期購入（1ヶ月ごと）" in confirm
    assert 'data-register="required"' in confirm and "このカードを登録します" in confirm
    pay_card, register_card = make_token(sandbox, number), make_token(sandbox, number)
    response = browser.post("/s/demo/checkout/card/pay", data={
        "csrf_token": token(browser, "/s/demo/checkout/confirm"),
        "card_token": pay_card["token"], "register_token": register_card["token"],
        "payment_choice": "lump", "masked_card_number": pay_card["masked_card_number"]})
    return browser, response


def subscription_of(member_email="hanako@example.com") -> Subscription:
    db.session.expire_all()
    member = db.session.scalar(select(Member).where(Member.email == member_email))
    return db.session.scalar(select(Subscription).where(Subscription.member_id == member.id))


def test_a_member_buys_a_subscription_with_a_new_card(app, sandbox, sub_product):
    browser, response = buy_subscription(app, sandbox, sub_product)
    assert response.headers["Location"].endswith("/checkout/complete")
    first = orders()[-1]
    assert first.status == "new" and first.payment.status == "20"
    card = db.session.get(StoredCard, first.stored_card_id)
    assert card.customer_card_id and card.masked.endswith("1111")
    sub = subscription_of()
    assert sub.status == "active" and sub.cycle == "1m" and sub.stored_card_id == card.id
    today = cycles.today()
    assert sub.next_date == cycles.after(today, "1m", today.day)
    assert [i.name for i in sub.items] == [first.items[0].name]
    assert first.subscription_id == sub.id and first.items[0].subscription_cycle == "1m"
    page = browser.get("/s/demo/member/subscriptions").get_data(as_text=True)
    assert "継続中" in page and sub.next_date.strftime("%Y年%m月%d日") in page
    cards_page = browser.get("/s/demo/member/cards").get_data(as_text=True)
    assert card.masked in cards_page and "定期購入のお支払いに使用中" in cards_page


def test_skip_and_undo_from_mypage_each_leave_a_history_line(app, sandbox, sub_product):
    browser, _ = buy_subscription(app, sandbox, sub_product)
    sub = subscription_of()
    planned = sub.next_date
    csrf = token(browser, f"/s/demo/member/subscriptions/{sub.id}")
    browser.post(f"/s/demo/member/subscriptions/{sub.id}/skip", data={"csrf_token": csrf})
    sub = subscription_of()
    assert sub.next_date == cycles.after(planned, "1m", sub.anchor_day)
    assert sub.skipped_date == planned
    browser.post(f"/s/demo/member/subscriptions/{sub.id}/undo_skip", data={"csrf_token": csrf})
    sub = subscription_of()
    assert sub.next_date == planned and sub.skipped_date is None
    texts = [h.text for h in db.session.scalars(select(SubscriptionHistory).where(
        SubscriptionHistory.subscription_id == sub.id))]
    assert any("スキップ" in t and planned.strftime("%Y/%m/%d") in t for t in texts)
    assert any("スキップを取り消し" in t for t in texts)
    browser.post(f"/s/demo/member/subscriptions/{sub.id}/cycle",
                 data={"csrf_token": csrf, "cycle": "2w"})
    assert subscription_of().cycle == "2w"
    browser.post(f"/s/demo/member/subscriptions/{sub.id}/cycle",
                 data={"csrf_token": csrf, "cycle": "3m"})  # not offered by the product
    assert subscription_of().cycle == "2w"


def test_another_members_subscription_is_404(app, sandbox, sub_product):
    buy_subscription(app, sandbox, sub_product)
    sub = subscription_of()
    other = member_client(app, email="taro@example.com")
    assert other.get(f"/s/demo/member/subscriptions/{sub.id}").status_code == 404
    csrf = token(other, "/s/demo/member/subscriptions")
    assert other.post(f"/s/demo/member/subscriptions/{sub.id}/stop",
                      data={"csrf_token": csrf}).status_code == 404
    assert subscription_of().status == "active"


def test_guests_cannot_buy_a_subscription(client, sub_product):
    response = add_subscription(client, sub_product)
    assert "/member/login" in response.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0


def test_the_due_run_orders_and_authorises_by_file_payment_once(app, sandbox, sub_product):
    buy_subscription(app, sandbox, sub_product)
    sub = subscription_of()
    due = sub.next_date
    sandbox.store.set_setting("file_result_seconds", 600)
    counts = due_round(due, "demo")
    assert counts["runs"] == 1 and counts["orders"] == 1 and counts["waiting"] == 1
    run = db.session.scalar(select(FilePaymentRun))
    assert run.state == "sent" and run.receipt and run.records == 1
    repeat = orders()[-1]
    assert repeat.status == "pending_payment" and repeat.subscription_id == sub.id
    assert subscription_of().next_date == cycles.after(due, "1m", sub.anchor_day)
    again = due_round(due, "demo")  # PAYGENT still working (9103): nothing new
    assert again["orders"] == 0 and db.session.scalar(
        select(func.count()).select_from(Order)) == 2
    sandbox.store.set_setting("clock_offset", float(sandbox.store.setting("clock_offset")) + 700)
    due_round(due, "demo")
    db.session.expire_all()
    run = db.session.get(FilePaymentRun, run.id)
    repeat = db.session.get(Order, repeat.id)
    assert run.state == "done" and run.ok_count == 1
    assert repeat.status == "new" and repeat.payment.status == "20"
    assert repeat.payment.paygent_payment_id
    assert repeat.id in [o.id for o in db.session.scalars(unprocessed(shop().id))]
    due_round(due, "demo")
    assert db.session.scalar(select(func.count()).select_from(Order)) == 2
    assert db.session.scalar(select(func.count()).select_from(FilePaymentRun)) == 1


def test_a_declined_card_gives_payment_failed_and_a_mail(app, sandbox, sub_product):
    buy_subscription(app, sandbox, sub_product)
    sub = subscription_of()
    # the member's card now declines: the sandbox authorises the latest stored card
    member = db.session.get(Member, sub.member_id)
    from cart.methods.card import stored
    with app.test_request_context():
        declined_id = stored.register(member, make_token(sandbox, DECLINED)["token"])
    sub = subscription_of()
    sub.stored_card_id = declined_id
    db.session.commit()
    sandbox.store.set_setting("file_result_seconds", 0)
    due_round(sub.next_date, "demo")
    due_round(sub.next_date, "demo")
    db.session.expire_all()
    repeat = orders()[-1]
    assert repeat.status == "payment_failed" and repeat.status_name == "決済失敗"
    assert not repeat.stock_reserved
    mails = db.session.scalars(select(OutboxMail).where(OutboxMail.order_id == repeat.id)).all()
    assert any("定期購入のお支払いができませんでした" in m.subject for m in mails)
    run = db.session.scalar(select(FilePaymentRun))
    assert run.ng_count == 1 and run.state == "done"


def test_manual_path_csv_and_result_upload(app, sandbox, sub_product):
    buy_subscription(app, sandbox, sub_product)
    sub = subscription_of()
    card_settings(shop().id).file_payment_mode = "manual"
    db.session.commit()
    due_round(sub.next_date, "demo")
    run = db.session.scalar(select(FilePaymentRun))
    assert run.mode == "manual" and run.state == "created"
    staff = app.test_client()
    page = staff.get("/admin/login").get_data(as_text=True)
    staff.post("/admin/login", data={"email": "owner@example.com", "password": "demo1234",
                                     "csrf_token": csrf_token(page)})
    data = staff.get(f"/admin/subscriptions/runs/{run.id}/csv").get_data()
    assert data == run.request_file
    lines = data.split(b"\r\n")
    assert lines[0].startswith(b"1,020,") and lines[1].startswith(b"3,")
    assert lines[2] == b"4,1" and lines[3] == b""
    data.decode("cp932")
    repeat = orders()[-1]
    result = wire.build_result_file(data, {2: ("0", "", "", "12345678901")})
    page = staff.get(f"/admin/subscriptions/runs/{run.id}").get_data(as_text=True)
    response = staff.post(f"/admin/subscriptions/runs/{run.id}/result", data={
        "csrf_token": csrf_token(page), "result_file": (BytesIO(result), "result.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, repeat.id).status == "new"
    assert db.session.get(FilePaymentRun, run.id).state == "done"
    bad = staff.post(f"/admin/subscriptions/runs/{run.id}/result", data={
        "csrf_token": csrf_token(page), "result_file": (BytesIO(b"1,020\r\n9,x\r\n"), "r.csv")},
        content_type="multipart/form-data")
    assert bad.status_code == 400 and "行目" in bad.get_data(as_text=True)


def _owner(app):
    staff = app.test_client()
    page = staff.get("/admin/login").get_data(as_text=True)
    staff.post("/admin/login", data={"email": "owner@example.com", "password": "demo1234",
                                     "csrf_token": csrf_token(page)})
    return staff


def test_staff_see_and_change_a_subscription_with_their_name_in_its_history(
        app, sandbox, sub_product):
    buy_subscription(app, sandbox, sub_product)
    sub = subscription_of()
    staff = _owner(app)
    member_page = staff.get(f"/admin/members/{sub.member_id}").get_data(as_text=True)
    assert f"#{sub.id}" in member_page and sub.stored_card.masked in member_page
    listing = staff.get("/admin/subscriptions/").get_data(as_text=True)
    assert f"#{sub.id}" in listing and "1ヶ月ごと" in listing
    page = staff.get(f"/admin/subscriptions/{sub.id}").get_data(as_text=True)
    assert "継続中" in page and "定期購入を開始" in page
    assert staff.post(f"/admin/subscriptions/{sub.id}/stop").status_code == 400  # no CSRF
    assert subscription_of().status == "active"
    staff.post(f"/admin/subscriptions/{sub.id}/stop", data={"csrf_token": csrf_token(page)})
    assert subscription_of().status == "stopped"
    staff.post(f"/admin/subscriptions/{sub.id}/resume", data={"csrf_token": csrf_token(page)})
    sub = subscription_of()
    assert sub.status == "active" and sub.next_date > cycles.today()
    bad = staff.post(f"/admin/subscriptions/{sub.id}/next_date",
                     data={"csrf_token": csrf_token(page), "next_date": "2001-01-01"},
                     follow_redirects=True).get_data(as_text=True)
    assert "明日以降の日付" in bad and subscription_of().next_date == sub.next_date
    actors = [h.actor for h in db.session.scalars(select(SubscriptionHistory).where(
        SubscriptionHistory.subscription_id == sub.id))]
    assert "会員" in actors and any(a not in ("会員", "自動") for a in actors)


def test_the_owner_sets_a_products_cycles_and_the_cards_stock(app, sub_product):
    staff = _owner(app)
    item = product()
    page = staff.get(f"/admin/products/{item.id}/edit").get_data(as_text=True)
    assert 'value="1m" checked' in page or "value=\"1m\"" in page
    form = {"csrf_token": csrf_token(page), "code": item.code, "name": item.name,
            "price": item.price, "tax_rate": item.tax_rate, "stock": item.stock,
            "published": "y", "description": "", "cycle_months": ["2m", "3m"],
            "cycle_weeks": "4"}
    assert staff.post(f"/admin/products/{item.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert product().subscription_cycles == "2m,3m,4w"
    form["cycle_weeks"] = "13"
    answer = staff.post(f"/admin/products/{item.id}/edit", data=form).get_data(as_text=True)
    assert "1〜12週で入力してください。" in answer
    # without カード情報お預かり the product page offers no 定期購入
    card_settings(shop().id).card_stock = False
    db.session.commit()
    shopper = app.test_client()
    assert "定期購入（" not in shopper.get(f"/s/demo/products/{item.id}").get_data(as_text=True)
    card_settings(shop().id).card_stock = True
    db.session.commit()
    assert "定期購入（2ヶ月ごとにお届け）" in shopper.get(
        f"/s/demo/products/{item.id}").get_data(as_text=True)


def test_a_member_pays_with_a_stored_card_through_3d_secure(app, sandbox, sub_product):
    from .test_card_checkout import _back, _issuer
    browser, _ = buy_subscription(app, sandbox, sub_product)
    card = db.session.get(StoredCard, orders()[-1].stored_card_id)
    card_settings(shop().id).three_d_secure = True
    db.session.commit()
    csrf = token(browser, f"/s/demo/products/{sub_product}")
    browser.post("/s/demo/cart/add", data={"csrf_token": csrf, "product_id": sub_product,
                                           "quantity": 2})
    fill_zero_step(browser, kind="card")
    confirm = browser.get("/s/demo/checkout/confirm").get_data(as_text=True)
    assert f'name="stored_card_id" value="{card.id}"' in confirm and card.label in confirm
    assert 'data-register="optional"' in confirm  # a one-time cart: registering is a choice
    csrf = token(browser, "/s/demo/checkout/confirm")
    foreign = browser.post("/s/demo/checkout/card/pay", data={
        "csrf_token": csrf, "stored_card_id": str(card.id + 1000), "payment_choice": "lump"})
    assert foreign.status_code == 302
    assert "選択されたカードはご利用いただけません" in browser.get(
        "/s/demo/checkout/confirm").get_data(as_text=True)
    response = browser.post("/s/demo/checkout/card/pay", data={
        "csrf_token": csrf, "stored_card_id": str(card.id), "payment_choice": "lump"})
    assert "submitForm" in response.get_data(as_text=True)  # the issuer's page (450)
    tds = sandbox.telegrams("450")[-1]["request"]
    assert tds["card_set_method"] == "customer" and "card_token" not in tds
    done = _back(browser, _issuer(response))
    assert done.headers["Location"].endswith("/checkout/complete")
    order = orders()[-1]
    assert order.status == "new" and order.payment.status == "20"
    assert order.stored_card_id == card.id and order.subscription_id is None
    sent = sandbox.telegrams("020")[-1]["request"]
    assert sent["stock_card_mode"] == "1" and sent["customer_card_id"] == card.customer_card_id
    assert sent["3dsecure_use_type"] == "2"


def test_a_run_interrupted_after_sending_is_settled_without_a_second_file(
        app, sandbox, sub_product):
    """The process stopped while 200 was out: the run stays claimed (sending); a later round
    finds it, sends the same bytes again, and PAYGENT's duplicate check gives the receipt it
    already gave — one file at PAYGENT, the orders made once."""
    from datetime import timedelta
    from cart.subscriptions import runs
    buy_subscription(app, sandbox, sub_product)
    due = subscription_of().next_date
    sandbox.store.set_setting("file_result_seconds", 0)
    report = runs.create_run(shop(), due)
    runs.send(shop(), report.run.id)  # 200 answered and booked: receipt R
    db.session.expire_all()
    run = db.session.get(FilePaymentRun, report.run.id)
    receipt = run.receipt
    run.state, run.receipt = "sending", ""  # as if the booking never happened
    run.sent_at = run.sent_at - timedelta(minutes=11)
    db.session.commit()
    due_round(due, "demo")
    due_round(due, "demo")
    db.session.expire_all()
    run = db.session.get(FilePaymentRun, run.id)
    assert run.receipt == receipt and run.state == "done" and run.ok_count == 1
    assert len(sandbox.telegrams("200")) == 2  # the second refused as a duplicate
    assert db.session.scalar(select(func.count()).select_from(Order)) == 2
