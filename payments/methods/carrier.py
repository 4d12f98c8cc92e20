"""携帯キャリア決済 through PAYGENT: payment_type 06, telegrams 100 (申込: the hand-over to the
carrier's authorisation page), 101 (売上), 102 (取消) and 103 (補正売上: 売上変更) at /n/c/request.

Three carriers (the payment's ``variant``): d払い, auかんたん決済 (au / UQ mobile / povo) and
ソフトバンクまとめて支払い・ワイモバイルまとめて支払い. Status table: seed 003 §2.3 携帯キャリア.
Transitions: seed 003 §2.2.2 (which wins over seed 000 §5 where they differ), per carrier:

============  ==========  ==========  ======  ==========
              オーソリOK   オーソリ完了  消込済   消込完了
============  ==========  ==========  ======  ==========
d払い 売上      ○           ○           -       -
d払い 取消      ○           ○           -       ○
d払い 売上変更  ○           ○           -       ○
SoftBank 売上   ○           ○           -
SoftBank 取消   ○           ○           ○
SoftBank 変更   ○           ○           -
au 売上         ○                       -
au 取消         ○                       ○
au 売上変更     ○                       -
============  ==========  ==========  ======  ==========

売上変更 (103) takes only a lower amount (seed 000 §3); the same amount is a plain 売上 (101):
``capture_action`` says which. The payment keeps its payment_id (unlike the card's amount
changes). 消込済 becomes 消込完了 the next day: by 03:30 JST after a 消込済 reached before 20:00,
a day later otherwise (``completion_due``). docs/carrier-payments.md has the wire contract and
what of it is unconfirmed.
"""
from datetime import datetime, time, timedelta, timezone

from .base import CANCEL, CAPTURE, CHANGE, Method, RuleViolation, Status, Transition

CODE = "carrier"
PAYMENT_TYPE = "06"
TELEGRAM_PATH = "/n/c/request"
APPLY = "100"           # 申込 (user authentication at the carrier, hand-over to its page)
CAPTURE_KIND = "101"    # 売上
CANCEL_KIND = "102"     # 取消
CORRECT_KIND = "103"    # 補正売上 (売上変更: a lower amount)

# -- the carriers (PaymentState.variant) ------------------------------------------------------
DOCOMO, AU, SOFTBANK = "docomo", "au", "softbank"
CARRIER_NAMES = {DOCOMO: "d払い", AU: "auかんたん決済",
                 SOFTBANK: "ソフトバンクまとめて支払い"}
#: what the settings page (seed 003 §1.6.2 利用決済) lists
SETTINGS_NAMES = {DOCOMO: "d払い", AU: "auかんたん決済(au / UQ mobile / povo)",
                  SOFTBANK: "ソフトバンクまとめて支払い・ワイモバイルまとめて支払い"}
CARRIERS = tuple(CARRIER_NAMES)
ALL_CARRIERS = frozenset(CARRIERS)

JST = timezone(timedelta(hours=9))
COMPLETION_CUTOFF = time(20, 0)      # a 消込済 reached before this …
COMPLETION_AT = time(3, 30)          # … is 消込完了 from this time the next day

# -- statuses (seed 003 §2.3 携帯キャリア) ----------------------------------------------------
APPLIED = "10"
ABANDONED = "15"
AUTHORIZED = "20"
AUTH_COMPLETED = "21"
CAPTURE_REQUESTED = "30"
CANCELLED = "32"
AUTH_EXPIRED = "33"
CORRECTION_REQUESTED = "34"
CAPTURED = "40"
CAPTURED_LOCKED = "41"
SALES_CANCEL_REQUESTED = "42"
COMPLETED = "44"
SALES_CANCELLED = "60"
CANCEL_COMPLETED = "62"

NEW, PAID, CLOSED = "新規受付", "入金済み", "注文取消し"
#: 差分通知後の対応状況 the seed gives 34 and 42: whichever the order was at (unchanged)
EITHER = "新規受付/入金済み"
SOLD, SOLD_CHANGED, VOIDED = "売上", "売上変更", "取消"

