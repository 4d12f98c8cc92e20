"""外部決済一括処理 (B1–B4): the list rules, the 50 limit, mixed results, overlapping runs."""
import io
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from cart.admin.bulk import services as bulk
from cart.demo import make_paid_orders
from cart.extensions import db
from cart.models import BulkRun, Order, OrderHistory, Payment, Staff

from ..conftest import csrf_token
from .checkout_helpers import setup_shops, shop
from .order_helpers import wait_jobs


@pytest.fixture
def paid(app, sandbox, client, login_as):
    setup_shops(app, sandbox)
    numbers = make_paid_orders("demo", 6)
    login_as("staff@example.com", "demo1234")
    return [db.session.scalar(select(Order).where(Order.number == n)) for n in numbers]


def _ids(orders):
    return [str(o.id) for o in orders]


def _run(client, orders):
    """Select → 処理内容 → 確認 → 実行, as the pages do; returns the confirm page's token."""
    page = client.get("/admin/bulk/").get_data(as_text=True)
    token = csrf_token(page)
    step2 = client.post("/admin/bulk/action", data={"csrf_token": token, "ids": _ids(orders)})
    assert "処理内容を確認し次へ" in step2.get_data(as_text=True)
    step3 = client.post("/admin/bulk/confirm", data={"csrf_token": token, "ids": _ids(orders),
                                                     "action": "capture"}).get_data(as_text=True)
    assert f"{len(orders)}件の受注に対して以下の処理を行います。" in step3
    run_token = re.search(r'name="token" value="([^"]+)"', step3).group(1)
    response = client.post("/admin/bulk/run", data={"csrf_token": token, "token": run_token,
                                                    "ids": _ids(orders), "action": "capture"})
    return response, run_token, token


def test_the_list_holds_exactly_the_orders_to_capture(client, paid, sandbox):
    completed, cancelled, captured, old, pending, auto = paid
    completed.status, cancelled.status = "completed", "cancelled"
    captured.payment.status = "40"
    old.payment.authorized_at = old.payment.authorized_at - timedelta(days=91)
    pending.status = "pending_payment"
    auto.capture_mode = "auth_capture"
    db.session.commit()
    page = client.get("/admin/bulk/").get_data(as_text=True)
    listed = set(re.findall(r'name="ids" value="(\d+)"', page))
    assert listed == {str(completed.id), str(cancelled.id)}


class _HeldCaptures:
    """In front of the sandbox: 売上確定 (341) telegrams wait until the test lets them go."""

    def __init__(self, inner):
        self.inner, self.open, self.waiting = inner, threading.Event(), threading.Semaphore(0)

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        if b"telegram_kind=341" in body:
            self.waiting.release()
            assert self.open.wait(30), "the test never let the held 341 go"
        return self.inner(environ, start_response)


def test_a_run_captures_shows_progress_results_and_logs(client, paid, sandbox, monkeypatch):
    held = _HeldCaptures(sandbox.server.app.wsgi_app)
    monkeypatch.setattr(sandbox.server.app, "wsgi_app", held)
    try:
        response, _, _ = _run(client, paid[:4])
        # the run has begun (a 341 is at PAYGENT) and cannot end while the 341s are held
        assert held.waiting.acquire(timeout=20), "the run sent no 341 within 20 s"
        run_page = client.get(response.headers["Location"]).get_data(as_text=True)
    finally:
        held.open.set()
    assert "一括処理中です。処理が完了するまでこの画面を閉じないでください。" in run_page
    assert 'role="progressbar"' in run_page and 'aria-valuemax="4"' in run_page
    assert "外部決済一括処理：処理中" in run_page
    assert "詳細ログ" not in run_page and "bulk-results" not in run_page
    wait_jobs()
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "外部決済一括処理：結果" in done and "詳細ログ" in done
    assert "一括処理中です。" not in done
    assert done.count('class="result-ok"') == 4 and "result-ng" not in done
    assert "4件（正常終了 4件 / エラー 0件）" in done
    assert len(sandbox.telegrams("341")) == 4
    for order in paid[:4]:
        assert db.session.scalar(select(Payment.status).where(Payment.order_id == order.id)) == "40"
        lines = [h.text for h in db.session.scalars(select(OrderHistory).where(
            OrderHistory.order_id == order.id))]
        assert f"注文番号 : {order.number} 外部決済一括処理（売上確定処理） : 正常終了" in lines
    remaining = set(re.findall(r'name="ids" value="(\d+)"',
                               client.get("/admin/bulk/").get_data(as_text=True)))
    assert remaining == set(_ids(paid[4:]))
    logs = client.get("/admin/bulk/logs").get_data(as_text=True)
    assert "売上確定処理" in logs and "詳細ログ" in logs and "受注担当" in logs


