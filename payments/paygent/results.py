"""Small value objects for what a telegram came back with."""
from dataclasses import dataclass, field
from enum import Enum

#: Paidy timeout: PAYGENT left the payment in 30/31/42 and will settle it later.
PAIDY_TIMEOUT = "24005"
#: The card company did not answer in time: the same, for card telegrams (payments.paygent.card).
CARD_TIMEOUT = "2005"
#: Codes after which the outcome is unknown until a 094 answer settles it.
UNSETTLED = frozenset({PAIDY_TIMEOUT, CARD_TIMEOUT})


class Outcome(str, Enum):
    OK = "ok"            # PAYGENT accepted the telegram
    ERROR = "error"      # PAYGENT (or the connection, before sending) refused: nothing happened
    UNKNOWN = "unknown"  # it may or may not have happened: settle with 094, never guess


@dataclass(frozen=True)
class TelegramResult:
    outcome: Outcome
    telegram_kind: str
    data: dict = field(default_factory=dict)
    code: str = ""
    detail: str = ""
    #: the data records of a CSV reply (027): one dict each, keyed by PAYGENT's column names
    rows: tuple = ()
    #: the reply body when it is a file (201's result file); never logged
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def unknown(self) -> bool:
        return self.outcome is Outcome.UNKNOWN

    @property
    def payment_id(self) -> str:
        return self.data.get("payment_id", "")

    def get(self, key: str, default: str = "") -> str:
        return self.data.get(key, default)

    @classmethod
    def from_reply(cls, telegram_kind: str, data: dict) -> "TelegramResult":
        """Classify a parsed reply: result=0 is ok; 24005 and 2005 (a timeout behind PAYGENT) are
        unknown; other codes are errors."""
        if data.get("result") == "0":
            return cls(Outcome.OK, telegram_kind, data)
        code = data.get("response_code", "")
        outcome = Outcome.UNKNOWN if code in UNSETTLED else Outcome.ERROR
        return cls(outcome, telegram_kind, data, code, data.get("response_detail", ""))
