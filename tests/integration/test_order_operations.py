"""受注明細 payment operations against the sandbox: once, by the rules, never guessed."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from cart import operations
from cart.extensions import db
from cart.models import OrderHistory, PaymentAttempt, Product

from .checkout_helpers import setup_shops
from .order_helpers import act, age_authorization, paid_order, payment_of, wait_jobs


@pytest.fixture
def order(app, sandbox, client, login_as):
    setup_shops(app, sandbox)
    made = paid_order(app, sandbox)
    login_as("staff@example.com", "demo1234")
    return made


def _history(order):
    return [h.text for h in db.session.scalars(select(OrderHistory).where(
        OrderHistory.order_id == order.id).order_by(OrderHistory.id))]


def _page(client, order):
    return client.get(f"/admin/orders/{order.id}").get_data(as_text=True)


def test_page_offers_capture_and_cancel_while_authorised(client, order):
    page = _page(client, order)
    assert "オーソリOK" in page and "売上確定</button>" in page and "キャンセル</button>" in page
    assert "返金確定" not in page and "キャプチャー(売上確定)を実施してください" in page
    assert order.payment.paygent_payment_id in page


def test_capture(client, order, sandbox):
    response = act(client, order, "capture")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "売上処理が正常に完了いたしました。" in page and "消込済" in page
    assert "返金確定" in page and "全額（1,880円）を返金する" in page and "返金可能額：1,880円" in page
    payment = payment_of(order)
    assert payment.status == "40" and payment.captured_at is not None
    assert f"注文番号 : {order.number} ペイジェント 売上処理を実行 売上金額 : 1,880円" in _history(order)
    assert len(sandbox.telegrams("341")) == 1


def test_cancel(client, order, sandbox):
    response = act(client, order, "cancel-payment")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "キャンセル処理が正常に完了いたしました。" in page and "キャンセル済" in page
    assert "売上確定</button>" not in page and "返金確定" not in page
    assert payment_of(order).status == "32"
    assert f"注文番号 : {order.number} ペイジェントキャンセルを実行" in _history(order)


def test_partial_then_full_refund_of_the_rest(client, order, sandbox):
    act(client, order, "capture")
    old_id = payment_of(order).paygent_payment_id
    response = act(client, order, "refund", mode="partial", amount="500")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "返金処理が正常に完了いたしました。" in page
    payment = payment_of(order)
    assert payment.paygent_payment_id != old_id and payment.amount == 1380
    assert "返金可能額：1,380円" in page and "一部返金済" in page
    assert "受注額（1,880円）とペイジェントでの決済額（1,380円）が異なります" in page
    assert sandbox.control(f"payments/{old_id}", method="get")["status"] == "60"
    act(client, order, "refund", mode="full")
    payment = payment_of(order)
    assert payment.status == "60" and payment.refunded == 1880
    page = _page(client, order)
    assert "全額返金済" in page and "返金確定" not in page
    lines = _history(order)
    assert any("返金を実行 返金額 : 500円" in t and payment.paygent_payment_id in t for t in lines)
    assert any("返金を実行 返金額 : 1,380円（全額）" in t for t in lines)
    assert [t["request"]["payment_id"] for t in sandbox.telegrams("342")] == [
        old_id, payment.paygent_payment_id]


@pytest.mark.parametrize("amount, message", [
    ("", "返金額を入力してください。"), ("0", "返金額は1円以上で入力してください。"),
    ("-100", "返金額は1円以上で入力してください。"), ("abc", "半角数字（整数）で入力してください。"),
    ("1881", "返金額が返金可能額（1,880円）を超えています。")])
def test_bad_refund_amounts_send_nothing(client, order, sandbox, amount, message):
    act(client, order, "capture")
    response = act(client, order, "refund", mode="partial", amount=amount)
    assert response.status_code in (400, 409)
    page = response.get_data(as_text=True)
    assert message in page
    assert sandbox.telegrams("342") == [] and payment_of(order).status == "40"


def test_a_refund_of_0_yen_is_refused_in_japanese_and_sends_nothing(client, order, sandbox):
    act(client, order, "capture")
    lines = _history(order)
    for typed in ("0", "０"):  # as typed, and in full-width digits
        response = act(client, order, "refund", mode="partial", amount=typed)
        assert response.status_code == 409
        page = response.get_data(as_text=True)
        assert "返金額は1円以上で入力してください。" in page
        assert 'name="mode" value="partial" checked' in page  # what was chosen is kept
        assert f'name="amount" value="{typed}"' in page
    assert sandbox.telegrams("342") == []
    assert db.session.scalars(select(PaymentAttempt).where(
        PaymentAttempt.action == "refund")).all() == []
    payment = payment_of(order)
    assert (payment.status, payment.amount, payment.refunded) == ("40", 1880, 0)
    assert payment.in_flight_attempt_id is None
    assert _history(order) == lines


def _clock_at(monkeypatch, instant):
    """The cart's clock for the payment rules (the page's buttons and the server's check)."""
    monkeypatch.setattr(operations, "now", lambda: instant)


