"""ATM決済（ペイジー） through PAYGENT: payment_type 01, telegram 010 at /n/atm/request.

Status table: seed 003 §2.3 ATM: 10 申込済 (入金待ち), 40 消込済 → 入金済み, 12 支払期限切 →
注文取消し with the stock given back. No staff operation (``payments.methods.deferred``).
支払期限日: N days from the purchase, default 30. The buyer pays at a bank's or ゆうちょ's ATM
(or their net banking's Pay-easy) with the 収納機関番号, お客様番号 and 確認番号 010 returns.
"""
from . import deferred
from .base import Method

CODE = "atm"
PAYMENT_TYPE = "01"
TELEGRAM_PATH = "/n/atm/request"
APPLY = "010"            # ATM決済申込
DEADLINE = deferred.DeadlineRule(default_days=30, min_days=1, max_days=60)
MAX_AMOUNT = 999_999     # unconfirmed; cash at an ATM is limited to 10万円 by the banks

APPLIED, EXPIRED, CLEARED = deferred.APPLIED, deferred.EXPIRED, deferred.CLEARED

STATUSES = (deferred.applied(), deferred.cleared(), deferred.expired())

ATM = Method(code=CODE, name="ATM決済（ペイジー）", system_name="ペイジェント(ATM決済)",
             group="partner", payment_type=PAYMENT_TYPE, telegram_path=TELEGRAM_PATH,
             statuses=STATUSES, other_telegrams=(APPLY,),
             order_created_as=deferred.AWAITING_PAYMENT)

#: What the completion page and the mail call the three numbers.
NUMBER_LABELS = {"pay_center_number": "収納機関番号", "customer_number": "お客様番号",
                 "conf_number": "確認番号"}
