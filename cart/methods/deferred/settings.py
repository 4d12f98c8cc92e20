"""The owner's settings pages of コンビニ決済, ATM決済 and 銀行ネット決済 (seed 003 §1.6.2:
コンビニ(番号方式)決済設定, ATM決済設定, 銀行ネット決済設定), built from one ``SettingsPage``.

Every page asks 支払期限日 (購入日より N 日, the method's ``DEADLINE`` saying the range), お支払い
期限のお知らせメール, 適用条件 and 注意書き, and its method's own items; the flow is the card's:
「確認画面へ」 keeps the input server-side in a draft (secrets never in the page), 「戻る」 from
the 確認画面 brings that draft back, 「設定する」 runs the connection test and saves (or saves
anyway when asked). The PAYGENT connection is the shop's common one (``PaygentAccount``): a
shop without one enters it here, a shop with one sees it read-only.

Text PAYGENT shows the buyer is checked as PAYGENT takes it (``payments.paygent.text``): a
半角カナ item must convert to half-width katakana, a 全角 item must be Shift_JIS, each within
its bytes; what is saved is the converted text, what was typed stays in the form."""
import unicodedata

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import Length, ValidationError

from cart.admin.payments import connection, services
from cart.admin.payments.forms import ConditionsMixin
from cart.extensions import db
from cart.fields import JapaneseForm, WholeNumberField, stripped
from cart.gateway import account_for, notice_url
from cart.methods.deferred.config import deferred_settings_for
from cart.models import DeferredSettings, PaygentAccount, PaymentMethod
from cart.tenancy import owners_only
from payments.methods.base import RuleViolation
from payments.paygent import text
from payments.paygent.codec import CHARSET

REMINDER_DAYS = 7
REMINDERS = {"0": "送らない", **{str(n): f"期限の{n}日前" for n in range(1, REMINDER_DAYS + 1)}}
CONDITION_FIELDS = ("hide_under_on", "hide_under", "hide_from_on", "hide_from", "note",
                    "note_on_payment_page", "note_in_thanks_mail")
DAYS_HINT = "購入日からの支払期限日数を入力してください。"
REMINDER_HINT = ("支払期限日が近づいてもお支払いのないご注文に、お支払い期限をお知らせするメールを"
                 "送ります。")
#: what is typed at most into a text item before it is converted (anything longer is refused
#: by the item's own limit anyway)
TYPED_MAX = 400


# -- text as PAYGENT takes it --------------------------------------------------------------
def _listed(chars) -> str:
    unique = list(dict.fromkeys(chars))
    shown = "".join(f"「{c}」" for c in unique[:5])
    return shown + ("など" if len(unique) > 5 else "")


def kana(label: str, max_bytes: int):
    """半角カナ of what was typed (katakana, hiragana, letters and digits), or ValueError."""
    def convert(value: str) -> str:
        typed = unicodedata.normalize("NFC", value)
        bad = [c for c in typed if not c.isspace() and not text.halfwidth_kana(c)]
        if bad:
            raise ValueError(f"{label}に半角カナにできない文字（{_listed(bad)}）が含まれています。"
                             "カタカナ・ひらがな・英数字で入力してください。")
        converted = text.halfwidth_kana(typed)
        size = text.sjis_length(converted)
        if size > max_bytes:
            raise ValueError(f"{label}は半角カナにして{max_bytes}文字以内で入力してください"
                             f"（濁点・半濁点も1文字に数えます。現在{size}文字）。")
        return converted
    return convert


def wide(label: str, max_bytes: int):
    """全角 of what was typed (ASCII and half-width kana widened), or ValueError for a
    character Shift_JIS cannot carry or text over ``max_bytes``."""
    def convert(value: str) -> str:
        bad = []
        for char in unicodedata.normalize("NFKC", value):
            if char.isspace() or "!" <= char <= "~":
                continue
            try:
                if len(char.encode(CHARSET)) != 2:
                    bad.append(char)
            except UnicodeEncodeError:
                bad.append(char)
        if bad:
            raise ValueError(f"{label}に使えない文字（{_listed(bad)}）が含まれています。")
        converted = text.fullwidth(value)
        if text.sjis_length(converted) > max_bytes:
            raise ValueError(f"{label}は全角{max_bytes // 2}文字以内で入力してください"
                             f"（現在{text.sjis_length(converted) // 2}文字）。")
        return converted
    return convert


