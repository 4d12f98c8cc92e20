"""銀行ネット決済 telegrams 050 (銀行ネット決済申込, at /n/bank/request: the buyer chose the bank
at the shop) and 060 (銀行ネット決済ASP申込, at /n/bank/requestasp: the buyer chooses it on
PAYGENT's ネットバンク選択画面): their fields built from plain values, their replies read into the
hand-over to the bank's side. Pure functions; ``send_*`` only hand the fields to a
``PaygentClient``. docs/deferred-payments.md has the wire contract.

The buyer comes back to ``return_url`` (paid, or on their way) or ``stop_return_url`` (申込中断);
nothing they bring back is believed: the payment's status comes from the 差分通知 or 094.
"""
from dataclasses import dataclass
from urllib.parse import urlsplit

from payments.methods import bank as lib

from . import deferred, text
from .results import TelegramResult

APPLY, APPLY_ASP = lib.APPLY, lib.APPLY_ASP
CLAIM_BYTES = 24             # claim_kanji / receipt_name: 全角 12 characters
CLAIM_KANA_BYTES = 48        # claim_kana / receipt_name_kana: 半角カナ 48 characters
COPYRIGHT_BYTES = 100        # copy_right: 半角英数
MEMO_BYTES = 200             # free_memo: 全角 100 characters
NAME_BYTES = 20


def payment_term(days: int) -> str:
    """``asp_payment_term``: the period to pay as DDDHHMM (7 days → 0070000)."""
    return f"{deferred.days(lib.DEADLINE, days):03d}0000"


def _url(value, name: str) -> str:
    url = deferred.required(value, name)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an absolute http(s) URL")
    return url


def _common(trading_id, amount, shop_name, shop_name_kana, return_url, stop_return_url,
            family_name, given_name) -> dict:
    claim = text.wide_field(shop_name, CLAIM_BYTES)
    claim_kana = text.kana_field(shop_name_kana, CLAIM_KANA_BYTES)
    if not claim or not claim_kana:
        raise ValueError("shop_name and shop_name_kana are required")
    fields = {"trading_id": deferred.trading_id(trading_id),
              "amount": deferred.yen(amount, lib.MAX_AMOUNT),
              "claim_kanji": claim, "claim_kana": claim_kana,
              "receipt_name": claim, "receipt_name_kana": claim_kana,
              "return_url": _url(return_url, "return_url"),
              "stop_return_url": _url(stop_return_url or return_url, "stop_return_url")}
    fields.update(deferred.name_fields(family_name, given_name, "", "", NAME_BYTES, 0))
    return fields


def asp_fields(*, trading_id: str, amount: int, shop_name: str, shop_name_kana: str,
               return_url: str, stop_return_url: str | None = None, days: int | None = None,
               copyright: str = "", free_memo: str = "", family_name: str = "",
               given_name: str = "") -> dict:
    """060 ASP申込: the bank selection page shows 店舗名(全角)/(カナ), the コピーライト and the
    自由メモ欄 (seed 003 §1.6.2); the buyer may pay for ``days`` (default 7)."""
    fields = _common(trading_id, amount, shop_name, shop_name_kana, return_url,
                     stop_return_url, family_name, given_name)
    fields["asp_payment_term"] = payment_term(lib.DEADLINE.default_days if days is None
                                              else days)
    if copyright and text.ascii_field(copyright, COPYRIGHT_BYTES):
        fields["copy_right"] = text.ascii_field(copyright, COPYRIGHT_BYTES)
    if free_memo and text.wide_field(free_memo, MEMO_BYTES):
        fields["free_memo"] = text.wide_field(free_memo, MEMO_BYTES)
    return fields


def apply_fields(*, trading_id: str, amount: int, bank_code: str, shop_name: str,
                 shop_name_kana: str, return_url: str, stop_return_url: str | None = None,
                 family_name: str = "", given_name: str = "") -> dict:
    """050 申込: straight to the bank the buyer chose at the shop (``bank_code``, 4 digits)."""
    code = deferred.required(bank_code, "bank_code")
    if not (code.isascii() and code.isdigit() and len(code) == 4):
        raise ValueError("bank_code is the bank's 4-digit 金融機関コード")
    return {**_common(trading_id, amount, shop_name, shop_name_kana, return_url,
                      stop_return_url, family_name, given_name), "bank_code": code}


@dataclass(frozen=True)
class Handover:
    """Where the buyer goes next: ``url`` (060: the bank selection page, to redirect to) or
    ``html`` (050: a page that posts the buyer on to the bank, shown as it stands)."""
    payment_id: str
    url: str = ""
    html: str = ""


def read_handover(result: TelegramResult) -> Handover | None:
    """The hand-over of an accepted 050/060 (None when refused: see ``result.code``)."""
    if not result.ok:
        return None
    url, html = result.get("asp_url"), result.get("redirect_html")
    if not url and not html:
        return None
    return Handover(result.payment_id, url, html)


def returned_trading_id(args) -> str:
    """The trading_id the bank's side brings back to the return URL, to find the order by (and
    then ask PAYGENT: the buyer's browser proves nothing)."""
    value = (args.get("trading_id") or "").strip()
    return value if value and len(value) <= 25 else ""


def send_asp(client, **kwargs) -> TelegramResult:
    return client.send(APPLY_ASP, **asp_fields(**kwargs))


def send_apply(client, **kwargs) -> TelegramResult:
    return client.send(APPLY, **apply_fields(**kwargs))
