"""The sandbox's payment methods, one module each (``paidy.py``, ``card.py``, and the deferred
``conveni.py``, ``atm.py``, ``bank.py`` sharing ``deferred.py``), and the card's services
``stored_card.py`` (カード情報お預かり) and ``file_payment.py`` (ファイル決済).

A method module declares a ``SandboxMethod``: the telegram kinds it answers and the PAYGENT
path each must arrive at, what PAYGENT's admin site can do to its payments, how time settles
them, and its own pages. The telegram endpoint (``paygent.py``) dispatches on what these
declare, so adding a method means adding a module here and listing it in ``ALL``.
"""
from ..base import SandboxMethod, Telegram
from .atm import ATM
from .bank import BANK
from .card import CARD
from .carrier import CARRIER
from .conveni import CONVENI
from .file_payment import FILE_PAYMENT
from .paidy import PAIDY
from .stored_card import STORED_CARD

#: Every method the sandbox stands in for.
ALL: tuple[SandboxMethod, ...] = (PAIDY, CARD, CONVENI, ATM, BANK, CARRIER)
#: Card services declared like a method (their own telegrams) that make or use card payments
#: but are no payment method of their own: the card store (025–027) and file payment
#: (200/201). Their payments are the card's (payment_type 02).
SERVICES: tuple[SandboxMethod, ...] = (STORED_CARD, FILE_PAYMENT)
_BY_PAYMENT_TYPE = {m.lib.payment_type: m for m in ALL}


def by_payment_type(payment_type: str) -> SandboxMethod | None:
    return _BY_PAYMENT_TYPE.get(payment_type)


def telegrams() -> tuple[Telegram, ...]:
    """Every method's own telegram kinds."""
    return tuple(t for m in (*ALL, *SERVICES) for t in m.telegrams)


def settle(store, db, payment, now):
    """Move a payment to where time has taken it, by the rules of its method."""
    method = by_payment_type(payment["payment_type"])
    return method.settle(store, db, payment, now) if method else payment


def status_name(payment_type: str, status: str) -> str:
    """PAYGENT's name of a payment's status (the code itself when no method knows it)."""
    method = by_payment_type(payment_type)
    return method.lib.status_name(status) if method else status


__all__ = ["ALL", "SERVICES", "by_payment_type", "settle", "status_name", "telegrams"]