def test_more_than_50_is_refused_and_nothing_runs(client, paid, sandbox):
    more = make_paid_orders("demo", 45)
    chosen = _ids(paid) + [str(db.session.scalar(select(Order.id).where(Order.number == n)))
                           for n in more]
    assert len(chosen) == 51
    page = client.get("/admin/bulk/").get_data(as_text=True)
    response = client.post("/admin/bulk/action", data={"csrf_token": csrf_token(page),
                                                       "ids": chosen})
    listed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "一度に処理できるのは50件までです（51件選択されています）" in listed
    with pytest.raises(bulk.BulkError):
        bulk.start(shop().id, db.session.scalar(select(Staff)), "t", chosen)
    assert db.session.scalars(select(BulkRun)).all() == [] and sandbox.telegrams("341") == []


def test_mixed_results_keep_failures_in_the_list(client, paid, sandbox):
    broken = paid[1]
    sandbox.control(f"payments/{broken.payment.paygent_payment_id}/change", action="cancel",
                    notify=False)
    response, _, _ = _run(client, paid[:3])
    wait_jobs()
    run = db.session.scalar(select(BulkRun))
    assert (run.status, run.succeeded, run.failed) == ("done", 2, 1)
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "エラーコード:24003" in done and "result-ng" in done
    lines = [h.text for h in db.session.scalars(select(OrderHistory).where(
        OrderHistory.order_id == broken.id))]
    assert any("外部決済一括処理（売上確定処理） : エラーコード:24003" in t for t in lines)


def test_reposting_the_run_makes_one_run(client, paid, sandbox):
    response, run_token, csrf = _run(client, paid[:2])
    again = client.post("/admin/bulk/run", data={"csrf_token": csrf, "token": run_token,
                                                 "ids": _ids(paid[:2]), "action": "capture"})
    assert again.headers["Location"] == response.headers["Location"]
    wait_jobs()
    assert len(db.session.scalars(select(BulkRun)).all()) == 1
    assert len(sandbox.telegrams("341")) == 2