STATUSES = (
    Status(APPLIED, "申込済", rank=0),
    Status(ABANDONED, "申込中断", rank=1, final=True),
    Status(AUTHORIZED, "オーソリOK", rank=2, paid=True, order_label=NEW,
           stamps="authorized_at"),
    Status(AUTH_COMPLETED, "オーソリ完了", rank=3, paid=True, order_label=NEW),
    Status(CAPTURE_REQUESTED, "売上要求中", rank=4, paid=True, order_label=NEW),
    Status(CORRECTION_REQUESTED, "補正要求中", rank=4, paid=True, order_label=EITHER),
    Status(CAPTURED, "消込済", rank=5, paid=True, shown="売上済", order_label=PAID,
           paygent_label=SOLD, changed_label=SOLD_CHANGED, stamps="captured_at"),
    Status(CAPTURED_LOCKED, "消込済(売上取消期限切)", rank=6, paid=True,
           shown="売上済（取消期限切れ）", order_label=PAID, paygent_label=SOLD,
           changed_label=SOLD_CHANGED, final=True),
    Status(COMPLETED, "消込完了", rank=6, paid=True, shown="売上確定済", order_label=PAID,
           paygent_label=SOLD),
    Status(SALES_CANCEL_REQUESTED, "売上取消中", rank=7, paid=True, order_label=EITHER,
           paygent_label=SOLD, changed_label=SOLD_CHANGED),
    Status(CANCELLED, "オーソリ取消済", rank=8, shown="取消済", order_label=CLOSED,
           paygent_label=VOIDED, stamps="cancelled_at", closes_order=True, final=True),
    Status(AUTH_EXPIRED, "オーソリ期限切", rank=8, shown="オーソリ期限切れ", order_label=CLOSED,
           closes_order=True, final=True),
    Status(SALES_CANCELLED, "売上取消済", rank=9, shown="売上取消済", order_label=CLOSED,
           paygent_label=VOIDED, stamps="refunded_at", closes_order=True, final=True),
    Status(CANCEL_COMPLETED, "取消完了", rank=10, shown="取消完了", order_label=CLOSED,
           paygent_label=VOIDED, stamps="refunded_at", closes_order=True, final=True),
)

AFTER_CAPTURE = frozenset({CAPTURED, CAPTURED_LOCKED, COMPLETED, SALES_CANCEL_REQUESTED,
                           SALES_CANCELLED, CANCEL_COMPLETED})
AFTER_SALES_CANCEL = frozenset({SALES_CANCELLED, CANCEL_COMPLETED})
BEFORE_CAPTURE = frozenset({DOCOMO, AU, SOFTBANK})      # オーソリOK: every carrier
AUTH_COMPLETED_CARRIERS = frozenset({DOCOMO, SOFTBANK})  # オーソリ完了: not au
CHANGE_NAME = "売上変更"

COMPLETED_HINT = ("d払いの取消・売上変更は、消込完了（売上の翌日3:30以降）になってから"
                  "行えます。")
CAPTURED_HINT = "売上後の取消は、消込済の間（消込完了になる前）に行えます。"
LOWER_HINT = "売上変更は売上の前（オーソリOK・オーソリ完了）に、現在より低い金額で行えます。"

