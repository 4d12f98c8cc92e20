"""The owner's settings of ペイジェント(ATM決済) (seed 003 §1.6.2 ATM決済設定): 支払期限日 and
店舗名(カナ), shown at the ATM when the buyer pays (010's ``payment_detail_kana``: 半角カナ, 24
bytes); the rest is the deferred methods' page (``cart.methods.deferred.settings``)."""
from wtforms.validators import DataRequired

from cart.methods.deferred.settings import SettingsPage, ShopTextField, kana
from payments.methods import atm as lib
from payments.paygent import atm as wire

LABEL = "店舗名(カナ)"


class AtmFields:
    shop_name_kana = ShopTextField(LABEL, [DataRequired(f"{LABEL}を入力してください。")],
                                   convert=kana(LABEL, wire.DETAIL_KANA_BYTES))


PAGE = SettingsPage(
    lib.ATM, lib.DEADLINE, legend="ATM決済設定", fields=AtmFields, own=("shop_name_kana",),
    hints={"shop_name_kana": "入金時に表示される店舗名を入力してください。カタカナ・ひらがな・"
                             f"英数字で入力すると半角カナに変換します（{wire.DETAIL_KANA_BYTES}文字"
                             "以内、濁点・半濁点も1文字）。"},
    attrs={"shop_name_kana": {"placeholder": "オチャノミセ", "autocomplete": "off"}})
bp = PAGE.blueprint(__name__)