def ascii_text(label: str, max_chars: int):
    """半角英数記号 (full-width letters, digits and the ideographic space narrowed)."""
    def convert(value: str) -> str:
        narrow = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else
                         (" " if c == "\u3000" else c) for c in value)
        if not all(" " <= c <= "~" for c in narrow):
            raise ValueError(f"{label}は半角英数字記号で入力してください。")
        if len(narrow) > max_chars:
            raise ValueError(f"{label}は{max_chars}文字以内で入力してください。")
        return narrow
    return convert


class ShopTextField(StringField):
    """Text of the shop's that PAYGENT shows the buyer: checked by ``convert`` (beside the
    field) and saved converted; the form keeps what was typed."""

    def __init__(self, label=None, validators=None, convert=None, **kwargs):
        super().__init__(label, list(validators or []) + [Length(
            max=TYPED_MAX, message=f"{TYPED_MAX}文字以内で入力してください。")],
            filters=[stripped], **kwargs)
        self.convert = convert

    def post_validate(self, form, validation_stopped):
        if validation_stopped or self.errors or not self.data:
            return
        try:
            self.convert(self.data)
        except ValueError as refused:
            self.errors.append(str(refused))

    def converted(self) -> str:
        return self.convert(self.data) if self.data else ""


# -- the form --------------------------------------------------------------------------------
class DeferredSettingsForm(ConditionsMixin, JapaneseForm):
    """支払期限日 and お支払い期限のお知らせメール, then the method's items (a mixin before this
    class), 適用条件 and 注意書き."""
    #: the method's DeadlineRule (set by the page's form class)
    deadline_rule = None
    draft = HiddenField()
    days = WholeNumberField("支払期限日")
    reminder_days = SelectField("お支払い期限のお知らせメール", choices=list(REMINDERS.items()),
                                default="0")

    def validate_days(self, field):
        if field.data is None:
            raise ValidationError("支払期限日を入力してください。")
        try:
            self.deadline_rule.check_days(field.data)
        except RuleViolation as refused:
            raise ValidationError(str(refused)) from refused

    def validate_reminder_days(self, field):
        if field.errors or field.data not in REMINDERS:
            return
        reminder, days = int(field.data), self.days.data
        if reminder and isinstance(days, int) and not self.days.errors and reminder >= days:
            raise ValidationError(
                f"お支払い期限のお知らせメールは、支払期限日（購入日より{days}日）より前になる"
                "日を選択してください。")


