"""外部決済一括処理's second 処理内容, 取消処理 (seed 000 §4 一括取消, seed 003 ペイジェント決済管理):
the list holds exactly the orders whose payment its method lets cancel now, with the method and
the ペイジェント状況; one run cancels card and Paidy orders each with its own telegram (card 021
before capture, 023 after; Paidy 340); and a run racing a staff 売上 on the same order sends one
telegram."""
import re
import threading

from sqlalchemy import select

from cart import operations
from cart.admin.bulk import services as bulk
from cart.demo import make_paid_orders
from cart.extensions import db
from cart.models import BulkRun, Order, OrderHistory, Staff
from payments.methods import CAPTURE

from ..conftest import csrf_token
from .card_helpers import card_order
from .checkout_helpers import shop
from .order_helpers import payment_of, wait_jobs


def _orders(app, sandbox, login_as):
    """A card order at オーソリOK, a captured card order, a Paidy order at オーソリOK and a
    captured Paidy order."""
    authorised = card_order(app.test_client(), sandbox)
    captured = card_order(app.test_client(), sandbox, capture=True)
    paidy, paidy_captured = [db.session.scalar(select(Order).where(Order.number == n))
                             for n in make_paid_orders("demo", 2)]
    operations.run(shop().id, paidy_captured.id, CAPTURE)
    login_as("staff@example.com", "demo1234")
    db.session.expire_all()
    return authorised, captured, paidy, paidy_captured


def _listed(client, action):
    page = client.get("/admin/bulk/", query_string={"action": action}).get_data(as_text=True)
    return page, set(re.findall(r'name="ids" value="(\d+)"', page))


def _cancel_run(client, orders):
    ids = [str(o.id) for o in orders]
    page, _ = _listed(client, "cancel")
    token = csrf_token(page)
    step2 = client.post("/admin/bulk/action", data={"csrf_token": token, "ids": ids,
                                                    "action": "cancel"}).get_data(as_text=True)
    assert "取消処理" in step2 and "処理内容を確認し次へ" in step2
    step3 = client.post("/admin/bulk/confirm", data={"csrf_token": token, "ids": ids,
                                                     "action": "cancel"}).get_data(as_text=True)
    assert f"{len(orders)}件の受注に対して以下の処理を行います。" in step3
    assert '<strong id="bulk-action-name">取消処理</strong>' in step3
    run_token = re.search(r'name="token" value="([^"]+)"', step3).group(1)
    return client.post("/admin/bulk/run", data={"csrf_token": token, "token": run_token,
                                                "ids": ids, "action": "cancel"})


def test_each_list_holds_the_orders_its_operation_allows(
        app, client, card_shop, sandbox, login_as):
    authorised, captured, paidy, paidy_captured = _orders(app, sandbox, login_as)
    page, cancellable = _listed(client, "cancel")
    # the card cancels before and after capture; Paidy only before (after it is a 返金)
    assert cancellable == {str(authorised.id), str(captured.id), str(paidy.id)}
    assert "オーソリOK" in page and "売上" in page  # 決済状況 and ペイジェント状況
    _, capturable = _listed(client, "capture")
    assert capturable == {str(authorised.id), str(paidy.id)}


def test_one_run_cancels_card_and_paidy_orders_each_with_its_telegram(
        app, client, card_shop, sandbox, login_as):
    authorised, captured, paidy, _ = _orders(app, sandbox, login_as)
    response = _cancel_run(client, [authorised, captured, paidy])
    wait_jobs()
    run = db.session.scalar(select(BulkRun))
    assert (run.action, run.status, run.succeeded, run.failed) == ("cancel", "done", 3, 0)
    assert len(sandbox.telegrams("021")) == 1 and len(sandbox.telegrams("023")) == 1
    assert len(sandbox.telegrams("340")) == 1
    assert payment_of(authorised).status == "32" and payment_of(captured).status == "60"
    assert payment_of(paidy).status == "32"
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "取消処理" in done and "正常終了" in done
    for order in (authorised, captured, paidy):
        lines = [h.text for h in db.session.scalars(select(OrderHistory).where(
            OrderHistory.order_id == order.id))]
        assert any("外部決済一括処理（取消処理） : 正常終了" in t for t in lines), lines
    _, left = _listed(client, "cancel")
    assert left == set()


def test_an_order_that_no_longer_allows_the_operation_makes_the_selection_stale(
        app, client, card_shop, sandbox, login_as):
    authorised, _, _, paidy_captured = _orders(app, sandbox, login_as)
    page, _ = _listed(client, "cancel")
    response = client.post("/admin/bulk/action", data={
        "csrf_token": csrf_token(page), "ids": [str(authorised.id), str(paidy_captured.id)],
        "action": "cancel"})
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "「取消処理」の対象外になった受注があります" in shown
    assert not sandbox.telegrams("021") and not sandbox.telegrams("342")


def test_a_cancel_run_racing_a_staff_capture_sends_one_telegram(
        app, client, card_shop, sandbox, login_as):
    """A Paidy order at オーソリOK: 取消 (340) and 売上 (341) exclude each other (after 売上 only a
    返金 is possible), so exactly one of them may go out, whichever claims the payment first."""
    _, _, paidy, _ = _orders(app, sandbox, login_as)
    staff = db.session.scalar(select(Staff).where(Staff.email == "staff@example.com"))
    shop_id, staff_id, order_id = shop().id, staff.id, paidy.id
    start = threading.Barrier(2)
    results = {}

    def bulk_cancel():
        with app.app_context():
            start.wait()
            try:
                run = bulk.start(shop_id, db.session.get(Staff, staff_id), "race",
                                 [str(order_id)], "cancel")
                results["run"] = run.id
            except bulk.BulkError as refused:  # captured before the run was recorded
                results["run_refused"] = str(refused)
            db.session.remove()

    def staff_capture():
        with app.app_context():
            start.wait()
            try:
                results["capture"] = operations.run(shop_id, order_id, CAPTURE).kind
            except operations.Refused as refused:
                results["capture"] = f"refused: {refused}"
            db.session.remove()

    threads = [threading.Thread(target=bulk_cancel), threading.Thread(target=staff_capture)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    wait_jobs()
    before = 1  # the captured Paidy order of the fixture sent one 341
    cancels, captures = sandbox.telegrams("340"), sandbox.telegrams("341")[before:]
    assert len(cancels) + len(captures) == 1, (len(cancels), len(captures))
    db.session.expire_all()
    status = payment_of(paidy).status
    run = db.session.get(BulkRun, results["run"]) if "run" in results else None
    if captures:  # the staff's 売上 won; the run found nothing to cancel
        assert status == "40" and results["capture"] == "done"
        assert run is None or (run.failed == 1 and run.succeeded == 0)
    else:  # the run's 取消 won; the staff's 売上 was refused
        assert status == "32" and run.succeeded == 1
        assert results["capture"].startswith("refused")
