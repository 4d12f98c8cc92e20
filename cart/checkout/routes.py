"""Storefront checkout: カゴ, zero-step and three-step carts, confirmation, completion (K1–K8).

A method with a payment step of its own (Paidy) serves it from its cart module. Every POST is
CSRF-checked by CSRFProtect.
"""
import unicodedata

from flask import abort, flash, g, redirect, render_template, request, url_for

from cart.checkout import basket, bp, draft
from cart.checkout.current import current_draft, finish
from cart.checkout.forms import BUYER_FIELDS, BuyerForm, ChoiceForm, ZeroStepForm
from cart.checkout.orders import CheckoutError, place_order
from cart.checkout.services import check_choice, offered_methods
from cart.members.session import current_member
from cart.subscriptions import offer
from cart.members.prefill import checkout_prefill
from cart.methods import registry
from cart.models import Product
from cart.pricing import Line, totals
from cart.shop_settings import deliveries, settings_for
from cart.tenancy import get_or_404


# -- カゴ ------------------------------------------------------------------------------
@bp.post("/cart/add")
def cart_add():
    """Put a product in the cart (「カゴに入れる」)."""
    product = get_or_404(Product, request.form.get("product_id"), g.shop.id)
    if not product.published:
        abort(404)
    quantity = _quantity(request.form.get("quantity", "1"))
    page = url_for("storefront.product", product_id=product.id)
    if quantity is None or quantity < 1:
        flash(QUANTITY_FORMAT, "error")
        return redirect(page)
    in_cart = basket.quantities().get(product.id, 0)
    if in_cart + quantity > basket.MAX_QUANTITY:
        flash(f"1つの商品は{basket.MAX_QUANTITY}点までご注文いただけます"
              f"（カゴに{in_cart}点入っています）。", "error")
        return redirect(page)
    wanted = Line(product.id, product.code, product.name, product.price, in_cart + quantity,
                  product.tax_rate, stock=product.stock)
    short = basket.shortages([wanted], draft.get().get("pending_order"))
    if short:
        left = short[product.id]
        flash(f"「{product.name}」の在庫が不足しています（残り{max(left, 0)}点"
              + (f"、カゴに{in_cart}点入っています" if in_cart else "") + "）。", "error")
        return redirect(page)
    cycle = request.form.get("cycle", "")[:4]
    if cycle:
        page = url_for("storefront.product", product_id=product.id)
        if cycle not in offer.product_cycles(g.shop.id, product):
            flash(offer.NOT_SOLD, "error")
            return redirect(page)
        if current_member(g.shop) is None:
            flash(offer.MEMBERS_ONLY, "error")
            return redirect(url_for("members.login", next=page))
    basket.add(product.id, quantity, cycle)
    return redirect(url_for("checkout.cart"))


@bp.route("/cart", methods=["GET", "POST"])
def cart():
    """Show the cart: the whole one-page order form for zero-step shops."""
    settings = settings_for(g.shop.id)
    if settings.cart_type == "three":
        if request.method == "POST":
            applied = _apply_cart_actions()
            lines = basket.lines()
            if "proceed" in request.form and applied and lines and _stocked(lines):
                return redirect(url_for("checkout.step1"))
            return redirect(url_for("checkout.cart"))
        return render_template("checkout/cart.html", **_cart_context())
    return _zero_step(settings)


def _zero_step(settings):
    saved = draft.get()
    data, member_addresses = _buyer_start(saved)
    form = ZeroStepForm(settings=settings, data=data)
    lines = basket.lines()
    if request.method == "POST":
        before = (basket.quantities(), basket.cycles())
        applied = _apply_cart_actions()
        draft.update(buyer=draft.typed(request.form, BUYER_FIELDS),
                     delivery=_int(request.form.get("delivery_method")),
                     payment=_int(request.form.get("payment_method")))
        if "confirm" not in request.form or not applied:
            return redirect(url_for("checkout.cart") + "#cart")
        if (basket.quantities(), basket.cycles()) != before:  # else the lines read above
            lines = basket.lines()
        if not _stocked(lines):
            return redirect(url_for("checkout.cart") + "#cart")
        if form.validate_on_submit() and lines:
            try:
                check_choice(g.shop.id, lines, form.delivery_method.data,
                             form.payment_method.data)
            except CheckoutError as error:
                _field_error(form, error)
            else:
                draft.update(buyer=form.buyer(), delivery=form.delivery_method.data,
                             payment=form.payment_method.data)
                return _confirmation(settings, lines)
    return render_template("checkout/zero_step.html", form=form, settings=settings,
                           member_addresses=member_addresses, **_choices(lines),
                           **_cart_context(lines))


# -- three-step cart ------------------------------------------------------------------
@bp.route("/checkout/step1", methods=["GET", "POST"])
def step1():
    """Step 1: 購入者情報."""
    settings = settings_for(g.shop.id)
    if not basket.lines():
        return redirect(url_for("checkout.cart"))
    data, member_addresses = _buyer_start(draft.get())
    form = BuyerForm(settings=settings, data=data)
    if form.validate_on_submit():
        draft.update(buyer=form.buyer())
        return redirect(url_for("checkout.step2"))
    if request.method == "POST":
        draft.update(buyer=draft.typed(request.form, BUYER_FIELDS))
    return render_template("checkout/step1.html", form=form, settings=settings, step=1,
                           member_addresses=member_addresses)


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
            return _confirmation(settings_for(g.shop.id), lines)
    return render_template("checkout/step2.html", form=form, step=2, **_choices(lines),
                           **_cart_context(lines))


