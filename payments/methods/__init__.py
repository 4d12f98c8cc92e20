"""Payment methods, one module each: what PAYGENT calls them, their status and transition
tables, and the rules read from those tables. Nothing here knows Flask or the cart's models.

``get(code)`` is the one way to a method; shared code asks the method, never its name.

``ALL`` is what the cart offers and lists. A method whose library part is built before the cart
offers it is in ``PREVIEW`` instead: ``get``/``find`` know it (so its payments resolve), the
sandbox and ``all_telegram_paths`` include it, but no list of the cart's shows it yet.
"""
from .base import (ACTION_NAMES, ACTIONS, CANCEL, CAPTURE, REFUND, Method, PaymentState,
                   RuleViolation, Status, Transition, Window)
from .atm import ATM
from .bank import BANK
from .basic import BANK_TRANSFER, COD
from .card import CARD
from .carrier import CARRIER
from .conveni import CONVENI
from .paidy import PAIDY

#: Every method the cart offers, in the order the settings list them.
ALL: tuple[Method, ...] = (PAIDY, CARD, CARRIER, CONVENI, ATM, BANK, BANK_TRANSFER, COD)
#: Methods built in the library that the cart does not offer or list yet.
PREVIEW: tuple[Method, ...] = ()
CODES = tuple(m.code for m in ALL)
_BY_CODE = {m.code: m for m in (*ALL, *PREVIEW)}


def get(code: str) -> Method:
    """The method stored under ``code`` (KeyError for a code no module declares)."""
    return _BY_CODE[code]


def find(code: str) -> Method | None:
    return _BY_CODE.get(code)


def by_payment_type(payment_type: str) -> Method | None:
    return next((m for m in ALL if m.payment_type and m.payment_type == payment_type), None)


def telegram_paths() -> dict[str, str]:
    """Each method's own telegram kinds and the PAYGENT path they go to."""
    return {kind: m.path_for(kind) for m in ALL for kind in m.telegram_kinds()}


def all_methods() -> tuple[Method, ...]:
    """Every method the library declares, offered or not (the sandbox stands for all)."""
    return (*ALL, *PREVIEW)


def any_by_payment_type(payment_type: str) -> Method | None:
    """``by_payment_type`` over every declared method, offered or not."""
    return next((m for m in all_methods() if m.payment_type
                 and m.payment_type == payment_type), None)


def all_telegram_paths() -> dict[str, str]:
    """``telegram_paths`` over every declared method, offered or not."""
    return {kind: m.path_for(kind) for m in all_methods() for kind in m.telegram_kinds()}


__all__ = ["ACTIONS", "ACTION_NAMES", "ALL", "CANCEL", "CAPTURE", "CODES", "REFUND", "Method",
           "PaymentState", "RuleViolation", "Status", "Transition", "Window", "by_payment_type",
           "find", "get", "telegram_paths"]
