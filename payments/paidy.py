"""The Paidy Checkout payload, built from plain order values (no cart models here).

Prices in the cart are tax-included, so each item's ``unit_price`` already carries its tax and
Paidy's separate ``tax`` line is 0: ``amount`` = Σ unit_price × quantity + tax + shipping holds
exactly. The included tax per category travels in ``metadata`` for the record.
"""
import re
from dataclasses import dataclass, field

MOBILE = re.compile(r"^0[789]0\d{8}\Z")


@dataclass(frozen=True)
class PaidyItem:
    id: str
    title: str
    quantity: int
    unit_price: int


@dataclass(frozen=True)
class PaidyOrder:
    order_ref: str
    store_name: str
    items: list[PaidyItem]
    shipping: int
    total: int
    email: str
    name_kanji: str
    name_kana: str
    phone: str
    zip_code: str
    prefecture: str
    city: str
    street: str
    building: str = ""
    metadata: dict = field(default_factory=dict)


def normalize_zip(zip_code: str) -> str:
    """``1500001`` or ``150-0001`` → ``150-0001``."""
    digits = re.sub(r"\D", "", zip_code or "")
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 else zip_code


def digits_only(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def is_mobile(phone: str) -> bool:
    return bool(MOBILE.match(digits_only(phone)))


def build_payload(order: PaidyOrder) -> dict:
    items_total = sum(i.unit_price * i.quantity for i in order.items)
    if items_total + order.shipping != order.total:
        raise ValueError("order total does not equal items + shipping")
    for value in (order.total, order.shipping, *[i.unit_price for i in order.items]):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("amounts must be ints of yen")
    return {
        "amount": order.total,
        "currency": "JPY",
        "store_name": order.store_name,
        "buyer": {
            "email": order.email,
            "name1": order.name_kanji,
            "name2": order.name_kana,
            "phone": digits_only(order.phone),
        },
        "order": {
            "items": [{"id": i.id, "title": i.title, "quantity": i.quantity,
                       "unit_price": i.unit_price} for i in order.items],
            "tax": 0,
            "shipping": order.shipping,
            "order_ref": order.order_ref,
        },
        "shipping_address": {
            "line1": order.building,
            "line2": order.street,
            "city": order.city,
            "state": order.prefecture,
            "zip": normalize_zip(order.zip_code),
        },
        "description": order.store_name,
        "metadata": dict(list(order.metadata.items())[:20]),
    }