class SettingsPage:
    """One deferred method's settings page: its form items (``fields``: a form mixin whose
    field names are ``own``, in their order), hints, defaults for a new setup, and how the
    確認画面 shows each item. ``blueprint()`` makes the page's routes."""
    #: the form the method's items are mixed into (a page without 支払期限日 and お支払い期限の
    #: お知らせメール, such as 携帯キャリア決済's, gives its own)
    base_form = DeferredSettingsForm

    def __init__(self, lib, deadline, *, legend: str, fields: type, own: tuple[str, ...],
                 hints: dict | None = None, attrs: dict | None = None,
                 defaults: dict | None = None, required: tuple[str, ...] = ()):
        self.lib, self.code = lib, lib.code
        self.rule = deadline  # the method's DeadlineRule: the days' default, range and message
        self.title = f"{lib.system_name} 設定"
        self.confirm_title = f"{lib.system_name} 設定の確認"
        self.legend, self.own = legend, own
        self.hints = {"days": DAYS_HINT, "reminder_days": REMINDER_HINT, **(hints or {})}
        self.attrs = attrs or {}
        self.defaults = defaults or {}
        self.required = required  # items the seed marks 必須 beyond those a check requires
        self.draft_kind = f"deferred_{self.code}"
        self.name = f"{self.code}_settings"
        self.drafts = services.Drafts(self.draft_kind, f"{self.name}.form")
        form_class = type(f"{self.code.title()}SettingsForm", (fields, self.base_form),
                          {"deadline_rule": self.rule})
        self.form_class = form_class
        #: whether text the shop types is converted for PAYGENT's pages (the 確認画面 says so)
        self.converts = any(getattr(fields, name).field_class is ShopTextField for name in own)
        self.setup_form_class = type(f"{self.code.title()}SetupForm",
                                     (connection.connection_fields(), form_class), {})

    # -- the routes ------------------------------------------------------------------------
    def blueprint(self, import_name: str) -> Blueprint:
        bp = owners_only(Blueprint(self.name, import_name,
                                   url_prefix=f"/admin/payment-methods/{self.code}"))
        bp.add_url_rule("", "form", self.form_view, methods=["GET", "POST"])
        bp.add_url_rule("/confirm", "confirm", self.confirm_view, methods=["GET"])
        bp.add_url_rule("/save", "save", self.save_view, methods=["POST"])
        return bp

    def form_view(self):
        """The form; 「確認画面へ」 keeps the input server-side and shows it back. Opened again
        from the 確認画面 (「戻る」, ``?draft=``) it shows that draft's input."""
        shop = current_user.shop
        account = account_for(shop.id)
        settings = self.settings_for(shop.id)
        form_class = self.form_class if account else self.setup_form_class
        form = form_class(data=self.initial(account, settings, self.method_row(shop.id)))
        submitted = form.is_submitted()
        if not submitted:  # 「戻る」 from the 確認画面 brings its draft back
            form.draft.data = request.args.get("draft", "")
        saved = self.drafts.load(shop.id, form.draft.data) or {}
        if not submitted and saved:
            self.restore(form, saved, account)
        elif not submitted:
            form.draft.data = ""  # not this owner's draft of this page: a fresh form
        if submitted:
            valid = form.validate()  # first: validate() resets the errors _read adds
            payload, ok = self.read(form, account, saved)
            payload["checked"] = valid and ok  # only checked input may reach 「設定する」
            token = services.save_draft(shop.id, current_user.id, payload,
                                        form.draft.data or None)
            if valid and ok:
                return redirect(url_for(f"{self.name}.confirm", draft=token))
            form.draft.data = token
            saved = payload
        if account is None:
            connection.blank_secrets(form)
        return render_template(self.template("settings_form.html"), page=self, form=form,
                               account=account, settings=settings, saved=saved,
                               notice_url=notice_url(shop))

    def confirm_view(self):
        """確認画面: what 「設定する」 will save, secrets masked."""
        shop = current_user.shop
        token = request.args.get("draft", "")
        payload = self.drafts.checked(shop.id, token)
        if payload is None:
            return self.drafts.expired()
        return self.confirm_page(shop, payload, token, failure=None)

    def save_view(self):
        """「設定する」: the connection test, then the settings saved (or saved anyway)."""
        shop = current_user.shop
        token = request.form.get("draft", "")
        payload = self.drafts.checked(shop.id, token)
        if payload is None:
            return self.drafts.expired()
        stored = account_for(shop.id)
        if payload["setup"] != (stored is None):  # the connection was set up meanwhile
            flash("ペイジェントの接続設定が変更されました。もう一度入力してください。", "warning")
            return redirect(url_for(f"{self.name}.form"))
        account = stored or candidate(shop.id, payload)
        passed, failure = services.connection_test(shop, account)
        if not (passed or request.form.get("force") == "1"):
            return self.confirm_page(shop, payload, token, failure)
        self.apply(shop, payload)
        services.drop_draft(shop.id, token)
        services.saved_message(passed)
        return redirect(url_for("payment_settings.index"))

    # -- reading and showing ---------------------------------------------------------------
    def settings_for(self, shop_id: int):
        """The shop's stored settings row of the method, or None before it is configured."""
        return deferred_settings_for(shop_id, self.code)

    def template(self, name: str) -> str:
        return f"methods/deferred/{name}"

    def method_row(self, shop_id: int) -> PaymentMethod | None:
        return db.session.scalar(select(PaymentMethod).where(
            PaymentMethod.shop_id == shop_id, PaymentMethod.kind == self.code))

    def initial(self, account, settings: DeferredSettings | None,
                method: PaymentMethod | None) -> dict:
        """What the form shows first (and falls back on for a field a submission leaves
        out): the stored values, or the method's defaults for a new setup."""
        data = {"days": self.rule.default_days, "reminder_days": "0", **self.defaults,
                "hide_under_on": False, "hide_under": None, "hide_from_on": False,
                "hide_from": None, "note": "", "note_on_payment_page": False,
                "note_in_thanks_mail": False}
        if settings is not None:
            data.update(days=settings.days, reminder_days=str(settings.reminder_days))
            for name in self.own:
                data[name] = (settings.store_codes if name == "stores"
                              else getattr(settings, name))
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
        """A draft's input back in the form, as it was typed."""
        typed = saved.get("typed") or {}
        for name in ("days",) + self.own + CONDITION_FIELDS:
            form[name].data = typed.get(name, saved.get(name))
        form.reminder_days.data = str(saved.get("reminder_days", 0))
        if account is None:
            for name in connection.FIELDS:
                form[name].data = saved.get(name)

    def read(self, form, account, saved: dict) -> tuple[dict, bool]:
        """The submitted settings as a draft payload (text items converted as PAYGENT takes
        them, what was typed kept besides); the connection too when the shop has none."""
        ok = form.check_conditions()
        payload = {"kind": self.draft_kind, "setup": account is None, "typed": {}}
        payload.update({name: form[name].data for name in CONDITION_FIELDS})
        payload["days"] = form.days.data
        payload["reminder_days"] = int(form.reminder_days.data) if (
            form.reminder_days.data in REMINDERS) else 0
        for name in self.own:
            field = form[name]
            if isinstance(field, ShopTextField):
                payload["typed"][name] = field.data or ""
                payload[name] = "" if field.errors else field.converted()
            else:
                payload[name] = field.data
        ok = self.check(form, payload) and ok
        if account is None:
            common, common_ok = connection.read_connection(form, None, saved)
            payload.update(common)
            ok = ok and common_ok
        return payload, ok

    def check(self, form, payload: dict) -> bool:
        """The method's checks across its items (a page with some overrides this)."""
        return True

    def rows(self, payload: dict) -> list[tuple[str, str]]:
        """The 確認画面's lines of the method's items: (heading, value)."""
        rows = [("支払期限日", f"購入日より{payload['days']}日")]
        for name in self.own:
            rows.append(self.row(name, payload))
        rows.append(("お支払い期限のお知らせメール", REMINDERS[str(payload["reminder_days"])]))
        return rows

    def row(self, name: str, payload: dict) -> tuple[str, str]:
        return (self.label(name), payload.get(name) or "なし")

    def label(self, name: str) -> str:
        return getattr(self.form_class, name).args[0]  # (an unbound field: its label first)

    def confirm_page(self, shop, payload: dict, token: str, failure: str | None):
        return render_template(self.template("settings_confirm.html"), page=self, p=payload,
                               token=token, failure=failure, account=account_for(shop.id),
                               rows=self.rows(payload), notice_url=notice_url(shop))

    # -- saving ----------------------------------------------------------------------------
    def apply(self, shop, payload: dict) -> DeferredSettings:
        """Save the settings: the method joins the list if it is not in it, then one
        transaction writes the connection (when this is the shop's first), the method's
        settings row and its conditions (設定済み)."""
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
        settings = db.session.scalar(select(DeferredSettings).where(
            DeferredSettings.shop_id == shop.id, DeferredSettings.method == self.code))
        if settings is None:
            settings = DeferredSettings(shop_id=shop.id, method=self.code)
            db.session.add(settings)
        settings.days = payload["days"]
        settings.reminder_days = payload["reminder_days"]
        for name in self.own:
            value = payload[name]
            setattr(settings, name, ",".join(value) if isinstance(value, list) else value or "")
        services.apply_conditions(method, payload)
        method.configured = True
        db.session.commit()
        services.enroll_at_sandbox(shop, account)
        return settings


def candidate(shop_id: int, payload: dict) -> PaygentAccount:
    """The connection a first setup would make (not saved), with nothing of Paidy's."""
    with db.session.no_autoflush:
        account = connection.candidate(shop_id, payload, None)
        account.paidy_public_key, account.capture_mode = "", "auth"
    return account
