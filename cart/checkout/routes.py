"""Storefront checkout: カゴ, zero-step and three-step carts, Paidy, completion (K1–K8).

Every POST here is CSRF-checked by CSRFProtect (the Paidy calls send the token as a header).
"""
import unicodedata

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for

from cart.checkout import basket, bp, draft
from cart.checkout.forms import BUYER_FIELDS, BuyerForm, ChoiceForm, ZeroStepForm
from cart.checkout.services import (CheckoutError, Draft, check_choice, deliveries,
                                    finish_paidy, offered_methods, place_order, settings_for, start_paidy)
from cart.gateway import account_for, paidy_script_url
from cart.models import Product
from cart.pricing import totals
from cart.tenancy import get_or_404


# -- カゴ ------------------------------------------------------------------------------
@bp.post("/cart/add")
def cart_add():
    """Put a product in the cart (「カゴに入れる」)."""
    product = get_or_404(Product, request.form.get("product_id"), g.shop.id)
    if not product.published:
        abort(404)
    quantity = _quantity(request.form.get("quantity", "1"))
    if quantity is None or quantity < 1:
        flash("数量は1以上の数字で入力してください。", "error")
        return redirect(url_for("storefront.product", product_id=product.id))
    basket.add(product.id, quantity)
    return redirect(url_for("checkout.cart"))


@bp.route("/cart", methods=["GET", "POST"])
def cart():
    """Show the cart: the whole one-page order form for zero-step shops."""
    settings = settings_for(g.shop.id)
    if settings.cart_type == "three":
        if request.method == "POST":
            _apply_cart_actions()
            if "proceed" in request.form and basket.lines():
                return redirect(url_for("checkout.step1"))
            return redirect(url_for("checkout.cart"))
        return render_template("checkout/cart.html", **_cart_context())
    return _zero_step(settings)


def _zero_step(settings):
    saved = draft.get()
    form = ZeroStepForm(settings=settings, data=_form_data(saved))
    lines = basket.lines()
    if request.method == "POST":
        _apply_cart_actions()
        draft.update(buyer=draft.typed(request.form, BUYER_FIELDS),
                     delivery=_int(request.form.get("delivery_method")),
                     payment=_int(request.form.get("payment_method")))
        if "confirm" not in request.form:
            return redirect(url_for("checkout.cart") + "#cart")
        lines = basket.lines()
        if form.validate_on_submit() and lines:
            try:
                check_choice(g.shop.id, lines, form.delivery_method.data,
                             form.payment_method.data)
            except CheckoutError as error:
                _field_error(form, error)
            else:
                draft.update(buyer=form.buyer(), delivery=form.delivery_method.data,
                             payment=form.payment_method.data)
                return redirect(url_for("checkout.confirm"))
    return render_template("checkout/zero_step.html", form=form, settings=settings,
                           **_choices(lines), **_cart_context(lines))


# -- three-step cart ------------------------------------------------------------------
@bp.route("/checkout/step1", methods=["GET", "POST"])
def step1():
    """Step 1: 購入者情報."""
    settings = settings_for(g.shop.id)
    if not basket.lines():
        return redirect(url_for("checkout.cart"))
    form = BuyerForm(settings=settings, data=_form_data(draft.get()))
    if form.validate_on_submit():
        draft.update(buyer=form.buyer())
        return redirect(url_for("checkout.step2"))
    if request.method == "POST":
        draft.update(buyer=draft.typed(request.form, BUYER_FIELDS))
    return render_template("checkout/step1.html", form=form, settings=settings, step=1)


@bp.route("/checkout/step2", methods=["GET", "POST"])
def step2():
    """Step 2: 配送方法 and お支払い方法."""
    lines = basket.lines()
    saved = draft.get()
    if not lines:
        return redirect(url_for("checkout.cart"))
    if not saved.get("buyer"):
        return redirect(url_for("checkout.step1"))
    form = ChoiceForm(data={"delivery_method": saved.get("delivery"),
                            "payment_method": saved.get("payment")})
    if form.validate_on_submit():
        draft.update(delivery=form.delivery_method.data, payment=form.payment_method.data)
        try:
            check_choice(g.shop.id, lines, form.delivery_method.data, form.payment_method.data)
        except CheckoutError as error:
            _field_error(form, error)
        else:
            return redirect(url_for("checkout.confirm"))
    return render_template("checkout/step2.html", form=form, step=2, **_choices(lines),
                           **_cart_context(lines))


# -- confirmation and order -------------------------------------------------------------
@bp.route("/checkout/confirm", methods=["GET", "POST"])
def confirm():
    """注文確認 (zero-step) / Step 3 (three-step); 「注文する」 places a basic-method order."""
    settings = settings_for(g.shop.id)
    current, back = _current_draft(settings)
    if current is None:
        return back
    if request.method == "POST":
        if current.method.kind == "paidy":
            abort(400)  # Paidy orders go through the modal
        try:
            order = place_order(g.shop, current, draft.get().get("pending_order"))
        except CheckoutError as error:
            flash(error.message, "error")
            return redirect(url_for("checkout.confirm"))
        return _completed(order.number)
    context = {}
    if current.method.kind == "paidy":
        account = account_for(g.shop.id)
        context = {"paidy_script": paidy_script_url(account),
                   "paidy_key": account.paidy_public_key,
                   "paidy_logo": _logo_url(account)}
    shipping = 0 if current.delivery.fee_undetermined else current.delivery.fee
    return render_template("checkout/confirm.html", d=current, settings=settings,
                           money=totals(current.lines, shipping), step=3, **context)


