"""What a payment method's cart module gives the shared code: its settings page, its part
of the checkout, and how the pages and history name it. Shared code asks the method for these;
it never tests a method's code."""
from payments.methods import Method


class CartMethod:
    #: the payment library's module of this method (status and transition tables)
    lib: Method
    #: how 変更履歴 lines name the method
    history_name: str = ""
    #: templates/methods/<folder>/ holds choice.html, confirm_note.html, confirm_action.html
    #: and confirm_scripts.html
    template_folder: str = "basic"
    #: 「注文する」 on the confirmation page places the order at once (no payment step)
    places_on_confirm: bool = True
    #: the order page's part of the payment box ("" for none), given ``order_context`` as
    #: ``panel``
    order_template: str = ""
    #: what the order page calls the payment's own reference at its company ("" for none)
    reference_label: str = ""
    #: flows that work only with a final amount refuse deliveries whose fee is undetermined
    delivery_fee_message: str = ""

    def __init__(self, lib: Method):
        self.lib = lib
        self.code = lib.code

    def template(self, name: str) -> str:
        return f"methods/{self.template_folder}/{name}"

    def settings_url(self, method) -> str:
        """Where the owner configures this method (a row of the shop's 使用決済 list)."""
        from flask import url_for
        return url_for("payment_settings.basic", method_id=method.id)

    def new_method_defaults(self) -> dict:
        """Column values for a method just added to a shop's list."""
        return {}

    def capture_mode(self, shop_id: int) -> str:
        """The order's 同時売上 mode, fixed when the order is written: "auth" (オーソリのみ) or
        "auth_capture" (オーソリ+売上確定)."""
        return "auth"

    def available(self, shop_id: int) -> bool:
        """Whether the shop's settings let this method be offered at all."""
        return True

    def keeps_cards(self, shop_id: int) -> bool:
        """Whether the method stores members' cards at PAYGENT for this shop (カード情報お預かり
        機能), which 定期購入 needs: only such a method may pay a cart with 定期購入 lines."""
        return False

    def delivery_problem(self, delivery) -> str:
        """Why this method cannot go with this delivery ("" when it can)."""
        if self.delivery_fee_message and delivery.fee_undetermined:
            return self.delivery_fee_message
        return ""

    def confirm_context(self, shop) -> dict:
        """What the confirmation page needs to start this method's payment step."""
        return {}

    def complete_context(self, shop_id: int, number: str) -> dict:
        """What the completion page shows besides the order number (what to pay with)."""
        return {}

    def mail_text(self, order) -> str:
        """Text the thanks mail adds under お支払い方法 (what to pay with, by when)."""
        return ""

    def order_context(self, order) -> dict:
        """What the admin's order page shows of the payment besides its status."""
        return {}

    def variant_for(self, order) -> str:
        """The variant of the payment that reaches this order (a carrier payment's carrier);
        "" for methods without variants."""
        return ""

    def keeps_pending(self, order) -> bool:
        """Whether the 決済処理中 rollback must leave this order alone for now (a payment
        PAYGENT may still hold whose time to pay has not run out)."""
        return False

    def round_steps(self) -> list[tuple[str, object]]:
        """(name, function) steps the method adds to the periodic round."""
        return []

    def register(self, app) -> None:
        """Add the method's own pages (payment step, settings) to the app."""
