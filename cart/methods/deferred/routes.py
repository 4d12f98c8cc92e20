"""The deferred methods' storefront pages: 「注文する」 (CSRF-checked), the return from PAYGENT's
bank selection page, and the payment page the mail's signed link opens (no login: it shows
that one payment and nothing else)."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from cart.checkout import draft
from cart.checkout.current import current_draft, finish, show_step
from cart.checkout.orders import CheckoutError
from cart.methods import registry
from cart.methods.deferred import DeferredCartMethod, DeferredInputError
from cart.methods.deferred.checkout import (Step, apply, key_of_link, payment_view,
                                            refresh_view)
from cart.shop_settings import settings_for
from cart.storefront import shop_scoped

bp = shop_scoped(Blueprint("deferred", __name__, url_prefix="/s/<shop_code>"))


@bp.post("/checkout/deferred/apply")
def apply_order():
    """「注文する」 for コンビニ, ATM and 銀行ネット: the application, then the completion page
    (or PAYGENT's bank selection page)."""
    current, back = current_draft(g.shop, settings_for(g.shop.id))
    if current is None:
        return back
    method = registry.get(current.method.kind)
    if not isinstance(method, DeferredCartMethod):
        flash("お手続きの内容を確認できませんでした。最初からやり直してください。", "error")
        return redirect(url_for("checkout.cart"))
    saved = draft.get()
    store = (request.form.get("cvs_company_id") or "")[:10]
    try:
        step = apply(g.shop, current, saved.get("pending_order"), request.form, _return_urls)
    except (DeferredInputError, CheckoutError) as error:
        draft.update(deferred_store=store)
        flash(error.message if isinstance(error, CheckoutError) else str(error), "error")
        return redirect(url_for("checkout.confirm") + "#payment-choice")
    draft.update(pending_order=step.order_id, deferred_store=store)
    return _shown(step, method.code)


def _return_urls(key: str) -> tuple[str, str]:
    return (url_for("deferred.returned", key=key, _external=True),
            url_for("deferred.stopped", key=key, _external=True))


def _shown(step: Step, kind: str):
    if step.kind == "handover":  # the order is placed: the buyer pays on the bank's site
        finish(step.number, kind)
        return redirect(step.url, code=303)
    return show_step(step, "#payment-choice", kind)


@bp.get("/checkout/bank/return/<key>")
def returned(key):
    """Back from the bank selection page after paying: PAYGENT's word comes by notice (or a
    094 from the payment page); what the browser brings is not believed."""
    return _back(key[:64], stopped=False)


@bp.get("/checkout/bank/stopped/<key>")
def stopped(key):
    """Back from the bank selection page without paying (中断)."""
    return _back(key[:64], stopped=True)


def _back(key: str, stopped: bool):
    view = payment_view(g.shop.id, key=key)
    if view is None:
        abort(404)
    view = refresh_view(g.shop.id, key) or view
    return render_template("methods/deferred/payment.html", view=view, returned=True,
                           stopped=stopped)


@bp.get("/payment/<token>")
def payment(token):
    """The page the mail's link opens: what to pay with, by when, and the payment's status."""
    key = key_of_link(token[:200])
    view = payment_view(g.shop.id, key=key) if key else None
    if view is None:
        abort(404)
    return render_template("methods/deferred/payment.html", view=view, returned=False,
                           stopped=False)
