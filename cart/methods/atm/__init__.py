"""ペイジェント(ATM決済) in the cart: 010 answers with 収納機関番号, お客様番号 and 確認番号, which
the buyer enters at an ATM (or in Pay-easy net banking) by the deadline."""
from cart.methods.deferred import Applied, DeferredCartMethod
from cart.models.base import utcnow
from payments.methods import atm as lib
from payments.methods.deferred import deadline_text
from payments.paygent import atm as wire


class AtmMethod(DeferredCartMethod):
    history_name = "ATM決済"
    settings_endpoint = "atm_settings.form"
    deadline_rule = lib.DEADLINE

    def ready(self, settings) -> bool:
        return bool(settings.shop_name_kana)

    def send(self, client, settings, application):
        return wire.send_apply(
            client, trading_id=application.trading_id, amount=application.amount,
            shop_name_kana=settings.shop_name_kana, days=settings.days,
            family_name=application.family_name, given_name=application.given_name,
            family_name_kana=application.family_kana, given_name_kana=application.given_kana)

    def read(self, result, settings, application):
        payment = wire.read_apply(result)
        if payment is None:
            return None
        lines = payment.instructions()
        deadline = payment.deadline
        if deadline is None:
            deadline = lib.DEADLINE.deadline(utcnow(), settings.days)
            lines.append(("お支払い期限", deadline_text(deadline)))
        return Applied(payment.payment_id, lines, deadline)


ATM_CART = AtmMethod(lib.ATM)
