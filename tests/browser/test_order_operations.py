"""Staff work a Paidy order's payment from the 受注明細: 売上確定, then refunds.

The order is paid through the real storefront (the shopper approves in the modal); the
buttons then send 341 / 342 to the embedded sandbox, whose telegram log shows exactly what
went out.

The sandbox pushes each operation's 差分通知 at once, so it races the page's own booking of
the reply. The flows below hold the notice until the reply is booked (the usual order);
the last test holds each reply until its notices were taken, so the notice always wins, and
shows the operation is still booked once.
"""
import io
import re
import threading
from datetime import datetime, timezone

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from cart.extensions import db
from cart.models import OrderHistory, Payment, PaymentAttempt, PaymentNotice
from payments.methods import paidy as st
from payments.paygent.codec import decode_form
from tests.integration.http_helpers import wait_until
from test_checkout import (choose, expect_completed, fill_buyer, only_order, open_modal,
                           pay_in_modal, put_in_cart)

pytestmark = pytest.mark.browser

STAFF = "staff@example.com"
CAPTURED_MESSAGE = "売上処理が正常に完了いたしました。"
REFUNDED_MESSAGE = "返金処理が正常に完了いたしました。"
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")


# -- getting there ---------------------------------------------------------------------------
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def paid_order(page: Page, live_shop, name: str, price: int) -> tuple[int, str]:
    """A shopper buys one of a new product in the zero-step shop with Paidy (+800 shipping)."""
    product = live_shop.new_product("demo", name, price)
    put_in_cart(page, live_shop, "demo", product)
    fill_buyer(page)
    choose(page)
    page.get_by_role("button", name="注文確認する").click()
    open_modal(page, "ペイディで支払う", f"{price + 800:,}円")
    pay_in_modal(page)
    return product, expect_completed(page, live_shop, "demo")


def open_order(page: Page, number: str):
    page.get_by_role("link", name="受注管理").click()
    page.locator("table tbody tr").filter(has_text=number).get_by_role(
        "link", name="明細").click()
    expect(page.get_by_role("heading", name=f"受注明細（注文番号：{number}）")).to_be_visible()


# -- what the page shows ---------------------------------------------------------------------
def flash(page: Page):
    """The message the last operation left (shown right under the page title)."""
    return page.locator(".admin-main > .page-title + .alert")


def box(page: Page):
    return page.locator("#payment-box")


def trade_id(page: Page):
    return page.locator("#trade-id")


def payment_status(page: Page):
    return page.locator("#payment-status")


def refund_form(page: Page):
    return page.locator("form.refund-form")


def full_refund(page: Page):
    return page.get_by_role("radio", name=re.compile(r"^全額"))


def partial_refund(page: Page):
    return page.get_by_role("radio", name=re.compile(r"^一部の金額を返金する"))


def refund_amount(page: Page):
    return page.get_by_role("textbox", name="返金額")


def mismatch(page: Page):
    return page.get_by_role("status").filter(has_text="ペイジェントでの決済額")


def operation_lines(page: Page) -> list[str]:
    """The 変更履歴 lines of payment operations run from this page, newest first."""
    texts = page.locator("#history tbody tr td:nth-child(2)").all_inner_texts()
    return [text for text in texts if "を実行" in text]


def sent(live_shop, kind: str, *payment_ids: str) -> list[dict]:
    """The telegrams of this kind the sandbox received for these payments."""
    return [t for t in live_shop.sandbox_store.telegrams(kind) if t["payment_id"] in payment_ids]


# -- which arrives first: the reply to the telegram, or its 差分通知 ------------------------
HOLD_SECONDS = 10.0


class _Gate:
    """Holds requests until a condition holds. A wait that runs out is remembered (and the
    request let through), so the test fails instead of quietly running in the other order."""

    def __init__(self):
        self.lock = threading.Lock()
        self.timeouts: list[str] = []
        self.released: list[dict] = []

    def hold(self, condition, what: str) -> None:
        try:
            wait_until(condition, HOLD_SECONDS, what)
        except AssertionError as exc:
            with self.lock:
                self.timeouts.append(str(exc))