def test_overlapping_runs_capture_each_order_once(app, paid, sandbox):
    staff = db.session.scalar(select(Staff).where(Staff.email == "staff@example.com"))
    owner = db.session.scalar(select(Staff).where(Staff.email == "owner@example.com"))
    shop_id = shop().id
    first, second = _ids(paid[:5]), _ids(paid[1:])
    errors = []

    def start(who, ids, token):
        with app.app_context():
            try:
                bulk.start(shop_id, db.session.get(Staff, who), token, ids)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=start, args=(staff.id, first, "a")),
               threading.Thread(target=start, args=(owner.id, second, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_jobs()
    assert errors == []
    captured = [t["request"]["payment_id"] for t in sandbox.telegrams("341")]
    assert sorted(captured) == sorted(set(captured)) and len(captured) == 6
    runs = db.session.scalars(select(BulkRun)).all()
    assert sum(r.succeeded for r in runs) == 10 and sum(r.failed for r in runs) == 0


def test_another_shops_run_is_404(client, app, paid):
    _run(client, paid[:1])
    wait_jobs()
    run = db.session.scalar(select(BulkRun))
    other = app.test_client()
    page = other.get("/admin/login").get_data(as_text=True)
    other.post("/admin/login", data={"csrf_token": csrf_token(page),
                                     "email": "staff3@example.com", "password": "demo1234"})
    assert other.get(f"/admin/bulk/runs/{run.id}").status_code == 404
    assert other.get(f"/admin/bulk/runs/{run.id}/progress").status_code == 404


def test_demo_orders_command(runner, app, sandbox):
    setup_shops(app, sandbox)
    result = runner.invoke(args=["demo", "orders", "--shop", "demo", "--count", "3"])
    assert result.exit_code == 0, result.output
    payments = db.session.scalars(select(Payment)).all()
    assert len(payments) == 3 and {p.status for p in payments} == {"20"}
    assert all(p.paygent_payment_id for p in payments)
    assert {o.capture_mode for o in db.session.scalars(select(Order))} == {"auth"}
    bad = runner.invoke(args=["demo", "orders", "--shop", "nope", "--count", "1"])
    assert bad.exit_code != 0


def test_a_run_whose_process_stopped_is_resumed_and_captures_each_order_once(
        app, client, paid, sandbox):
    """The web process died during a run: one order captured and booked, one capture out at
    PAYGENT (it acted; the shop never heard), two not started. The periodic round settles the
    open capture from PAYGENT and resumes the run with what was left."""
    from cart import operations
    from cart.jobs import periodic_round
    from cart.models import BulkRunItem, PaymentAttempt
    staff = db.session.scalar(select(Staff).where(Staff.email == "staff@example.com"))
    done, in_flight, waiting1, waiting2 = paid[:4]
    long_ago = operations.now() - timedelta(minutes=20)
    run = BulkRun(shop_id=shop().id, token="died", staff_id=staff.id, total=4,
                  status="running", created_at=long_ago, started_at=long_ago)
    db.session.add(run)
    db.session.flush()
    items = [BulkRunItem(shop_id=run.shop_id, run_id=run.id, order_id=o.id) for o in paid[:4]]
    db.session.add_all(items)
    db.session.commit()
    operations.run(run.shop_id, done.id, "capture", staff=staff, source="bulk")
    bulk._finish_item(items[0].id, "success", "", "")  # booked before the process died
    attempt_id = operations._claim(run.shop_id, in_flight.id, "capture", None, staff, "bulk",
                                   None).attempt_id
    db.session.get(PaymentAttempt, attempt_id).created_at = long_ago
    db.session.commit()
    sandbox.control(f"payments/{in_flight.payment.paygent_payment_id}/change",
                    action="capture", notify=False)
    alive = BulkRun(shop_id=run.shop_id, token="alive", staff_id=staff.id, total=0,
                    status="running", started_at=operations.now())
    db.session.add(alive)
    db.session.commit()

    result = periodic_round()
    assert result["attempts"] == {"succeeded": 1} and result["bulk_runs"] == [run.id]
    wait_jobs()
    run = db.session.get(BulkRun, run.id)
    assert (run.status, run.succeeded, run.failed) == ("done", 4, 0)
    assert db.session.get(BulkRun, alive.id).status == "running"  # still in its time
    assert {i.outcome for i in db.session.scalars(select(BulkRunItem).where(
        BulkRunItem.run_id == run.id))} == {"success"}
    sent = [t["request"]["payment_id"] for t in sandbox.telegrams("341")]
    assert sorted(sent) == sorted(o.payment.paygent_payment_id
                                  for o in (done, waiting1, waiting2))
    for order in paid[:4]:
        assert db.session.scalar(select(Payment.status).where(Payment.order_id == order.id)) \
            == "40"
        lines = db.session.scalars(select(OrderHistory.text).where(
            OrderHistory.order_id == order.id)).all()
        assert sum("外部決済一括処理（売上確定処理） : 正常終了" in t for t in lines) == 1, lines
