"""外部決済一括処理 with a selection of which one order changed meanwhile (captured from its 受注明細,
or its payment's amount changed): the selection is kept without it, the page names it by
注文番号 and why, and the rest runs with one more click — one 341 per remaining order, none
for the changed one."""
import re
from html import unescape

import pytest
from sqlalchemy import select

from cart import operations
from cart.demo import make_paid_orders
from cart.extensions import db
from cart.models import BulkRun, Order, Payment
from payments.methods import CAPTURE

from ..conftest import csrf_token
from .checkout_helpers import shop
from .order_helpers import wait_jobs

CHANGED = "は他の操作で状態が変わったため"


@pytest.fixture
def paid(app, sandbox, client, login_as):
    from .checkout_helpers import setup_shops
    setup_shops(app, sandbox)
    numbers = make_paid_orders("demo", 4)
    login_as("staff@example.com", "demo1234")
    return [db.session.scalar(select(Order).where(Order.number == n)) for n in numbers]


def _checked(page: str) -> set[str]:
    return {m.group(1) for m in re.finditer(
        r'<input type="checkbox" name="ids" value="(\d+)"[^>]*\bchecked\b', page)}


def _form_data(page: str, form_action: str) -> dict:
    """What the page's form would post (hidden inputs and ticked boxes)."""
    form = page[page.index(f'action="{form_action}"'):]
    form = form[:form.index("</form>")]
    data: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or 'type="checkbox"' in tag and " checked" not in tag:
            continue
        data.setdefault(name.group(1), []).append(unescape(value.group(1)) if value else "")
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        data[name] = re.findall(r'<option value="([^"]*)" selected', options)
    return data


def _sent(sandbox) -> list[str]:
    """The 取引IDs of the 売上確定 (341) telegrams the sandbox received."""
    return [t["request"]["payment_id"] for t in sandbox.telegrams("341")]


def _captures(sandbox, orders) -> list[str]:
    wanted = {o.payment.paygent_payment_id for o in orders}
    return sorted(t for t in _sent(sandbox) if t in wanted)