def test_a_capture_exactly_90_days_old_can_be_refunded_a_second_later_not(
        client, order, sandbox, monkeypatch):
    act(client, order, "capture")
    captured_at = operations._aware(payment_of(order).captured_at)

    _clock_at(monkeypatch, captured_at + timedelta(days=90, seconds=1))
    page = _page(client, order)
    assert "消込済" in page and "返金確定" not in page
    refused = act(client, order, "refund", mode="full",
                  state=operations.fingerprint(payment_of(order)))
    assert refused.status_code == 409
    assert "売上確定から90日を過ぎたため、返金できません。" in refused.get_data(as_text=True)
    assert sandbox.telegrams("342") == []

    _clock_at(monkeypatch, captured_at + timedelta(days=90))
    page = _page(client, order)
    assert "返金確定" in page and "返金可能額：1,880円" in page
    done = act(client, order, "refund", mode="full")
    assert "返金処理が正常に完了いたしました。" in client.get(
        done.headers["Location"]).get_data(as_text=True)
    assert payment_of(order).status == "60" and len(sandbox.telegrams("342")) == 1


def test_an_authorisation_exactly_90_days_old_can_be_captured_a_second_later_not(
        client, order, sandbox, monkeypatch):
    authorized_at = operations._aware(payment_of(order).authorized_at)

    _clock_at(monkeypatch, authorized_at + timedelta(days=90, seconds=1))
    page = _page(client, order)
    assert "オーソリ期限切れ" in page
    assert "売上確定</button>" not in page and "キャンセル</button>" not in page
    state = operations.fingerprint(payment_of(order))
    for action in ("capture", "cancel-payment"):
        refused = act(client, order, action, state=state)
        assert refused.status_code == 409
        assert "オーソリから90日を過ぎたため、オーソリ期限切れです。" in refused.get_data(as_text=True)
    assert sandbox.telegrams("341") == [] and sandbox.telegrams("340") == []

    _clock_at(monkeypatch, authorized_at + timedelta(days=90))
    page = _page(client, order)
    assert "オーソリOK" in page and "売上確定</button>" in page and "キャンセル</button>" in page
    act(client, order, "capture")
    assert payment_of(order).status == "40" and len(sandbox.telegrams("341")) == 1


def test_stale_page_is_refused_and_sends_nothing(client, order, sandbox):
    act(client, order, "capture")
    response = act(client, order, "refund", mode="full", state="old:20:1880")
    assert response.status_code == 409
    assert "画面を表示した後に更新されました" in response.get_data(as_text=True)
    assert sandbox.telegrams("342") == []


def test_past_90_days_the_authorisation_lapses(client, order, sandbox):
    age_authorization(order, 91)
    sandbox.control("clock", advance_days=91)
    page = _page(client, order)
    assert "オーソリ期限切れ" in page and "売上確定</button>" not in page
    response = act(client, order, "capture", state=operations.fingerprint(payment_of(order)))
    assert response.status_code == 409 and "オーソリ期限切れ" in response.get_data(as_text=True)
    assert sandbox.telegrams("341") == []


def test_paygent_expiry_is_explained(client, order, sandbox):
    sandbox.control("clock", advance_days=91)  # PAYGENT's clock says lapsed, ours not yet
    response = act(client, order, "capture")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "24006" in page and "90日" in page


def test_changed_behind_the_shops_back_is_24003_and_then_mirrored(client, order, sandbox):
    sandbox.control(f"payments/{order.payment.paygent_payment_id}/change", action="cancel",
                    notify=False)
    response = act(client, order, "capture")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "24003" in page and "ペイジェント管理画面" in page
    wait_jobs()
    assert payment_of(order).status == "32"
    assert any("エラーコード:24003" in t for t in _history(order))


def test_timeout_is_unknown_then_settled_by_094(client, order, sandbox):
    sandbox.control("faults", mode="timeout", telegram_kind="341")
    response = act(client, order, "capture")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "処理結果を確認中" in page and "再実行は不要です" in page
    assert "売上確定</button>" not in page
    wait_jobs()
    payment = payment_of(order)
    assert payment.status == "40" and payment.in_flight_attempt_id is None
    attempt = db.session.scalar(select(PaymentAttempt))
    assert attempt.outcome == "succeeded"
    assert len(sandbox.telegrams("341")) == 1 and sandbox.telegrams("094")


