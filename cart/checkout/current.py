"""The shopper's checkout as it stands: the confirmed draft, where to choose the payment
again, and finishing (shared by the confirmation page and the methods' payment steps)."""
from flask import flash, redirect, request, url_for

from cart.checkout import basket, draft
from cart.checkout.forms import BuyerForm
from cart.checkout.orders import CheckoutError, Draft
from cart.checkout.services import check_choice
from cart.members.session import current_member
from cart.shop_settings import settings_for
from cart.subscriptions.offer import MEMBERS_ONLY


def finish(number: str, kind: str = "") -> None:
    """The order is done: empty the cart, forget the draft, remember the number (and the
    payment method's code, for a completion page that shows what to pay with)."""
    basket.clear()
    draft.finish(number, kind)


def show_step(step, anchor: str = "", kind: str = ""):
    """Where a payment step's outcome (``step.kind``: done, pending or failed) takes the buyer:
    the completion page, the page saying the payment is still being confirmed, or the
    confirmation page (at ``anchor``) with what went wrong."""
    if step.kind in ("done", "pending"):
        finish(step.number, kind)
        return redirect(url_for("checkout.complete" if step.kind == "done"
                                else "checkout.pending"))
    flash(step.message, "error")
    return redirect(url_for("checkout.confirm") + anchor)


def choice_url(shop) -> str:
    """Where the shopper chooses the payment method again."""
    if settings_for(shop.id).cart_type == "three":
        return url_for("checkout.step2")
    return url_for("checkout.cart") + "#payment"


def current_draft(shop, settings, lines=None):
    """The complete draft, or (None, a redirect to where something is missing). ``lines``:
    the cart's lines, if the request read them already."""
    lines = basket.lines() if lines is None else lines
    saved = draft.get()
    start = url_for("checkout.cart") if settings.cart_type == "zero" else url_for(
        "checkout.step1")
    if not lines:
        return None, redirect(url_for("checkout.cart"))
    if basket.has_subscription(lines) and current_member(shop) is None:
        flash(MEMBERS_ONLY, "error")
        return None, redirect(url_for("members.login", next=url_for("checkout.cart")))
    # formdata=None: what the shopper confirmed is checked, never fields of this request
    form = BuyerForm(formdata=None, settings=settings, data=saved.get("buyer") or {},
                     meta={"csrf": False})
    if not saved.get("buyer") or not form.validate():
        return None, redirect(start)
    try:
        delivery, method = check_choice(shop.id, lines, saved.get("delivery"),
                                        saved.get("payment"))
    except CheckoutError as error:
        flash(error.message, "error")
        return None, redirect(choice_url(shop))
    member = current_member(shop)  # a guest's session names none: no query
    return Draft(lines, form.buyer(), delivery, method, settings.cart_type,
                 checkout_token=saved.get("token"), client_address=request.remote_addr or "",
                 member_id=member.id if member else None), None
