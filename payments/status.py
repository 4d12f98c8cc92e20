"""PAYGENT payment status codes, with the Japanese names Paidy operators see."""

AUTH_NG = "11"
AUTHORIZED = "20"          # オーソリOK
CAPTURE_REQUESTED = "30"   # 売上要求中 (Paidy timeout; settles later)
CANCEL_REQUESTED = "31"    # オーソリ取消中
CANCELLED = "32"           # オーソリ取消済
AUTH_EXPIRED = "33"        # オーソリ期限切
CAPTURED = "40"            # 消込済
CAPTURED_LOCKED = "41"     # 消込済(売上取消期限切)
REFUND_REQUESTED = "42"    # 返金要求中
REFUNDED = "60"            # 売上取消済

PAIDY_PAYMENT_TYPE = "22"

PAIDY_NAMES = {
    "10": "申込済",
    AUTH_NG: "オーソリNG",
    AUTHORIZED: "オーソリOK",
    CAPTURE_REQUESTED: "売上要求中",
    CANCEL_REQUESTED: "オーソリ取消中",
    CANCELLED: "オーソリ取消済",
    AUTH_EXPIRED: "オーソリ期限切",
    CAPTURED: "消込済",
    CAPTURED_LOCKED: "消込済(売上取消期限切)",
    REFUND_REQUESTED: "返金要求中",
    REFUNDED: "売上取消済",
}

#: Statuses PAYGENT passes through while Paidy has not answered; never notified.
INTERMEDIATE = {CAPTURE_REQUESTED, CANCEL_REQUESTED, REFUND_REQUESTED}

#: Final statuses: nothing moves a payment out of them.
FINAL = {CANCELLED, AUTH_EXPIRED, REFUNDED}


#: How far along its life a Paidy payment is: what PAYGENT says may only move it forward
#: (notices arrive in any order; an inquiry may answer before an operation that overtook it).
PROGRESS = {
    "10": 0, AUTH_NG: 1, AUTHORIZED: 2, CAPTURE_REQUESTED: 3, CANCEL_REQUESTED: 3,
    CAPTURED: 4, CAPTURED_LOCKED: 5, REFUND_REQUESTED: 6, CANCELLED: 7, AUTH_EXPIRED: 7,
    REFUNDED: 8,
}


def moves_forward(new: str, current: str) -> bool:
    """Whether ``new`` is at least as far along as ``current`` (unknown codes count as -1)."""
    return PROGRESS.get(new, -1) >= PROGRESS.get(current, -1)


def name(status: str) -> str:
    return PAIDY_NAMES.get(status, status)
