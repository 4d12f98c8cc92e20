"""Staff capture Paidy orders in bulk from 外部決済一括処理.

50 orders go through the whole flow (未処理一覧 → 処理内容 → 確認 → progress → results), with
the sandbox slowed down so the progress bar is seen moving; 51 are refused at the first step
and nothing is sent to PAYGENT.

Each test works in its own demo shop and starts by emptying that shop's 未処理一覧, so the
two never see each other's orders.
"""
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from cart import operations
from cart.admin.bulk import services as bulk
from cart.demo import make_paid_orders
from cart.extensions import db
from cart.models import BulkRun, Order, Shop
from payments import methods as rules

pytestmark = pytest.mark.browser

LIMIT = 50
PROGRESS_TEXT = "一括処理中です。処理が完了するまでこの画面を閉じないでください。"
WARNING_TEXT = "⚠ 対象の受注に誤りがないかを十分確認の上、一括処理を実行してください。"
TOO_MANY = ("一度に処理できるのは50件までです（51件選択されています）。"
            "選択を50件以下にしてください。")
HISTORY_LINE = "外部決済一括処理（売上確定処理） : 正常終了"
SEEN_KEY = "bulk-progress-seen"

# Records every value the progress bar takes, in the browser's storage, so the values seen
# before the page reloads itself into the results are still there afterwards.
RECORD_PROGRESS = """
(() => {
  const key = %r;
  new MutationObserver((records) => {
    const seen = JSON.parse(localStorage.getItem(key) || "[]");
    for (const record of records) {
      const target = record.target;
      if (target.matches && target.matches("#bulk-progress .progress")) {
        seen.push(Number(target.getAttribute("aria-valuenow")));
      }
    }
    localStorage.setItem(key, JSON.stringify(seen));
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ["aria-valuenow"]});
})();
""" % SEEN_KEY


# -- data --------------------------------------------------------------------------------
def shop_id(live_shop, code: str) -> int:
    return live_shop.read(lambda: db.session.scalar(select(Shop.id).where(Shop.code == code)))


def unprocessed_numbers(live_shop, code: str) -> list[str]:
    sid = shop_id(live_shop, code)
    return live_shop.read(lambda: [o.number for o in db.session.scalars(bulk.unprocessed(sid))])


def empty_unprocessed(live_shop, code: str) -> None:
    """Capture whatever an earlier test left in the shop's 未処理一覧."""
    sid = shop_id(live_shop, code)

    def capture_all():
        for order_id in db.session.scalars(bulk.unprocessed(sid).with_only_columns(Order.id)).all():
            operations.run(sid, order_id, rules.CAPTURE, source="order")
    live_shop.read(capture_all)
    assert unprocessed_numbers(live_shop, code) == []


def paid_orders(live_shop, code: str, count: int) -> dict[str, str]:
    """``count`` new orders paid through the sandbox: 注文番号 → 取引ID at PAYGENT."""
    def make():
        numbers = make_paid_orders(code, count)
        orders = db.session.scalars(select(Order).where(Order.number.in_(numbers))).all()
        return {o.number: o.payment.paygent_payment_id for o in orders}
    made = live_shop.read(make)
    assert len(made) == count and all(made.values())
    return made


def captures_sent(live_shop, payment_ids=None) -> list[str]:
    """The 取引IDs of the 売上確定 (341) telegrams the sandbox received."""
    return [t["payment_id"] for t in live_shop.sandbox_store.telegrams("341")
            if payment_ids is None or t["payment_id"] in payment_ids]


def bulk_runs(live_shop, code: str) -> int:
    sid = shop_id(live_shop, code)
    return live_shop.read(lambda: db.session.scalar(
        select(func.count()).select_from(BulkRun).where(BulkRun.shop_id == sid)))


def is_green(css_colour: str) -> bool:
    """``rgb(r, g, b)`` in which green outweighs red and blue (dark text or a pale fill)."""
    r, g, b = (int(part) for part in re.findall(r"\d+", css_colour)[:3])
    return g > r and g > b


# -- pages -------------------------------------------------------------------------------
def open_bulk(page: Page):
    page.get_by_role("link", name="外部決済一括処理").click()
    expect(page.locator(".admin-main .alert-info")).to_contain_text(
        "ペイジェント決済（あと払い(ペイディ)・クレジット・携帯キャリア）の売上確定を一括で行います。")