def _text(page: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", page))


def test_an_order_captured_meanwhile_is_dropped_and_the_rest_stays_checked(
        client, paid, sandbox):
    chosen, changed = paid[:3], paid[1]
    listing = client.get("/admin/bulk/").get_data(as_text=True)
    data = _form_data(listing, "/admin/bulk/action")
    data["ids"] = [str(o.id) for o in chosen]
    # someone captures one of them from its 受注明細 while the list is open
    assert operations.run(shop().id, changed.id, CAPTURE).kind == "done"
    assert len(sandbox.telegrams("341")) == 1

    response = client.post("/admin/bulk/action", data=data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    text = _text(page)
    assert _checked(page) == {str(chosen[0].id), str(chosen[2].id)}
    assert f"注文番号 {changed.number} {CHANGED}" in text and "選択から外しました。" in text
    assert "ほかの受注は選択したままです。" in text
    for kept in (chosen[0], chosen[2]):
        assert f"注文番号 {kept.number} は" not in text

    # one click on 処理対象を確定し次へ goes on with the rest, through to the run
    step2 = client.post("/admin/bulk/action", data=_form_data(page, "/admin/bulk/action"))
    assert step2.status_code == 200
    step2_page = step2.get_data(as_text=True)
    step3 = client.post("/admin/bulk/confirm",
                        data=_form_data(step2_page, "/admin/bulk/confirm"))
    step3_page = step3.get_data(as_text=True)
    assert "2件の受注に対して以下の処理を行います。" in step3_page
    run = client.post("/admin/bulk/run", data=_form_data(step3_page, "/admin/bulk/run"))
    assert run.status_code == 302 and "/admin/bulk/runs/" in run.headers["Location"]
    wait_jobs()
    assert _captures(sandbox, [chosen[0], chosen[2]]) == sorted(
        o.payment.paygent_payment_id for o in (chosen[0], chosen[2]))
    assert len(sandbox.telegrams("341")) == 3  # the page's one, and one per remaining order
    assert db.session.scalar(select(BulkRun)).total == 2


def test_a_change_after_the_confirmation_page_starts_nothing_and_one_click_runs_the_rest(
        client, paid, sandbox):
    chosen, changed = paid[:3], paid[0]
    csrf = csrf_token(client.get("/admin/bulk/").get_data(as_text=True))
    step3 = client.post("/admin/bulk/confirm", data={
        "csrf_token": csrf, "action": "capture", "ids": [str(o.id) for o in chosen]})
    page = step3.get_data(as_text=True)
    assert "3件の受注に対して以下の処理を行います。" in page
    first_token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    # captured elsewhere while the operator reads the confirmation page
    assert operations.run(shop().id, changed.id, CAPTURE).kind == "done"

    refused = client.post("/admin/bulk/run", data=_form_data(page, "/admin/bulk/run"))
    assert refused.status_code == 409
    again = refused.get_data(as_text=True)
    assert db.session.scalars(select(BulkRun)).all() == []  # nothing started
    assert len(sandbox.telegrams("341")) == 1
    text = _text(again)
    assert f"注文番号 {changed.number} {CHANGED}" in text
    assert "2件の受注に対して以下の処理を行います。" in again
    assert "（まだ何も処理していません）" in text
    assert set(_form_data(again, "/admin/bulk/run")["ids"]) == {str(chosen[1].id),
                                                              str(chosen[2].id)}
    new_token = re.search(r'name="token" value="([^"]+)"', again).group(1)
    assert new_token != first_token
    # the 確認 page's dialog names the orders (newest first, as listed), the operation and
    # the total
    total = sum(o.payment.amount for o in chosen[1:])
    assert (f"2件の受注（注文番号 {chosen[2].number}、{chosen[1].number}）の売上確定処理"
            f"（合計 {total:,}円）を実行します。よろしいですか？") in unescape(again)

    done = client.post("/admin/bulk/run", data=_form_data(again, "/admin/bulk/run"))
    assert done.status_code == 302
    wait_jobs()
    sent = _sent(sandbox)
    assert len(sent) == 3 and sent.count(changed.payment.paygent_payment_id) == 1
    assert _captures(sandbox, chosen[1:]) == sorted(o.payment.paygent_payment_id for o in chosen[1:])
    run = db.session.scalar(select(BulkRun))
    assert (run.total, run.succeeded, run.failed) == (2, 2, 0)


def test_an_order_whose_amount_changed_is_dropped_though_still_listed(client, paid, sandbox):
    chosen, changed = paid[:2], paid[1]
    listing = client.get("/admin/bulk/").get_data(as_text=True)
    data = _form_data(listing, "/admin/bulk/action")
    data["ids"] = [str(o.id) for o in chosen]
    shown = changed.payment.amount
    payment = db.session.scalar(select(Payment).where(Payment.order_id == changed.id))
    payment.amount = shown - 100  # as a 金額変更 elsewhere would leave it
    db.session.commit()

    response = client.post("/admin/bulk/action", data=data)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert str(changed.id) in re.findall(r'name="ids" value="(\d+)"', page)  # still listed
    assert _checked(page) == {str(chosen[0].id)}  # but no longer ticked
    assert (f"注文番号 {changed.number} {CHANGED}（決済額：{shown:,}円 → {shown - 100:,}円）、"
            "選択から外しました。") in _text(page)
    assert sandbox.telegrams("341") == []


def test_a_selection_with_nothing_left_goes_back_to_the_list(client, paid, sandbox):
    changed = paid[0]
    csrf = csrf_token(client.get("/admin/bulk/").get_data(as_text=True))
    page = client.post("/admin/bulk/confirm", data={
        "csrf_token": csrf, "action": "capture", "ids": [str(changed.id)]}).get_data(
        as_text=True)
    operations.run(shop().id, changed.id, CAPTURE)
    response = client.post("/admin/bulk/run", data=_form_data(page, "/admin/bulk/run"))
    assert response.status_code == 302
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"注文番号 {changed.number} {CHANGED}" in _text(listing)
    assert "ほかの受注は選択したままです。" not in _text(listing)
    assert db.session.scalars(select(BulkRun)).all() == []
    assert len(sandbox.telegrams("341")) == 1
