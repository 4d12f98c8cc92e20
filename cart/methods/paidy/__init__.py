"""あと払い(ペイディ) in the cart: its settings (the PAYGENT connection with the Paidy public key,
logo and banner), its payment step (the Paidy Checkout modal) and the pages they need."""
from flask import current_app, url_for

from cart.config import sandbox_url
from cart.gateway import account_for
from cart.methods.base import CartMethod
from payments.methods import PAIDY

FEE_UNDETERMINED_MESSAGE = ("送料が確定していない配送方法（送料別途連絡）では、"
                            "あと払い(ペイディ)はご利用いただけません。")
PAIDY_NOTE = (
    "クレジットカードや事前の会員登録は不要です。メールアドレスと携帯電話番号だけで、"
    "すぐにお買い物いただけます。ご利用分は翌月にまとめて、コンビニ払い・銀行振込・"
    "口座振替でお支払いいただけます。")


def paidy_script_url(account) -> str:
    """The real Paidy script, or the sandbox's look-alike for shops on the sandbox."""
    if account.environment == "sandbox":
        return sandbox_url(current_app.config) + "/paidy/checkout.js"
    return current_app.config["PAIDY_SCRIPT_URL"]


class PaidyMethod(CartMethod):
    history_name = "ペイディ"
    reference_label = "Paidy決済ID"
    template_folder = "paidy"
    places_on_confirm = False
    delivery_fee_message = FEE_UNDETERMINED_MESSAGE  # Paidy needs the final amount

    def settings_url(self, method) -> str:
        return url_for("paidy_settings.form")

    def new_method_defaults(self) -> dict:
        return {"note": PAIDY_NOTE, "note_on_payment_page": True, "hide_from": 300_000}

    def capture_mode(self, shop_id: int) -> str:
        account = account_for(shop_id)
        return account.capture_mode if account else "auth"

    def available(self, shop_id: int) -> bool:
        account = account_for(shop_id)
        return account is not None and bool(account.paidy_public_key)

    def confirm_context(self, shop) -> dict:
        account = account_for(shop.id)
        logo = ""
        if account and account.has_logo:
            logo = url_for("paidy.logo", v=account.updated_at.timestamp(), _external=True)
        return {"paidy_script": paidy_script_url(account), "paidy_key": account.paidy_public_key,
                "paidy_logo": logo}

    def register(self, app) -> None:
        from cart.methods.paidy import routes, settings
        app.register_blueprint(routes.bp)
        app.register_blueprint(settings.bp)


PAIDY_CART = PaidyMethod(PAIDY)
