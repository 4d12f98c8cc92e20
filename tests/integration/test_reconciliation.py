"""照合レポート against the sandbox over real HTTP: a payment changed on PAYGENT's admin site
behind the shop's back is found by the round's 094, listed with both 決済状況, and brought in
line by 「最新の状態を取得」 pressed on the report; the round asks gently (at most N a shop, a
pause between two), never guesses (a failed 094 is 確認できませんでした and changes nothing),
leaves final payments alone, keeps shops apart, and a hand-started run never runs twice."""
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from cart import jobs, reconciliation
from cart.extensions import db
from cart.gateway import account_for
from cart.models import Order, OrderHistory, Payment
from cart.models.base import utcnow
from cart.models.reconciliation import DIFFERS, SAME, UNCHECKED, ReconcileCheck
from payments import methods
from payments.methods.paidy import PAIDY

from ..conftest import csrf_token
from .checkout_helpers import setup_shops, shop
from .order_helpers import paid_order, payment_of, wait_jobs
from .test_order_list import make_order

REPORT = "/admin/reconcile/"


@pytest.fixture
def shops(app, sandbox):
    setup_shops(app, sandbox)
    app.config.update(RECONCILE_PER_ROUND=10, RECONCILE_PAUSE_SECONDS=0)
    return sandbox


@pytest.fixture
def staff(client, login_as, shops):
    login_as("staff@example.com", "demo1234")
    return client


def quick_order(sandbox, n: int, shop_code: str = "demo", amount: int = 1000,
                status: str = "20") -> Order:
    """An order whose Paidy payment PAYGENT (the sandbox) holds at オーソリOK."""
    owner = shop(shop_code)
    paid = sandbox.control("payments", merchant_id=account_for(owner.id).merchant_id,
                           trading_id=f"order{n:05d}", amount=amount)
    order = make_order(owner.id, n, total=amount, items_total=amount)
    db.session.add(Payment(shop_id=owner.id, order_id=order.id, method=PAIDY.code,
                           paygent_payment_id=paid["payment_id"], status=status,
                           amount=amount, authorized_at=utcnow()))
    db.session.commit()
    return order


def behind_the_shops_back(sandbox, order: Order, action: str, **extra) -> None:
    """What an operator on PAYGENT's admin site does: no 差分通知 reaches the shop."""
    sandbox.control(f"payments/{payment_of(order).paygent_payment_id}/change", action=action,
                    notify=False, **extra)


def run_round(whole: bool = False) -> dict:
    """The periodic round (``whole``), or only its reconciliation step."""
    result = jobs.periodic_round() if whole else {
        "reconciliation": reconciliation.reconcile_round()}
    wait_jobs()
    return result


def asked(sandbox) -> list[str]:
    """The payments PAYGENT was asked about with 094, in order."""
    return [t["payment_id"] for t in sandbox.telegrams("094")]


