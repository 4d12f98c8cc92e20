"""The Paidy method's tables, exhaustively (payments/methods/paidy.py read by base.py).

Every status PAYGENT may report (plus an unknown code and "") × every action (plus an unknown
one) × in flight or not × each payment time inside, exactly at and one second past its 90-day
window × with and without an earlier partial refund, against what is expected below. The
expectations are written out here from seed 003 §2.3 and the operation rules, on their own:
nothing is read from the module's tables, so changing any entry of them fails a case.
"""
from dataclasses import FrozenInstanceError
from datetime import datetime, timedelta, timezone
from itertools import product

import pytest

from payments.methods import PAIDY, PaymentState, RuleViolation
from payments.methods.base import Status, Transition, Window

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
NINETY_DAYS = timedelta(days=90)
AMOUNT = 1000

CAPTURE, CANCEL, REFUND, UNKNOWN_ACTION = "capture", "cancel", "refund", "void"
ACTIONS = (CAPTURE, CANCEL, REFUND, UNKNOWN_ACTION)
NAMES = {CAPTURE: "売上確定", CANCEL: "キャンセル", REFUND: "返金"}

# -- the status table (seed 003 §2.3, Paidy) ---------------------------------------------------
# code: (決済ステータス, rank, paid, 決済状況 on the order page, 差分通知後の対応状況, ペイジェント状況)
# ("" stands for the seed's "-"). Statuses on one rank are alternatives, neither ahead.
EXPECTED_STATUSES = {
    "10": ("申込済", 0, False, "申込済", "", ""),
    "11": ("オーソリNG", 1, False, "オーソリNG", "", ""),
    "20": ("オーソリOK", 2, True, "オーソリOK", "新規受付", "オーソリOK"),
    "30": ("売上要求中", 3, True, "売上要求中", "新規受付", ""),
    "31": ("オーソリ取消中", 3, True, "オーソリ取消中", "新規受付", ""),
    "32": ("オーソリ取消済", 7, False, "キャンセル済", "注文取消し", "オーソリキャンセル"),
    "33": ("オーソリ期限切", 7, False, "オーソリ期限切れ", "注文取消し", "オーソリ期限切れ"),
    "40": ("消込済", 4, True, "消込済", "入金済み", "売上"),
    "41": ("消込済(売上取消期限切)", 5, True, "消込済（返金期限切れ）", "入金済み",
           "売上(売上取消期限切)"),
    "42": ("返金要求中", 6, True, "返金要求中", "新規受付", ""),
    "60": ("売上取消済", 8, False, "全額返金済", "注文取消し", "売上キャンセル"),
}
KNOWN = list(EXPECTED_STATUSES)
UNKNOWN_CODES = ["99", ""]
CODES = KNOWN + UNKNOWN_CODES
PAID = {"20", "30", "31", "40", "41", "42"}
# the payment's time a status records when first reached (the others record none)
STAMPS = {"40": "captured_at", "32": "cancelled_at", "60": "refunded_at"}

# -- the transition table --------------------------------------------------------------------
# (status, action): (after success, after a partial success or None, the window it runs in)
AUTH, CAPTURE_WINDOW = "authorisation", "capture"
EXPECTED_TRANSITIONS = {
    ("20", CAPTURE): ("40", None, AUTH),
    ("20", CANCEL): ("32", None, AUTH),
    ("40", REFUND): ("60", "40", CAPTURE_WINDOW),
}
# action: (telegram, status PAYGENT parks it at on a timeout, statuses a 094 answer settles it as)
EXPECTED_OPERATIONS = {
    CAPTURE: ("341", "30", {"40", "41", "42", "60"}),
    CANCEL: ("340", "31", {"32"}),
    REFUND: ("342", "42", {"60"}),
}
# window: (where PAYGENT moves the payment once it has closed, the operations it limits)
EXPECTED_WINDOWS = {AUTH: ("33", {CAPTURE, CANCEL}), CAPTURE_WINDOW: ("41", {REFUND})}

# -- the payment's times ---------------------------------------------------------------------
TIMES = {  # label: how long ago (None: not recorded)
    "none": None,
    "recent": DAY,
    "at90d": NINETY_DAYS,               # exactly at the window's end: still inside
    "past90d": NINETY_DAYS + SECOND,    # one second past it: closed
}

