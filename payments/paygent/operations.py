"""The fields of an operation's telegram (売上, 取消, 返金, 金額変更) from what the cart's
operations know: the payment, and an amount where the operation takes one. The telegram kind
decides the wire names; the operations themselves stay the same for every method."""
from payments.methods.card import AUTH_CHANGE, SALES_CHANGE

from . import card, carrier


def operation_fields(telegram_kind: str, payment_id: str, amount: int | None = None,
                     current_amount: int | None = None) -> dict:
    """The telegram's own fields (the common header is the client's). ``amount`` is a partial
    refund's amount (Paidy's 342) or an amount change's new amount (card 028 / 029, which also
    say whether it is lower than ``current_amount``; a carrier's 103, which takes only a lower
    one)."""
    if telegram_kind in (AUTH_CHANGE, SALES_CHANGE):
        return card.change_fields(payment_id, amount, current_amount)
    if telegram_kind in CARRIER_KINDS:
        return carrier.operation_fields(telegram_kind, payment_id, amount, current_amount)
    fields = {"payment_id": payment_id}
    if amount is not None:
        fields["amount"] = amount
    return fields


#: A carrier's 101 売上, 102 取消 and 103 補正売上 (payments.paygent.carrier)
CARRIER_KINDS = frozenset({carrier.CAPTURE, carrier.CANCEL, carrier.CORRECT})

#: Reply codes meaning the operation's main part is done but not all of it: the amount change
#: made its new payment, and the old one could not be cancelled.
HALF_DONE = frozenset({card.CHANGE_HALF_DONE})


def new_payment_id(result) -> str:
    """The new payment an operation's reply names (a partial refund's rest, an amount change)."""
    return result.get("payment_id") if result.ok or result.code in HALF_DONE else ""
