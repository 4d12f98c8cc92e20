"""The ids of PAYGENT's card store (カード情報お預かり), shared by 020 and 025–027.

``customer_id`` is the shop's own id of the buyer at PAYGENT: ASCII letters, digits, ``-`` and
``_``, 1 to 20 characters (the cart sends "M" + the member's number). PAYGENT's exact limit is
not confirmed; 20 stays inside what public integrations send. ``customer_card_id`` is
PAYGENT's id of one stored card: ASCII letters and digits, up to 20.
"""
import re

CUSTOMER_ID_MAX = 20
_CUSTOMER_ID = re.compile(r"[A-Za-z0-9_-]{1,%d}\Z" % CUSTOMER_ID_MAX)
_CARD_ID = re.compile(r"[A-Za-z0-9]{1,20}\Z")


def customer_id_problem(customer_id) -> str:
    """Why ``customer_id`` cannot be sent ("" when it can)."""
    if not isinstance(customer_id, str) or not customer_id:
        return "customer_id is required"
    if not _CUSTOMER_ID.match(customer_id):
        return f"customer_id is 1–{CUSTOMER_ID_MAX} ASCII letters, digits, '-' or '_'"
    return ""


def check_customer_id(customer_id) -> str:
    problem = customer_id_problem(customer_id)
    if problem:
        raise ValueError(problem)
    return customer_id


def check_card_id(customer_card_id) -> str:
    text = customer_card_id.strip() if isinstance(customer_card_id, str) else ""
    if not _CARD_ID.match(text):
        raise ValueError("customer_card_id is PAYGENT's id (ASCII letters and digits)")
    return text
