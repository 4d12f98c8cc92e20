"""What コンビニ決済, ATM決済 and 銀行ネット決済 share in the cart: the buyer pays after ordering,
so 「注文する」 sends the method's application (030, 010 or 060), the order is placed as 入金待ち
with what the buyer pays with, and only PAYGENT's notices (or a 094) move it on.

Each method is a ``DeferredCartMethod`` in its own package (``cart/methods/conveni``, ``atm``,
``bank``): its settings page, what the buyer chooses (the store), its telegram and how its
answer reads. The shared steps live here and in ``checkout.py`` / ``routes.py``."""
import json
from dataclasses import dataclass
from datetime import datetime

from flask import url_for

from cart.gateway import account_for
from cart.methods.base import CartMethod
from cart.methods.deferred.config import deferred_settings_for


class DeferredInputError(Exception):
    """What the buyer chose cannot start the application (Japanese message)."""


@dataclass(frozen=True)
class Application:
    """What a method's telegram needs of the order, as plain values."""
    trading_id: str
    amount: int
    family_name: str
    given_name: str
    family_kana: str
    given_kana: str
    tel: str
    store: str
    return_url: str = ""
    stop_url: str = ""


@dataclass(frozen=True)
class Applied:
    """What an accepted application gave: PAYGENT's 取引ID, the (label, value) lines the buyer
    pays with, the deadline, and (銀行ネット) the page the buyer goes to now."""
    payment_id: str
    lines: list
    deadline: datetime | None
    handover_url: str = ""


def split_name(name: str) -> tuple[str, str]:
    """姓 and 名 of a name typed as 「山田 太郎」 (a half- or full-width space between them);
    a name without a space is all 姓."""
    text = (name or "").replace("\u3000", " ").strip()
    family, _, given = text.partition(" ")
    return family.strip(), given.strip()


class DeferredCartMethod(CartMethod):
    places_on_confirm = False
    delivery_fee_message = ("送料が確定しない配送方法では、このお支払い方法はご利用いただけません"
                            "（お支払い金額が確定しないため）。")
    #: the buyer leaves for PAYGENT's page after applying (銀行ネット)
    hands_over = False
    #: the settings blueprint's name (``<name>.form`` is the page)
    settings_endpoint = ""
    #: 支払期限日's rule (payments.methods.deferred.DeadlineRule)
    deadline_rule = None

    order_template = "methods/deferred/order_panel.html"

    @property
    def template_folder(self) -> str:
        return self.code

    def settings_url(self, method) -> str:
        return url_for(self.settings_endpoint)

    def settings(self, shop_id: int):
        return deferred_settings_for(shop_id, self.code)

    def available(self, shop_id: int) -> bool:
        settings = self.settings(shop_id)
        return account_for(shop_id) is not None and settings is not None and self.ready(settings)

    def ready(self, settings) -> bool:
        """Whether the settings hold what the telegram needs."""
        return True

    def confirm_context(self, shop) -> dict:
        from cart.checkout import draft
        return {"deferred_settings": self.settings(shop.id),
                "deferred_store": draft.get().get("deferred_store", "")}

    # -- the method's own part ---------------------------------------------------------------
    def choice(self, settings, form) -> str:
        """What the buyer chose on the confirmation page (the store; "" when nothing is
        chosen), or DeferredInputError."""
        return ""

    def send(self, client, settings, application: Application):
        raise NotImplementedError

    def read(self, result, settings, application: Application) -> Applied | None:
        raise NotImplementedError

    # -- the pages after the order ---------------------------------------------------------
    def complete_context(self, shop_id: int, number: str) -> dict:
        from cart.methods.deferred.checkout import payment_view
        view = payment_view(shop_id, number=number)
        return {"deferred": view} if view is not None else {}

    def mail_text(self, order) -> str:
        from cart.methods.deferred.checkout import payment_view
        view = payment_view(order.shop_id, order_id=order.id)
        return view.mail_text() if view is not None else ""

    def order_context(self, order) -> dict:
        from cart.methods.deferred.checkout import application_note, payment_view
        view = payment_view(order.shop_id, order_id=order.id)
        if view is not None:
            return {"deferred": view}
        return {"failed": application_note(order)}

    def keeps_pending(self, order) -> bool:
        from cart.methods.deferred.checkout import keeps_pending
        return keeps_pending(order, self)

    def round_steps(self) -> list[tuple[str, object]]:
        from cart.methods.deferred import checkout
        code = self.code
        return [(f"{code}_applications", lambda: checkout.settle_open_applications(code)),
                (f"{code}_overdue", lambda: checkout.check_overdue(code)),
                (f"{code}_reminders", lambda: checkout.send_reminders(code))]

    def register(self, app) -> None:
        from cart.methods.deferred import routes
        if "deferred" not in app.blueprints:
            app.register_blueprint(routes.bp)
        from importlib import import_module
        app.register_blueprint(import_module(f"cart.methods.{self.code}.settings").bp)


def lines_of(row) -> list[tuple[str, str]]:
    try:
        return [tuple(pair) for pair in json.loads(row.lines or "[]")]
    except ValueError:
        return []
