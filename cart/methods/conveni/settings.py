"""The owner's settings of ペイジェント(コンビニ決済) (seed 003 §1.6.2 コンビニ(番号方式)決済設定):
支払期限日, コンビニ接続タイプ (A/B/D or F, as PAYGENT told the shop by mail) and the stores the
buyer may choose, which the connection type must offer (under F ローソン and ミニストップ are one
choice, ローソン・ミニストップ); the rest is the deferred methods' page
(``cart.methods.deferred.settings``)."""
from wtforms import RadioField
from wtforms.validators import DataRequired, ValidationError

from cart.fields import CheckboxListField
from cart.methods.deferred.settings import SettingsPage
from payments.methods import conveni as lib

#: every store a connection type may offer, as the checkboxes list them
STORE_CHOICES = [(code, name) for code, name in lib.STORE_NAMES.items()]
STORES_HINT = ("お客様が選択できるコンビニをチェックしてください。コンビニ接続タイプFでは"
               "ローソンとミニストップは「ローソン・ミニストップ」としてまとめて表示されます"
               "（ミニストップはA/B/Dのみ選択できます）。")


class ConveniFields:
    connection_type = RadioField("コンビニ接続タイプ", choices=list(lib.CONNECTION_TYPES.items()),
                                 default=lib.TYPE_ABD)
    stores = CheckboxListField("利用コンビニ", choices=STORE_CHOICES, validators=[
        DataRequired("利用コンビニを1つ以上選択してください。")])

    def validate_stores(self, field):
        if self.connection_type.errors or self.connection_type.data not in lib.CONNECTION_TYPES:
            return
        offered = lib.stores(self.connection_type.data)
        refused = [lib.STORE_NAMES[code] for code in field.data if code not in offered]
        if refused:
            name = lib.CONNECTION_TYPES[self.connection_type.data]
            raise ValidationError(f"{'・'.join(refused)}はコンビニ接続タイプ「{name}」では選択できません。")


class ConveniPage(SettingsPage):
    def read(self, form, account, saved):
        payload, ok = super().read(form, account, saved)
        if payload.get("connection_type") in lib.CONNECTION_TYPES:  # in the checkout's order
            offered = lib.stores(payload["connection_type"])
            payload["stores"] = [code for code in offered if code in (payload["stores"] or ())]
        return payload, ok

    def row(self, name, payload):
        if name == "connection_type":
            return self.label(name), lib.CONNECTION_TYPES[payload[name]]
        if name == "stores":
            offered = lib.stores(payload["connection_type"])
            return self.label(name), "、".join(offered[code] for code in payload["stores"])
        return super().row(name, payload)


PAGE = ConveniPage(
    lib.CONVENI, lib.DEADLINE, legend="コンビニ(番号方式)決済設定", fields=ConveniFields,
    own=("connection_type", "stores"), required=("connection_type",),
    hints={"connection_type": "ペイジェントからメールでご案内したコンビニ接続タイプを選択してください。",
           "stores": STORES_HINT},
    defaults={"connection_type": lib.TYPE_ABD, "stores": list(lib.stores(lib.TYPE_ABD))})
bp = PAGE.blueprint(__name__)
