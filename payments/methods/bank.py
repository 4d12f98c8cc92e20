"""銀行ネット決済 through PAYGENT: payment_type 05, telegrams 050 (銀行ネット決済申込, the bank
chosen at the shop) at /n/bank/request and 060 (銀行ネット決済ASP申込, the bank chosen on PAYGENT's
ネットバンク選択画面) at /n/bank/requestasp.

Status table: seed 003 §2.3 銀行ネット: 10 申込済 (入金待ち), 15 申込中断 (the buyer left the bank
page: shown as such, the order stays), 40 消込済 → 入金済み. Beyond the seed: 12 支払期限切 →
注文取消し, for the period 060 gives running out (unconfirmed that PAYGENT notifies it; seed 001
says PAYGENT cancels an unfinished bank payment after two days). No staff operation
(``payments.methods.deferred``). 支払期限日: N days from the purchase, default 7.
"""
from . import deferred
from .base import Method

CODE = "bank"
PAYMENT_TYPE = "05"
TELEGRAM_PATH = "/n/bank/request"
ASP_PATH = "/n/bank/requestasp"
APPLY = "050"            # 銀行ネット決済申込 (bank_code given)
APPLY_ASP = "060"        # 銀行ネット決済ASP申込 (PAYGENT's bank selection page)
DEADLINE = deferred.DeadlineRule(default_days=7, min_days=1, max_days=99, end_of_day=False)
MAX_AMOUNT = 9_999_999

APPLIED, EXPIRED, ABANDONED, CLEARED = (deferred.APPLIED, deferred.EXPIRED, deferred.ABANDONED,
                                        deferred.CLEARED)

STATUSES = (deferred.applied(), deferred.abandoned(), deferred.cleared(), deferred.expired())

BANK = Method(code=CODE, name="銀行ネット決済", system_name="ペイジェント(銀行ネット決済)",
              group="partner", payment_type=PAYMENT_TYPE, telegram_path=TELEGRAM_PATH,
              statuses=STATUSES, other_telegrams=(APPLY, APPLY_ASP),
              kind_paths={APPLY_ASP: ASP_PATH}, order_created_as=deferred.AWAITING_PAYMENT)
