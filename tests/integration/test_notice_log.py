"""差分通知 in the admin: the log, the notices no order was found for, and 再照合."""
import pytest
from sqlalchemy import func, select

from cart.extensions import db
from cart.models import OrderHistory, Payment, PaymentNotice
from payments.paygent.notices import notice_hash

from ..conftest import csrf_token
from .checkout_helpers import setup_shops, shop
from .test_notices import HASH_KEY, post
from .test_order_list import make_order

STRAY = {"payment_notice_id": "501", "payment_id": "200000042", "trading_id": "order00042",
         "payment_type": "22", "payment_status": "40", "payment_amount": "1000",
         "paidy_payment_id": "pay_stray42"}


@pytest.fixture
def signed_in(app, sandbox, client, login_as):
    setup_shops(app, sandbox)
    login_as("staff@example.com", "demo1234")
    return client


def send(client, fields):
    fields = {**fields, "hc": notice_hash(fields, HASH_KEY)}
    assert post(client, fields).get_data() == b"result=0"
    return db.session.scalar(select(PaymentNotice).where(
        PaymentNotice.payment_notice_id == fields["payment_notice_id"]))


def history_lines(order_id) -> list[str]:
    return list(db.session.scalars(select(OrderHistory.text).where(
        OrderHistory.order_id == order_id)))


def test_a_notice_no_order_matches_is_shown_for_review(signed_in):
    client = signed_in
    kept = send(client, STRAY)
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "受注を特定できなかった差分通知が1件あります。" in dashboard
    listing = client.get("/admin/notices/?tab=unmatched").get_data(as_text=True)
    assert "order00042" in listing and "照合できません（要確認）" in listing
    assert "消込済" in listing and "1,000円" in listing
    page = client.get(f"/admin/notices/{kept.id}").get_data(as_text=True)
    assert "pay_stray42" in page and "再照合" in page
    assert "hc" not in page.split("受信した項目")[1]  # the hash is not kept


def test_rematch_applies_the_notice_once_its_order_is_known(signed_in):
    client = signed_in
    kept = send(client, STRAY)
    # the order shows up afterwards (re-entered by the shop, a restored backup, ...)
    order = make_order(shop().id, 42)
    db.session.add(Payment(shop_id=shop().id, order_id=order.id, method="paidy", reference="pay_stray42",
                           paygent_payment_id="200000042", status="20", amount=1000))
    db.session.commit()
    path = f"/admin/notices/{kept.id}"
    token = csrf_token(client.get(path).get_data(as_text=True))
    first = client.post(path + "/rematch", data={"csrf_token": token}, follow_redirects=True)
    again = client.post(path + "/rematch", data={"csrf_token": token}, follow_redirects=True)
    assert "再照合しました：反映しました" in first.get_data(as_text=True)
    assert "この通知は照合済みです。" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PaymentNotice, kept.id).outcome == "applied"
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert payment.status == "40"
    lines = [t for t in history_lines(order.id) if "ペイジェント差分通知" in t]
    assert lines == ["ペイジェント差分通知 : 決済状況を「オーソリOK」から「消込済」に更新"
                     "（取引ID : 200000042）"]
    assert "受注を特定できなかった" not in client.get("/admin/").get_data(as_text=True)


def test_rematch_without_an_order_says_so_and_keeps_the_notice(signed_in):
    client = signed_in
    kept = send(client, STRAY)
    path = f"/admin/notices/{kept.id}"
    token = csrf_token(client.get(path).get_data(as_text=True))
    page = client.post(path + "/rematch", data={"csrf_token": token}, follow_redirects=True)
    assert "該当する受注が見つかりませんでした。" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PaymentNotice, kept.id).outcome == "unmatched"


def test_rematch_without_a_token_changes_nothing(signed_in):
    client = signed_in
    kept = send(client, STRAY)
    response = client.post(f"/admin/notices/{kept.id}/rematch", data={})
    assert response.status_code == 400 and "もう一度" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PaymentNotice, kept.id).outcome == "unmatched"


def test_the_log_lists_every_notice_newest_first_in_pages(signed_in):
    client = signed_in
    for n in range(1, 53):
        send(client, {**STRAY, "payment_notice_id": str(600 + n), "trading_id": f"x{n}"})
    assert db.session.scalar(select(func.count()).select_from(PaymentNotice)) == 52
    first = client.get("/admin/notices/").get_data(as_text=True)
    assert first.index("x52") < first.index("x51") and ">x2<" not in first and "次へ" in first
    second = client.get("/admin/notices/?page=2").get_data(as_text=True)
    assert ">x2<" in second and ">x1<" in second and "前へ" in second


def test_the_log_names_numbers_as_the_order_pages_do(signed_in):
    """One vocabulary: trading_id is the 注文番号, PAYGENT's payment_id the 取引ID."""
    client = signed_in
    kept = send(client, STRAY)
    listing = client.get("/admin/notices/").get_data(as_text=True)
    assert "<th>注文番号</th><th>取引ID</th>" in listing
    page = client.get(f"/admin/notices/{kept.id}").get_data(as_text=True)
    assert "<tr><th>注文番号</th><td>order00042</td></tr>" in page
    assert "<tr><th>取引ID</th><td>200000042</td></tr>" in page
    for text in (listing, page):
        assert "決済ID" not in text.replace("Paidy決済ID", "") and "取引ID（注文番号）" not in text
