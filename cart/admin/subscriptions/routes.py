"""定期購入管理: the shop's subscriptions, each with its orders, history and what staff may
change (skip, interval, next date, 解約, 再開)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from cart.admin.subscriptions import bp
from cart.admin.subscriptions.forms import CycleForm, NextDateForm
from cart.extensions import db
from cart.models import Order
from cart.models.member import Member
from cart.models.subscription import SUBSCRIPTION_STATUSES, Subscription
from cart.subscriptions import cycles, services
from cart.tenancy import get_or_404, scoped

PAGE = 50
TABS = {"active": "継続中", "stopped": "解約済み", "all": "すべて"}


@bp.get("/")
def index():
    tab = request.args.get("tab", "active")
    tab = tab if tab in TABS else "active"
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)
    query = scoped(Subscription)
    if tab != "all":
        query = query.where(Subscription.status == tab)
    subs = db.session.scalars(query.order_by(Subscription.next_date, Subscription.id)
                              .limit(PAGE + 1).offset((page - 1) * PAGE)).all()
    members = _members({s.member_id for s in subs})
    return render_template("admin/subscriptions/index.html", subs=subs[:PAGE],
                           more=len(subs) > PAGE, page=page, tab=tab, tabs=TABS,
                           members=members, label=cycles.label)


@bp.get("/<int:sub_id>")
def show(sub_id):
    sub = get_or_404(Subscription, sub_id)
    return _page(sub)


def _page(sub, cycle_form=None, date_form=None, status=200):
    cycle_form = cycle_form or CycleForm(formdata=None)
    cycle_form.offer(services.offered_cycles(sub), sub.cycle)
    orders = db.session.scalars(scoped(Order).where(Order.subscription_id == sub.id)
                                .order_by(Order.id.desc())).all()
    return render_template("admin/subscriptions/show.html", sub=sub,
                           member=db.session.get(Member, sub.member_id), orders=orders,
                           history=services.history_of(sub), label=cycles.label,
                           cycle_form=cycle_form, date_form=date_form or NextDateForm(
                               formdata=None), form=FlaskForm(),
                           statuses=SUBSCRIPTION_STATUSES), status


ACTIONS = {
    "skip": (services.skip_next, "次回のお届けをスキップしました。"),
    "undo_skip": (services.undo_skip, "スキップを取り消しました。"),
    "stop": (services.stop, "定期購入を解約しました。"),
    "resume": (services.resume, "定期購入を再開しました。"),
}


@bp.post("/<int:sub_id>/<action>")
def change(sub_id, action):
    sub = get_or_404(Subscription, sub_id)
    if action not in ACTIONS and action not in ("cycle", "next_date"):
        abort(404)
    actor = services.actor_of(current_user)
    if action == "cycle":
        form = CycleForm()
        form.offer(services.offered_cycles(sub), sub.cycle)
        if not form.validate_on_submit():
            return _page(sub, cycle_form=form, status=400)
        return _apply(sub, lambda s: services.change_cycle(s, form.cycle.data,
                                                           services.offered_cycles(s), actor),
                      "お届け間隔を変更しました。")
    if action == "next_date":
        form = NextDateForm()
        if not form.validate_on_submit() or form.next_date.data is None:
            if not form.next_date.errors:
                form.next_date.errors = ["日付を YYYY-MM-DD の形式で入力してください。"]
            return _page(sub, date_form=form, status=400)
        return _apply(sub, lambda s: services.change_next_date(s, form.next_date.data, actor),
                      "次回お届け予定日を変更しました。")
    if not FlaskForm().validate_on_submit():
        abort(400)
    fn, done = ACTIONS[action]
    return _apply(sub, lambda s: fn(s, actor), done)


def _apply(sub, change, done: str):
    try:
        locked = services.locked(current_user.shop_id, sub.id)
        change(locked)
        db.session.commit()
        flash(done, "success")
    except services.SubscriptionError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("subscriptions.show", sub_id=sub.id))


def _members(ids) -> dict:
    if not ids:
        return {}
    return {m.id: m for m in db.session.scalars(scoped(Member).where(Member.id.in_(ids)))}


def due_count(shop_id: int, day) -> int:
    return db.session.scalar(select(func.count()).select_from(Subscription).where(
        Subscription.shop_id == shop_id, Subscription.status == "active",
        Subscription.next_date <= day))
