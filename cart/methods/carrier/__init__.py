"""ペイジェント(携帯キャリア決済) in the cart: the buyer picks the carrier (d払い, auかんたん決済,
ソフトバンクまとめて支払い) on the confirmation page, 100 hands them over to the carrier's
authorisation page, and back at the shop a 094 says whether the carrier authorised. The
payment's carrier is its ``variant``: the carrier's own rules (seed 003 §2.2.2) decide what staff
may do with it."""
from flask import url_for

from cart.gateway import account_for
from cart.methods.base import CartMethod
from payments.methods import carrier as lib


class CarrierMethod(CartMethod):
    history_name = "携帯キャリア決済"
    template_folder = "carrier"
    places_on_confirm = False
    delivery_fee_message = ("送料が確定しない配送方法では、携帯キャリア決済はご利用いただけません"
                            "（お支払い金額が確定しないため）。")

    def settings(self, shop_id: int):
        from cart.methods.carrier.config import carrier_settings_for
        return carrier_settings_for(shop_id)

    def settings_url(self, method) -> str:
        return url_for("carrier_settings.form")

    def new_method_defaults(self) -> dict:
        return {"note_on_payment_page": False}

    def capture_mode(self, shop_id: int) -> str:
        settings = self.settings(shop_id)
        return "auth_capture" if settings and settings.sales_mode == "capture" else "auth"

    def available(self, shop_id: int) -> bool:
        settings = self.settings(shop_id)
        return account_for(shop_id) is not None and settings is not None and bool(
            settings.offered)

    def offered(self, shop_id: int) -> dict[str, str]:
        settings = self.settings(shop_id)
        return {c: lib.CARRIER_NAMES[c] for c in (settings.offered if settings else [])}

    def confirm_context(self, shop) -> dict:
        from cart.checkout import draft
        return {"carriers": self.offered(shop.id),
                "carrier_choice": draft.get().get("carrier", "")}

    def variant_for(self, order) -> str:
        from cart.methods.carrier.checkout import carrier_of
        return carrier_of(order)

    def round_steps(self) -> list[tuple[str, object]]:
        from cart.methods.carrier.checkout import settle_open_handovers
        return [("carrier_handovers", settle_open_handovers)]

    def register(self, app) -> None:
        from cart.methods.carrier import routes, settings
        app.register_blueprint(routes.bp)
        app.register_blueprint(settings.bp)


CARRIER_CART = CarrierMethod(lib.CARRIER)
