"""What the deferred methods' telegram helpers share (payments.paygent.conveni, atm, bank):
checking plain values and reading the common reply items."""
from payments.methods.base import RuleViolation

from . import text


def yen(amount, max_amount: int) -> str:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amount must be an int of yen")
    if amount < 1:
        raise ValueError("amount must be 1 yen or more")
    if amount > max_amount:
        raise ValueError(f"amount must be at most {max_amount} yen for this method")
    return str(amount)


def required(value, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} is required")
    return value.strip()


def trading_id(value) -> str:
    value = required(value, "trading_id")
    if len(value) > 25 or not all(c.isascii() and (c.isalnum() or c == "_") for c in value):
        raise ValueError("trading_id is up to 25 of A-Z, a-z, 0-9 and _")
    return value


def days(rule, value) -> int:
    """The shop's 支払期限日 as the rule allows it (ValueError otherwise)."""
    try:
        return rule.check_days(value)
    except RuleViolation as refused:
        raise ValueError(str(refused)) from refused


def name_fields(family: str, given: str, family_kana: str, given_kana: str,
                wide_bytes: int, kana_bytes: int) -> dict:
    """The buyer's name: 姓・名 as 全角, セイ・メイ as 半角カナ, each cut to what PAYGENT takes;
    empty parts are left out."""
    fields = {"customer_family_name": text.wide_field(family, wide_bytes),
              "customer_name": text.wide_field(given, wide_bytes),
              "customer_family_name_kana": text.kana_field(family_kana, kana_bytes),
              "customer_name_kana": text.kana_field(given_kana, kana_bytes)}
    return {k: v for k, v in fields.items() if v}