def list_rows(page: Page):
    return page.locator("form#bulk-select table tbody tr")


def select_all(page: Page):
    return page.get_by_role("checkbox", name="全て選択")


def selected_count(page: Page):
    return page.locator("#selected-count")


def flash(page: Page):
    return page.locator(".admin-main .alert[role=status]")


# -- the flows ---------------------------------------------------------------------------
def test_capture_50_orders_in_one_run(page: Page, live_shop, sign_in, screenshot,
                                      full_screenshot):
    code = "demo"
    empty_unprocessed(live_shop, code)
    orders = paid_orders(live_shop, code, LIMIT)
    numbers, payment_ids = list(orders), set(orders.values())
    store = live_shop.sandbox_store
    page.add_init_script(RECORD_PROGRESS)
    sign_in("staff@example.com")

    # 未処理一覧: the 50 orders, nothing selected yet.
    open_bulk(page)
    expect(list_rows(page)).to_have_count(LIMIT)
    for number in (numbers[0], numbers[-1]):
        expect(list_rows(page).filter(has_text=number)).to_have_count(1)
    expect(selected_count(page)).to_have_text("0")
    screenshot("1-list")

    select_all(page).check()
    expect(selected_count(page)).to_have_text(str(LIMIT))
    expect(page.locator("form#bulk-select")).to_contain_text("50件選択中")
    expect(page.locator("input.pick:checked")).to_have_count(LIMIT)
    screenshot("2-all-selected")

    # 処理内容.
    page.get_by_role("button", name="処理対象を確定し次へ").click()
    action = page.get_by_role("combobox", name="一括処理内容")
    expect(action).to_be_visible()
    action.select_option(label="売上確定処理")
    expect(page.locator("table.grid tbody tr")).to_have_count(LIMIT)
    screenshot("3-action")

    # 確認.
    page.get_by_role("button", name="処理内容を確認し次へ").click()
    expect(page.locator("#bulk-summary")).to_have_text("50件の受注に対して以下の処理を行います。")
    expect(page.get_by_text(WARNING_TEXT)).to_be_visible()
    expect(page.locator(".panel strong")).to_have_text("売上確定処理")
    assert captures_sent(live_shop, payment_ids) == []
    full_screenshot("4-confirm")

    # 一括処理を実行, with PAYGENT slowed down so the run takes long enough to watch.
    store.set_setting("latency_ms", 150)
    try:
        page.get_by_role("button", name="一括処理を実行").click()
        expect(page.get_by_text(PROGRESS_TEXT)).to_be_visible()
        meter = page.get_by_role("progressbar")
        expect(meter).to_have_attribute("aria-valuemax", str(LIMIT))
        page.wait_for_function(
            "() => { const m = document.querySelector('#bulk-progress .progress');"
            " const n = m ? Number(m.getAttribute('aria-valuenow')) : -1;"
            " return n > 0 && n < %d; }" % LIMIT)
        screenshot("5-progress")

        # Results: the page reloads itself when the run is done.
        results = page.locator("table.bulk-results tbody tr")
        expect(results).to_have_count(LIMIT, timeout=30_000)
    finally:
        store.set_setting("latency_ms", 0)
    expect(page.locator("table.bulk-results tr.result-ok")).to_have_count(LIMIT)
    expect(page.locator("table.bulk-results tr.result-ng")).to_have_count(0)
    for cell in results.locator("td:nth-child(4)").all_inner_texts():
        assert cell == "正常終了"
    expect(page.locator("table.kv")).to_contain_text("50件（正常終了 50件 / エラー 0件）")
    for row in (results.first, results.last):
        assert is_green(row.locator("td").nth(3).evaluate("td => getComputedStyle(td).color"))
        assert is_green(row.locator("td").nth(3).evaluate(
            "td => getComputedStyle(td).backgroundColor"))
    full_screenshot("6-results")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: no word broken apart
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for cell in (results.first.locator("td").nth(3), results.first.locator("td").nth(1)):
        assert cell.evaluate(
            "e => { const r = document.createRange(); r.selectNodeContents(e);"
            " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }") == 1
    full_screenshot("6-results-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    seen = page.evaluate("key => JSON.parse(localStorage.getItem(key) || '[]')", SEEN_KEY)
    assert seen == sorted(seen), f"the progress bar went backwards: {seen}"
    assert any(0 < n < LIMIT for n in seen), f"no intermediate progress seen: {seen}"
    assert len(set(seen)) >= 2, f"the progress bar did not move: {seen}"
    assert seen[-1] == LIMIT

    # Exactly one 341 per order went out.
    sent = captures_sent(live_shop, payment_ids)
    assert len(sent) == LIMIT
    assert set(sent) == payment_ids

    # 未処理一覧 no longer has them.
    page.get_by_role("link", name="未処理一覧へ戻る").click()
    expect(list_rows(page)).to_have_count(1)
    expect(list_rows(page)).to_have_text("未処理の受注はありません。")
    expect(selected_count(page)).to_have_text("0")
    assert not set(unprocessed_numbers(live_shop, code)) & set(numbers)
    screenshot("7-list-empty")

    # 操作ログ: the run, its counts and its 詳細ログ.
    page.get_by_role("link", name="操作ログ").click()
    log_rows = page.locator("table.grid tbody tr")
    expect(log_rows).to_have_count(1)
    run_row = log_rows.first
    expect(run_row.locator("td:nth-child(2)")).to_have_text("受注担当")
    expect(run_row.locator("td:nth-child(3)")).to_have_text("売上確定処理")
    expect(run_row.locator("td:nth-child(4)")).to_have_text("50")
    expect(run_row.locator("td:nth-child(5)")).to_have_text("50")
    expect(run_row.locator("td:nth-child(6)")).to_have_text("0")
    expect(run_row.locator("td:nth-child(7)")).to_have_text("完了")
    screenshot("8-logs")
    run_row.get_by_role("link", name="詳細ログ").click()
    expect(page.locator("table.bulk-results tr.result-ok")).to_have_count(LIMIT)

    # One order's 受注明細: the run's line in 変更履歴.
    number = numbers[0]
    page.locator("table.bulk-results").get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", name=f"受注明細（注文番号：{number}）")).to_be_visible()
    expect(page.locator("#payment-status")).to_have_text("消込済")
    expect(page.locator("#history")).to_contain_text(f"注文番号 : {number} {HISTORY_LINE}")
    full_screenshot("9-order")
    assert bulk_runs(live_shop, code) == 1


def test_51_orders_are_refused_at_the_first_step(page: Page, live_shop, sign_in, screenshot,
                                                 full_screenshot):
    code = "demo3"
    empty_unprocessed(live_shop, code)
    orders = paid_orders(live_shop, code, LIMIT + 1)
    captures_before = len(captures_sent(live_shop))
    runs_before = bulk_runs(live_shop, code)
    sign_in("staff3@example.com")

    open_bulk(page)
    expect(list_rows(page)).to_have_count(LIMIT + 1)  # 100 a page: all on this one
    expect(page.locator(".pager")).to_have_count(0)
    select_all(page).check()
    expect(selected_count(page)).to_have_text("51")
    expect(page.locator("input.pick:checked")).to_have_count(LIMIT + 1)
    screenshot("1-51-selected")

    page.get_by_role("button", name="処理対象を確定し次へ").click()
    expect(flash(page)).to_have_text(TOO_MANY)
    expect(flash(page)).to_be_visible()
    # Still the 未処理一覧, with the 51 orders and the selection kept.
    expect(page.get_by_role("button", name="処理対象を確定し次へ")).to_be_visible()
    expect(page.get_by_role("combobox", name="一括処理内容")).to_have_count(0)
    expect(list_rows(page)).to_have_count(LIMIT + 1)
    expect(page.locator("input.pick:checked")).to_have_count(LIMIT + 1)
    expect(selected_count(page)).to_have_text("51")
    full_screenshot("2-refused")

    # Nothing was processed.
    assert len(captures_sent(live_shop)) == captures_before
    assert captures_sent(live_shop, set(orders.values())) == []
    assert bulk_runs(live_shop, code) == runs_before == 0
    assert sorted(unprocessed_numbers(live_shop, code)) == sorted(orders)
