"""外部決済一括処理 with 携帯キャリア決済 orders beside card and Paidy ones, through the pages (未処理一覧
→ 処理対象を確定し次へ → 処理内容を確認し次へ → 一括処理を実行): the 取消処理 list holds a carrier order
exactly when its carrier allows 取消 now (au at オーソリOK, SoftBank after 売上; d払い after 売上 only
once 消込完了, so not at 消込済), one run cancels every selected order each with its own telegram
(card 021 before capture and 023 after, carrier 102, Paidy 340), with its result and 変更履歴
line; and a 売上確定処理 run captures carrier orders of each carrier with 101."""
import re

from sqlalchemy import select

from cart import operations
from cart.demo import make_paid_orders
from cart.extensions import db
from cart.models import BulkRun, BulkRunItem, Order, OrderHistory
from payments.methods import CAPTURE

from ..conftest import csrf_token
from .card_helpers import card_order
from .checkout_helpers import orders, shop
from .order_helpers import payment_of, wait_jobs
from .test_carrier_checkout import _answer, _carrier_page, _start

NAMES = {"cancel": "取消処理", "capture": "売上確定処理"}


def carrier_order(app, carrier) -> Order:
    """A 新規受付 order paid with ``carrier`` at オーソリOK, through the storefront."""
    shopper = app.test_client()
    response = _start(shopper, carrier)
    back = shopper.get(_answer(_carrier_page(response), "approve"))
    assert back.headers["Location"].endswith("/checkout/complete")
    order = orders()[-1]
    assert order.status == "new" and order.payment.status == "20"
    assert order.payment.variant == carrier
    return order


def captured(order) -> Order:
    """売上 (101 for a carrier order) from the order's page's service, as staff would."""
    assert operations.run(shop().id, order.id, CAPTURE).kind == "done"
    assert payment_of(order).status == "40"
    return order


def paidy_order() -> Order:
    (number,) = make_paid_orders("demo", 1)
    return db.session.scalar(select(Order).where(Order.number == number))


def listed(client, action):
    page = client.get("/admin/bulk/", query_string={"action": action}).get_data(as_text=True)
    return page, set(re.findall(r'name="ids" value="(\d+)"', page))


def row_of(page: str, order) -> str:
    """The 未処理一覧's row of the order."""
    rows = re.findall(r"<tr\b.*?</tr>", page, re.S)
    (row,) = [r for r in rows if f'name="ids" value="{order.id}"' in r]
    return row


def run(client, chosen, action):
    """Through the pages: the list, 処理対象を確定し次へ, 処理内容を確認し次へ, 一括処理を実行."""
    ids = [str(o.id) for o in chosen]
    page, _ = listed(client, action)
    assert "処理対象を確定し次へ" in page
    token = csrf_token(page)
    step2 = client.post("/admin/bulk/action", data={"csrf_token": token, "ids": ids,
                                                    "action": action}).get_data(as_text=True)
    assert NAMES[action] in step2 and "処理内容を確認し次へ" in step2
    step3 = client.post("/admin/bulk/confirm", data={"csrf_token": token, "ids": ids,
                                                     "action": action}).get_data(as_text=True)
    assert f"{len(chosen)}件の受注に対して以下の処理を行います。" in step3
    assert f'<strong id="bulk-action-name">{NAMES[action]}</strong>' in step3
    assert "一括処理を実行" in step3
    for order in chosen:
        assert order.number in step3
    run_token = re.search(r'name="token" value="([^"]+)"', step3).group(1)
    response = client.post("/admin/bulk/run", data={"csrf_token": token, "token": run_token,
                                                    "ids": ids, "action": action})
    assert response.status_code == 302
    wait_jobs()
    return client.get(response.headers["Location"]).get_data(as_text=True)


def history(order) -> list[str]:
    return [h.text for h in db.session.scalars(select(OrderHistory).where(
        OrderHistory.order_id == order.id).order_by(OrderHistory.id))]