class _BeforeNotices(_Gate):
    """In front of the shop: a 差分通知 waits until no operation is in flight."""

    def __init__(self, inner, live_shop):
        super().__init__()
        self.inner, self.live_shop = inner, live_shop

    def idle(self) -> bool:
        return self.live_shop.read(lambda: db.session.scalar(select(Payment.id).where(
            Payment.in_flight_attempt_id.is_not(None)).limit(1))) is None

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/notices/paygent/"):
            self.hold(self.idle, "the operation's reply to be booked before its notice")
        return self.inner(environ, start_response)


class _AfterNotices(_Gate):
    """In front of the sandbox: a Paidy telegram's reply waits until PAYGENT's notices about
    the order it names were all taken by the shop (answered result=0, so applied and
    committed); each release is recorded with its time."""

    def __init__(self, inner, store):
        super().__init__()
        self.inner, self.store = inner, store

    def delivered(self, trading_id: str) -> bool:
        return self.store.db.execute(
            "SELECT COUNT(*) FROM notices n JOIN payments p ON p.payment_id = n.payment_id "
            "WHERE p.trading_id = ? AND n.acknowledged = 0", (trading_id,)).fetchone()[0] == 0

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").endswith("/paygent/n/paidy/request"):
            return self.inner(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(request)
        fields = decode_form(request)
        response = self.inner(environ, start_response)
        try:
            body = list(response)
        finally:
            getattr(response, "close", lambda: None)()
        row = self.store.db.execute("SELECT trading_id FROM payments WHERE payment_id = ?",
                                    (fields.get("payment_id") or "0",)).fetchone()
        if row is not None:
            self.hold(lambda: self.delivered(row["trading_id"]),
                      f"the notices of {row['trading_id']} before the "
                      f"{fields.get('telegram_kind')} reply")
        with self.lock:
            self.released.append({"kind": fields.get("telegram_kind"),
                                  "payment_id": fields.get("payment_id"),
                                  "at": datetime.now(timezone.utc)})
        return body


@pytest.fixture
def replies_first(live_shop, monkeypatch):
    """Each operation's reply is booked before its 差分通知 is let in."""
    gate = _BeforeNotices(live_shop.app.wsgi_app, live_shop)
    monkeypatch.setattr(live_shop.app, "wsgi_app", gate)
    yield gate
    assert gate.timeouts == [], gate.timeouts


def notices_first(live_shop, monkeypatch) -> _AfterNotices:
    """From now on each Paidy telegram's reply comes back only after its 差分通知 was taken."""
    gate = _AfterNotices(live_shop.sandbox.wsgi_app, live_shop.sandbox_store)
    monkeypatch.setattr(live_shop.sandbox, "wsgi_app", gate)
    return gate


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def bookings(live_shop, order_id: int) -> dict:
    """What the shop recorded about an order's payment, with the times it was written."""
    def load():
        return {
            "notices": [(n.payment_id, n.payment_status, n.outcome, _utc(n.received_at))
                        for n in db.session.scalars(select(PaymentNotice).where(
                            PaymentNotice.order_id == order_id).order_by(PaymentNotice.id))],
            "attempts": [(a.action, a.outcome, a.new_payment_id, _utc(a.finished_at))
                         for a in db.session.scalars(select(PaymentAttempt).where(
                             PaymentAttempt.order_id == order_id).order_by(PaymentAttempt.id))],
            "history": [(h.text, _utc(h.created_at)) for h in db.session.scalars(
                select(OrderHistory).where(OrderHistory.order_id == order_id)
                .order_by(OrderHistory.id))],
        }
    return live_shop.read(load)


# -- the flows -------------------------------------------------------------------------------
@pytest.mark.usefixtures("replies_first")
def test_capture_then_partial_refund_then_the_rest(page: Page, live_shop, sign_in,
                                                   full_screenshot):
    product, number = paid_order(page, live_shop, "玉露 売上返金試験", 3240)  # 4,040円
    first_id = only_order(live_shop, product)["payment"]["paygent_payment_id"]
    sign_in(STAFF)
    open_order(page, number)

    # オーソリOK: キャンセル and 売上確定, no refund yet.
    expect(trade_id(page)).to_have_text(first_id)
    expect(payment_status(page)).to_have_text("オーソリOK")
    expect(box(page).get_by_role("button", name="キャンセル")).to_be_visible()
    expect(box(page).get_by_role("button", name="売上確定")).to_be_visible()
    expect(refund_form(page)).to_have_count(0)
    expect(page.locator("#captured-at")).to_have_text("キャプチャー(売上確定)を実施してください")
    expect(mismatch(page)).to_have_count(0)
    full_screenshot("1-authorized")

    box(page).get_by_role("button", name="売上確定").click()
    expect(flash(page)).to_have_text(CAPTURED_MESSAGE)
    expect(payment_status(page)).to_have_text("消込済")
    expect(page.locator("#captured-at")).to_have_text(DATETIME)
    expect(box(page).get_by_role("button", name="売上確定")).to_have_count(0)
    expect(box(page).get_by_role("button", name="キャンセル")).to_have_count(0)
    expect(refund_form(page)).to_contain_text("【返金処理】")
    expect(refund_form(page)).to_contain_text("全額（4,040円）を返金する")
    expect(refund_form(page)).to_contain_text("返金可能額：4,040円")
    expect(full_refund(page)).not_to_be_checked()  # 全額 or 一部: the operator chooses
    expect(partial_refund(page)).not_to_be_checked()
    full_screenshot("2-captured")
    page.set_viewport_size(PHONE)
    full_screenshot("2-captured-390")
    page.set_viewport_size(DESKTOP)
    assert [t["reply"]["result"] for t in sent(live_shop, "341", first_id)] == ["0"]

    # 一部返金: PAYGENT keeps the rest under a new 取引ID.
    partial_refund(page).check()
    refund_amount(page).fill("500")
    page.get_by_role("button", name="返金確定").click()
    expect(flash(page)).to_have_text(REFUNDED_MESSAGE)
    expect(trade_id(page)).not_to_have_text(first_id)
    second_id = trade_id(page).inner_text()
    assert re.fullmatch(r"\d+", second_id), second_id
    expect(payment_status(page)).to_have_text("消込済（一部返金済）")
    expect(refund_form(page)).to_contain_text("全額（3,540円）を返金する")
    expect(refund_form(page)).to_contain_text("返金可能額：3,540円")
    expect(full_refund(page)).not_to_be_checked()  # a fresh form: nothing chosen
    expect(refund_amount(page)).to_have_value("")
    expect(mismatch(page)).to_have_text(
        "受注額（4,040円）とペイジェントでの決済額（3,540円）が異なります。"
        "「編集モード」で金額調整を行ってください。")
    full_screenshot("3-partly-refunded")

    # The rest.
    full_refund(page).check()
    page.get_by_role("button", name="返金確定").click()
    expect(flash(page)).to_have_text(REFUNDED_MESSAGE)
    expect(payment_status(page)).to_have_text("全額返金済")
    expect(trade_id(page)).to_have_text(second_id)
    expect(refund_form(page)).to_have_count(0)
    expect(box(page).get_by_role("button")).to_have_text(["最新の状態を取得"])
    full_screenshot("4-refunded")

    # 変更履歴, newest first.
    head = f"注文番号 : {number} ペイジェント"
    assert operation_lines(page) == [
        f"{head} 返金を実行 返金額 : 3,540円（全額）",
        f"{head} 返金を実行 返金額 : 500円（返金可能額 : 3,540円、新しい取引ID : {second_id}）",
        f"{head} 売上処理を実行 売上金額 : 4,040円",
    ]
    history = page.locator("#history tbody tr").filter(has_text="を実行")
    expect(history.locator("td:nth-child(3)")).to_have_text(["受注担当"] * 3)

    # What the shop and the sandbox hold.
    order = only_order(live_shop, product)
    payment = order["payment"]
    assert (payment["status"], payment["paygent_payment_id"]) == (st.REFUNDED, second_id)
    assert (payment["amount"], payment["refunded"], order["total"]) == (3540, 4040, 4040)
    assert payment["in_flight_attempt_id"] is None
    refunds = sent(live_shop, "342", first_id, second_id)
    assert [(t["payment_id"], t["request"].get("amount"), t["reply"]["result"])
            for t in refunds] == [(first_id, "500", "0"), (second_id, None, "0")]
    assert len(sent(live_shop, "341", first_id, second_id)) == 1
    at_sandbox = {str(p["payment_id"]): p for p in live_shop.sandbox_payments("demo", number)}
    assert at_sandbox[second_id]["status"] == st.REFUNDED

    # 受注一覧 finds the order by the 取引ID it had before the partial refund, typed in
    # full-width digits, and at 390 px
    page.get_by_role("link", name="受注管理").click()
    page.get_by_text("詳細検索フォーム").click()
    page.get_by_label("外部決済注文番号").fill(first_id.translate(FULL_WIDTH))
    page.get_by_role("button", name="上記条件で検索").click()
    rows = page.locator("table tbody tr").filter(has_text=number)
    expect(rows).to_have_count(1)
    expect(page.locator("p.hit")).to_have_text("1-1番目表示 / 1件HIT")
    page.set_viewport_size(PHONE)
    name = rows.locator("td").nth(2)  # 氏名 on one line, not a character a line
    assert name.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }") == 1
    full_screenshot("5-found-by-the-old-id-390")
    page.set_viewport_size(DESKTOP)


