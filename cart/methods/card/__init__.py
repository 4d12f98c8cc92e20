"""ペイジェント(クレジット決済) in the cart: its settings (the card method's own part; the PAYGENT
connection is the shop's common one), its payment step (the card form, whose number goes only
to PAYGENT's token script, then 3-D Secure 2.0 and the authorisation) and the pages they need."""
from flask import url_for

from cart.gateway import account_for
from cart.methods.base import CartMethod
from cart.methods.card.config import card_settings_for
from payments.methods.card import CARD


class CardMethod(CartMethod):
    history_name = "クレジット"
    template_folder = "card"
    places_on_confirm = False

    def settings_url(self, method) -> str:
        return url_for("card_settings.form")

    def new_method_defaults(self) -> dict:
        return {"note_on_payment_page": False}

    def capture_mode(self, shop_id: int) -> str:
        settings = card_settings_for(shop_id)
        return "auth_capture" if settings and settings.sales_mode == "capture" else "auth"

    def available(self, shop_id: int) -> bool:
        settings = card_settings_for(shop_id)
        return (account_for(shop_id) is not None and settings is not None
                and bool(settings.token_key) and bool(settings.classes))

    def register(self, app) -> None:
        from cart.methods.card import routes, settings
        app.register_blueprint(routes.bp)
        app.register_blueprint(settings.bp)


CARD_CART = CardMethod(CARD)
