import math

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select

from cart.admin.members import bp
from cart.admin.members.forms import MemberActionForm, MemberSearchForm
from cart.extensions import db
from cart.models import Member, Order, StoredCard, Subscription
from cart.tenancy import get_or_404, owner_required, scoped

PAGE = 50


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@bp.get("/")
def index():
    """会員一覧 with 会員検索 (氏名, フリガナ, メールアドレス, 電話番号), 50 a page."""
    form = MemberSearchForm(request.args)
    query = scoped(Member)
    if form.validate():
        name = (form.name.data or "").replace(" ", "").replace("\u3000", "")
        if name:
            query = query.where(func.replace(Member.name, " ", "").like(_like(name), escape="\\"))
        kana = (form.kana.data or "").replace(" ", "").replace("\u3000", "")
        if kana:
            query = query.where(func.replace(Member.kana, " ", "").like(_like(kana), escape="\\"))
        if form.email.data:
            query = query.where(Member.email.like(_like(form.email.data.lower()), escape="\\"))
        if form.tel.data:
            pattern = _like(form.tel.data)
            query = query.where(or_(Member.tel.like(pattern, escape="\\"),
                                    Member.mobile.like(pattern, escape="\\")))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, math.ceil(total / PAGE))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    members = db.session.scalars(query.order_by(Member.id.desc()).limit(PAGE)
                                 .offset((page - 1) * PAGE)).all()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/members/index.html", form=form, members=members, total=total,
                           page=page, pages=pages, args=args,
                           searching=any(request.args.get(k) for k in
                                         ("name", "kana", "email", "tel")))


@bp.get("/<int:member_id>")
def show(member_id):
    """会員詳細: the member's data and their orders (links to 受注明細)."""
    member = get_or_404(Member, member_id)
    orders = db.session.scalars(scoped(Order).where(Order.member_id == member.id)
                                .order_by(Order.created_at.desc(), Order.id.desc())
                                .limit(100)).all()
    count = db.session.scalar(select(func.count()).select_from(
        scoped(Order).where(Order.member_id == member.id).subquery()))
    subscriptions = db.session.scalars(scoped(Subscription).where(
        Subscription.member_id == member.id).order_by(Subscription.id.desc())).all()
    cards = db.session.scalars(scoped(StoredCard).where(
        StoredCard.member_id == member.id, StoredCard.deleted_at.is_(None))
        .order_by(StoredCard.id)).all()
    return render_template("admin/members/show.html", member=member, orders=orders,
                           order_count=count, form=MemberActionForm(),
                           subscriptions=subscriptions, cards=cards)


@bp.post("/<int:member_id>/disable")
@owner_required
def disable(member_id):
    """Disable a member: they can no longer sign in and their sessions end."""
    return _set_active(member_id, False)


@bp.post("/<int:member_id>/enable")
@owner_required
def enable(member_id):
    """Let a disabled member sign in again."""
    return _set_active(member_id, True)


def _set_active(member_id: int, active: bool):
    if not MemberActionForm().validate_on_submit():
        abort(400)
    member = get_or_404(Member, member_id)
    if member.active != active:
        member.active = active
        if not active:
            member.end_sessions()
        db.session.commit()
        flash("会員を有効にしました。" if active else
              "会員を無効にしました。ログイン中のセッションはすべて終了しました。", "success")
    return redirect(url_for("admin_members.show", member_id=member_id))
