"""ペイジェント(クレジット決済) in the cart: its settings (the card method's own part; the PAYGENT
connection is the shop's common one), its payment step (the card form, whose number goes only
to PAYGENT's token script, then 3-D Secure 2.0 and the authorisation) and the pages they need."""
from datetime import date

from flask import current_app, url_for

from cart.checkout import draft
from cart.config import sandbox_url
from cart.gateway import account_for
from cart.methods.base import CartMethod
from cart.methods.card.config import card_settings_for
from payments.methods.card import CARD


def token_script_url(account, settings) -> str:
    """PAYGENT's token script for the shop's トークン接続先, or the sandbox's look-alike for
    shops on the sandbox."""
    if account.environment == "sandbox":
        return sandbox_url(current_app.config) + "/card/PaygentToken.js"
    return current_app.config["CARD_TOKEN_SCRIPT_URLS"][settings.token_environment]


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

    def keeps_cards(self, shop_id: int) -> bool:
        settings = card_settings_for(shop_id)
        return self.available(shop_id) and bool(settings.card_stock)

    def confirm_context(self, shop) -> dict:
        from cart.methods.card.checkout import payment_options
        settings = card_settings_for(shop.id)
        account = account_for(shop.id)
        this_year = date.today().year
        return {"card_token_script": token_script_url(account, settings),
                "card_merchant_id": account.merchant_id, "card_token_key": settings.token_key,
                "card_cvc": settings.security_code_required,
                "card_options": payment_options(settings),
                "card_choice": draft.get().get("payment_choice", ""),
                "card_register": self._register(shop),
                "card_stored": self._stored_cards(shop),
                "card_years": range(this_year, this_year + 11)}

    def _register(self, shop) -> str:
        """カードを登録する on the card form: "required" (a cart with 定期購入 lines), "optional"
        (a signed-in member, the shop keeps cards) or "" (a guest)."""
        from cart.checkout import basket
        from cart.members.session import current_member
        if not self.keeps_cards(shop.id) or current_member(shop) is None:
            return ""
        return "required" if basket.has_subscription(basket.lines()) else "optional"

    def _stored_cards(self, shop) -> list:
        """A signed-in member's stored cards, to pay with instead of typing one."""
        from cart.members.session import current_member
        member = current_member(shop)
        if member is None or not self.keeps_cards(shop.id):
            return []
        from cart.methods.card.stored import cards_of
        return cards_of(member)

    def round_steps(self) -> list[tuple[str, object]]:
        from cart.methods.card.checkout import settle_open_authorizations
        return [("card_authorizations", settle_open_authorizations)]

    def register(self, app) -> None:
        from cart.methods.card import member_cards, routes, settings
        app.register_blueprint(routes.bp)
        app.register_blueprint(settings.bp)
        app.register_blueprint(member_cards.bp)


CARD_CART = CardMethod(CARD)