def report(client, tab: str = "differs") -> str:
    response = client.get(REPORT + f"?tab={tab}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def listed(page: str, order: Order) -> bool:
    return f'id="reconcile-{order.id}"' in page


def row_of(page: str, order: Order) -> str:
    match = re.search(rf'<tr id="reconcile-{order.id}".*?</tr>', page, re.S)
    assert match, f"order {order.number} is not listed"
    return match.group(0)


def test_a_capture_on_paygents_admin_site_is_listed_and_refresh_clears_it(app, staff, shops):
    order = paid_order(app, shops)
    version = db.session.get(Order, order.id).version
    history = db.session.scalars(select(OrderHistory.id).where(
        OrderHistory.order_id == order.id)).all()
    behind_the_shops_back(shops, order, "capture")
    assert "照合レポート" in staff.get("/admin/").get_data(as_text=True)  # the admin menu
    assert "まだ照合していません" in report(staff)

    assert run_round(whole=True)["reconciliation"] == {"shops": 2}  # demo and demo3
    page = report(staff)
    row = row_of(page, order)
    assert f">{order.number}</a>" in row and f'/admin/orders/{order.id}"' in row
    assert "あと払い(ペイディ)" in row and payment_of(order).paygent_payment_id in row
    assert '<td data-label="当店の決済状況" class="status">オーソリOK</td>' in row
    assert "<strong>消込済</strong>" in row and row.count("1,880円") == 2
    assert "決済状況が異なる受注（1）" in page and "確認した決済</dt><dd>1件" in page
    # the round only reports: the payment and the order are as they were
    payment = payment_of(order)
    assert payment.status == "20" and payment.captured_at is None
    assert db.session.get(Order, order.id).version == version
    assert db.session.scalars(select(OrderHistory.id).where(
        OrderHistory.order_id == order.id)).all() == history
    check = db.session.scalar(select(ReconcileCheck))
    assert (check.our_status, check.paygent_status, check.paygent_amount, check.outcome) == (
        "20", "40", 1880, DIFFERS) and check.checked_at is not None

    # 「最新の状態を取得」 on the report: the existing refresh, then back to the report
    form = re.search(r'<form method="post" action="([^"]+)".*?name="back" value="(\w+)"',
                     row, re.S)
    assert form.group(1) == f"/admin/orders/{order.id}/refresh"
    response = staff.post(form.group(1), data={"csrf_token": csrf_token(page),
                                               "back": form.group(2)})
    assert response.status_code == 302 and response.headers["Location"].endswith(REPORT)
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "ペイジェントから最新の決済状況を取得しました（消込済）" in page
    assert not listed(page, order) and "決済状況が異なる受注はありません。" in page
    assert payment_of(order).status == "40"


def test_a_cancel_or_another_amount_is_listed_the_same_is_not(staff, shops):
    order = quick_order(shops, 70001)
    same = quick_order(shops, 70002)
    other_amount = quick_order(shops, 70003, amount=1200)
    behind_the_shops_back(shops, order, "cancel")
    payment = payment_of(other_amount)
    payment.amount = 1000  # ours says 1,000円, PAYGENT holds 1,200円
    db.session.commit()
    run_round()
    page = report(staff)
    row = row_of(page, order)
    assert "オーソリOK" in row and "<strong>オーソリ取消済</strong>" in row
    assert payment_of(order).status == "20"
    row = row_of(page, other_amount)
    assert re.search(r"1,000円</td>\s*<td[^>]*>1,200円</td>", row)
    assert payment_of(other_amount).amount == 1000
    assert not listed(page, same) and "決済状況が異なる受注（2）" in page
    assert db.session.scalar(select(ReconcileCheck.outcome).where(
        ReconcileCheck.order_id == same.id)) == SAME


def test_at_most_n_a_round_with_a_pause_oldest_checked_first(app, staff, shops):
    app.config.update(RECONCILE_PER_ROUND=2, RECONCILE_PAUSE_SECONDS=0.3)
    orders = [quick_order(shops, 70010 + i) for i in range(3)]
    ids = [payment_of(o).paygent_payment_id for o in orders]
    run_round()
    first = shops.telegrams("094")
    assert [t["payment_id"] for t in first] == ids[:2]
    assert first[1]["at"] - first[0]["at"] >= 0.3
    run_round()  # the one never checked first, then the one checked longest ago
    assert asked(shops) == ids[:2] + [ids[2], ids[0]]
    assert len(db.session.scalars(select(ReconcileCheck)).all()) == 3
    app.config.update(RECONCILE_PER_ROUND=0)  # 0: the round asks nothing
    assert run_round()["reconciliation"] == {"shops": 0}
    assert len(asked(shops)) == 4


@pytest.mark.parametrize("fault", ["timeout", "drop", "read_timeout"])
def test_a_failed_inquiry_is_recorded_as_not_confirmed_and_changes_nothing(app, staff, shops,
                                                                           fault):
    order = quick_order(shops, 70020)
    behind_the_shops_back(shops, order, "capture")
    if fault == "read_timeout":  # PAYGENT answers after the client gave up
        app.config["PAYGENT_READ_TIMEOUT"] = 0.3
        shops.control("settings", latency_ms=1200)
    else:
        shops.control("faults", mode=fault, telegram_kind="094")
    run_round()
    check = db.session.scalar(select(ReconcileCheck))
    assert check.outcome == UNCHECKED and check.paygent_status == ""
    assert check.paygent_amount is None
    payment = payment_of(order)
    assert payment.status == "20" and payment.in_flight_attempt_id is None
    assert not listed(report(staff), order)  # never guessed as differing
    page = report(staff, "unchecked")
    row = row_of(page, order)
    assert "確認できませんでした" in row and "確認できなかった受注（1）" in page
    assert "確認できませんでした</dt><dd>1件" in page
    if fault == "read_timeout":  # the late reply is logged before the next test's sandbox
        deadline = time.monotonic() + 10
        while not shops.telegrams("094") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert shops.telegrams("094")


def test_final_and_in_flight_payments_are_not_asked(staff, shops):
    open_one = quick_order(shops, 70030)
    final = quick_order(shops, 70031)
    in_flight = quick_order(shops, 70032)
    behind_the_shops_back(shops, final, "cancel")
    busy = payment_of(in_flight)
    busy.in_flight_attempt_id = 1  # settling it asks PAYGENT on its own
    db.session.commit()
    payment = payment_of(final)
    payment.status = "32"  # as the 差分通知 left it: final by the method's table
    db.session.commit()
    assert payment.status in PAIDY.final_statuses()
    run_round()
    assert asked(shops) == [payment_of(open_one).paygent_payment_id]


def test_no_final_status_is_one_an_operation_runs_from_or_waits_at():
    for method in methods.all_methods():
        final = method.final_statuses()
        assert final <= {s.code for s in method.statuses}
        assert not [t for t in method.transitions if t.source in final or t.waiting in final]


def test_another_shops_payments_are_never_listed(client, login_as, staff, shops):
    ours = quick_order(shops, 70040)
    theirs = quick_order(shops, 70041, shop_code="demo3")
    for order in (ours, theirs):
        behind_the_shops_back(shops, order, "capture")
    run_round()
    page = report(staff)
    assert listed(page, ours) and not listed(page, theirs) and "order70041" not in page
    assert "order70041" not in report(staff, "unchecked")
    # another shop's order: the refresh the report posts to is 404, and nothing is asked
    before = len(asked(shops))
    response = staff.post(f"/admin/orders/{theirs.id}/refresh",
                          data={"csrf_token": csrf_token(page), "back": "reconcile"})
    assert response.status_code == 404 and len(asked(shops)) == before
    staff.post("/admin/logout", data={"csrf_token": csrf_token(page)})
    login_as("staff3@example.com", "demo1234")
    page = report(client)
    assert listed(page, theirs) and not listed(page, ours)


def test_now_runs_in_the_background_and_never_twice_at_once(app, staff, shops):
    quick_order(shops, 70050)
    quick_order(shops, 70051)
    demo = shop().id
    # a run under way (the round's): the button starts nothing
    token = reconciliation.claim(demo, reconciliation.ROUND)
    page = report(staff)
    assert "照合を実行中です" in page
    response = staff.post("/admin/reconcile/run", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    wait_jobs()
    assert "照合を実行中です。終わってから" in staff.get(REPORT).get_data(as_text=True)
    assert asked(shops) == []
    run_round()  # nor does the round: the shop is skipped
    assert asked(shops) == []
    reconciliation.run(demo, token)  # it ends
    assert len(asked(shops)) == 2
    # two clicks in a row: one run
    app.config.update(RECONCILE_PAUSE_SECONDS=1.0)
    page = report(staff)
    staff.post("/admin/reconcile/run", data={"csrf_token": csrf_token(page)})
    second = staff.post("/admin/reconcile/run", data={"csrf_token": csrf_token(page)})
    assert "照合を実行中です" in staff.get(second.headers["Location"]).get_data(as_text=True)
    wait_jobs()
    assert len(asked(shops)) == 4
    page = report(staff)
    assert "前回の照合" in page and "確認した決済</dt><dd>2件" in page
    assert "照合を開始しました" not in page
    assert staff.post("/admin/reconcile/run", data={}).status_code == 400  # no CSRF token


def test_a_claim_whose_process_stopped_is_taken_over(shops):
    demo = shop().id
    assert reconciliation.claim(demo, reconciliation.HAND)
    assert reconciliation.claim(demo, reconciliation.HAND) is None
    state = reconciliation.state_of(demo)
    state.running_since = utcnow() - reconciliation.stale_after() - timedelta(seconds=1)
    db.session.commit()
    assert reconciliation.claim(demo, reconciliation.HAND)
