"""クレジットカード決済 through PAYGENT (token type): payment_type 02, telegrams 020–023, 028,
029 and 450 at /n/card/request.

Status table: seed 003 §2.3 (クレジット). Transitions: 売上 (022), 取消 (021) and 金額変更 as
オーソリ変更 (028) from オーソリOK while the authorisation is valid (60 days); 取消 (023) and 金額変更
as 売上変更 (029) from 消込済. Both amount changes make PAYGENT create a new payment for the new
amount (its reply names the new payment_id) and cancel the old one (→ 32 before capture, → 60
after); a lower amount after capture is how a card order is partly refunded. A timeout at the
card company parks the payment at 30/31/42 until PAYGENT settles it; a 094 answer tells.

020 (オーソリ) and 450 (3Dセキュア2.0認証) are sent at checkout, not by an operation: they are the
method's other telegrams. docs/card.md has the wire contract.
"""
from datetime import timedelta

from .base import CANCEL, CAPTURE, CHANGE, Method, Status, Transition, Window

PAYMENT_TYPE = "02"
TELEGRAM_PATH = "/n/card/request"
AUTHORIZE = "020"       # オーソリ (with sales_mode=1: オーソリ+売上, 同時売上)
AUTH_CANCEL = "021"     # オーソリ取消
CAPTURE_KIND = "022"    # 売上
SALES_CANCEL = "023"    # 売上取消
AUTH_CHANGE = "028"     # オーソリ変更
SALES_CHANGE = "029"    # 売上変更
TDS2 = "450"            # 3Dセキュア2.0認証
WINDOW_DAYS = 60        # an authorisation stays valid this long (seed 001: 約60日間)

APPLIED = "10"
AUTH_NG = "11"
TDS_ABORTED = "13"
TDS_AUTHENTICATING = "14"
AUTHORIZED = "20"
CAPTURE_REQUESTED = "30"
CANCEL_REQUESTED = "31"
CANCELLED = "32"
AUTH_EXPIRED = "33"
CAPTURED = "40"
CAPTURED_LOCKED = "41"
SALES_CANCEL_REQUESTED = "42"
SALES_CANCEL_COUNTING = "50"
SALES_CANCELLED = "60"

#: ペイジェント状況 in the seed's payment list before any amount change; after one, the
#: operation's name replaces it (CHANGED_LABELS).
UNPROCESSED = "未処理"
SOLD = "売上"
CHANGED_LABELS = {UNPROCESSED: "オーソリ変更", SOLD: "売上変更"}

STATUSES = (
    Status(APPLIED, "申込済", rank=0),
    Status(TDS_AUTHENTICATING, "3Dセキュア認証", rank=1),
    Status(TDS_ABORTED, "3Dセキュア中断", rank=2, final=True),
    Status(AUTH_NG, "オーソリNG", rank=2, final=True),
    Status(AUTHORIZED, "オーソリOK", rank=3, paid=True,
           order_label="新規受付", paygent_label=UNPROCESSED),
    Status(CAPTURE_REQUESTED, "売上要求中", rank=4, paid=True, order_label="新規受付",
           paygent_label=UNPROCESSED),
    Status(CANCEL_REQUESTED, "オーソリ取消中", rank=4, paid=True, order_label="新規受付",
           paygent_label=UNPROCESSED),
    Status(CAPTURED, "消込済", rank=5, paid=True, shown="売上済", order_label="入金済み",
           paygent_label=SOLD, stamps="captured_at"),
    Status(CAPTURED_LOCKED, "消込済(売上取消期限切)", rank=6, paid=True,
           shown="売上済（取消期限切れ）", order_label="入金済み", paygent_label=SOLD,
           final=True),
    Status(SALES_CANCEL_REQUESTED, "売上取消中", rank=7, paid=True, order_label="入金済み",
           paygent_label=SOLD),
    Status(SALES_CANCEL_COUNTING, "売上取消集計中", rank=8, paid=True, order_label="入金済み",
           paygent_label=SOLD),
    Status(CANCELLED, "オーソリ取消済", rank=9, shown="オーソリキャンセル済",
           order_label="注文取消し", paygent_label="オーソリキャンセル", stamps="cancelled_at",
           closes_order=True, final=True),
    Status(AUTH_EXPIRED, "オーソリ期限切", rank=9, shown="オーソリ期限切れ",
           order_label="注文取消し", paygent_label=UNPROCESSED, closes_order=True, final=True),
    Status(SALES_CANCELLED, "売上取消済", rank=10, shown="売上キャンセル済",
           order_label="注文取消し", paygent_label="売上キャンセル", stamps="refunded_at",
           closes_order=True, final=True),
)

AUTHORIZATION_WINDOW = Window(
    "authorized_at", timedelta(days=WINDOW_DAYS), AUTH_EXPIRED,
    f"オーソリから{WINDOW_DAYS}日を過ぎたため、オーソリ期限切れです。{{action}}はできません。",
    lapsed_name="オーソリ期限切れ")

TRANSITIONS = (
    Transition(CAPTURE, AUTHORIZED, CAPTURED, CAPTURE_KIND,
               settles_as=frozenset({CAPTURED, CAPTURED_LOCKED, SALES_CANCEL_REQUESTED,
                                     SALES_CANCEL_COUNTING, SALES_CANCELLED}),
               waiting=CAPTURE_REQUESTED, window=AUTHORIZATION_WINDOW),
    Transition(CANCEL, AUTHORIZED, CANCELLED, AUTH_CANCEL, settles_as=frozenset({CANCELLED}),
               waiting=CANCEL_REQUESTED, window=AUTHORIZATION_WINDOW),
    Transition(CANCEL, CAPTURED, SALES_CANCELLED, SALES_CANCEL,
               settles_as=frozenset({SALES_CANCELLED}), waiting=SALES_CANCEL_REQUESTED,
               name="売上取消"),
    # An amount change moves no payment: PAYGENT makes a new one at the same status for the
    # new amount and leaves the old one at ``replaced_status``, which is what a 094 answer
    # for the old payment_id shows once the change is done.
    Transition(CHANGE, AUTHORIZED, AUTHORIZED, AUTH_CHANGE,
               settles_as=frozenset({CANCELLED}), window=AUTHORIZATION_WINDOW,
               new_amount=True, replaced_status=CANCELLED, name="オーソリ変更",
               hint="金額変更は売上の前（オーソリ変更）または後（売上変更）に行えます。"),
    Transition(CHANGE, CAPTURED, CAPTURED, SALES_CHANGE,
               settles_as=frozenset({SALES_CANCELLED}), new_amount=True,
               replaced_status=SALES_CANCELLED, name="売上変更"),
)

CARD = Method(code="card", name="クレジットカード決済", system_name="ペイジェント(クレジット決済)",
              group="partner", payment_type=PAYMENT_TYPE, telegram_path=TELEGRAM_PATH,
              statuses=STATUSES, transitions=TRANSITIONS, other_telegrams=(AUTHORIZE, TDS2),
              changed_labels=CHANGED_LABELS)


def paygent_status_label(status: str, amount_changed: bool = False) -> str:
    """ペイジェント状況 (the card status of the order page, seed 001/003): 未処理, 売上,
    オーソリキャンセル, 売上キャンセル, or オーソリ変更 / 売上変更 once the amount was changed."""
    return CARD.paygent_status(status, amount_changed)
