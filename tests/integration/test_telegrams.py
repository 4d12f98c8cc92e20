"""Every telegram's happy path and refusals, client ↔ sandbox over a real port."""
import threading

import pytest

from payments.paygent import Credentials, Outcome, PaygentClient

from .paygent_helpers import (CONNECT_ID, MERCHANT, PASSWORD, authorize, client, register,
                              status)


@pytest.fixture
def paygent(sandbox):
    register(sandbox)
    return client(sandbox)


def test_343_verifies_a_paidy_payment(sandbox, paygent):
    paid = authorize(sandbox, "order00042", 5500)
    result = paygent.verify_paidy(paid["id"])
    assert result.ok
    assert result.get("retrieve_result") == "0"
    assert result.get("payment_amount") == "5500"
    assert result.get("order_ref") == "order00042"
    assert result.get("payment_id") == paid["payment_id"]
    assert result.get("buyer_name1") == "山田 太郎"  # Japanese survives Shift_JIS both ways


def test_343_unknown_paidy_id_is_not_found(sandbox, paygent):
    result = paygent.verify_paidy("pay_doesnotexist")
    assert result.ok and result.get("retrieve_result") == "1"


def test_341_captures_then_refuses_a_second_capture(sandbox, paygent):
    paid = authorize(sandbox)
    assert paygent.capture(paid["payment_id"]).ok
    assert status(sandbox, paid["payment_id"]) == "40"
    again = paygent.capture(paid["payment_id"])
    assert again.outcome is Outcome.ERROR and again.code == "24003"


def test_340_cancels_an_authorisation_and_then_capture_is_refused(sandbox, paygent):
    paid = authorize(sandbox)
    assert paygent.cancel_authorization(paid["payment_id"]).ok
    assert status(sandbox, paid["payment_id"]) == "32"
    assert paygent.capture(paid["payment_id"]).code == "24003"


def test_340_after_capture_is_refused(sandbox, paygent):
    paid = authorize(sandbox)
    paygent.capture(paid["payment_id"])
    assert paygent.cancel_authorization(paid["payment_id"]).code == "24003"


def test_342_full_refund(sandbox, paygent):
    paid = authorize(sandbox, amount=3000)
    paygent.capture(paid["payment_id"])
    result = paygent.refund(paid["payment_id"])
    assert result.ok and result.payment_id == paid["payment_id"]
    assert status(sandbox, paid["payment_id"]) == "60"


def test_342_partial_refund_issues_a_new_payment_id(sandbox, paygent):
    paid = authorize(sandbox, amount=3000)
    paygent.capture(paid["payment_id"])
    partial = paygent.refund(paid["payment_id"], 1000)
    assert partial.ok
    new_id = partial.payment_id
    assert new_id and new_id != paid["payment_id"]
    assert status(sandbox, paid["payment_id"]) == "60"
    remainder = paygent.inquire(new_id)
    assert remainder.get("payment_status") == "40"
    assert remainder.get("payment_amount") == "2000"
    # The old ID is dead; the rest is refunded through the new one.
    assert paygent.refund(paid["payment_id"], 500).code == "24003"
    rest = paygent.refund(new_id, 2000)
    assert rest.ok and status(sandbox, new_id) == "60"


@pytest.mark.parametrize("amount, code", [(3001, "24007"), (0, "P014"), (-5, "P014")])
def test_342_bad_amounts_are_refused(sandbox, paygent, amount, code):
    paid = authorize(sandbox, amount=3000)
    paygent.capture(paid["payment_id"])
    assert paygent.refund(paid["payment_id"], amount).code == code
    assert status(sandbox, paid["payment_id"]) == "40"


def test_342_before_capture_is_refused(sandbox, paygent):
    paid = authorize(sandbox)
    assert paygent.refund(paid["payment_id"]).code == "24003"


def test_refund_amount_must_be_int_yen(paygent):
    with pytest.raises(TypeError):
        paygent.refund("1", 10.0)


def test_094_by_payment_id_and_by_trading_id(sandbox, paygent):
    paid = authorize(sandbox, "order00077", 1200)
    by_id = paygent.inquire(paid["payment_id"])
    by_trading = paygent.inquire(trading_id="order00077")
    for result in (by_id, by_trading):
        assert result.ok
        assert result.get("payment_status") == "20"
        assert result.get("payment_type") == "22"
        assert result.get("trading_id") == "order00077"
        assert result.get("paidy_payment_id") == paid["id"]


def test_094_trading_id_shared_by_two_payments_is_ambiguous(sandbox, paygent):
    paid = authorize(sandbox, "order00078", 1200)
    paygent.capture(paid["payment_id"])
    paygent.refund(paid["payment_id"], 200)
    assert paygent.inquire(trading_id="order00078").code == "24002"