def test_one_cancel_run_of_card_carrier_and_paidy_orders(app, client, card_shop, sandbox,
                                                         login_as):
    card = card_order(app.test_client(), sandbox)
    card_captured = card_order(app.test_client(), sandbox, capture=True)
    au = carrier_order(app, "au")                       # オーソリOK: 取消 → 32
    softbank = captured(carrier_order(app, "softbank"))  # 消込済: 売上取消 → 60
    docomo = captured(carrier_order(app, "docomo"))      # 消込済: nothing until 消込完了
    paidy = paidy_order()
    login_as("staff@example.com", "demo1234")
    db.session.expire_all()

    page, cancellable = listed(client, "cancel")
    assert cancellable == {str(o.id) for o in (card, card_captured, au, softbank, paidy)}
    assert str(docomo.id) not in cancellable
    assert "携帯キャリア決済" in row_of(page, au) and "オーソリOK" in row_of(page, au)
    assert "携帯キャリア決済" in row_of(page, softbank) and "売上" in row_of(page, softbank)

    chosen = [card, card_captured, au, softbank, paidy]
    before_102 = len(sandbox.telegrams("102"))
    done = run(client, chosen, "cancel")
    bulk = db.session.scalar(select(BulkRun))
    assert (bulk.action, bulk.status, bulk.succeeded, bulk.failed) == ("cancel", "done", 5, 0)
    assert len(sandbox.telegrams("021")) == 1 and len(sandbox.telegrams("023")) == 1
    assert len(sandbox.telegrams("102")) - before_102 == 2
    assert len(sandbox.telegrams("340")) == 1
    sent = {t["request"].get("payment_id") for t in sandbox.telegrams("102")}
    assert {payment_of(au).paygent_payment_id, payment_of(softbank).paygent_payment_id} <= sent
    assert payment_of(docomo).paygent_payment_id not in sent
    assert payment_of(card).status == "32" and payment_of(card_captured).status == "60"
    assert payment_of(au).status == "32" and payment_of(softbank).status == "60"
    assert payment_of(paidy).status == "32"
    assert payment_of(docomo).status == "40"
    assert "取消処理" in done and "正常終了" in done
    items = {i.order_id: i.outcome for i in db.session.scalars(select(BulkRunItem))}
    assert items == {o.id: "success" for o in chosen}
    for order in chosen:
        lines = history(order)
        assert sum("外部決済一括処理（取消処理） : 正常終了" in t for t in lines) == 1, lines
    for order in (au, softbank):
        db.session.expire_all()
        assert db.session.get(Order, order.id).status == "cancelled"
        assert any("在庫を戻しました" in t for t in history(order)), history(order)
    assert not any("外部決済一括処理" in t for t in history(docomo))
    _, left = listed(client, "cancel")
    assert left == set()


def test_a_docomo_order_after_capture_cannot_be_slipped_into_a_cancel_run(
        app, client, card_shop, sandbox, login_as):
    au = carrier_order(app, "au")
    docomo = captured(carrier_order(app, "docomo"))
    login_as("staff@example.com", "demo1234")
    page, _ = listed(client, "cancel")
    response = client.post("/admin/bulk/action", data={
        "csrf_token": csrf_token(page), "ids": [str(au.id), str(docomo.id)],
        "action": "cancel"})
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "「取消処理」の対象外になった受注があります" in shown
    assert not sandbox.telegrams("102")
    assert payment_of(au).status == "20" and payment_of(docomo).status == "40"


def test_a_capture_run_of_carrier_orders(app, client, card_shop, sandbox, login_as):
    chosen = [carrier_order(app, c) for c in ("docomo", "au", "softbank")]
    login_as("staff@example.com", "demo1234")
    page, capturable = listed(client, "capture")
    assert {str(o.id) for o in chosen} <= capturable
    done = run(client, chosen, "capture")
    bulk = db.session.scalar(select(BulkRun))
    assert (bulk.action, bulk.status, bulk.succeeded, bulk.failed) == ("capture", "done", 3, 0)
    sent = [t["request"].get("payment_id") for t in sandbox.telegrams("101")]
    assert sorted(sent) == sorted(payment_of(o).paygent_payment_id for o in chosen)
    for order in chosen:
        payment = payment_of(order)
        assert payment.status == "40" and payment.captured_at is not None
        lines = history(order)
        assert sum("外部決済一括処理（売上確定処理） : 正常終了" in t for t in lines) == 1, lines
    assert "売上確定処理" in done and "正常終了" in done
    _, left = listed(client, "capture")
    assert not left & {str(o.id) for o in chosen}
    # after 売上 the cancel list holds au and SoftBank, not d払い
    _, cancellable = listed(client, "cancel")
    assert cancellable == {str(chosen[1].id), str(chosen[2].id)}
