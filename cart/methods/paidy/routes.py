"""The shopper's Paidy pages: the modal's start and result (CSRF in a header), and the logo
the modal shows."""
from flask import Blueprint, Response, abort, flash, g, jsonify, request, url_for
from sqlalchemy import inspect, select

from cart.checkout import draft
from cart.checkout.current import choice_url, current_draft, finish
from cart.checkout.orders import CheckoutError
from cart.extensions import db
from cart.methods.paidy.checkout import finish_paidy, start_paidy
from cart.models import PaygentAccount
from cart.shop_settings import settings_for
from cart.storefront import shop_scoped
from payments.methods import PAIDY

bp = shop_scoped(Blueprint("paidy", __name__, url_prefix="/s/<shop_code>"))


@bp.post("/checkout/paidy/start")
def start():
    """Create the 決済処理中 order and hand the modal its payload."""
    current, _ = current_draft(g.shop, settings_for(g.shop.id))
    if current is None or current.method.kind != PAIDY.code:
        return jsonify(error="お手続きの内容を確認できませんでした。最初からやり直してください。",
                       redirect=url_for("checkout.cart")), 409
    try:
        order, payload = start_paidy(g.shop, current, draft.get().get("pending_order"))
    except CheckoutError as error:
        return jsonify(error=error.message, redirect=choice_url(g.shop)), 409
    # the order's id and number as written, without reading the committed order again
    draft.update(pending_order=inspect(order).identity[0])
    return jsonify(order_number=payload["order"]["order_ref"], payload=payload)


@bp.post("/checkout/paidy/result")
def result():
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
        finish(outcome.number)
        return jsonify(redirect=url_for("checkout.complete"))
    if outcome.kind == "pending":
        finish(outcome.number)
        return jsonify(redirect=url_for("checkout.pending"))
    flash(outcome.message, "error")
    return jsonify(redirect=choice_url(g.shop))


@bp.get("/paidy-logo.png")
def logo():
    """The square logo the shop chose for the Paidy modal (passed to Checkout as logo_url)."""
    png = db.session.scalar(select(PaygentAccount.logo_png).where(
        PaygentAccount.shop_id == g.shop.id))
    if not png:
        abort(404)
    return Response(png, mimetype="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})