def test_unknown_payment_is_24001(paygent):
    assert paygent.inquire("999999999").code == "24001"
    assert paygent.capture("999999999").code == "24001"


def test_wrong_password_is_p002(sandbox):
    register(sandbox)
    paid = authorize(sandbox)
    wrong = client(sandbox, password="not-the-password")
    result = wrong.capture(paid["payment_id"])
    assert result.outcome is Outcome.ERROR and result.code == "P002"
    assert status(sandbox, paid["payment_id"]) == "20"


def test_091_returns_one_notice_per_call_until_success_code_1(sandbox, paygent):
    paid = authorize(sandbox)
    paygent.capture(paid["payment_id"])
    seen = []
    for _ in range(5):
        result = paygent.fetch_notice()
        assert result.ok
        if result.get("success_code") == "1":
            break
        seen.append((result.get("payment_status"), result.get("event")))
    assert seen == [("20", "authorize"), ("40", "capture")]
    again = paygent.fetch_notice(payment_notice_id="1")
    assert again.get("payment_status") == "20"


def test_091_while_another_091_runs_is_9004(sandbox, paygent):
    from .paygent_helpers import MERCHANT
    assert sandbox.store.try_lock(f"091:{MERCHANT}")
    try:
        assert paygent.fetch_notice().code == "9004"
    finally:
        sandbox.store.unlock(f"091:{MERCHANT}")
    assert paygent.fetch_notice().ok


def test_authorisation_lapses_after_30_days_as_in_paygents_test_environment(sandbox, paygent):
    paid = authorize(sandbox)
    sandbox.control("clock", advance_days=31)
    result = paygent.capture(paid["payment_id"])
    assert result.code == "24006"
    assert paygent.inquire(paid["payment_id"]).get("payment_status") == "33"
    assert paygent.cancel_authorization(paid["payment_id"]).code == "24006"


def test_clock_at_29_days_still_captures(sandbox, paygent):
    paid = authorize(sandbox)
    sandbox.control("clock", advance_days=29)
    assert paygent.capture(paid["payment_id"]).ok


def test_refund_window_closes_90_days_after_capture(sandbox, paygent):
    paid = authorize(sandbox)
    sandbox.control("clock", advance_days=20)
    assert paygent.capture(paid["payment_id"]).ok
    sandbox.control("clock", advance_days=91)
    assert paygent.refund(paid["payment_id"]).code == "24006"
    assert paygent.inquire(paid["payment_id"]).get("payment_status") == "41"


def test_refund_still_possible_89_days_after_capture(sandbox, paygent):
    paid = authorize(sandbox)
    sandbox.control("clock", advance_days=20)
    assert paygent.capture(paid["payment_id"]).ok
    sandbox.control("clock", advance_days=89)
    assert paygent.refund(paid["payment_id"]).ok


def test_change_behind_the_shops_back_gives_24003(sandbox, paygent):
    paid = authorize(sandbox)
    sandbox.control(f"payments/{paid['payment_id']}/change", action="cancel", notify=False)
    result = paygent.capture(paid["payment_id"])
    assert result.code == "24003"


def test_concurrent_captures_capture_once(sandbox, paygent):
    paid = authorize(sandbox)
    results = []
    threads = [threading.Thread(target=lambda: results.append(paygent.capture(paid["payment_id"])))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.ok for r in results) == 1
    assert {r.code for r in results if not r.ok} == {"24003"}


def test_hook_sees_every_telegram_with_the_password_masked(sandbox):
    register(sandbox)
    records = []
    paygent = client(sandbox, records=records)
    paid = authorize(sandbox)
    paygent.capture(paid["payment_id"])
    assert [r.telegram_kind for r in records] == ["341"]
    assert records[0].request["connect_password"] == "********"
    assert "test-pass-xyz" not in repr(records[0])
    logged = sandbox.telegrams("341")[0]["request"]
    assert logged["connect_password"] == "********"


def test_missing_merchant_id_is_refused_and_nothing_happens(sandbox, paygent):
    paid = authorize(sandbox)
    nameless = PaygentClient(Credentials("", CONNECT_ID, PASSWORD), paygent.endpoint)
    result = nameless.capture(paid["payment_id"])
    assert result.outcome is Outcome.ERROR and result.code == "P002"
    assert status(sandbox, paid["payment_id"]) == "20"


OTHER = "900000456"


