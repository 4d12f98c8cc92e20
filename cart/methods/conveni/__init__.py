"""ペイジェント(コンビニ決済) in the cart: the buyer picks one of the stores the shop offers, 030
answers with what that store needs (受付番号 / 確認番号 / 払込票URL) and the deadline."""
from cart.methods.deferred import Applied, DeferredCartMethod, DeferredInputError
from cart.models.base import utcnow
from payments.methods import conveni as lib
from payments.methods.deferred import deadline_text
from payments.paygent import conveni as wire

STORE_MESSAGE = "お支払いいただくコンビニエンスストアを選択してください。"


class ConveniMethod(DeferredCartMethod):
    history_name = "コンビニ決済"
    settings_endpoint = "conveni_settings.form"
    deadline_rule = lib.DEADLINE

    def ready(self, settings) -> bool:
        return bool(self.offered_stores(settings))

    def offered_stores(self, settings) -> dict[str, str]:
        """cvs_company_id → name of the stores the buyer may choose, in the checkout's order."""
        if settings is None:
            return {}
        chosen = set(settings.store_codes)
        return {code: name for code, name in lib.stores(settings.connection_type).items()
                if code in chosen}

    def confirm_context(self, shop) -> dict:
        context = super().confirm_context(shop)
        return {**context, "cvs_stores": self.offered_stores(context["deferred_settings"])}

    def choice(self, settings, form) -> str:
        store = (form.get("cvs_company_id") or "").strip()
        if store not in self.offered_stores(settings):
            raise DeferredInputError(STORE_MESSAGE)
        return store

    def send(self, client, settings, application):
        return wire.send_apply(
            client, trading_id=application.trading_id, amount=application.amount,
            store=application.store, family_name=application.family_name,
            given_name=application.given_name, family_name_kana=application.family_kana,
            given_name_kana=application.given_kana, tel=application.tel, days=settings.days,
            connection_type=settings.connection_type)

    def read(self, result, settings, application):
        payment = wire.read_apply(result, application.store, settings.connection_type,
                                  application.tel)
        if payment is None:
            return None
        lines = payment.instructions()
        deadline = payment.deadline
        if deadline is None:  # the reply had no date: the shop's rule gives it
            deadline = lib.DEADLINE.deadline(utcnow(), settings.days)
            lines.append(("お支払い期限", deadline_text(deadline)))
        return Applied(payment.payment_id, lines, deadline)


CONVENI_CART = ConveniMethod(lib.CONVENI)
