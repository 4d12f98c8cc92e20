"""特定商取引法・プライバシーポリシー: the owner writes the two pages the storefront's footer links
to. Each is a settings page of its own with the other settings pages' flow: 「確認画面へ」
keeps the checked input server-side in a draft and shows it back, 「設定する」 saves it, and
「戻る」 from the 確認画面 opens the form again with the draft's input."""
from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from cart.admin.pages import bp, services
from cart.admin.pages.forms import SHORT, PrivacyForm, TokushohoForm
from cart.admin.payments.services import drop_draft, load_draft, save_draft
from cart.models.shop_pages import TOKUSHOHO_FIELDS, pages_for
from cart.shop_settings import listed_methods

PAGE = "<any(tokushoho, privacy):page>"


@dataclass(frozen=True)
class Page:
    title: str
    form: type
    fields: tuple[str, ...]
    saved: str

    @property
    def draft_kind(self) -> str:
        return f"shop_pages_{self.fields[0]}"


PAGES = {
    "tokushoho": Page("特定商取引法に基づく表記", TokushohoForm,
                      tuple(name for name, _, _ in TOKUSHOHO_FIELDS),
                      "特定商取引法に基づく表記を設定しました。"),
    "privacy": Page("プライバシーポリシー", PrivacyForm, ("privacy_policy",),
                    "プライバシーポリシーを設定しました。"),
}
#: what a shop that has written nothing yet finds in the form, to edit (never saved unread)
SUGGESTED = {
    "price": "各商品ページに税込価格で表示しています。",
    "extra_charges": "送料（お届け方法により異なります。ご注文手続き画面に表示します）\n"
                     "お支払い方法により手数料がかかる場合があります。",
    "order_method": "ショッピングカートからご注文ください。",
}


@bp.get("")
def index():
    return redirect(url_for("pages.form", page="tokushoho"))


@bp.route(f"/{PAGE}", methods=["GET", "POST"])
def form(page):
    """The form; 「確認画面へ」 keeps the checked input and opens the 確認画面. Opened again
    from it (「戻る」, ``?draft=``) it shows that draft's input."""
    spec = PAGES[page]
    stored = pages_for(current_user.shop_id)
    form = spec.form(obj=stored, data=None if stored else SUGGESTED)
    if not form.is_submitted():
        token = request.args.get("draft", "")
        draft = _draft(spec, token)
        if draft is not None:
            for name in spec.fields:
                form[name].data = draft["values"].get(name, "")
            form.draft.data = token
    elif form.validate():
        values = {name: form[name].data or "" for name in spec.fields}
        token = save_draft(current_user.shop_id, current_user.id,
                           {"kind": spec.draft_kind, "values": values},
                           form.draft.data or None)
        return redirect(url_for("pages.confirm", page=page, draft=token))
    return render_template(f"admin/pages/{page}_form.html", form=form, page=page, spec=spec,
                           tabs=PAGES, short=SHORT, methods=_method_names())


@bp.get(f"/{PAGE}/confirm")
def confirm(page):
    """確認画面: what 「設定する」 will save."""
    spec = PAGES[page]
    token = request.args.get("draft", "")
    draft = _draft(spec, token)
    if draft is None:
        return _expired(page)
    rows = [(label, draft["values"].get(name, "")) for name, label, _ in TOKUSHOHO_FIELDS] \
        if page == "tokushoho" else [(spec.title, draft["values"].get("privacy_policy", ""))]
    return render_template("admin/pages/confirm.html", page=page, spec=spec, token=token,
                           rows=rows, tabs=PAGES)


@bp.post(f"/{PAGE}/save")
def save(page):
    """「設定する」: the draft's input becomes the page."""
    spec = PAGES[page]
    token = request.form.get("draft", "")
    draft = _draft(spec, token)
    if draft is None:
        return _expired(page)
    services.save(current_user.shop_id,
                  {name: str(draft["values"].get(name, "")) for name in spec.fields})
    drop_draft(current_user.shop_id, token)
    flash(spec.saved, "success")
    return redirect(url_for("pages.form", page=page))


def _draft(spec: Page, token: str) -> dict | None:
    payload = load_draft(current_user.shop_id, current_user.id, token, kind=spec.draft_kind)
    return payload if payload is not None and isinstance(payload.get("values"), dict) else None


def _expired(page: str):
    flash("確認画面の有効期限が切れました。もう一度入力してください。", "warning")
    return redirect(url_for("pages.form", page=page))


def _method_names() -> list[str]:
    """The shop's payment methods in use, named as the checkout names them (a hint for 支払方法)."""
    return [method.name for method in listed_methods(current_user.shop_id)]
