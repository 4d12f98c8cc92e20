"""マイページ's 定期購入 and 登録カード: the member's subscriptions (skip the next delivery,
undo it, change the interval or the card, 解約) and stored cards (add from a token, delete)."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from cart.extensions import db
from cart.methods.card.stored import cards_of
from cart.members.session import MYPAGE_SECTIONS, current_member, member_required
from cart.models import StoredCard, Subscription
from cart.storefront import shop_scoped
from cart.subscriptions import cycles, services

bp = shop_scoped(Blueprint("member_subscriptions", __name__,
                           url_prefix="/s/<shop_code>/member"))
MYPAGE_SECTIONS[1:1] = [("定期購入", "member_subscriptions.subscriptions")]


@bp.app_template_filter("cycle_label")
def cycle_label(cycle: str) -> str:
    return cycles.label(cycle) if cycles.valid(cycle or "") else ""


def _own(member, sub_id: int) -> Subscription:
    if not 0 < sub_id < 2**31:
        abort(404)
    sub = db.session.scalar(select(Subscription).where(
        Subscription.shop_id == g.shop.id, Subscription.member_id == member.id,
        Subscription.id == sub_id))
    if sub is None:
        abort(404)
    return sub


@bp.get("/subscriptions")
@member_required
def subscriptions():
    member = current_member(g.shop)
    subs = db.session.scalars(select(Subscription).where(
        Subscription.shop_id == g.shop.id, Subscription.member_id == member.id).order_by(
        Subscription.status, Subscription.id.desc())).all()
    return render_template("subscriptions/mypage_list.html", member=member, subs=subs)


@bp.get("/subscriptions/<int:sub_id>")
@member_required
def subscription(sub_id):
    member = current_member(g.shop)
    sub = _own(member, sub_id)
    return render_template("subscriptions/mypage_show.html", member=member, sub=sub,
                           offered=services.offered_cycles(sub), cards=cards_of(member),
                           history=services.history_of(sub), today=cycles.today())


CHANGES = {
    "skip": (lambda sub, form: services.skip_next(sub, services.MEMBER),
             "次回のお届けをスキップしました。"),
    "undo_skip": (lambda sub, form: services.undo_skip(sub, services.MEMBER),
                  "スキップを取り消しました。"),
    "stop": (lambda sub, form: services.stop(sub, services.MEMBER), "定期購入を解約しました。"),
    "cycle": (lambda sub, form: services.change_cycle(sub, form.get("cycle", ""),
                                                      services.offered_cycles(sub), services.MEMBER),
              "お届け間隔を変更しました。"),
    "payment": (lambda sub, form: services.change_card(sub, _card(sub, form.get("stored_card")),
                                                    services.MEMBER),
             "お支払いに使うカードを変更しました。"),
}


def _card(sub: Subscription, value) -> StoredCard:
    try:
        card_id = int(value)
    except (TypeError, ValueError):
        raise services.SubscriptionError("カードを選択してください。") from None
    card = db.session.scalar(select(StoredCard).where(
        StoredCard.shop_id == sub.shop_id, StoredCard.id == card_id)) if 0 < card_id < 2**31 \
        else None
    if card is None:
        raise services.SubscriptionError("このカードは選択できません。")
    return card


@bp.post("/subscriptions/<int:sub_id>/<action>")
@member_required
def change(sub_id, action):
    member = current_member(g.shop)
    _own(member, sub_id)
    if action not in CHANGES:
        abort(404)
    fn, done = CHANGES[action]
    try:
        sub = services.locked(g.shop.id, sub_id, member.id)
        if sub is None:
            abort(404)
        fn(sub, request.form)
        db.session.commit()
        flash(done, "success")
    except services.SubscriptionError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("member_subscriptions.subscription", sub_id=sub_id))
