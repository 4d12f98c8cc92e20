"""PAYGENT module-type interface (telegrams over mutual TLS, Shift_JIS key=value)."""
from .client import PaygentClient, Credentials, Endpoint
from .results import TelegramResult, Outcome
from .notices import Notice, notice_hash, verify_notice
from .codes import explain

__all__ = [
    "PaygentClient", "Credentials", "Endpoint", "TelegramResult", "Outcome",
    "Notice", "notice_hash", "verify_notice", "explain",
]
