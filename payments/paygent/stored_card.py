"""カード情報お預かり (PAYGENT's card store): 025 顧客カード情報登録, 026 顧客カード情報削除,
027 顧客カード情報照会 at /n/card/request, and what 020 sends to authorise a stored card instead
of a token (``card.authorize_fields(customer_id=…, customer_card_id=…)``).

A card is stored from a token made by PaygentToken.js in the buyer's browser; the shop keeps
PAYGENT's ``customer_card_id`` and what 027 shows (a masked number, the expiry), never the
card. docs/file-payment.md has the wire facts and what of them is unconfirmed.

``customer_id`` and ``customer_card_id`` follow the rule in ``customers.py`` (``customer_id``:
1–20 ASCII letters, digits, ``-``, ``_``; the cart sends "M" + the member's number).
"""
from dataclasses import dataclass

from payments.methods.card import TELEGRAM_PATH

from . import card, codes
from .customers import CUSTOMER_ID_MAX, check_card_id, check_customer_id, customer_id_problem
from .results import Outcome, TelegramResult

PATH = TELEGRAM_PATH
REGISTER, DELETE, INQUIRE = "025", "026", "027"

VALID_CHECK = "1"       # 025 valid_check_flg: ask the card company before storing

# response codes (the sandbox's choice, see docs/file-payment.md)
CARD_NOT_FOUND = "2050"     # no such stored card for this customer (026, 020 stored)
CUSTOMER_NOT_FOUND = "2051"  # the customer has no stored card (file payment records)


# -- building ------------------------------------------------------------------------------
def register_fields(customer_id: str, token: str, valid_check: bool = False) -> dict:
    """025: store the token's card for the customer. ``valid_check`` asks for PAYGENT's
    カード有効性チェック first (a card the company refuses is not stored)."""
    if not isinstance(token, str) or not token.strip():
        raise ValueError("token is required")
    fields = {"customer_id": check_customer_id(customer_id), "card_token": token.strip()}
    if valid_check:
        fields["valid_check_flg"] = VALID_CHECK
    return fields


def delete_fields(customer_id: str, customer_card_id: str) -> dict:
    """026: remove one stored card of the customer."""
    return {"customer_id": check_customer_id(customer_id),
            "customer_card_id": check_card_id(customer_card_id)}


def inquire_fields(customer_id: str) -> dict:
    """027: the customer's stored cards."""
    return {"customer_id": check_customer_id(customer_id)}


# -- reading -------------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredCard:
    """One card as 027 lists it."""
    customer_card_id: str
    masked_card_number: str
    valid_term: str          # MMYY as PAYGENT gives it
    card_brand: str = ""
    cardholder_name: str = ""

    @property
    def expiry(self) -> str:
        """MM/YY for the buyer's eyes ("" when PAYGENT gave none)."""
        term = self.valid_term
        return f"{term[:2]}/{term[2:]}" if len(term) == 4 and term.isdigit() else term


@dataclass(frozen=True)
class Registered:
    """What 025 says."""
    outcome: Outcome
    customer_card_id: str
    code: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


@dataclass(frozen=True)
class Deleted:
    """What 026 says."""
    outcome: Outcome
    code: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


@dataclass(frozen=True)
class Cards:
    """What 027 says: the customer's cards (none is not an error)."""
    outcome: Outcome
    cards: tuple[StoredCard, ...] = ()
    code: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


def _message(result: TelegramResult) -> str:
    return "" if result.ok else (result.detail or codes.explain(result.code))


def read_registered(result: TelegramResult) -> Registered:
    card_id = result.get("customer_card_id") if result.ok else ""
    outcome = result.outcome
    if result.ok and not card_id:  # accepted, yet no id to charge later: ask 027
        outcome = Outcome.UNKNOWN
    return Registered(outcome, card_id, result.code, _message(result))


def read_deleted(result: TelegramResult) -> Deleted:
    return Deleted(result.outcome, result.code, _message(result))


def read_cards(result: TelegramResult) -> Cards:
    if not result.ok:
        return Cards(result.outcome, (), result.code, _message(result))
    cards = tuple(StoredCard(row.get("customer_card_id", ""), row.get("card_number", ""),
                             row.get("card_valid_term", ""), row.get("card_brand", ""),
                             row.get("cardholder_name", ""))
                  for row in result.rows if row.get("customer_card_id"))
    return Cards(result.outcome, cards)


@dataclass(frozen=True)
class StoredAuthorization:
    """What a 020 with a stored card says (a decline still names its オーソリNG payment)."""
    outcome: Outcome
    payment_id: str
    code: str = ""
    message: str = ""
    masked_card_number: str = ""
    card_brand: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


def read_stored_authorization(result: TelegramResult) -> StoredAuthorization:
    return StoredAuthorization(result.outcome, result.get("payment_id"), result.code,
                               _message(result), result.get("masked_card_number"),
                               result.get("card_brand"))


# -- sending -------------------------------------------------------------------------------
def register_card(client, customer_id: str, token: str, valid_check: bool = False) -> Registered:
    return read_registered(client.send(REGISTER, **register_fields(customer_id, token,
                                                                   valid_check)))


def delete_card(client, customer_id: str, customer_card_id: str) -> Deleted:
    return read_deleted(client.send(DELETE, **delete_fields(customer_id, customer_card_id)))


def list_cards(client, customer_id: str) -> Cards:
    return read_cards(client.send(INQUIRE, **inquire_fields(customer_id)))


def authorize_stored(client, *, trading_id: str, amount: int, customer_id: str,
                     customer_card_id: str, payment_class: str = "lump",
                     split_count: int | None = None,
                     capture: bool = False) -> StoredAuthorization:
    """020 オーソリ of a stored card (no security code, no 3-D Secure: the buyer is not there)."""
    fields = card.authorize_fields(trading_id=trading_id, amount=amount,
                                   customer_id=customer_id, customer_card_id=customer_card_id,
                                   payment_class=payment_class, split_count=split_count,
                                   capture=capture, security_code=False)
    return read_stored_authorization(client.send(card.AUTHORIZE, **fields))


__all__ = ["CARD_NOT_FOUND", "CUSTOMER_ID_MAX", "CUSTOMER_NOT_FOUND", "Cards", "Deleted",
           "Registered", "StoredAuthorization", "StoredCard", "authorize_stored",
           "check_card_id", "check_customer_id", "customer_id_problem", "delete_card",
           "delete_fields", "inquire_fields", "list_cards", "read_cards", "read_deleted",
           "read_registered", "read_stored_authorization", "register_card", "register_fields"]
