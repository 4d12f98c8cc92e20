"""あと払い(ペイディ) through PAYGENT: payment_type 22, telegrams 340–343 at /n/paidy/request.

Status table: seed 003 §2.3 (Paidy), with the names Paidy operators see. Transitions: 売上確定
(341) and キャンセル (340) from オーソリOK within 90 days of the authorisation, 返金 (342) from
消込済 within 90 days of the capture, of all or part of the amount (a partial refund leaves the
rest as a new PAYGENT payment at 消込済). A timeout parks the payment at 30/31/42 until PAYGENT
settles it.
"""
from datetime import timedelta

from .base import CANCEL, CAPTURE, REFUND, Method, Status, Transition, Window

PAYMENT_TYPE = "22"
TELEGRAM_PATH = "/n/paidy/request"
VERIFY = "343"          # 決済情報検証: what Paidy holds for a pay_… id
WINDOW_DAYS = 90

APPLIED = "10"
AUTH_NG = "11"
AUTHORIZED = "20"
CAPTURE_REQUESTED = "30"
CANCEL_REQUESTED = "31"
CANCELLED = "32"
AUTH_EXPIRED = "33"
CAPTURED = "40"
CAPTURED_LOCKED = "41"
REFUND_REQUESTED = "42"
REFUNDED = "60"

STATUSES = (
    Status(APPLIED, "申込済", rank=0),
    Status(AUTH_NG, "オーソリNG", rank=1, final=True),
    Status(AUTHORIZED, "オーソリOK", rank=2, paid=True,
           order_label="新規受付", paygent_label="オーソリOK"),
    Status(CAPTURE_REQUESTED, "売上要求中", rank=3, paid=True, order_label="新規受付"),
    Status(CANCEL_REQUESTED, "オーソリ取消中", rank=3, paid=True, order_label="新規受付"),
    Status(CAPTURED, "消込済", rank=4, paid=True, order_label="入金済み", paygent_label="売上",
           stamps="captured_at"),
    Status(CAPTURED_LOCKED, "消込済(売上取消期限切)", rank=5, paid=True,
           shown="消込済（返金期限切れ）", order_label="入金済み",
           paygent_label="売上(売上取消期限切)", final=True),
    Status(REFUND_REQUESTED, "返金要求中", rank=6, paid=True, order_label="新規受付"),
    Status(CANCELLED, "オーソリ取消済", rank=7, shown="キャンセル済", order_label="注文取消し",
           paygent_label="オーソリキャンセル", stamps="cancelled_at", final=True),
    Status(AUTH_EXPIRED, "オーソリ期限切", rank=7, order_label="注文取消し",
           paygent_label="オーソリ期限切れ", final=True),
    Status(REFUNDED, "売上取消済", rank=8, shown="全額返金済", order_label="注文取消し",
           paygent_label="売上キャンセル", stamps="refunded_at", final=True),
)

AUTHORIZATION_WINDOW = Window(
    "authorized_at", timedelta(days=WINDOW_DAYS), AUTH_EXPIRED,
    f"オーソリから{WINDOW_DAYS}日を過ぎたため、オーソリ期限切れです。{{action}}はできません。",
    lapsed_name="オーソリ期限切れ")
REFUND_WINDOW = Window(
    "captured_at", timedelta(days=WINDOW_DAYS), CAPTURED_LOCKED,
    f"売上確定から{WINDOW_DAYS}日を過ぎたため、{{action}}できません。")

TRANSITIONS = (
    Transition(CAPTURE, AUTHORIZED, CAPTURED, "341",
               settles_as=frozenset({CAPTURED, CAPTURED_LOCKED, REFUND_REQUESTED, REFUNDED}),
               waiting=CAPTURE_REQUESTED, window=AUTHORIZATION_WINDOW),
    Transition(CANCEL, AUTHORIZED, CANCELLED, "340", settles_as=frozenset({CANCELLED}),
               waiting=CANCEL_REQUESTED, window=AUTHORIZATION_WINDOW),
    Transition(REFUND, CAPTURED, REFUNDED, "342", settles_as=frozenset({REFUNDED}),
               waiting=REFUND_REQUESTED, window=REFUND_WINDOW, partial_target=CAPTURED,
               hint="返金は売上確定（消込済）の後に行えます。"),
)

PAIDY = Method(code="paidy", name="あと払い(ペイディ)", system_name="ペイジェント(あと払い(ペイディ))",
               group="partner", payment_type=PAYMENT_TYPE, telegram_path=TELEGRAM_PATH,
               statuses=STATUSES, transitions=TRANSITIONS, other_telegrams=(VERIFY,),
               reference_field="paidy_payment_id")
