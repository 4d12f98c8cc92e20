"""The card's storefront pages: 「注文する」 with PAYGENT's token (CSRF-checked), the 3-D Secure
term URL the issuer's page sends the buyer back to (authenticated by its hash, not by our CSRF
token: the issuer cannot carry it), and the return to the shop's own pages."""
from flask import Blueprint, Response, abort, flash, g, redirect, request, url_for

from cart.checkout import draft
from cart.checkout.current import current_draft, show_step
from cart.checkout.orders import CheckoutError
from cart.extensions import csrf
from cart.members.session import current_member
from cart.methods.card import CARD_CART, stored
from cart.methods.card.stored import REGISTER_FAILED, CardStoreError
from cart.subscriptions.offer import MEMBERS_ONLY
from cart.methods.card.checkout import (CardInputError, Step, returned, secure_return,
                                        start_card)
from cart.shop_settings import settings_for
from cart.storefront import shop_scoped
from payments.methods import CARD

bp = shop_scoped(Blueprint("card", __name__, url_prefix="/s/<shop_code>"))


@bp.post("/checkout/card/pay")
def pay():
    """「注文する」: the token PAYGENT's script made from the card form (the form's card fields
    have no names: the browser never posts them here)."""
    current, back = current_draft(g.shop, settings_for(g.shop.id))
    if current is None:
        return back
    if current.method.kind != CARD.code:
        flash("お手続きの内容を確認できませんでした。最初からやり直してください。", "error")
        return redirect(url_for("checkout.cart"))
    form = request.form
    try:
        chosen = _chosen_card(form.get("stored_card_id", ""))
        stored_card_id = None if chosen else _registered_card(
            current, form.get("register_token", ""))
        step = start_card(
            g.shop, current, draft.get().get("pending_order"), form.get("card_token", ""),
            form.get("payment_choice", ""), form.get("masked_card_number", ""),
            lambda key: url_for("card.secure", key=key, _external=True),
            {"accept": request.headers.get("Accept", ""),
             "user_agent": request.headers.get("User-Agent", "")},
            stored_card_id=stored_card_id, stored=chosen)
    except (CardInputError, CheckoutError, CardStoreError) as error:
        flash(error.message if isinstance(error, CheckoutError) else str(error), "error")
        return redirect(url_for("checkout.confirm"))
    draft.update(pending_order=step.order_id, payment_choice=form.get("payment_choice", "")[:12])
    if step.kind == "challenge":
        # the issuer's page, as PAYGENT handed it over (it takes the buyer to the issuer)
        return Response(step.html, mimetype="text/html",
                        headers={"Cache-Control": "no-store"})
    return _shown(step)


@bp.route("/checkout/card/secure/<key>", methods=["GET", "POST"])
@csrf.exempt  # the issuer's page cannot send our token: the result's hash authenticates it
def secure(key):
    """The 3-D Secure 2.0 result, then 020. The buyer's session may not come with a
    cross-site POST, so nothing here depends on it: the return page takes it from here."""
    step = secure_return(g.shop, key[:64], request.values)
    if not step.key:
        abort(404)
    return redirect(url_for("card.done", key=step.key), code=303)


@bp.get("/checkout/card/done/<key>")
def done(key):
    """Back on the shop's pages with the buyer's session: the completion page, or the card
    form again with what went wrong."""
    step = returned(g.shop.id, key[:64])
    if step is None:
        abort(404)
    if step.order_id != draft.get().get("pending_order"):
        if draft.completed_number():
            return redirect(url_for("checkout.complete"))  # a reload once it is done
        abort(404)  # someone else's attempt
    return _shown(step)


def _chosen_card(value: str):
    """The signed-in member's own stored card chosen on the card form, or None for a new
    card."""
    value = (value or "").strip()
    if not value:
        return None
    member = current_member(g.shop)
    card = None
    if member is not None and value.isdigit() and CARD_CART.keeps_cards(g.shop.id):
        card = next((c for c in stored.cards_of(member) if c.id == int(value)), None)
    if card is None:
        raise CardStoreError("選択されたカードはご利用いただけません。もう一度お選びください。")
    return card


def _registered_card(current, register_token: str):
    """カードを登録する (025 before the payment): the stored card's id, or None when the buyer
    did not ask for it; a cart with 定期購入 lines cannot go without."""
    needed = any(line.cycle for line in current.lines)
    if not register_token and not needed:
        return None
    member = current_member(g.shop)
    if member is None or not CARD_CART.keeps_cards(g.shop.id):
        raise CardStoreError(MEMBERS_ONLY if member is None else REGISTER_FAILED)
    if not register_token:
        raise CardStoreError("定期購入のお支払いに使うカードを登録できませんでした。"
                             "もう一度お試しください。")
    return stored.register(member, register_token)


def _shown(step: Step):
    return show_step(step, "#card")
