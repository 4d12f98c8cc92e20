"""The owner's settings of ペイジェント(携帯キャリア決済) (seed 003 §1.6.2 携帯キャリア決済設定):
利用決済 (d払い, auかんたん決済, ソフトバンクまとめて支払い・ワイモバイルまとめて支払い: one at
least, kept in that order) and 同時売上 (オーソリのみ / オーソリ+売上確定, as the card's), then
適用条件 and 注意書き.

The page is the deferred methods' (``cart.methods.deferred.settings.SettingsPage``) without
their 支払期限日 and お支払い期限のお知らせメール: 「確認画面へ」 keeps the input server-side in a
draft, 「戻る」 from the 確認画面 brings it back, 「設定する」 runs the connection test and saves
(or saves anyway when asked); the shop's common PAYGENT connection (``PaygentAccount``) is
asked for only while the shop has none. Saving writes the shop's ``CarrierSettings`` row."""
from wtforms import HiddenField, RadioField
from wtforms.validators import DataRequired

from cart.admin.payments import connection, services
from cart.admin.payments.forms import ConditionsMixin
from cart.extensions import db
from cart.fields import CheckboxListField, JapaneseForm
from cart.gateway import account_for
from cart.methods.carrier.config import carrier_settings_for
from cart.methods.deferred.settings import CONDITION_FIELDS, SettingsPage, candidate
from cart.models import CarrierSettings, PaygentAccount, PaymentMethod
from cart.models.card_settings import SALES_MODES
from payments.methods import carrier as lib

CARRIER_CHOICES = list(lib.SETTINGS_NAMES.items())
CARRIERS_HINT = "利用可能な決済をチェックしてください。"
SALES_MODE_HINT = ("オーソリのみ：受注ごとに売上（売上確定）が必要です。オーソリ+売上確定：オーソリと"
                   "同時に売上確定します。受注データはそのとき設定している内容で作成されます。")
DRAFT_KIND = "carrier"


class CarrierSettingsForm(ConditionsMixin, JapaneseForm):
    """The page's form without 支払期限日: its items (``CarrierFields``), 適用条件 and 注意書き."""
    draft = HiddenField()


class CarrierFields:
    carriers = CheckboxListField("利用決済", choices=CARRIER_CHOICES, validators=[
        DataRequired("利用決済を1つ以上選択してください。")])
    sales_mode = RadioField("同時売上", choices=list(SALES_MODES.items()), default="auth")


class CarrierPage(SettingsPage):
    base_form = CarrierSettingsForm

    def __init__(self):
        super().__init__(
            lib.CARRIER, None, legend="携帯キャリア決済設定", fields=CarrierFields,
            own=("carriers", "sales_mode"),
            hints={"carriers": CARRIERS_HINT, "sales_mode": SALES_MODE_HINT})
        self.draft_kind = DRAFT_KIND
        self.drafts = services.Drafts(DRAFT_KIND, f"{self.name}.form")

    def settings_for(self, shop_id: int) -> CarrierSettings | None:
        return carrier_settings_for(shop_id)

    def template(self, name: str) -> str:
        if name == "settings_form.html":  # the deferred form without 支払期限日
            return f"methods/carrier/{name}"
        return super().template(name)

    def initial(self, account, settings: CarrierSettings | None,
                method: PaymentMethod | None) -> dict:
        """The stored values, or every carrier and オーソリのみ for a new setup."""
        data = {"carriers": list(lib.CARRIERS), "sales_mode": "auth", "hide_under_on": False,
                "hide_under": None, "hide_from_on": False, "hide_from": None, "note": "",
                "note_on_payment_page": False, "note_in_thanks_mail": False}
        if settings is not None:
            data.update(carriers=settings.offered, sales_mode=settings.sales_mode)
        if method is not None:
            data.update(hide_under_on=method.hide_under is not None,
                        hide_under=method.hide_under, hide_from_on=method.hide_from is not None,
                        hide_from=method.hide_from, note=method.note,
                        note_on_payment_page=method.note_on_payment_page,
                        note_in_thanks_mail=method.note_in_thanks_mail)
        if account is None:
            data["environment"] = "sandbox"
        return data

    def restore(self, form, saved: dict, account) -> None:
        for name in self.own + CONDITION_FIELDS:
            form[name].data = saved.get(name)
        if account is None:
            for name in connection.FIELDS:
                form[name].data = saved.get(name)

    def read(self, form, account, saved: dict) -> tuple[dict, bool]:
        """The submitted settings as a draft payload, the carriers in the checkout's order;
        the connection too when the shop has none."""
        ok = form.check_conditions()
        payload = {"kind": self.draft_kind, "setup": account is None}
        payload.update({name: form[name].data for name in CONDITION_FIELDS})
        chosen = set(form.carriers.data or ())
        payload["carriers"] = [code for code in lib.CARRIERS if code in chosen]
        payload["sales_mode"] = form.sales_mode.data
        if account is None:
            common, common_ok = connection.read_connection(form, None, saved)
            payload.update(common)
            ok = ok and common_ok
        return payload, ok

    def rows(self, payload: dict) -> list[tuple[str, str]]:
        return [(self.label("carriers"),
                 "、".join(lib.SETTINGS_NAMES[code] for code in payload["carriers"])),
                (self.label("sales_mode"), SALES_MODES[payload["sales_mode"]])]

    def apply(self, shop, payload: dict) -> CarrierSettings:
        """Save the settings: the method joins the list if it is not in it, then one
        transaction writes the connection (when this is the shop's first), the carrier
        settings row and the method's conditions (設定済み)."""
        method = self.method_row(shop.id)
        if method is None or not method.in_use:  # (as 「リストに追加」 does, committed on its own)
            method = services.add(shop.id, self.code)
        account = account_for(shop.id)
        if account is None:
            fresh = candidate(shop.id, payload)
            account = PaygentAccount(shop_id=shop.id)
            for name in connection.COLUMNS + ("paidy_public_key", "capture_mode"):
                setattr(account, name, getattr(fresh, name))
            db.session.add(account)
        settings = carrier_settings_for(shop.id)
        if settings is None:
            settings = CarrierSettings(shop_id=shop.id)
            db.session.add(settings)
        chosen = set(payload["carriers"])
        settings.carriers = ",".join(code for code in lib.CARRIERS if code in chosen)
        settings.sales_mode = payload["sales_mode"]
        services.apply_conditions(method, payload)
        method.configured = True
        db.session.commit()
        services.enroll_at_sandbox(shop, account)
        return settings


PAGE = CarrierPage()
bp = PAGE.blueprint(__name__)
