"""Encryption at rest for shop secrets (connect password, hash key, certificate key).

The key is derived from the app's SECRET_KEY with HKDF, so one setting protects both the
session and the stored secrets. Values are Fernet tokens (AES-128-CBC + HMAC-SHA256).
"""
import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

_INFO = b"cart/secrets-at-rest/v1"
_cache: dict[str, Fernet] = {}


def fernet_for(secret_key: str) -> Fernet:
    if secret_key not in _cache:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            secret_key.encode("utf-8"))
        _cache[secret_key] = Fernet(base64.urlsafe_b64encode(derived))
    return _cache[secret_key]


def encrypt(plain: str) -> str:
    return fernet_for(current_app.config["SECRET_KEY"]).encrypt(plain.encode("utf-8")).decode()


def decrypt(token: str) -> str:
    try:
        return fernet_for(current_app.config["SECRET_KEY"]).decrypt(token.encode()).decode()
    except InvalidToken as exc:  # the SECRET_KEY changed: say so rather than hand back junk
        raise ValueError("stored secret cannot be decrypted with this SECRET_KEY") from exc


class EncryptedText(TypeDecorator):
    """A text column stored encrypted; Python sees the plain value."""
    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return value
        return encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None or value == "":
            return value
        return decrypt(value)

