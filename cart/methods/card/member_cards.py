"""マイページ › 登録カード: the member's stored cards (カード情報お預かり機能), added from a token
made by PaygentToken.js on the page (025) and deleted (026)."""
from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from cart.extensions import db
from cart.gateway import account_for
from cart.members.session import MYPAGE_SECTIONS, current_member, member_required
from cart.methods.card import CARD_CART, stored, token_script_url
from cart.methods.card.config import card_settings_for
from cart.models import Subscription
from cart.storefront import shop_scoped

bp = shop_scoped(Blueprint("member_cards", __name__, url_prefix="/s/<shop_code>/member"))
MYPAGE_SECTIONS.append(("登録カード", "member_cards.cards"))


@bp.route("/cards", methods=["GET", "POST"])
@member_required
def cards():
    member = current_member(g.shop)
    keeps = CARD_CART.keeps_cards(g.shop.id)
    if request.method == "POST":
        if not keeps:
            abort(404)
        try:
            stored.register(member, request.form.get("card_token", ""))
            flash("カードを登録しました。", "success")
            return redirect(url_for("member_cards.cards"))
        except stored.CardStoreError as error:
            db.session.rollback()
            flash(str(error), "error")
        member = current_member(g.shop)
    context = {}
    if keeps:
        settings, account = card_settings_for(g.shop.id), account_for(g.shop.id)
        this_year = date.today().year
        context = {"card_token_script": token_script_url(account, settings),
                   "card_merchant_id": account.merchant_id, "card_token_key": settings.token_key,
                   "card_years": range(this_year, this_year + 11)}
    in_use = set(db.session.scalars(select(Subscription.stored_card_id).where(
        Subscription.shop_id == g.shop.id, Subscription.member_id == member.id,
        Subscription.status == "active")))
    return render_template("methods/card/mypage_cards.html", member=member,
                           cards=stored.cards_of(member), keeps=keeps, in_use=in_use,
                           max_cards=stored.MAX_CARDS, **context)


@bp.post("/cards/<int:card_id>/delete")
@member_required
def card_delete(card_id):
    member = current_member(g.shop)
    try:
        stored.delete(member, card_id)
        flash("カードを削除しました。", "success")
    except LookupError:
        abort(404)
    except stored.CardStoreError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("member_cards.cards"))