IN_FLIGHT_MESSAGE = ("この受注には処理結果を確認中の操作があります。"
                     "「最新の状態を取得」で結果を確認してから操作してください。")
NOT_ALLOWED = "この操作は行えません。"


def make_state(status, auth="recent", captured="none", in_flight=False, refunded=0,
               amount=AMOUNT):
    def at(label):
        return None if TIMES[label] is None else NOW - TIMES[label]
    return PaymentState(status=status, amount=amount, authorized_at=at(auth),
                        captured_at=at(captured), in_flight=in_flight, refunded=refunded)


# -- the oracle: what the rules must answer, from the tables above ---------------------------
def expected_lapsed(status, auth, captured):
    """Which window has closed on the payment's current status (None: none)."""
    if status == "33" or (status == "20" and auth == "past90d"):
        return AUTH
    if status == "41" or (status == "40" and captured == "past90d"):
        return CAPTURE_WINDOW
    return None


def expected_display(status, auth, captured, in_flight, refunded):
    if in_flight:
        return "処理結果を確認中"
    if expected_lapsed(status, auth, captured) == AUTH:
        return "オーソリ期限切れ"
    if status not in EXPECTED_STATUSES:
        return status or "確認中"
    shown = EXPECTED_STATUSES[status][3]
    if status == "40" and refunded:
        shown += "（一部返金済）"
    return shown


def expected_allowed(status, auth, captured, in_flight, amount=AMOUNT):
    if in_flight:
        return set()
    allowed = set()
    for (source, action), (_, partial, window) in EXPECTED_TRANSITIONS.items():
        if source != status or expected_lapsed(status, auth, captured) == window:
            continue
        if partial is not None and amount <= 0:
            continue
        allowed.add(action)
    return allowed


def expected_refusal(status, auth, captured, in_flight, refunded, action, amount,
                     held=AMOUNT):
    """The exact message check() raises, or None when the operation may run."""
    if action not in NAMES:
        return NOT_ALLOWED
    if in_flight:
        return IN_FLIGHT_MESSAGE
    name = NAMES[action]
    lapsed = expected_lapsed(status, auth, captured)
    if action in (CAPTURE, CANCEL):
        if lapsed == AUTH:
            return f"オーソリから90日を過ぎたため、オーソリ期限切れです。{name}はできません。"
        if status != "20":
            shown = expected_display(status, auth, captured, in_flight, refunded)
            return f"決済状況が「{shown}」のため、{name}はできません。"
        return None
    if lapsed == CAPTURE_WINDOW:
        return "売上確定から90日を過ぎたため、返金できません。"
    if status != "40":
        shown = expected_display(status, auth, captured, in_flight, refunded)
        return (f"決済状況が「{shown}」のため、返金はできません。"
                "返金は売上確定（消込済）の後に行えます。")
    if held <= 0:
        return "返金可能額がないため、返金はできません。"
    if amount is None:
        return None
    if isinstance(amount, bool) or not isinstance(amount, int):
        return "返金額は半角数字（整数）で入力してください。"
    if amount < 1:
        return "返金額は1円以上で入力してください。"
    if amount > held:
        return f"返金額が返金可能額（{held:,}円）を超えています。"
    return None


REFUND_AMOUNTS = [None, 0, -1, 1, AMOUNT - 1, AMOUNT, AMOUNT + 1, 10.5, float(AMOUNT), "500",
                  True, False]


def refusal(state, action, amount=None):
    try:
        PAIDY.check(state, action, NOW, amount)
    except RuleViolation as violation:
        return str(violation)
    return None


# -- every state × every action --------------------------------------------------------------
STATES = list(product(CODES, TIMES, TIMES, (False, True), (0, 500)))


def _state_id(case):
    status, auth, captured, in_flight, refunded = case
    return (f"{status or 'empty'}-auth_{auth}-captured_{captured}-"
            f"{'in_flight' if in_flight else 'idle'}-refunded_{refunded}")


