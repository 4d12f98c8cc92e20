"""O6 as a table: the same answers for the buttons (allowed_actions) and the server (check)."""
from datetime import datetime, timedelta, timezone

import pytest

from payments import rules
from payments.rules import CANCEL, CAPTURE, REFUND, PaymentState, RuleViolation

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def state(status, amount=1000, auth_days=1, capture_days=None, in_flight=False, refunded=0):
    return PaymentState(status=status, amount=amount, authorized_at=NOW - auth_days * DAY,
                        captured_at=None if capture_days is None else NOW - capture_days * DAY,
                        in_flight=in_flight, refunded=refunded)


@pytest.mark.parametrize("s, allowed, shown", [
    (state("20"), {CAPTURE, CANCEL}, "オーソリOK"),
    (state("20", auth_days=90), {CAPTURE, CANCEL}, "オーソリOK"),
    (state("20", auth_days=91), set(), "オーソリ期限切れ"),
    (state("33"), set(), "オーソリ期限切れ"),
    (state("40", capture_days=1), {REFUND}, "消込済"),
    (state("40", capture_days=1, refunded=500), {REFUND}, "消込済（一部返金済）"),
    (state("40", capture_days=91), set(), "消込済"),
    (state("41", capture_days=95), set(), "消込済（返金期限切れ）"),
    (state("32"), set(), "キャンセル済"),
    (state("60", capture_days=1), set(), "全額返金済"),
    (state("30"), set(), "売上要求中"),
    (state("20", in_flight=True), set(), "処理結果を確認中"),
])
def test_allowed_actions_table(s, allowed, shown):
    assert rules.allowed_actions(s, NOW) == allowed
    assert rules.display_status(s, NOW) == shown
    for action in rules.ACTIONS:
        if action in allowed:
            rules.check(s, action, NOW)
        else:
            with pytest.raises(RuleViolation):
                rules.check(s, action, NOW)


@pytest.mark.parametrize("amount, ok", [(1, True), (1000, True), (1001, False), (0, False),
                                        (-5, False), (10.5, False), (True, False)])
def test_refund_amounts(amount, ok):
    s = state("40", capture_days=1)
    if ok:
        rules.check(s, REFUND, NOW, amount)
    else:
        with pytest.raises(RuleViolation):
            rules.check(s, REFUND, NOW, amount)


def test_messages_are_japanese_and_specific():
    with pytest.raises(RuleViolation, match="返金可能額（1,000円）を超えています"):
        rules.check(state("40", capture_days=1), REFUND, NOW, 1001)
    with pytest.raises(RuleViolation, match="オーソリ期限切れ"):
        rules.check(state("20", auth_days=91), CAPTURE, NOW)
    with pytest.raises(RuleViolation, match="売上確定（消込済）の後"):
        rules.check(state("20"), REFUND, NOW)


@pytest.mark.parametrize("status, action, partial, after", [
    ("20", CAPTURE, False, "40"), ("20", CANCEL, False, "32"), ("40", REFUND, False, "60"),
    ("40", REFUND, True, "40")])
def test_transitions(status, action, partial, after):
    assert rules.after(status, action, partial) == after


@pytest.mark.parametrize("status, action", [("40", CAPTURE), ("32", CANCEL), ("20", REFUND)])
def test_illegal_transitions(status, action):
    with pytest.raises(RuleViolation):
        rules.after(status, action)


# -- the 90-day windows, to the second -------------------------------------------------------
WINDOW = timedelta(days=90)
SECOND = timedelta(seconds=1)


def _at(status, authorized_ago, captured_ago=None, amount=1000):
    return PaymentState(status=status, amount=amount, authorized_at=NOW - authorized_ago,
                        captured_at=None if captured_ago is None else NOW - captured_ago)


def test_a_capture_exactly_90_days_ago_is_still_refundable():
    s = _at("40", WINDOW + 3 * DAY, WINDOW)
    assert not rules.refund_window_closed(s, NOW)
    assert rules.allowed_actions(s, NOW) == {REFUND}
    rules.check(s, REFUND, NOW)
    rules.check(s, REFUND, NOW, 1)
    rules.check(s, REFUND, NOW, 1000)
    assert rules.display_status(s, NOW) == "消込済"


def test_a_capture_90_days_and_a_second_ago_is_not():
    s = _at("40", WINDOW + 3 * DAY, WINDOW + SECOND)
    assert rules.refund_window_closed(s, NOW)
    assert rules.allowed_actions(s, NOW) == frozenset()
    for amount in (None, 1, 1000):
        with pytest.raises(RuleViolation, match="^売上確定から90日を過ぎたため、返金できません。$"):
            rules.check(s, REFUND, NOW, amount)


def test_an_authorisation_exactly_90_days_ago_can_still_be_captured_or_cancelled():
    s = _at("20", WINDOW)
    assert not rules.authorization_lapsed(s, NOW)
    assert rules.allowed_actions(s, NOW) == {CAPTURE, CANCEL}
    rules.check(s, CAPTURE, NOW)
    rules.check(s, CANCEL, NOW)
    assert rules.display_status(s, NOW) == "オーソリOK"


def test_an_authorisation_90_days_and_a_second_ago_has_lapsed():
    s = _at("20", WINDOW + SECOND)
    assert rules.authorization_lapsed(s, NOW)
    assert rules.allowed_actions(s, NOW) == frozenset()
    assert rules.display_status(s, NOW) == "オーソリ期限切れ"
    for action, name in ((CAPTURE, "売上確定"), (CANCEL, "キャンセル")):
        with pytest.raises(RuleViolation, match=f"^オーソリから90日を過ぎたため、オーソリ期限切れです。"
                                                f"{name}はできません。$"):
            rules.check(s, action, NOW)


def test_the_authorisation_window_does_not_limit_refunds():
    """Refunds count 90 days from the capture, however old the authorisation is."""
    s = _at("40", WINDOW * 2, WINDOW)
    assert rules.allowed_actions(s, NOW) == {REFUND}


# -- a refund of 0 ---------------------------------------------------------------------------
@pytest.mark.parametrize("amount", [0, -1])
def test_a_refund_below_1_yen_is_refused_with_the_japanese_message(amount):
    s = state("40", capture_days=1)
    with pytest.raises(RuleViolation, match="^返金額は1円以上で入力してください。$"):
        rules.check(s, REFUND, NOW, amount)
    rules.check(s, REFUND, NOW, 1)  # one yen is the least that goes through
