"""ペイジェント(銀行ネット決済) in the cart: 060 answers with PAYGENT's ネットバンク選択画面, where
the buyer picks their bank and pays on its site; the page stays open to them until the
deadline (seed 001), from the completion page and the mail's link."""
from cart.methods.deferred import Applied, DeferredCartMethod
from cart.models.base import utcnow
from payments.methods import bank as lib
from payments.methods.deferred import deadline_text
from payments.paygent import bank as wire

HOW_TO_PAY = "ネットバンク選択画面でご利用の金融機関を選び、お支払いください"


class BankMethod(DeferredCartMethod):
    history_name = "銀行ネット決済"
    settings_endpoint = "bank_settings.form"
    deadline_rule = lib.DEADLINE
    hands_over = True

    def ready(self, settings) -> bool:
        return bool(settings.shop_name and settings.shop_name_kana)

    def send(self, client, settings, application):
        return wire.send_asp(
            client, trading_id=application.trading_id, amount=application.amount,
            shop_name=settings.shop_name, shop_name_kana=settings.shop_name_kana,
            return_url=application.return_url, stop_return_url=application.stop_url,
            days=settings.days, copyright=settings.copyright, free_memo=settings.free_memo,
            family_name=application.family_name, given_name=application.given_name)

    def read(self, result, settings, application):
        handover = wire.read_handover(result)
        if handover is None or not handover.url:
            return None
        deadline = lib.DEADLINE.deadline(utcnow(), settings.days)
        return Applied(handover.payment_id, [("お支払い方法", HOW_TO_PAY),
                                             ("お支払い期限", deadline_text(deadline))],
                       deadline, handover.url)


BANK_CART = BankMethod(lib.BANK)
