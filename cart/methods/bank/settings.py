"""The owner's settings of ペイジェント(銀行ネット決済) (seed 003 §1.6.2 銀行ネット決済設定):
支払期限日 and what PAYGENT's ネットバンク選択画面 shows: 店舗名(全角), 店舗名(カナ), コピーライト
(半角英数) and 自由メモ欄(全角), each as 060 takes it (``payments.paygent.bank``); the rest is the
deferred methods' page (``cart.methods.deferred.settings``)."""
from wtforms.validators import DataRequired

from cart.methods.deferred.settings import SettingsPage, ShopTextField, ascii_text, kana, wide
from payments.methods import bank as lib
from payments.paygent import bank as wire


class BankFields:
    shop_name = ShopTextField("店舗名(全角)", [DataRequired("店舗名(全角)を入力してください。")],
                              convert=wide("店舗名(全角)", wire.CLAIM_BYTES))
    shop_name_kana = ShopTextField(
        "店舗名(カナ)", [DataRequired("店舗名(カナ)を入力してください。")],
        convert=kana("店舗名(カナ)", wire.CLAIM_KANA_BYTES))
    copyright = ShopTextField("コピーライト(半角英数)",
                              convert=ascii_text("コピーライト", wire.COPYRIGHT_BYTES))
    free_memo = ShopTextField("自由メモ欄(全角)", convert=wide("自由メモ欄", wire.MEMO_BYTES))


PAGE = SettingsPage(
    lib.BANK, lib.DEADLINE, legend="銀行ネット決済設定", fields=BankFields,
    own=("shop_name", "shop_name_kana", "copyright", "free_memo"),
    hints={"shop_name": "決済画面に表示される店舗名を入力してください"
                        f"（全角{wire.CLAIM_BYTES // 2}文字以内。半角英数字は全角に変換します）。",
           "shop_name_kana": "決済画面に表示される店舗カナ名を入力してください"
                             f"（半角カナに変換して{wire.CLAIM_KANA_BYTES}文字以内、"
                             "濁点・半濁点も1文字）。",
           "copyright": "決済画面に表示されるコピーライトを入力してください"
                        f"（{wire.COPYRIGHT_BYTES}文字以内）。",
           "free_memo": "決済画面に表示されるメッセージを入力してください"
                        f"（全角{wire.MEMO_BYTES // 2}文字以内）。"},
    attrs={"shop_name": {"placeholder": "○○○オンラインショップ", "autocomplete": "off"},
           "shop_name_kana": {"placeholder": "○○○オンラインショップ", "autocomplete": "off"},
           "copyright": {"placeholder": "Copyright (c) ...", "autocomplete": "off"},
           "free_memo": {"placeholder": "ありがとうございます", "autocomplete": "off"}})
bp = PAGE.blueprint(__name__)