@pytest.mark.parametrize("case", STATES, ids=_state_id)
def test_every_state_and_action(case):
    status, auth, captured, in_flight, refunded = case
    state = make_state(status, auth, captured, in_flight, refunded)

    # (a) the buttons
    assert PAIDY.allowed_actions(state, NOW) == expected_allowed(status, auth, captured,
                                                                 in_flight)
    # (e) 決済状況
    assert PAIDY.display_status(state, NOW) == expected_display(status, auth, captured,
                                                                in_flight, refunded)
    # the window that has closed, and where PAYGENT takes the payment then
    lapsed = PAIDY.lapsed(state, NOW)
    window = expected_lapsed(status, auth, captured)
    assert (lapsed and lapsed.lapsed_status) == (window and EXPECTED_WINDOWS[window][0])

    # (b) the server refuses exactly what the buttons do not offer, with the exact reason
    wrong = []
    for action in ACTIONS:
        for amount in REFUND_AMOUNTS:
            got = refusal(state, action, amount)
            want = expected_refusal(status, auth, captured, in_flight, refunded, action,
                                    amount)
            if got != want:
                wrong.append((action, amount, got, want))
        assert (refusal(state, action) is None) is (
            action in PAIDY.allowed_actions(state, NOW)), action
    assert not wrong


# A few of the cases above, written out in full.
@pytest.mark.parametrize("state, allowed, shown", [
    (make_state("20"), {CAPTURE, CANCEL}, "オーソリOK"),
    (make_state("20", auth="at90d"), {CAPTURE, CANCEL}, "オーソリOK"),
    (make_state("20", auth="past90d"), set(), "オーソリ期限切れ"),
    (make_state("33"), set(), "オーソリ期限切れ"),
    (make_state("20", in_flight=True), set(), "処理結果を確認中"),
    (make_state("40", captured="at90d"), {REFUND}, "消込済"),
    (make_state("40", captured="past90d"), set(), "消込済"),
    (make_state("40", captured="recent", refunded=500), {REFUND}, "消込済（一部返金済）"),
    (make_state("41", captured="past90d", refunded=500), set(), "消込済（返金期限切れ）"),
    (make_state("42", captured="recent"), set(), "返金要求中"),
    (make_state("60", captured="recent"), set(), "全額返金済"),
    (make_state("32"), set(), "キャンセル済"),
    (make_state("99"), set(), "99"),
    (make_state(""), set(), "確認中"),
])
def test_examples(state, allowed, shown):
    assert PAIDY.allowed_actions(state, NOW) == allowed
    assert PAIDY.display_status(state, NOW) == shown


@pytest.mark.parametrize("state, action, amount, message", [
    (make_state("20", auth="past90d"), CANCEL, None,
     "オーソリから90日を過ぎたため、オーソリ期限切れです。キャンセルはできません。"),
    (make_state("40", captured="past90d"), REFUND, 1, "売上確定から90日を過ぎたため、返金できません。"),
    (make_state("41"), CAPTURE, None, "決済状況が「消込済（返金期限切れ）」のため、売上確定はできません。"),
    (make_state("20"), REFUND, None,
     "決済状況が「オーソリOK」のため、返金はできません。返金は売上確定（消込済）の後に行えます。"),
    (make_state("40", captured="recent"), REFUND, 1001, "返金額が返金可能額（1,000円）を超えています。"),
    (make_state("40", captured="recent"), REFUND, 0, "返金額は1円以上で入力してください。"),
    (make_state("40", captured="recent"), REFUND, True, "返金額は半角数字（整数）で入力してください。"),
    (make_state("40", captured="recent", amount=0), REFUND, None,
     "返金可能額がないため、返金はできません。"),
    (make_state("20", in_flight=True), CAPTURE, None, IN_FLIGHT_MESSAGE),
    (make_state("20", in_flight=True), UNKNOWN_ACTION, None, NOT_ALLOWED),
])
def test_refusal_examples(state, action, amount, message):
    assert refusal(state, action, amount) == message


@pytest.mark.parametrize("status", CODES, ids=lambda code: code or "empty")
@pytest.mark.parametrize("held", [-1, 0, 1, AMOUNT])
def test_what_paygent_holds(status, held):
    """Nothing left to refund: no 返金 button, and the server refuses it too; capture and
    cancel do not look at the amount."""
    state = make_state(status, captured="recent", amount=held)
    assert PAIDY.allowed_actions(state, NOW) == expected_allowed(status, "recent", "recent",
                                                                 False, held)
    for action in ACTIONS:
        for amount in REFUND_AMOUNTS:
            assert refusal(state, action, amount) == expected_refusal(
                status, "recent", "recent", False, 0, action, amount, held), (action, amount)
        assert (refusal(state, action) is None) is (action in PAIDY.allowed_actions(state, NOW))


