"""Fixtures shared by the integration tests."""
import pytest

from .checkout_helpers import setup_shops


@pytest.fixture
def shops(app, sandbox):
    """The demo shops (zero-step ``demo``, three-step ``demo3``) talking to the sandbox."""
    setup_shops(app, sandbox)
    return sandbox
