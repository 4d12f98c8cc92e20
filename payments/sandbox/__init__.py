"""A local PAYGENT + Paidy sandbox: production code with its own state store.

The real services cannot be reached from development machines or CI, so every demo and
every test talks to this instead, over real HTTP (optionally mutual TLS).
"""
from .app import create_sandbox
from .store import Store

__all__ = ["create_sandbox", "Store"]
