"""コンビニ決済（番号方式） telegram 030 at /n/conveni/request: its fields built from plain values,
its reply read into what the buyer needs at the chosen store. Pure functions; ``send_apply``
only hands the fields to a ``PaygentClient``. docs/deferred-payments.md has the wire contract
and what of it is unconfirmed.
"""
from dataclasses import dataclass
from datetime import datetime

from payments.methods import conveni as lib
from payments.methods.deferred import deadline_from_date, deadline_text

from . import deferred, text
from .results import TelegramResult

APPLY = lib.APPLY
SALES_TYPE_PREPAID = "1"     # sales_type: 前払い (the goods go once paid)
NAME_BYTES = 20              # customer_family_name / customer_name: 全角 10 characters
KANA_BYTES = 20              # customer_*_kana: 半角カナ 20 characters
TEL_DIGITS = (10, 11)


def apply_fields(*, trading_id: str, amount: int, store: str, family_name: str,
                 given_name: str, family_name_kana: str, given_name_kana: str, tel: str,
                 days: int | None = None, connection_type: str = lib.TYPE_ABD) -> dict:
    """030 申込: the buyer's chosen ``store`` (a cvs_company_id the connection type offers), the
    buyer's name (kanji and kana, converted and cut to what PAYGENT takes) and phone number,
    and the shop's 支払期限日 in days (default 15)."""
    if store not in lib.stores(connection_type):
        raise ValueError(f"store {store!r} is not offered under connection type "
                         f"{connection_type}")
    phone = text.digits(tel)
    if len(phone) not in TEL_DIGITS:
        raise ValueError("tel must be a Japanese phone number (10 or 11 digits)")
    names = deferred.name_fields(family_name, given_name, family_name_kana, given_name_kana,
                                 NAME_BYTES, KANA_BYTES)
    if "customer_family_name" not in names or "customer_family_name_kana" not in names:
        raise ValueError("the buyer's family name is required in kanji and kana")
    return {"trading_id": deferred.trading_id(trading_id),
            "payment_amount": deferred.yen(amount, lib.MAX_AMOUNT),
            "cvs_company_id": store, **names, "customer_tel": phone,
            "payment_limit_date": str(deferred.days(
                lib.DEADLINE, lib.DEADLINE.default_days if days is None else days)),
            "sales_type": SALES_TYPE_PREPAID}


@dataclass(frozen=True)
class ConveniPayment:
    """What a 030 reply says, with what the buyer needs at the store."""
    payment_id: str
    store: str
    connection_type: str
    receipt_number: str
    usable_stores: tuple[str, ...]   # where the same number can be paid (usable_cvs_company_id)
    deadline: datetime | None
    slip_url: str = ""
    tel: str = ""

    @property
    def guide(self) -> lib.Guide:
        return lib.guide(self.connection_type, self.store)

    @property
    def confirm_number(self) -> str:
        return lib.CONFIRM_NUMBER if self.guide.confirm_number else ""

    def instructions(self) -> list[tuple[str, str]]:
        """(label, value) lines the completion page and the mail show, in order."""
        guide = self.guide
        lines = [("お支払い先", "、".join(lib.store_name(s, self.connection_type)
                                       for s in self.usable_stores or (self.store,))),
                 (guide.number_label, self.receipt_number)]
        if guide.confirm_number:
            lines.append(("確認番号", self.confirm_number))
        if guide.phone and self.tel:
            lines.append(("電話番号", self.tel))
        if guide.slip_url and self.slip_url:
            lines.append(("払込票URL", self.slip_url))
        if self.deadline is not None:
            lines.append(("お支払い期限", deadline_text(self.deadline)))
        return lines


def read_apply(result: TelegramResult, store: str, connection_type: str = lib.TYPE_ABD,
               tel: str = "") -> ConveniPayment | None:
    """The payment of an accepted 030 (None when PAYGENT refused it: see ``result.code``, or
    when the reply lacks the number)."""
    if not result.ok or not result.get("receipt_number"):
        return None
    usable = tuple(s for s in result.get("usable_cvs_company_id").split("-") if s)
    return ConveniPayment(result.payment_id, store, connection_type,
                          result.get("receipt_number"), usable,
                          deadline_from_date(result.get("payment_limit_date")),
                          result.get("receipt_print_url"), text.digits(tel))


def send_apply(client, **kwargs) -> TelegramResult:
    return client.send(APPLY, **apply_fields(**kwargs))
