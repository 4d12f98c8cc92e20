"""The carrier's storefront pages: 「注文する」 (CSRF-checked) and the three URLs the carrier's
page sends the buyer back to (authorised, left, anything else)."""
from flask import Blueprint, Response, abort, flash, g, redirect, request, url_for

from cart.checkout import draft
from cart.checkout.current import current_draft, show_step
from cart.checkout.orders import CheckoutError
from cart.methods import registry
from cart.methods.carrier import CarrierMethod
from cart.methods.carrier.checkout import CarrierInputError, Step, returned, start
from cart.shop_settings import settings_for
from cart.storefront import shop_scoped

bp = shop_scoped(Blueprint("carrier", __name__, url_prefix="/s/<shop_code>"))


@bp.post("/checkout/carrier/start")
def start_payment():
    current, back = current_draft(g.shop, settings_for(g.shop.id))
    if current is None:
        return back
    if not isinstance(registry.get(current.method.kind), CarrierMethod):
        flash("お手続きの内容を確認できませんでした。最初からやり直してください。", "error")
        return redirect(url_for("checkout.cart"))
    chosen = (request.form.get("carrier") or "")[:10]
    try:
        step = start(g.shop, current, draft.get().get("pending_order"), request.form, _urls)
    except (CarrierInputError, CheckoutError) as error:
        draft.update(carrier=chosen)
        flash(error.message if isinstance(error, CheckoutError) else str(error), "error")
        return redirect(url_for("checkout.confirm") + "#carrier")
    draft.update(pending_order=step.order_id, carrier=chosen)
    if step.kind == "handover":
        if step.url:
            return redirect(step.url, code=303)
        return Response(step.html, mimetype="text/html", headers={"Cache-Control": "no-store"})
    return _shown(step)


def _urls(key: str) -> tuple[str, str, str]:
    return (url_for("carrier.back", key=key, how="return", _external=True),
            url_for("carrier.back", key=key, how="cancel", _external=True),
            url_for("carrier.back", key=key, how="other", _external=True))


@bp.get("/checkout/carrier/<how>/<key>")
def back(how, key):
    """Back from the carrier's page: PAYGENT (094) says what became of the payment."""
    if how not in ("return", "cancel", "other"):
        abort(404)
    step = returned(g.shop, key[:64], how)
    if step is None:
        abort(404)
    if step.order_id != draft.get().get("pending_order"):
        if draft.completed_number():
            return redirect(url_for("checkout.complete"))  # a reload once it is done
        abort(404)  # someone else's application
    return _shown(step)


def _shown(step: Step):
    return show_step(step, "#carrier")
