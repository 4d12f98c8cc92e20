"""The basic methods (基本決済): settled between shop and buyer, never through PAYGENT, so
they have no PAYGENT statuses and no payment operations."""
from .base import Method

BANK_TRANSFER = Method(code="bank_transfer", name="銀行振込", system_name="銀行振込", group="basic")
COD = Method(code="cod", name="代金引換", system_name="代金引換", group="basic")