# -- confirmation and order -------------------------------------------------------------
@bp.route("/checkout/confirm", methods=["GET", "POST"])
def confirm():
    """注文確認 (zero-step) / Step 3 (three-step); 「注文する」 places a basic-method order."""
    settings = settings_for(g.shop.id)
    if request.method == "GET":
        return _confirmation(settings)
    current, back = current_draft(g.shop, settings)
    if current is None:
        return back
    if not registry.get(current.method.kind).places_on_confirm:
        abort(400)  # this method's own payment step places the order
    try:
        order = place_order(g.shop, current, draft.get().get("pending_order"))
    except CheckoutError as error:
        flash(error.message, "error")
        return redirect(url_for("checkout.confirm"))
    return _completed(order.number)


def _confirmation(settings, lines=None):
    """The confirmation page: GET /checkout/confirm, and the answer of the form that
    completes the draft (zero-step 「注文確認する」, three-step step 2's 「次へ」), so that the
    browser does not fetch it again after a redirect; its 「注文する」 posts to the confirm URL
    whichever URL showed it. ``lines``: the cart's lines if the request read them already."""
    current, back = current_draft(g.shop, settings, lines)
    if current is None:
        return back
    if not _stocked(current.lines):
        return redirect(url_for("checkout.cart") + "#cart")
    method = registry.get(current.method.kind)
    context = method.confirm_context(g.shop)
    shipping = 0 if current.delivery.fee_undetermined else current.delivery.fee
    return render_template("checkout/confirm.html", d=current, settings=settings, method=method,
                           money=totals(current.lines, shipping), step=3, **context)


@bp.get("/checkout/complete")
def complete():
    """ご注文ありがとうございました！ (the same URL whatever the payment method)."""
    number = draft.completed_number()
    if not number:
        return redirect(url_for("storefront.index"))
    kind = draft.completed_kind()
    method = registry.find(kind)
    extra = method.complete_context(g.shop.id, number) if method else {}
    return render_template("checkout/complete.html", number=number,
                           settings=settings_for(g.shop.id), **extra)


@bp.get("/checkout/pending")
def pending():
    """The payment is still being confirmed with PAYGENT."""
    number = draft.completed_number()
    if not number:
        return redirect(url_for("storefront.index"))
    return render_template("checkout/pending.html", number=number)


# -- helpers -----------------------------------------------------------------------------
def _completed(number: str):
    finish(number)
    return redirect(url_for("checkout.complete"))


QUANTITY_FORMAT = f"数量は1〜{basket.MAX_QUANTITY}の半角数字で入力してください。"


def _apply_cart_actions() -> bool:
    """Apply the typed quantities; a bad one keeps its line as it was and says why
    (0 does not remove a line: 削除 does)."""
    in_cart = basket.quantities()
    remove = _int(request.form.get("remove"))
    refused = []
    for key, value in request.form.items():
        if key.startswith("qty-"):
            product_id = _int(key[4:]) or 0
            quantity = _quantity(value)
            if (product_id not in in_cart or product_id == remove
                    or quantity == in_cart[product_id]):
                continue
            if quantity is None or not 1 <= quantity <= basket.MAX_QUANTITY:
                refused.append(product_id)
            else:
                basket.set_quantity(product_id, quantity)
    if refused:
        names = {line.product_id: line.name for line in basket.lines()}
        for product_id in refused:
            flash(f"「{names.get(product_id, '商品')}」の数量は1〜{basket.MAX_QUANTITY}の"
                  f"半角数字で入力してください（{in_cart[product_id]}点のままです）。", "error")
    if remove:
        basket.remove(remove)
    return not refused


def _cart_context(lines=None):
    lines = basket.lines() if lines is None else lines
    return {"lines": lines, "items_total": sum(line.subtotal for line in lines),
            "short": basket.shortages(lines, draft.get().get("pending_order"))}


def _stocked(lines) -> bool:
    """Whether the shelf fills every line; else each short line is said at the top of the
    cart, whose page names them too, and the order goes no further."""
    short = basket.shortages(lines, draft.get().get("pending_order"))
    for message in basket.shortage_message(lines, short):
        flash(message, "error")
    return not short


def _choices(lines):
    items_total = sum(line.subtotal for line in lines)
    return {"deliveries": deliveries(g.shop.id),
            "methods": offered_methods(g.shop.id, items_total, basket.has_subscription(lines))}


def _buyer_start(saved: dict) -> tuple[dict, list]:
    """What the buyer fields start with, and a signed-in member's お届け先 to choose from:
    the draft, else the member's data; a chosen お届け先 (``?address=``) fills the address."""
    data = _form_data(saved)
    chosen = request.args.get("address") if request.method == "GET" else None
    prefill, addresses = checkout_prefill(g.shop, saved.get("buyer"), chosen)
    data.update(prefill)
    return data, addresses


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


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _quantity(value):
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text) if len(text) <= 6 else basket.MAX_QUANTITY + 1