def test_the_amount_over_a_thousand_is_written_with_a_separator():
    state = make_state("40", captured="recent", amount=1234567)
    assert refusal(state, REFUND, 1234568) == "返金額が返金可能額（1,234,567円）を超えています。"
    assert refusal(state, REFUND, 1234567) is None


def test_capture_and_cancel_ignore_an_amount():
    state = make_state("20")
    for action in (CAPTURE, CANCEL):
        for amount in REFUND_AMOUNTS:
            assert refusal(state, action, amount) is None, (action, amount)


# -- (c) where a successful operation leaves the payment -------------------------------------
@pytest.mark.parametrize("status, action, partial", list(product(CODES, ACTIONS, (False, True))))
def test_after(status, action, partial):
    expected = EXPECTED_TRANSITIONS.get((status, action))
    if expected is None:
        with pytest.raises(RuleViolation) as refused:
            PAIDY.after(status, action, partial)
        assert str(refused.value) == NOT_ALLOWED
        assert PAIDY.transition(status, action) is None
    else:
        target, partial_target, _ = expected
        assert PAIDY.after(status, action, partial) == (
            partial_target if partial and partial_target else target)
        assert PAIDY.after(status, action) == target
        assert PAIDY.transition(status, action).target == target


# -- (d) what a 094 answer means for an operation ---------------------------------------------
@pytest.mark.parametrize("action", ACTIONS)
def test_settled(action):
    if action not in EXPECTED_OPERATIONS:
        assert PAIDY.settled(action) == (frozenset(), frozenset())
        return
    _, waiting, done = EXPECTED_OPERATIONS[action]
    assert PAIDY.settled(action) == (frozenset(done), frozenset({waiting}))


# -- the transitions, field by field ---------------------------------------------------------
def test_the_transition_table_is_exactly_the_expected_one():
    got = {(t.source, t.action): (t.target, t.partial_target,
                                  AUTH if t.window.since == "authorized_at" else CAPTURE_WINDOW)
           for t in PAIDY.transitions}
    assert got == EXPECTED_TRANSITIONS
    assert len(PAIDY.transitions) == len(EXPECTED_TRANSITIONS)


@pytest.mark.parametrize("action", [CAPTURE, CANCEL, REFUND])
def test_each_operation_telegram_waiting_status_and_settling(action):
    telegram, waiting, done = EXPECTED_OPERATIONS[action]
    (transition,) = [t for t in PAIDY.transitions if t.action == action]
    assert transition.telegram == telegram
    assert transition.waiting == waiting
    assert transition.settles_as == frozenset(done)


@pytest.mark.parametrize("action", [CAPTURE, CANCEL, REFUND])
def test_each_operation_window(action):
    (transition,) = [t for t in PAIDY.transitions if t.action == action]
    window = transition.window
    expected = AUTH if action in EXPECTED_WINDOWS[AUTH][1] else CAPTURE_WINDOW
    assert window.since == {AUTH: "authorized_at", CAPTURE_WINDOW: "captured_at"}[expected]
    assert window.length == NINETY_DAYS
    assert window.lapsed_status == EXPECTED_WINDOWS[expected][0]
    assert window.lapsed_name == {AUTH: "オーソリ期限切れ", CAPTURE_WINDOW: ""}[expected]


def test_hints():
    hints = {t.action: t.hint for t in PAIDY.transitions}
    assert hints == {CAPTURE: "", CANCEL: "", REFUND: "返金は売上確定（消込済）の後に行えます。"}


# -- (f) the status table --------------------------------------------------------------------
@pytest.mark.parametrize("code", KNOWN)
def test_status_names_and_labels(code):
    name, rank, paid, shown, order_label, paygent_label = EXPECTED_STATUSES[code]
    status = PAIDY.status(code)
    assert status.code == code
    assert status.name == name
    assert PAIDY.status_name(code) == name
    assert status.rank == rank
    assert PAIDY.rank(code) == rank
    assert status.paid is paid
    assert status.order_label == order_label
    assert status.paygent_label == paygent_label
    assert status.stamps == STAMPS.get(code, "")
    # 決済状況 as shown: its own name unless it says otherwise
    assert (status.shown or status.name) == (shown if code != "33" else name)