def test_notice_ids_count_per_merchant(sandbox, paygent):
    sandbox.store.upsert_merchant(OTHER, "other_connect", "other-pass", "other-key", "",
                                  "pk_test_other", "別の店")
    other = PaygentClient(Credentials(OTHER, "other_connect", "other-pass"), paygent.endpoint)
    mine = authorize(sandbox, "order00801", 1000)
    theirs = paygent_payment(sandbox, OTHER, "order00901")
    assert paygent.capture(mine["payment_id"]).ok
    assert other.capture(theirs).ok
    assert paygent.refund(mine["payment_id"]).ok
    assert other.cancel_authorization(theirs).code == "24003"

    def numbers(client):
        seen = []
        while (result := client.fetch_notice()).get("success_code") == "0":
            seen.append((result.get("payment_notice_id"), result.get("event")))
        return seen
    assert numbers(paygent) == [("1", "authorize"), ("2", "capture"), ("3", "refund")]
    assert numbers(other) == [("1", "authorize"), ("2", "capture")]
    assert other.fetch_notice(payment_notice_id="2").get("payment_id") == theirs
    assert paygent.fetch_notice(payment_notice_id="2").get("payment_id") == mine["payment_id"]


def paygent_payment(sandbox, merchant_id, trading_id, amount=2000) -> str:
    return _payment(sandbox.store, merchant_id, trading_id, amount)


def _payment(store, merchant_id, trading_id, amount=2000) -> str:
    from payments.sandbox.methods import paidy as sandbox_paygent
    return str(sandbox_paygent.create_authorized_payment(
        store, merchant_id, trading_id, amount)["payment_id"])


def test_each_merchants_notices_are_dispatched_in_their_order(tmp_path):
    from payments.sandbox import Store
    from payments.sandbox.dispatcher import Dispatcher
    store = Store(str(tmp_path / "sandbox.sqlite3"))  # no server, so no other sender
    store.upsert_merchant(MERCHANT, CONNECT_ID, PASSWORD, "key", "http://127.0.0.1:9/mine")
    store.upsert_merchant(OTHER, "other_connect", "other-pass", "other-key",
                          "http://127.0.0.1:9/theirs")
    for n in range(3):
        _payment(store, MERCHANT, f"order0081{n}")
        _payment(store, OTHER, f"order0091{n}")
    dispatcher = Dispatcher(store)
    sent = []
    while (notice := dispatcher._claim()) is not None:
        sent.append((notice["merchant_id"], notice["payment_notice_id"]))
        dispatcher._book(notice, True, "HTTP 200 b'result=0'")
    assert [n for m, n in sent if m == MERCHANT] == [1, 2, 3]
    assert [n for m, n in sent if m == OTHER] == [1, 2, 3]


OLD_NOTICES = """
CREATE TABLE notices (
    payment_notice_id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id TEXT NOT NULL,
    payment_id INTEGER NOT NULL,
    fields TEXT NOT NULL,
    created_at REAL NOT NULL,
    acknowledged INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    claimed_until REAL NOT NULL DEFAULT 0,
    last_reply TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notices_pending ON notices(acknowledged, next_attempt_at);
CREATE INDEX notices_merchant_open ON notices(merchant_id, acknowledged, payment_notice_id);
"""


def test_a_store_file_with_global_notice_numbers_is_brought_up_to_date(tmp_path):
    """Old files numbered notices once for all merchants: those keep their numbers (the shops
    have seen them) and each merchant's next notice follows its own highest."""
    import sqlite3
    import time

    from payments.sandbox import Store
    from payments.sandbox.methods import paidy as sandbox_paygent
    path = tmp_path / "sandbox.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(OLD_NOTICES)
    now = time.time()
    for merchant, payment in [(MERCHANT, 1), (OTHER, 2), (MERCHANT, 3), (OTHER, 4)]:
        old.execute("INSERT INTO notices(merchant_id, payment_id, fields, created_at, "
                    "acknowledged) VALUES(?,?,?,?,1)", (merchant, payment, "{}", now))
    old.commit()
    old.close()
    store = Store(str(path))
    store.upsert_merchant(MERCHANT, CONNECT_ID, PASSWORD, "k")
    store.upsert_merchant(OTHER, "other_connect", "other-pass", "k")
    rows = store.db.execute("SELECT merchant_id, payment_notice_id FROM notices ORDER BY id")
    assert [tuple(r) for r in rows] == [(MERCHANT, 1), (OTHER, 2), (MERCHANT, 3), (OTHER, 4)]
    sandbox_paygent.create_authorized_payment(store, OTHER, "order00999", 500)
    sandbox_paygent.create_authorized_payment(store, MERCHANT, "order00998", 500)
    newest = store.db.execute("SELECT merchant_id, payment_notice_id FROM notices "
                              "WHERE acknowledged=0 ORDER BY id").fetchall()
    assert [tuple(r) for r in newest] == [(OTHER, 5), (MERCHANT, 4)]
    again = Store(str(path))  # opening it again changes nothing
    assert again.db.execute("SELECT COUNT(*) FROM notices").fetchone()[0] == 6
