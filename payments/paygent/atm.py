"""ATM決済（ペイジー） telegram 010 at /n/atm/request: its fields built from plain values, its
reply read into the three numbers the buyer enters at the ATM. Pure functions; ``send_apply``
only hands the fields to a ``PaygentClient``. docs/deferred-payments.md has the wire contract.
"""
from dataclasses import dataclass
from datetime import datetime

from payments.methods import atm as lib
from payments.methods.deferred import deadline_from_date, deadline_text

from . import deferred, text
from .results import TelegramResult

APPLY = lib.APPLY
DETAIL_BYTES = 24            # payment_detail: 全角 12 characters (shown on the ATM)
DETAIL_KANA_BYTES = 24       # payment_detail_kana: 半角カナ 24 characters
NAME_BYTES = 20
KANA_BYTES = 20


def apply_fields(*, trading_id: str, amount: int, shop_name_kana: str, days: int | None = None,
                 family_name: str = "", given_name: str = "", family_name_kana: str = "",
                 given_name_kana: str = "") -> dict:
    """010 申込: the shop's 店舗名(カナ) (seed 003: shown when the buyer pays) as 全角
    ``payment_detail`` and 半角カナ ``payment_detail_kana``, the 支払期限日 in days (default
    30), the buyer's name when known."""
    detail_kana = text.kana_field(shop_name_kana, DETAIL_KANA_BYTES)
    if not detail_kana:
        raise ValueError("shop_name_kana is required (katakana)")
    return {"trading_id": deferred.trading_id(trading_id),
            "payment_amount": deferred.yen(amount, lib.MAX_AMOUNT),
            "payment_detail": text.wide_field(shop_name_kana, DETAIL_BYTES),
            "payment_detail_kana": detail_kana,
            "payment_limit_date": str(deferred.days(
                lib.DEADLINE, lib.DEADLINE.default_days if days is None else days)),
            **deferred.name_fields(family_name, given_name, family_name_kana, given_name_kana,
                                   NAME_BYTES, KANA_BYTES)}


@dataclass(frozen=True)
class AtmPayment:
    """What a 010 reply says."""
    payment_id: str
    pay_center_number: str      # 収納機関番号
    customer_number: str        # お客様番号
    conf_number: str            # 確認番号
    deadline: datetime | None

    def instructions(self) -> list[tuple[str, str]]:
        """(label, value) lines the completion page and the mail show, in order."""
        lines = [(lib.NUMBER_LABELS[key], getattr(self, key)) for key in lib.NUMBER_LABELS]
        if self.deadline is not None:
            lines.append(("お支払い期限", deadline_text(self.deadline)))
        return lines


def read_apply(result: TelegramResult) -> AtmPayment | None:
    """The numbers of an accepted 010 (None when refused or when a number is missing)."""
    if not result.ok:
        return None
    numbers = {key: result.get(key) for key in lib.NUMBER_LABELS}
    if not all(numbers.values()):
        return None
    return AtmPayment(result.payment_id, deadline=deadline_from_date(
        result.get("payment_limit_date")), **numbers)


def send_apply(client, **kwargs) -> TelegramResult:
    return client.send(APPLY, **apply_fields(**kwargs))
