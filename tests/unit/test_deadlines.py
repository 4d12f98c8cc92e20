"""Every method's deadlines (cart/deadlines.py reading payments/methods/*): オーソリ有効期限,
返金期限 and 支払期限 with the days left, before, on and past them, and the wording once passed.

The expectations are written out here (Paidy: 90 days from the authorisation and from the
capture; card: 60 days from the authorisation; carrier: none; コンビニ・ATM・銀行ネット: the
支払期限 the buyer was given), so a change to a method's window fails a case.
"""
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from cart import deadlines, operations
from payments import methods
from payments.methods import PaymentState

JST = timezone(timedelta(hours=9))
NOW = datetime(2026, 12, 19, 12, 0, tzinfo=JST)      # 土曜日 12:00 JST
DAY = timedelta(days=1)

# method code → status → [(label, since, days, actions)] of the windows on that status
EXPECTED = {
    "paidy": {
        "20": [("オーソリ有効期限", "authorized_at", 90, ("capture", "cancel"))],
        "33": [("オーソリ有効期限", "authorized_at", 90, ("capture", "cancel"))],
        "40": [("返金期限", "captured_at", 90, ("refund",))],
        "41": [("返金期限", "captured_at", 90, ("refund",))],
    },
    "card": {
        "20": [("オーソリ有効期限", "authorized_at", 60, ("capture", "cancel", "change"))],
        "33": [("オーソリ有効期限", "authorized_at", 60, ("capture", "cancel", "change"))],
    },
}


def _state(status, authorized=None, captured=None, **kw):
    return PaymentState(status=status, amount=kw.pop("amount", 5000), authorized_at=authorized,
                        captured_at=captured, **kw)


@pytest.mark.parametrize("code", methods.CODES)
def test_each_methods_windows_on_each_status(code):
    lib = methods.get(code)
    authorized, captured = NOW - 10 * DAY, NOW - 5 * DAY
    for status in [s.code for s in lib.statuses] + [""]:
        for variant in list(lib.variants) or [""]:
            found = deadlines.of_state(lib, _state(status, authorized, captured,
                                                   variant=variant), NOW)
            expected = EXPECTED.get(code, {}).get(status, [])
            assert [(d.label, d.kind, d.until, d.actions) for d in found] == [
                (label, since, {"authorized_at": authorized, "captured_at": captured}[since]
                 + days * DAY, actions) for label, since, days, actions in expected], (
                code, status, variant)


def test_an_authorised_paidy_payment_counts_down_its_90_days():
    lib = methods.get("paidy")
    authorized = datetime(2026, 10, 1, 10, 0, tzinfo=JST)      # valid until 12月30日 10:00
    (d,) = deadlines.of_state(lib, _state("20", authorized), NOW)
    assert d.text == "オーソリ有効期限 2026年12月30日(水) 10:00 まで（残り11日）"
    assert d.span == "オーソリから90日" and d.names == "売上確定・キャンセル"
    assert not d.warning and not d.passed and d.short == "オーソリ期限 残り11日"
    (d,) = deadlines.of_state(lib, _state("20", authorized), NOW + 4 * DAY)
    assert d.warning and d.short == "オーソリ期限 残り7日"
    (d,) = deadlines.of_state(lib, _state("20", authorized), datetime(2026, 12, 30, 9, 0, tzinfo=JST))
    assert d.left_text == "本日まで" and d.days_left == 0 and d.warning


def test_days_are_counted_in_japan_calendar_days():
    lib = methods.get("card")
    authorized = datetime(2026, 10, 21, 1, 0, tzinfo=JST)      # until 12月20日 01:00 JST
    late = datetime(2026, 12, 19, 23, 30, tzinfo=JST)
    (d,) = deadlines.of_state(lib, _state("20", authorized), late)
    assert d.days_left == 1 and d.short == "オーソリ期限 残り1日"


def test_an_expired_authorisation_says_what_happened_and_what_is_left():
    lib = methods.get("paidy")
    authorized = datetime(2026, 9, 2, 9, 0, tzinfo=JST)        # until 12月1日 09:00
    state = _state("20", authorized)
    (d,) = deadlines.of_state(lib, state, NOW)
    assert d.passed and d.days_left < 0 and d.text.endswith("（期限切れ）")
    assert d.expired_text(lib.allowed_actions(state, NOW)) == (
        "オーソリの有効期限（2026年12月1日）を過ぎたため、売上確定はできません。"
        "ペイジェント管理画面で状態をご確認のうえ、必要であればキャンセルしてください。")
    assert deadlines.nearest([d]) == d          # still waiting at オーソリOK: the lists say so
    assert d.short == "オーソリ期限 期限切れ"


def test_a_card_authorisation_past_60_days_names_capture_and_amount_change():
    lib = methods.get("card")
    authorized = NOW - 61 * DAY
    state = _state("20", authorized)
    (d,) = deadlines.of_state(lib, state, NOW)
    day = (authorized + 60 * DAY).astimezone(JST)
    assert d.expired_text(lib.allowed_actions(state, NOW)) == (
        f"オーソリの有効期限（{day.year}年{day.month}月{day.day}日）を過ぎたため、"
        "売上確定・金額変更はできません。"
        "ペイジェント管理画面で状態をご確認のうえ、必要であればキャンセルしてください。")


