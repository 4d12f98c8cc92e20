"""差分通知 (PAYGENT → shop): parsing and ``hc`` verification."""
import hashlib
import hmac
from dataclasses import dataclass, field

#: The exact reply PAYGENT needs to stop re-sending a notice.
ACCEPTED_REPLY = "result=0"

_HASHED_FIELDS = ("payment_notice_id", "payment_id", "trading_id", "payment_type",
                  "payment_amount")


def notice_hash(fields: dict, hash_key: str) -> str:
    """Lower-case hex SHA-256 of the five hashed fields followed by the shop's hash key."""
    plain = "".join(fields.get(name) or "" for name in _HASHED_FIELDS) + hash_key
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def verify_notice(fields: dict, hash_key: str) -> bool:
    """True when the notice's ``hc`` matches; compared in constant time."""
    given = (fields.get("hc") or "").lower()
    return bool(given) and bool(hash_key) and hmac.compare_digest(  # bytes: any text compares
        given.encode(), notice_hash(fields, hash_key).encode())


@dataclass(frozen=True)
class Notice:
    payment_notice_id: str
    payment_id: str
    trading_id: str
    payment_type: str
    payment_status: str
    payment_amount: int | None
    change_date: str = ""
    paidy_payment_id: str = ""
    event: str = ""
    event_result: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_fields(cls, fields: dict) -> "Notice":
        """Build a notice from POSTed (or 091-fetched) fields; missing keys become empty."""
        amount = (fields.get("payment_amount") or "").strip()
        return cls(
            payment_notice_id=fields.get("payment_notice_id", ""),
            payment_id=fields.get("payment_id", ""),
            trading_id=fields.get("trading_id", ""),
            payment_type=fields.get("payment_type", ""),
            payment_status=fields.get("payment_status", ""),
            # up to 9 half-width digits, as PAYGENT sends; anything else is no amount
            payment_amount=int(amount) if amount.isascii() and amount.isdigit()
            and len(amount) <= 9 else None,
            change_date=fields.get("change_date", ""),
            paidy_payment_id=fields.get("paidy_payment_id", ""),
            event=fields.get("event", ""),
            event_result=fields.get("event_result", ""),
            raw=dict(fields),
        )