@pytest.mark.usefixtures("replies_first")
def test_refund_above_the_refundable_amount_and_a_double_clicked_capture(
        page: Page, live_shop, sign_in, full_screenshot):
    product, number = paid_order(page, live_shop, "抹茶 二重押し試験", 2160)  # 2,960円
    payment_id = only_order(live_shop, product)["payment"]["paygent_payment_id"]
    sign_in(STAFF)
    open_order(page, number)

    # A double click on 売上確定 sends one 341.
    box(page).get_by_role("button", name="売上確定").dblclick()
    expect(flash(page)).to_have_text(CAPTURED_MESSAGE)
    expect(payment_status(page)).to_have_text("消込済")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert len(sent(live_shop, "341", payment_id)) == 1
    assert len([line for line in operation_lines(page) if "売上処理を実行" in line]) == 1

    # More than 返金可能額: refused with the reason, nothing sent, the input kept.
    partial_refund(page).check()
    refund_amount(page).fill("2961")
    page.get_by_role("button", name="返金確定").click()
    expect(page.get_by_role("alert").filter(has_text="返金額")).to_have_text(
        "返金額が返金可能額（2,960円）を超えています。")
    expect(partial_refund(page)).to_be_checked()
    expect(refund_amount(page)).to_have_value("2961")
    expect(payment_status(page)).to_have_text("消込済")
    expect(refund_form(page)).to_contain_text("返金可能額：2,960円")
    full_screenshot("1-too-much")
    assert sent(live_shop, "342", payment_id) == []
    assert not any("返金" in line for line in operation_lines(page))
    order = only_order(live_shop, product)
    assert (order["payment"]["status"], order["payment"]["amount"]) == (st.CAPTURED, 2960)
    assert order["payment"]["in_flight_attempt_id"] is None

    # Not a number: asked again, still nothing sent.
    refund_amount(page).fill("abc")
    page.get_by_role("button", name="返金確定").click()
    expect(page.locator(".admin-main > .alert-error")).to_have_text(
        "半角数字（整数）で入力してください。")
    expect(refund_form(page).locator(".error")).to_have_text("半角数字（整数）で入力してください。")
    expect(partial_refund(page)).to_be_checked()
    expect(refund_amount(page)).to_have_value("abc")
    full_screenshot("2-not-a-number")
    assert sent(live_shop, "342", payment_id) == []