def test_the_statuses_are_exactly_the_seed_s_in_its_order():
    assert [s.code for s in PAIDY.statuses] == ["10", "11", "20", "30", "31", "40", "41", "42",
                                                "32", "33", "60"]
    assert set(EXPECTED_STATUSES) == {s.code for s in PAIDY.statuses}


def test_paid_statuses():
    assert PAIDY.paid_statuses() == frozenset(PAID)
    assert PAID == {code for code, row in EXPECTED_STATUSES.items() if row[2]}


@pytest.mark.parametrize("code", UNKNOWN_CODES + ["2", "020", "ab"])
def test_an_unknown_code(code):
    assert PAIDY.status(code) is None
    assert PAIDY.status_name(code) == code
    assert PAIDY.rank(code) == -1


def _rank(code):
    return EXPECTED_STATUSES[code][1] if code in EXPECTED_STATUSES else -1


@pytest.mark.parametrize("new, current", list(product(CODES, CODES)))
def test_moves_forward_and_is_ahead_for_every_pair(new, current):
    assert PAIDY.moves_forward(new, current) is (_rank(new) >= _rank(current))
    assert PAIDY.is_ahead(new, current) is (_rank(new) > _rank(current))


@pytest.mark.parametrize("start, action", list(EXPECTED_TRANSITIONS))
def test_an_operation_moves_the_payment_forward(start, action):
    target, partial_target, _ = EXPECTED_TRANSITIONS[(start, action)]
    _, waiting, _ = EXPECTED_OPERATIONS[action]
    assert PAIDY.is_ahead(waiting, start) and PAIDY.is_ahead(target, waiting)
    if partial_target is not None:  # the remainder is a new payment, level with the old one
        assert PAIDY.moves_forward(partial_target, start)


# -- the method itself -----------------------------------------------------------------------
def test_the_method():
    assert PAIDY.code == "paidy"
    assert PAIDY.name == "あと払い(ペイディ)"
    assert PAIDY.system_name == "ペイジェント(あと払い(ペイディ))"
    assert PAIDY.group == "partner"
    assert PAIDY.payment_type == "22"
    assert PAIDY.through_paygent is True
    assert PAIDY.telegram_path == "/n/paidy/request"
    assert PAIDY.other_telegrams == ("343",)
    assert PAIDY.telegram_kinds() == frozenset({"340", "341", "342", "343"})
    assert PAIDY.actions == (CAPTURE, CANCEL, REFUND)
    assert PAIDY.reference_field == "paidy_payment_id"
    assert PAIDY.operated_statuses() == frozenset({"20", "40"})


def test_a_payment_state_is_idle_and_unrefunded_by_default():
    state = PaymentState(status="20", amount=AMOUNT, authorized_at=NOW, captured_at=None)
    assert state.in_flight is False
    assert state.refunded == 0
    assert PAIDY.allowed_actions(state, NOW) == {CAPTURE, CANCEL}
    assert PAIDY.display_status(PaymentState("40", AMOUNT, NOW, NOW), NOW) == "消込済"


def test_a_status_is_shown_by_its_name_and_proves_nothing_by_default():
    status = Status("10", "申込済", rank=0)
    assert (status.paid, status.shown, status.order_label, status.paygent_label,
            status.stamps) == (False, "", "", "", "")


def test_a_transition_without_a_window_or_a_partial_target_by_default():
    transition = Transition(CAPTURE, "20", "40", "341", settles_as=frozenset())
    assert (transition.waiting, transition.window, transition.partial_target,
            transition.hint) == (None, None, None, "")
    window = Window("authorized_at", DAY, "33", "")
    assert window.lapsed_name == ""


@pytest.mark.parametrize("value, field", [
    (PaymentState("20", AMOUNT, NOW, None), "status"),
    (PAIDY.status("20"), "code"),
    (PAIDY.transitions[0], "target"),
    (PAIDY.transitions[0].window, "length"),
    (PAIDY, "code"),
])
def test_the_tables_cannot_be_changed_at_run_time(value, field):
    with pytest.raises(FrozenInstanceError):
        setattr(value, field, getattr(value, field))