# The order matters for one thing only: a refusal's hint is the first one of the transitions
# the payment's carrier has for the action, so d払い's (from 消込完了) come first.
TRANSITIONS = (
    # d払い: from 消込完了 only (seed 003: ○ under 消込完了, - under 消込済)
    Transition(CANCEL, COMPLETED, CANCEL_COMPLETED, CANCEL_KIND,
               settles_as=AFTER_SALES_CANCEL, waiting=SALES_CANCEL_REQUESTED,
               name="売上取消", hint=COMPLETED_HINT, variants=frozenset({DOCOMO})),
    Transition(CHANGE, COMPLETED, COMPLETED, CORRECT_KIND,
               settles_as=frozenset({COMPLETED}), waiting=CORRECTION_REQUESTED,
               new_amount=True, lower_only=True, name=CHANGE_NAME, hint=COMPLETED_HINT,
               variants=frozenset({DOCOMO})),
    # au and SoftBank: 取消 from 消込済 (seed 003; seed 000 had none for SoftBank)
    Transition(CANCEL, CAPTURED, SALES_CANCELLED, CANCEL_KIND,
               settles_as=AFTER_SALES_CANCEL, waiting=SALES_CANCEL_REQUESTED,
               name="売上取消", hint=CAPTURED_HINT, variants=frozenset({AU, SOFTBANK})),
    # before capture
    Transition(CAPTURE, AUTHORIZED, CAPTURED, CAPTURE_KIND, settles_as=AFTER_CAPTURE,
               waiting=CAPTURE_REQUESTED, variants=BEFORE_CAPTURE),
    Transition(CAPTURE, AUTH_COMPLETED, CAPTURED, CAPTURE_KIND, settles_as=AFTER_CAPTURE,
               waiting=CAPTURE_REQUESTED, variants=AUTH_COMPLETED_CARRIERS),
    Transition(CANCEL, AUTHORIZED, CANCELLED, CANCEL_KIND, settles_as=frozenset({CANCELLED}),
               variants=BEFORE_CAPTURE),
    Transition(CANCEL, AUTH_COMPLETED, CANCELLED, CANCEL_KIND,
               settles_as=frozenset({CANCELLED}), variants=AUTH_COMPLETED_CARRIERS),
    Transition(CHANGE, AUTHORIZED, CAPTURED, CORRECT_KIND, settles_as=AFTER_CAPTURE,
               waiting=CORRECTION_REQUESTED, new_amount=True, lower_only=True,
               name=CHANGE_NAME, hint=LOWER_HINT, variants=BEFORE_CAPTURE),
    Transition(CHANGE, AUTH_COMPLETED, CAPTURED, CORRECT_KIND, settles_as=AFTER_CAPTURE,
               waiting=CORRECTION_REQUESTED, new_amount=True, lower_only=True,
               name=CHANGE_NAME, hint=LOWER_HINT, variants=AUTH_COMPLETED_CARRIERS),
)

CARRIER = Method(code=CODE, name="携帯キャリア決済", system_name="ペイジェント(携帯キャリア決済)",
                 group="partner", payment_type=PAYMENT_TYPE, telegram_path=TELEGRAM_PATH,
                 statuses=STATUSES, transitions=TRANSITIONS, other_telegrams=(APPLY,),
                 variants=CARRIER_NAMES, variant_label="携帯キャリア")


def capture_action(amount: int, current_amount: int) -> str:
    """What 売上 after a 金額補正 sends (seed 000 §3): the same amount is a plain 売上 (CAPTURE,
    101), a lower one a 補正売上 (CHANGE, 103); a higher one is refused."""
    for value in (amount, current_amount):
        if isinstance(value, bool) or not isinstance(value, int):
            raise RuleViolation("変更後の金額は半角数字（整数）で入力してください。")
    if amount < 1:
        raise RuleViolation("変更後の金額は1円以上で入力してください。")
    if amount == current_amount:
        return CAPTURE
    if amount > current_amount:
        raise RuleViolation(f"補正後の金額が補正前の金額（{current_amount:,}円）を超えているため、"
                            "売上できません。")
    return CHANGE


def completion_due(captured_at: datetime) -> datetime:
    """When PAYGENT moves a payment that reached 消込済 at ``captured_at`` to 消込完了 (seed
    003 §2.2.2): 03:30 JST the next day when it was before 20:00 JST, the day after otherwise.
    A naive time is UTC; the answer is in JST."""
    moment = captured_at if captured_at.tzinfo else captured_at.replace(tzinfo=timezone.utc)
    local = moment.astimezone(JST)
    days = 1 if local.time() < COMPLETION_CUTOFF else 2
    return datetime.combine(local.date() + timedelta(days=days), COMPLETION_AT, JST)


def carrier_table() -> list[str]:
    """The per-carrier table (seed 003 §2.2.2) as the rules read it, in Markdown."""
    columns = (AUTHORIZED, AUTH_COMPLETED, CAPTURED, COMPLETED)
    header = ["携帯キャリア", "処理"] + [f"{c} {CARRIER.status_name(c)}" for c in columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for carrier in CARRIERS:
        for action in (CAPTURE, CANCEL, CHANGE):
            cells = []
            for source in columns:
                t = CARRIER.transition(source, action, carrier)
                cells.append(f"○ {t.telegram} → {t.target}" if t else "-")
            label = CARRIER.operation_name(AUTHORIZED, action, carrier)
            if action == CANCEL:
                label = "取消"
            lines.append(f"| {CARRIER_NAMES[carrier]} | {label} | " + " | ".join(cells) + " |")
    return lines