@bp.post("/checkout/paidy/start")
def paidy_start():
    """Create the 決済処理中 order and hand the modal its payload."""
    current, _ = _current_draft(settings_for(g.shop.id))
    if current is None or current.method.kind != "paidy":
        return jsonify(error="お手続きの内容を確認できませんでした。最初からやり直してください。",
                       redirect=url_for("checkout.cart")), 409
    try:
        order, payload = start_paidy(g.shop, current, draft.get().get("pending_order"))
    except CheckoutError as error:
        return jsonify(error=error.message, redirect=_choice_url()), 409
    draft.update(pending_order=order.id)
    return jsonify(order_number=order.number, payload=payload)


@bp.post("/checkout/paidy/result")
def paidy_result():
    """Take the modal's result: verified and accepted, or back to the payment choice."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):  # not a JSON object: the same as an empty answer
        data = {}
    number = str(data.get("order_number", ""))
    if number and number == draft.completed_number():
        return jsonify(redirect=url_for("checkout.complete"))  # a re-post once it is done
    outcome = finish_paidy(g.shop, number, str(data.get("status", "")), str(data.get("id", "")),
                           draft.get().get("pending_order"))
    if outcome.kind == "done":
        _finish(outcome.order.number)
        return jsonify(redirect=url_for("checkout.complete"))
    if outcome.kind == "pending":
        _finish(outcome.order.number)
        return jsonify(redirect=url_for("checkout.pending"))
    flash(outcome.message, "error")
    return jsonify(redirect=_choice_url())


@bp.get("/checkout/complete")
def complete():
    """ご注文ありがとうございました！ (the same URL whatever the payment method)."""
    number = draft.completed_number()
    if not number:
        return redirect(url_for("storefront.index"))
    return render_template("checkout/complete.html", number=number,
                           settings=settings_for(g.shop.id))


@bp.get("/checkout/pending")
def pending():
    """The payment is still being confirmed with PAYGENT."""
    number = draft.completed_number()
    if not number:
        return redirect(url_for("storefront.index"))
    return render_template("checkout/pending.html", number=number)


# -- helpers -----------------------------------------------------------------------------
def _finish(number: str) -> None:
    basket.clear()
    draft.finish(number)


def _completed(number: str):
    _finish(number)
    return redirect(url_for("checkout.complete"))


def _choice_url() -> str:
    """Where the shopper chooses the payment method again."""
    if settings_for(g.shop.id).cart_type == "three":
        return url_for("checkout.step2")
    return url_for("checkout.cart") + "#payment"


def _current_draft(settings):
    """The complete draft, or (None, a redirect to where something is missing)."""
    lines = basket.lines()
    saved = draft.get()
    start = url_for("checkout.cart") if settings.cart_type == "zero" else url_for(
        "checkout.step1")
    if not lines:
        return None, redirect(url_for("checkout.cart"))
    # formdata=None: what the shopper confirmed is checked, never fields of this request
    form = BuyerForm(formdata=None, settings=settings, data=saved.get("buyer") or {},
                     meta={"csrf": False})
    if not saved.get("buyer") or not form.validate():
        return None, redirect(start)
    try:
        delivery, method = check_choice(g.shop.id, lines, saved.get("delivery"),
                                        saved.get("payment"))
    except CheckoutError as error:
        flash(error.message, "error")
        return None, redirect(_choice_url())
    return Draft(lines, form.buyer(), delivery, method, settings.cart_type,
                 checkout_token=saved.get("token"), client_address=request.remote_addr or ""), None


def _apply_cart_actions() -> None:
    for key, value in request.form.items():
        if key.startswith("qty-"):
            quantity = _quantity(value)
            if quantity is not None:
                basket.set_quantity(_int(key[4:]) or 0, quantity)
    remove = _int(request.form.get("remove"))
    if remove:
        basket.remove(remove)


def _cart_context(lines=None):
    lines = basket.lines() if lines is None else lines
    return {"lines": lines, "items_total": sum(line.subtotal for line in lines)}


def _choices(lines):
    items_total = sum(line.subtotal for line in lines)
    return {"deliveries": deliveries(g.shop.id),
            "methods": offered_methods(g.shop.id, items_total)}


def _form_data(saved: dict) -> dict:
    data = dict(saved.get("buyer") or {})
    data["delivery_method"] = saved.get("delivery")
    data["payment_method"] = saved.get("payment")
    return data


def _field_error(form, error: CheckoutError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def _logo_url(account) -> str:
    if account and account.logo_png:
        return url_for("storefront.paidy_logo", v=account.updated_at.timestamp(), _external=True)
    return ""


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _quantity(value):
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else None