def test_dropped_before_paygent_acted_is_settled_as_not_done(client, order, sandbox):
    sandbox.control("faults", mode="drop", telegram_kind="341")
    act(client, order, "capture")
    wait_jobs()
    payment = payment_of(order)
    assert payment.status == "20" and payment.in_flight_attempt_id is None
    assert db.session.scalar(select(PaymentAttempt)).outcome == "failed"
    act(client, order, "capture")  # and it can be captured now, once
    assert payment_of(order).status == "40"


def test_refresh_button_fetches_what_paygent_holds(client, order, sandbox):
    sandbox.control(f"payments/{order.payment.paygent_payment_id}/change", action="capture",
                    notify=False)
    response = act(client, order, "refresh")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "ペイジェントから最新の決済状況を取得しました（消込済）" in page
    assert payment_of(order).status == "40"


def test_many_threads_capturing_one_order_send_one_341(app, order, sandbox):
    outcomes, refused, crashed = [], [], []
    shop_id, order_id = order.shop_id, order.id  # the ORM object belongs to this thread

    def capture():
        with app.app_context():
            try:
                outcomes.append(operations.run(shop_id, order_id, "capture").kind)
            except operations.Refused:
                refused.append(1)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                crashed.append(repr(exc))
            finally:
                db.session.remove()

    db.session.commit()  # the test thread holds no transaction while the workers race
    threads = [threading.Thread(target=capture) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert crashed == []
    assert outcomes == ["done"] and len(refused) == 11
    assert len(sandbox.telegrams("341")) == 1
    assert payment_of(order).status == "40"


def test_completed_order_keeps_its_payment_buttons(client, order):
    act(client, order, "complete", version=str(order.version))
    page = _page(client, order)
    assert "受注完了明細" in page and "売上確定</button>" in page and "編集モード" not in page
    completed = client.get("/admin/orders/?tab=completed").get_data(as_text=True)
    assert order.number in completed
    assert f"注文番号 : {order.number} 受注処理を完了" in _history(order)
    act(client, order, "capture")
    act(client, order, "refund", mode="full")
    assert payment_of(order).status == "60"


def test_cancel_list_gives_stock_back(client, order):
    before = db.session.scalar(select(Product.stock).where(Product.code == "tea-001",
                                                          Product.shop_id == order.shop_id))
    act(client, order, "cancel", version=str(order.version))
    after = db.session.scalar(select(Product.stock).where(Product.code == "tea-001",
                                                         Product.shop_id == order.shop_id))
    assert after == before + 1
    assert order.number in client.get("/admin/orders/?tab=cancelled").get_data(as_text=True)
    assert "キャンセル</button>" in _page(client, order)  # the authorisation can still be cancelled


def test_stale_move_is_refused(client, order):
    response = act(client, order, "complete", version="0")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "画面を表示した後に更新されました" in page


def test_edit_mode_adjusts_after_a_partial_refund(client, order):
    from ..conftest import csrf_token
    act(client, order, "capture")
    act(client, order, "refund", mode="partial", amount="500")
    path = f"/admin/orders/{order.id}/edit"
    form = client.get(path).get_data(as_text=True)
    import re
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    bad = client.post(path, data={"csrf_token": csrf_token(form), "version": version,
                                  "adjust_label": "御値引", "adjust10": "abc", "adjust8": "0",
                                  "shipping_fee": "800"}).get_data(as_text=True)
    assert "半角数字（整数）で入力してください。" in bad and 'value="御値引"' in bad
    client.post(path, data={"csrf_token": csrf_token(form), "version": version,
                            "adjust_label": "御値引", "adjust10": "0", "adjust8": "-500",
                            "shipping_fee": "800"})
    page = _page(client, order)
    assert "異なります" not in page and "1,380円" in page
    assert any("金額調整項目を名目を御値引、金額を8%対象-500円に変更" in t for t in _history(order))
    db.session.expire_all()
    assert (order.total, order.target8, order.tax8) == (1380, 580, 42)


def test_payment_log_is_for_owners_and_masks_the_password(client, app, order, login_as):
    act(client, order, "capture")
    assert client.get(f"/admin/orders/{order.id}/payment-log").status_code == 403
    owner = app.test_client()
    from ..conftest import csrf_token
    page = owner.get("/admin/login").get_data(as_text=True)
    owner.post("/admin/login", data={"csrf_token": csrf_token(page),
                                     "email": "owner@example.com", "password": "demo1234"})
    log = owner.get(f"/admin/orders/{order.id}/payment-log").get_data(as_text=True)
    assert "telegram_kind=341" in log and "connect_password=********" in log
    assert "demo-connect-pass" not in log


def test_another_shops_staff_get_404(app, order):
    from ..conftest import csrf_token
    other = app.test_client()
    page = other.get("/admin/login").get_data(as_text=True)
    other.post("/admin/login", data={"csrf_token": csrf_token(page),
                                     "email": "staff3@example.com", "password": "demo1234"})
    assert other.get(f"/admin/orders/{order.id}").status_code == 404
    token = csrf_token(other.get("/admin/").get_data(as_text=True))
    assert other.post(f"/admin/orders/{order.id}/capture",
                      data={"csrf_token": token}).status_code == 404
    assert payment_of(order).status == "20"


def test_auth_and_capture_shops_capture_automatically(app, sandbox, client, login_as):
    setup_shops(app, sandbox)
    from cart.models import PaygentAccount
    for account in db.session.scalars(select(PaygentAccount)):
        account.capture_mode = "auth_capture"
    db.session.commit()
    order = paid_order(app, sandbox)
    wait_jobs()
    payment = payment_of(order)
    assert payment.status == "40" and len(sandbox.telegrams("341")) == 1
    lines = _history(order)
    assert any("売上処理を実行" in t for t in lines)


# -- a process that stops between the claim and the booking ---------------------------------
def _claim_then_stop(order, minutes_ago: float) -> int:
    """What a web process leaves behind when it dies right after claiming a capture: the
    attempt claimed, the payment marked in flight, nothing booked."""
    from datetime import timedelta
    attempt_id = operations._claim(order.shop_id, order.id, "capture", None, None, "order",
                                   None).attempt_id
    attempt = db.session.get(PaymentAttempt, attempt_id)
    attempt.created_at = operations.now() - timedelta(minutes=minutes_ago)
    db.session.commit()
    return attempt_id


def test_a_claim_left_by_a_stopped_process_is_settled_as_done_when_paygent_acted(
        runner, client, order, sandbox):
    attempt_id = _claim_then_stop(order, minutes_ago=5)
    # PAYGENT got the 341 and captured; its notice has not come (and may never)
    sandbox.control(f"payments/{order.payment.paygent_payment_id}/change", action="capture",
                    notify=False)
    refused = act(client, order, "capture")  # meanwhile the order stays claimed
    assert refused.status_code == 409
    assert "処理結果を確認中の操作があります" in refused.get_data(as_text=True)
    result = runner.invoke(args=["orders", "settle"])
    assert result.exit_code == 0 and "succeeded 1" in result.output
    db.session.expire_all()
    payment = payment_of(order)
    assert payment.status == "40" and payment.in_flight_attempt_id is None
    assert db.session.get(PaymentAttempt, attempt_id).outcome == "succeeded"
    lines = _history(order)
    assert any("売上処理の結果を確認中（処理が中断されたため）" in t for t in lines)
    assert any("売上処理を実行" in t for t in lines)
    assert sandbox.telegrams("341") == [] and len(sandbox.telegrams("094")) == 1


def test_a_claim_left_by_a_stopped_process_is_freed_when_paygent_did_not_act(
        client, order, sandbox):
    attempt_id = _claim_then_stop(order, minutes_ago=5)
    act(client, order, "refresh")  # 「最新の状態を取得」, as the page advises
    db.session.expire_all()
    assert db.session.get(PaymentAttempt, attempt_id).outcome == "failed"
    assert payment_of(order).in_flight_attempt_id is None
    act(client, order, "capture")  # the order can be worked again, and is captured once
    assert payment_of(order).status == "40" and len(sandbox.telegrams("341")) == 1


def test_a_claim_still_in_its_telegram_time_is_left_alone(app, order, sandbox):
    from cart.jobs import periodic_round
    attempt_id = _claim_then_stop(order, minutes_ago=0)
    assert periodic_round()["attempts"] == {}
    db.session.expire_all()
    assert db.session.get(PaymentAttempt, attempt_id).outcome == "claimed"
    assert sandbox.telegrams("094") == []


def test_an_inquiry_overtaken_by_a_capture_does_not_move_the_payment_back(
        client, order, sandbox, monkeypatch):
    """「最新の状態を取得」 asks PAYGENT (094: オーソリOK); before its answer is booked another
    staff member's 売上確定 completes. The older answer must not undo the capture."""
    real_client_for = operations.client_for

    def overtaken(account, order_id=None, log=None):
        gateway = real_client_for(account, order_id, log)
        inquire = gateway.inquire

        def answer_then_capture(**key):
            result = inquire(**key)
            assert operations.run(order.shop_id, order.id, "capture").kind == "done"
            return result
        gateway.inquire = answer_then_capture
        return gateway

    monkeypatch.setattr(operations, "client_for", overtaken)
    act(client, order, "refresh")
    monkeypatch.setattr(operations, "client_for", real_client_for)
    db.session.expire_all()
    assert payment_of(order).status == "40"
    assert not any("から更新" in line for line in _history(order))
