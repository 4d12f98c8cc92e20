"""Through gunicorn (several processes), concurrent requests and notices send each operation's
telegram once, for Paidy and card orders alike; a card payment posted twice at once, or its
3-D Secure result arriving twice at once, authorises once."""
import re
import threading
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from cart import operations
from cart.extensions import db
from cart.models import CardAuthorization, Order, OrderHistory, Payment, PaymentNotice
from payments import methods as rules

from ..conftest import csrf_token
from .card_helpers import TDS_KEY, TOKEN_KEY, card_order, card_settings, make_token
from .checkout_helpers import delivery, method, product, setup_shops
from .http_helpers import page_form, signed_in, wait_until
from .order_helpers import paid_order


def test_twenty_concurrent_captures_and_a_notice_send_one_capture_telegram(
        app, sandbox, gunicorn, authorised):
    order = authorised.order()
    order_id, payment_id = order.id, order.payment.paygent_payment_id
    capture = authorised.kinds.capture  # Paidy 341, card 022
    _notices_to(gunicorn, sandbox)
    sandbox.control("settings", latency_ms=150)
    db.session.commit()
    sessions = [signed_in(gunicorn) for _ in range(20)]
    forms = [page_form(s, gunicorn, order_id) for s in sessions]
    start, statuses = threading.Barrier(20), []

    def click(session, form):
        start.wait()
        response = session.post(f"{gunicorn}/admin/orders/{order_id}/capture", data=form,
                                allow_redirects=False, timeout=60)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=click, args=pair) for pair in zip(sessions, forms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sandbox.control("settings", latency_ms=0)
    assert len(statuses) == 20 and set(statuses) <= {302, 409}
    assert statuses.count(302) >= 1
    assert [t["request"]["payment_id"] for t in sandbox.telegrams(capture)] == [payment_id]
    # the authorisation's and the capture's notices reach gunicorn and are taken
    _wait_for_every_notice(sandbox, 2, 20)
    db.session.expire_all()
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
    assert payment.status == "40" and payment.in_flight_attempt_id is None
    assert (payment.status, payment.amount) == _held(sandbox, payment_id)
    assert sorted(n.payment_status for n in db.session.scalars(select(PaymentNotice).where(
        PaymentNotice.order_id == order_id))) == ["20", "40"]
    assert sum("売上処理を実行" in text for text in db.session.scalars(
        select(OrderHistory.text).where(OrderHistory.order_id == order_id))) == 1


def _held(sandbox, payment_id) -> tuple[str, int]:
    """(status, amount) of a payment as PAYGENT (the sandbox) holds it."""
    row = sandbox.store.db.execute("SELECT status, amount FROM payments WHERE payment_id = ?",
                                   (int(payment_id),)).fetchone()
    return row[0], row[1]


def _wait_for_every_notice(sandbox, at_least: int, seconds: float) -> None:
    """Until every notice the sandbox queued (at least ``at_least``) was accepted by the shop."""
    def all_acknowledged():
        notices = sandbox.control("notices", method="get")
        return len(notices) >= at_least and all(n["acknowledged"] for n in notices)
    wait_until(all_acknowledged, seconds,
               f"every notice (at least {at_least}) to be accepted by the shop behind gunicorn",
               interval=0.2)


def _notices_to(gunicorn, sandbox) -> None:
    """PAYGENT's notices go to gunicorn too, so they race the staff's requests."""
    sandbox.store.upsert_merchant("900000001", "demo_connect", "demo-connect-pass",
                                  "demo-hash-key-0001", f"{gunicorn}/notices/paygent/demo",
                                  "pk_test_demo_shop_0001", token_key=TOKEN_KEY,
                                  tds_hash_key=TDS_KEY)
    sandbox.store.set_setting("notice_retry_seconds", 0.2)
    sandbox.server.app.extensions["sandbox"].dispatcher.start()


def test_captures_cancels_and_refunds_racing_send_one_telegram_per_operation(
        app, sandbox, gunicorn):
    """20 staff at once on four orders (capture against cancel, cancels, full refunds,
    partial refunds), while PAYGENT's notices arrive: one telegram per logical operation."""
    setup_shops(app, sandbox)
    contested, cancelled, refunded, partly = (paid_order(app, sandbox) for _ in range(4))
    for order in (refunded, partly):
        assert operations.run(order.shop_id, order.id, rules.CAPTURE).kind == "done"
    ids = {o.id: o.payment.paygent_payment_id for o in (contested, cancelled, refunded, partly)}
    partly_amount = partly.payment.amount
    db.session.commit()
    _notices_to(gunicorn, sandbox)
    sandbox.control("settings", latency_ms=150)
    plan = ([(contested.id, "capture", {})] * 3 + [(contested.id, "cancel-payment", {})] * 3
            + [(cancelled.id, "cancel-payment", {})] * 4
            + [(refunded.id, "refund", {"mode": "full"})] * 5
            + [(partly.id, "refund", {"mode": "partial", "amount": "1000"})] * 5)
    sessions = [signed_in(gunicorn) for _ in plan]
    forms = [page_form(s, gunicorn, order_id, **extra)
             for s, (order_id, _, extra) in zip(sessions, plan)]
    sent_before = {k: len(sandbox.telegrams(k)) for k in ("340", "341", "342")}
    start, statuses = threading.Barrier(len(plan)), []

    def click(session, step, form):
        order_id, action, _ = step
        start.wait()
        response = session.post(f"{gunicorn}/admin/orders/{order_id}/{action}", data=form,
                                allow_redirects=False, timeout=60)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=click, args=triple)
               for triple in zip(sessions, plan, forms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sandbox.control("settings", latency_ms=0)
    assert len(statuses) == 20 and set(statuses) <= {302, 409}, statuses

    def sent(kind):
        return [t["request"]["payment_id"] for t in sandbox.telegrams(kind)[sent_before[kind]:]]
    # the contested order: either the capture or the cancel went out, never both, never twice
    contested_ops = sent("341").count(ids[contested.id]) + sent("340").count(ids[contested.id])
    assert contested_ops == 1
    assert sent("340").count(ids[cancelled.id]) == 1
    assert sent("342").count(ids[refunded.id]) == 1
    assert sent("342").count(ids[partly.id]) == 1  # the others drew the page before it changed
    assert len(sent("341")) + len(sent("340")) + len(sent("342")) == 4

    # every notice reaches gunicorn and is booked (or not): 4 authorisations, 2 earlier
    # captures, and one per operation above (a partial refund makes two)
    _wait_for_every_notice(sandbox, 4 + 2 + 5, 30)
    db.session.expire_all()
    for order_id in ids:
        order = db.session.get(Order, order_id)
        held = sandbox.store.db.execute(
            "SELECT status, amount FROM payments WHERE payment_id = ?",
            (int(order.payment.paygent_payment_id),)).fetchone()
        assert (order.payment.status, order.payment.amount) == (held[0], held[1])
        assert order.payment.in_flight_attempt_id is None

    def lines(order, words):
        return sum(words in h.text for h in db.session.scalars(
            select(OrderHistory).where(OrderHistory.order_id == order.id)))
    assert lines(contested, "売上処理を実行") + lines(contested, "キャンセルを実行") == 1
    assert lines(cancelled, "キャンセルを実行") == 1
    assert lines(refunded, "返金を実行") == 1 and lines(partly, "返金を実行") == 1
    partly_now = db.session.get(Order, partly.id)
    assert partly_now.payment.amount == partly_amount - 1000


def _staff_client(app):
    """Staff signed in through the Flask test client (for 編集モード before the race)."""
    staff = app.test_client()
    page = staff.get("/admin/login").get_data(as_text=True)
    staff.post("/admin/login", data={"csrf_token": csrf_token(page),
                                     "email": "staff@example.com", "password": "demo1234"})
    return staff


def test_card_captures_cancels_and_amount_changes_racing_send_one_telegram_per_operation(
        app, card_shop, sandbox, gunicorn):
    """20 staff at once on five card orders (売上 against キャンセル, キャンセル before capture,
    売上取消 after, オーソリ変更 and 売上変更 to a lowered total) while PAYGENT's notices arrive:
    one telegram per logical operation, and every order as PAYGENT holds it."""
    from .test_card_operations import _edit_total
    contested, cancelled = card_order(app.test_client(), sandbox), \
        card_order(app.test_client(), sandbox)
    sales_cancelled = card_order(app.test_client(), sandbox, capture=True)
    auth_changed = card_order(app.test_client(), sandbox)
    sales_changed = card_order(app.test_client(), sandbox, capture=True)
    staff = _staff_client(app)
    _edit_total(staff, auth_changed, -300)
    _edit_total(staff, sales_changed, -500)
    orders = (contested, cancelled, sales_cancelled, auth_changed, sales_changed)
    ids = {o.id: o.payment.paygent_payment_id for o in orders}
    totals = {o.id: db.session.get(Order, o.id).total for o in orders}
    db.session.commit()
    _notices_to(gunicorn, sandbox)
    sandbox.control("settings", latency_ms=150)
    plan = ([(contested.id, "capture")] * 3 + [(contested.id, "cancel-payment")] * 3
            + [(cancelled.id, "cancel-payment")] * 4
            + [(sales_cancelled.id, "cancel-payment")] * 4
            + [(auth_changed.id, "change-amount")] * 3
            + [(sales_changed.id, "change-amount")] * 3)
    sessions = [signed_in(gunicorn) for _ in plan]
    forms = [page_form(s, gunicorn, order_id) for s, (order_id, _) in zip(sessions, plan)]
    start, statuses = threading.Barrier(len(plan)), []

    def click(session, step, form):
        order_id, action = step
        start.wait()
        response = session.post(f"{gunicorn}/admin/orders/{order_id}/{action}", data=form,
                                allow_redirects=False, timeout=60)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=click, args=triple)
               for triple in zip(sessions, plan, forms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sandbox.control("settings", latency_ms=0)
    assert len(statuses) == 20 and set(statuses) <= {302, 409}, statuses

    def sent(kind, order):
        return [t["request"]["payment_id"] for t in sandbox.telegrams(kind)].count(ids[order.id])
    assert sent("022", contested) + sent("021", contested) == 1  # never both, never twice
    assert sent("021", cancelled) == 1
    assert sent("023", sales_cancelled) == 1
    assert sent("028", auth_changed) == 1 and sent("029", sales_changed) == 1
    assert len(sandbox.telegrams("022")) + len(sandbox.telegrams("021")) == 2
    assert len(sandbox.telegrams("023")) == 1 and len(sandbox.telegrams("029")) == 1
    assert len(sandbox.telegrams("028")) == 1

    # every notice reaches gunicorn and is taken: 5 authorisations, one per cancel, two per
    # amount change (the new payment's and the old one's)
    _wait_for_every_notice(sandbox, 5 + 3 + 2 * 2, 30)
    db.session.expire_all()
    for order_id, old_id in ids.items():
        payment = db.session.get(Order, order_id).payment
        assert (payment.status, payment.amount) == _held(sandbox, payment.paygent_payment_id)
        assert payment.in_flight_attempt_id is None
    for order, old_status, new_status in ((auth_changed, "32", "20"),
                                          (sales_changed, "60", "40")):
        payment = db.session.get(Order, order.id).payment
        assert payment.paygent_payment_id != ids[order.id]  # PAYGENT's new payment
        assert (payment.status, payment.amount) == (new_status, totals[order.id])
        assert _held(sandbox, ids[order.id])[0] == old_status  # the old one cancelled
    assert db.session.get(Order, cancelled.id).payment.status == "32"
    assert db.session.get(Order, sales_cancelled.id).payment.status == "60"

    def lines(order, words):
        return sum(words in h.text for h in db.session.scalars(
            select(OrderHistory).where(OrderHistory.order_id == order.id)))
    assert lines(contested, "売上処理を実行") + lines(contested, "キャンセルを実行") == 1
    assert lines(cancelled, "キャンセルを実行") == 1
    assert lines(sales_cancelled, "売上取消を実行") == 1
    assert lines(auth_changed, "オーソリ変更を実行") == 1
    assert lines(sales_changed, "売上変更を実行") == 1


# -- the card checkout, posted twice at once ---------------------------------------------------
def _html_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html) or re.search(
        r'data-csrf="([^"]+)"', html)
    assert match, "no CSRF token"
    return match.group(1)


