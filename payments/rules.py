"""Payment operation rules (O6), pure: the same answers for the buttons and for the server.

``allowed_actions(state, now)`` decides which buttons the order page shows; ``check`` refuses
a request the same way; ``after`` says where a successful operation leaves the payment.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from payments import status as st

WINDOW = timedelta(days=90)

CAPTURE = "capture"
CANCEL = "cancel"
REFUND = "refund"
ACTIONS = (CAPTURE, CANCEL, REFUND)
ACTION_NAMES = {CAPTURE: "売上確定", CANCEL: "キャンセル", REFUND: "返金"}


class RuleViolation(Exception):
    """The operation is not allowed now; the message says why, in Japanese."""


@dataclass(frozen=True)
class PaymentState:
    status: str                     # PAYGENT status code of the payment the order uses now
    amount: int                     # what PAYGENT holds now (the refundable amount when 40)
    authorized_at: datetime | None
    captured_at: datetime | None
    in_flight: bool = False         # an operation was sent and its outcome is not settled
    refunded: int = 0               # refunded so far through partial refunds


def authorization_lapsed(state: PaymentState, now: datetime) -> bool:
    return state.status == st.AUTH_EXPIRED or (
        state.status == st.AUTHORIZED and state.authorized_at is not None
        and now - state.authorized_at > WINDOW)


def refund_window_closed(state: PaymentState, now: datetime) -> bool:
    return state.status == st.CAPTURED_LOCKED or (
        state.status == st.CAPTURED and state.captured_at is not None
        and now - state.captured_at > WINDOW)


def allowed_actions(state: PaymentState, now: datetime) -> frozenset[str]:
    if state.in_flight:
        return frozenset()
    if state.status == st.AUTHORIZED and not authorization_lapsed(state, now):
        return frozenset({CAPTURE, CANCEL})
    if state.status == st.CAPTURED and not refund_window_closed(state, now) and state.amount > 0:
        return frozenset({REFUND})
    return frozenset()


def check(state: PaymentState, action: str, now: datetime, amount: int | None = None) -> None:
    """Raise RuleViolation unless ``action`` (with a refund ``amount``) may run now."""
    if action not in ACTIONS:
        raise RuleViolation("この操作は行えません。")
    if state.in_flight:
        raise RuleViolation("この受注には処理結果を確認中の操作があります。"
                            "「最新の状態を取得」で結果を確認してから操作してください。")
    if action in (CAPTURE, CANCEL):
        if authorization_lapsed(state, now):
            raise RuleViolation("オーソリから90日を過ぎたため、オーソリ期限切れです。"
                                f"{ACTION_NAMES[action]}はできません。")
        if state.status != st.AUTHORIZED:
            raise RuleViolation(f"決済状況が「{display_status(state, now)}」のため、"
                                f"{ACTION_NAMES[action]}はできません。")
        return
    if refund_window_closed(state, now):
        raise RuleViolation("売上確定から90日を過ぎたため、返金できません。")
    if state.status != st.CAPTURED:
        raise RuleViolation(f"決済状況が「{display_status(state, now)}」のため、返金はできません。"
                            "返金は売上確定（消込済）の後に行えます。")
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise RuleViolation("返金額は半角数字（整数）で入力してください。")
        if amount < 1:
            raise RuleViolation("返金額は1円以上で入力してください。")
        if amount > state.amount:
            raise RuleViolation(f"返金額が返金可能額（{state.amount:,}円）を超えています。")


def after(status: str, action: str, partial: bool = False) -> str:
    """The status the payment the order uses is in after a successful operation."""
    if action == CAPTURE and status == st.AUTHORIZED:
        return st.CAPTURED
    if action == CANCEL and status == st.AUTHORIZED:
        return st.CANCELLED
    if action == REFUND and status == st.CAPTURED:
        return st.CAPTURED if partial else st.REFUNDED  # partial: the new payment, at 40
    raise RuleViolation("この操作は行えません。")


def display_status(state: PaymentState, now: datetime) -> str:
    """決済状況 as the order page shows it."""
    if state.in_flight:
        return "処理結果を確認中"
    if authorization_lapsed(state, now):
        return "オーソリ期限切れ"
    names = {
        st.AUTHORIZED: "オーソリOK",
        st.CAPTURED: "消込済",
        st.CAPTURED_LOCKED: "消込済（返金期限切れ）",
        st.CANCELLED: "キャンセル済",
        st.REFUNDED: "全額返金済",
        st.CAPTURE_REQUESTED: "売上要求中",
        st.CANCEL_REQUESTED: "オーソリ取消中",
        st.REFUND_REQUESTED: "返金要求中",
        st.AUTH_NG: "オーソリNG",
    }
    name = names.get(state.status, st.name(state.status) if state.status else "確認中")
    if state.status == st.CAPTURED and state.refunded:
        name += "（一部返金済）"
    return name
