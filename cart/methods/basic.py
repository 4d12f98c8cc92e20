"""銀行振込 and 代金引換: settled between shop and buyer, so 「注文する」 places the order at
once, and their settings are 適用条件, 注意書き and the buyer's instructions."""
from payments.methods import BANK_TRANSFER, COD

from .base import CartMethod


class BasicMethod(CartMethod):
    history_name = ""
    template_folder = "basic"
    places_on_confirm = True


BANK_TRANSFER_CART = BasicMethod(BANK_TRANSFER)
COD_CART = BasicMethod(COD)