def test_a_notice_that_overtakes_the_reply_books_the_operation_once(
        page: Page, live_shop, sign_in, full_screenshot, monkeypatch):
    product, number = paid_order(page, live_shop, "煎茶 通知先着試験", 3240)  # 4,040円
    first_id = only_order(live_shop, product)["payment"]["paygent_payment_id"]
    gate = notices_first(live_shop, monkeypatch)
    sign_in(STAFF)
    open_order(page, number)

    box(page).get_by_role("button", name="売上確定").click()
    expect(flash(page)).to_have_text(CAPTURED_MESSAGE)
    expect(payment_status(page)).to_have_text("消込済")
    partial_refund(page).check()
    refund_amount(page).fill("500")
    page.get_by_role("button", name="返金確定").click()
    expect(flash(page)).to_have_text(REFUNDED_MESSAGE)
    expect(refund_form(page)).to_contain_text("返金可能額：3,540円")
    full_screenshot("1-partly-refunded")

    # Each reply was held until its notices had been taken, and none waited in vain.
    assert gate.timeouts == [], gate.timeouts
    assert [(r["kind"], r["payment_id"]) for r in gate.released] == [
        ("341", first_id), ("342", first_id)]
    capture_reply, refund_reply = (r["at"] for r in gate.released)
    order = only_order(live_shop, product)
    payment = order["payment"]
    second_id = payment["paygent_payment_id"]
    assert second_id != first_id
    booked = bookings(live_shop, order["id"])

    # The notices booked the operations, before their replies reached the shop: the capture's
    # 消込済 and the remainder's 消込済 (under its new 取引ID) were applied to the operations in
    # flight; the refunded payment's 売上取消済 had nothing left to do.
    later = [(pid, status, outcome) for pid, status, outcome, _ in booked["notices"]][1:]
    assert later == [(first_id, st.CAPTURED, "applied"), (first_id, st.REFUNDED, "ignored"),
                     (second_id, st.CAPTURED, "applied")], booked["notices"]
    capture_notice, _, remainder_notice = (n[3] for n in booked["notices"][1:])
    assert capture_notice < capture_reply and remainder_notice < refund_reply
    (capture, captured_at), (refund, refunded_at) = (
        ((a, o, p), at) for a, o, p, at in booked["attempts"])
    assert capture == ("capture", "succeeded", "") and captured_at < capture_reply
    assert refund == ("refund", "succeeded", second_id) and refunded_at < refund_reply

    # Booked once: one attempt and one 変更履歴 line per operation, one telegram each.
    operations_lines = [(text, at) for text, at in booked["history"] if "を実行" in text]
    head = f"注文番号 : {number} ペイジェント"
    assert [text for text, _ in operations_lines] == [
        f"{head} 売上処理を実行 売上金額 : 4,040円",
        f"{head} 返金を実行 返金額 : 500円（返金可能額 : 3,540円、新しい取引ID : {second_id}）"]
    assert operations_lines[0][1] < capture_reply and operations_lines[1][1] < refund_reply
    assert not any("差分通知 : 決済状況を" in text for text, _ in booked["history"])
    assert len(operation_lines(page)) == 2
    assert len(sent(live_shop, "341", first_id, second_id)) == 1
    assert len(sent(live_shop, "342", first_id, second_id)) == 1
    assert (payment["status"], payment["amount"], payment["refunded"]) == (st.CAPTURED, 3540, 500)
    assert payment["in_flight_attempt_id"] is None