def _buyer_at_confirmation(url: str) -> requests.Session:
    """A buyer over HTTP with the tea in the cart, the card chosen, on the confirmation page."""
    buyer = requests.Session()
    item = product()
    page = buyer.get(f"{url}/s/demo/products/{item.id}", timeout=30).text
    buyer.post(f"{url}/s/demo/cart/add", data={"csrf_token": _html_token(page),
                                               "product_id": item.id, "quantity": 1},
               timeout=30)
    from .checkout_helpers import at_confirmation, BUYER
    page = buyer.get(f"{url}/s/demo/cart", timeout=30).text
    response = buyer.post(f"{url}/s/demo/cart", data={
        "csrf_token": _html_token(page), **BUYER, "confirm": "1",
        "delivery_method": delivery().id, "payment_method": method("card").id},
        allow_redirects=False, timeout=30)
    assert at_confirmation(response), response.status_code
    return buyer


def _at_once(calls) -> list:
    """Run the calls in threads released together; their results in order."""
    start, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        start.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _twin(session: requests.Session) -> requests.Session:
    """A second browser tab: the same cookies, its own connection."""
    twin = requests.Session()
    twin.cookies.update(session.cookies)
    return twin


@pytest.mark.parametrize("secure", [True, False], ids=["3d-secure", "no-3d-secure"])
def test_a_card_payment_posted_twice_at_once_authorises_once(
        app, card_shop, sandbox, gunicorn, secure):
    """「注文する」 double-clicked (the same token posted twice at once) sends one 450 (or one
    020 without 3-D Secure); the issuer's return followed twice at once sends one 020."""
    settings = card_settings(card_shop)
    settings.three_d_secure = secure
    db.session.commit()
    _notices_to(gunicorn, sandbox)
    buyer = _buyer_at_confirmation(gunicorn)
    card = make_token(sandbox)
    page = buyer.get(f"{gunicorn}/s/demo/checkout/confirm", timeout=30).text
    form = {"csrf_token": _html_token(page), "card_token": card["token"],
            "payment_choice": "lump", "masked_card_number": card["masked_card_number"]}
    sandbox.control("settings", latency_ms=300)  # the first telegram is still out
    tabs = (buyer, _twin(buyer))
    replies = _at_once([lambda tab=tab: tab.post(f"{gunicorn}/s/demo/checkout/card/pay",
                                                 data=form, allow_redirects=False, timeout=60)
                        for tab in tabs])
    assert all(r.status_code in (200, 302) for r in replies), [r.status_code for r in replies]
    first = "450" if secure else "020"
    assert len(sandbox.telegrams(first)) == 1
    assert db.session.scalar(select(func.count()).select_from(CardAuthorization)) == 1
    if secure:
        (challenge,) = [r for r in replies if r.status_code == 200]
        action = re.search(r'action="([^"]+)"', challenge.text).group(1).replace("&amp;", "&")
        auth_id = re.search(r'name="3ds_auth_id" value="([^"]+)"', challenge.text).group(1)
        issuer = requests.post(action, data={"3ds_auth_id": auth_id}, allow_redirects=False,
                               timeout=30)
        assert issuer.status_code == 303  # frictionless: straight back to the term URL
        term = urlsplit(issuer.headers["Location"])
        back = _at_once([lambda: requests.get(f"{gunicorn}{term.path}?{term.query}",
                                              allow_redirects=False, timeout=60)] * 2)
        assert [r.status_code for r in back] == [303, 303]
    sandbox.control("settings", latency_ms=0)
    assert len(sandbox.telegrams("020")) == 1
    db.session.expire_all()
    (auth,) = db.session.scalars(select(CardAuthorization)).all()
    order = db.session.get(Order, auth.order_id)
    assert auth.stage == "authorized" and order.status == "new"
    assert (order.payment.status, order.payment.amount) == _held(
        sandbox, order.payment.paygent_payment_id)
    assert db.session.scalar(select(func.count()).select_from(Order).where(
        Order.status != "cancelled", Order.shop_id == card_shop)) == 1