def test_an_authorisation_paygent_expired_is_not_to_be_cancelled():
    lib = methods.get("paidy")
    (d,) = deadlines.of_state(lib, _state("33", NOW - 95 * DAY), NOW)
    assert d.passed and d.closed_by_paygent
    assert d.expired_text().endswith("はできません。ペイジェント管理画面で状態をご確認ください。")
    assert deadlines.nearest([d]) is None       # 決済状況 says オーソリ期限切れ already


def test_a_captured_paidy_payment_is_refundable_for_90_days_then_not():
    lib = methods.get("paidy")
    captured = datetime(2026, 11, 1, 15, 0, tzinfo=JST)        # until 2027年1月30日 15:00
    (d,) = deadlines.of_state(lib, _state("40", NOW - 40 * DAY, captured), NOW)
    assert d.label == "返金期限" and d.text == "返金期限 2027年1月30日(土) 15:00 まで（残り42日）"
    assert d.span == "売上確定から90日"
    later = NOW + 43 * DAY
    for status in ("40", "41"):     # past the window, or PAYGENT moved it to 売上取消期限切
        state = _state(status, NOW - 40 * DAY, captured)
        (d,) = deadlines.of_state(lib, state, later)
        assert d.passed
        assert d.expired_text(lib.allowed_actions(state, later)) == (
            "返金期限（2027年1月30日）を過ぎたため、この画面から返金できません。")


def test_a_partly_refunded_payment_keeps_its_refund_window_a_fully_refunded_one_has_none():
    lib = methods.get("paidy")
    captured = NOW - 10 * DAY
    (d,) = deadlines.of_state(lib, _state("40", NOW - 20 * DAY, captured, refunded=1000), NOW)
    assert d.label == "返金期限" and d.days_left == 80
    assert deadlines.of_state(lib, _state("60", NOW - 20 * DAY, captured), NOW) == []


def test_a_captured_card_payment_and_a_cancelled_one_have_no_deadline():
    lib = methods.get("card")
    assert deadlines.of_state(lib, _state("40", NOW - 70 * DAY, NOW - 65 * DAY), NOW) == []
    assert deadlines.of_state(lib, _state("32", NOW - 70 * DAY), NOW) == []


@pytest.mark.parametrize("code", ["conveni", "atm", "bank"])
def test_a_deferred_payments_due_date(code):
    lib = methods.get(code)
    due = datetime(2026, 12, 22, 23, 59, 59, tzinfo=JST)
    (d,) = deadlines.of_state(lib, _state("10"), NOW, due)
    assert d.label == "支払期限" and d.text == "支払期限 2026年12月22日(火) 23:59 まで（残り3日）"
    assert d.warning and d.actions == () and d.span == ""
    (d,) = deadlines.of_state(lib, _state(""), NOW, due)          # no payment status yet
    assert d.days_left == 3
    after = due + timedelta(hours=2)
    (d,) = deadlines.of_state(lib, _state("10"), after, due)
    assert d.passed and d.expired_text() == (
        "支払期限（2026年12月22日）を過ぎました。ペイジェントからの通知がない場合は、"
        "定期処理で決済情報を照会して反映します。")
    assert deadlines.of_state(lib, _state("40"), after, due) == []   # paid: nothing is due
    (d,) = deadlines.of_state(lib, _state("12"), after, due)        # 支払期限切: the order closed
    assert d.passed and d.expired_text() == "" and deadlines.nearest([d]) is None


def test_without_a_payment_time_there_is_no_window():
    assert deadlines.of_state(methods.get("paidy"), _state("20"), NOW) == []


def test_of_payment_reads_the_moved_clock(monkeypatch):
    payment = SimpleNamespace(lib=methods.get("card"), status="20", amount=3000,
                              authorized_at=datetime(2026, 11, 1, 3, 0),   # naive UTC
                              captured_at=None, in_flight_attempt_id=None, refunded=0,
                              variant="", paygent_payment_id="1")
    monkeypatch.setattr(operations, "now", lambda: datetime(2026, 12, 25, 3, 0,
                                                            tzinfo=timezone.utc))
    (d,) = deadlines.of_payment(payment)
    assert d.days_left == 6 and d.warning
    monkeypatch.setattr(operations, "now", lambda: datetime(2027, 1, 1, 3, 0,
                                                            tzinfo=timezone.utc))
    (d,) = deadlines.of_payment(payment)
    assert d.passed


def test_nearest_prefers_an_open_deadline():
    lib = methods.get("paidy")
    found = deadlines.of_state(lib, _state("20", NOW - 3 * DAY), NOW)
    assert deadlines.nearest(found) == found[0] and deadlines.nearest([]) is None


@pytest.mark.parametrize("value, days", [("7", 7), ("0", 0), ("90", 90), ("91", None),
                                         ("", None), ("abc", None), ("-1", None),
                                         ("７", None), (None, None), ("99999999", None)])
def test_the_expiring_argument(value, days):
    assert deadlines.days_arg(value) == days
