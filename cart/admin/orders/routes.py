"""受注一覧 and 受注明細 (O1–O5, N2, R2): thin views over operations and order services."""
import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from cart import deadlines, operations
from cart.admin.orders import bp, services
from cart.admin.orders.forms import (AdjustForm, OrderMoveForm, PaymentActionForm,
                                     RefundForm)
from cart.admin.orders.search import MAX_PAGE, TABS, OrderSearchForm, search
from cart.extensions import db
from cart.maintenance import rollback_stale_orders
from cart.models import Order, PaymentLog
from cart.models.order import COMPLETABLE, EDITABLE, OPEN
from cart.tenancy import get_or_404, owner_required
from payments.methods import CANCEL, CAPTURE, REFUND
from payments.methods.base import CHANGE
from payments.paygent import codes


@bp.get("/")
def index():
    """受注一覧 / 受注完了一覧 / キャンセル一覧, with the 詳細検索フォーム; paged by key (after= /
    before=, with skip= for a numbered link, in the pager's links), a bare page number still
    works."""
    tab = request.args.get("tab", "active")
    if tab not in TABS:
        tab = "active"
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    form = OrderSearchForm(request.args)
    listing = search(current_user.shop_id, tab, form, page, after=request.args.get("after"),
                     before=request.args.get("before"),
                     skip=request.args.get("skip", 0, type=int) or 0)
    args = {k: v for k, v in request.args.items()
            if k not in ("page", "after", "before", "skip")}

    def link(paging: dict) -> str:
        """A pager link: the same tab and search, another page."""
        return url_for("orders.index", **args, **paging)

    return render_template("admin/orders/index.html", tab=tab, tabs=TABS, listing=listing,
                           rows=listing.rows, form=form, link=link, searching=form.filled(),
                           deadline_notes=deadlines.notes_for(current_user.shop_id,
                                                              listing.rows))


@bp.post("/rollback")
@owner_required
def rollback():
    """決済処理中の注文の取消 (R1): stale pending orders are cancelled, stock given back."""
    if not OrderMoveForm().validate_on_submit():
        abort(400)
    numbers = rollback_stale_orders(current_user.shop, current_user)
    flash(f"決済処理中のまま期間を過ぎた注文を{len(numbers)}件取り消しました。"
          + ("（" + "、".join(numbers[:20]) + ("…" if len(numbers) > 20 else "") + "）"
             if numbers else ""), "success")
    return redirect(url_for("orders.index"))


@bp.get("/<int:order_id>")
def show(order_id):
    """受注明細: the payment box with the buttons the rules allow, items, history."""
    order = get_or_404(Order, order_id)
    return _render_show(order)


def _render_show(order, refund_form=None, error=None, status=200):
    payment = order.payment
    state = operations.state_of(payment) if payment else None
    now = operations.now()
    allowed = payment.lib.allowed_actions(state, now) if state else frozenset()
    if payment and not payment.paygent_payment_id:
        allowed = frozenset()
    mismatch = bool(payment and payment.status in payment.lib.operated_statuses()
                    and payment.amount != order.total)
    changed = bool(payment and any(a.action == CHANGE and a.outcome == "succeeded"
                                   for a in payment.attempts))
    payment_deadlines = deadlines.for_order(order, now)
    expired = [d for d in payment_deadlines if d.passed and d.expired_text(allowed)]
    return render_template(
        "admin/orders/show.html", order=order, payment=payment, allowed=allowed,
        status_name=payment.lib.display_status(state, now) if state else "",
        fingerprint=operations.fingerprint(payment) if payment else "",
        refund_form=refund_form or RefundForm(), action_form=PaymentActionForm(),
        move_form=OrderMoveForm(), error=error, mismatch=mismatch,
        paygent_status=payment.lib.paygent_status(payment.status, changed) if payment else "",
        payment_deadlines=payment_deadlines,
        expired_notes=[d.expired_text(allowed) for d in expired],
        capture_closed=next((d.expired_text(allowed) for d in expired if CAPTURE in d.actions),
                            ""),
        names={a: payment.lib.operation_name(payment.status, a, payment.variant)
               for a in allowed},
        history=order.history, moves=_moves(order)), status


def _moves(order) -> dict:
    """Which of 受注完了・キャンセル一覧への移動 and 編集モード the order allows: the same sets the
    services check (cart.models.order)."""
    return {"complete": order.status in COMPLETABLE, "cancel": order.status in OPEN,
            "edit": order.status in EDITABLE}


@bp.post("/<int:order_id>/capture")
def capture(order_id):
    """売上確定."""
    return _operate(order_id, CAPTURE)


@bp.post("/<int:order_id>/cancel-payment")
def cancel_payment(order_id):
    """キャンセル (the authorisation, before capture)."""
    return _operate(order_id, CANCEL)


@bp.post("/<int:order_id>/change-amount")
def change_amount(order_id):
    """金額変更 (オーソリ変更 before capture, 売上変更 after): the payment's amount becomes the
    order's, as 編集モード left it. The amount is the order's, never a number from the form."""
    order = get_or_404(Order, order_id)
    return _operate(order_id, CHANGE, order.total)


@bp.post("/<int:order_id>/refund")
def refund(order_id):
    """返金確定: 全額, or 一部 with an amount up to 返金可能額."""
    order = get_or_404(Order, order_id)
    form = RefundForm()
    if not form.validate_on_submit():
        return _render_show(order, form, error=_first_error(form), status=400)
    amount = None
    if form.mode.data == "partial":
        if form.amount.data is None:
            form.amount.errors = list(form.amount.errors) + ["返金額を入力してください。"]
            return _render_show(order, form, error="返金額を入力してください。", status=400)
        amount = form.amount.data
    return _operate(order_id, REFUND, amount, form)


def _operate(order_id, action, amount=None, form=None):
    order = get_or_404(Order, order_id)
    form = form or PaymentActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        outcome = operations.run(current_user.shop_id, order.id, action, amount,
                                 staff=current_user, expected=form.state.data or None)
    except operations.Refused as refused:
        db.session.expire_all()
        return _render_show(db.session.get(Order, order_id), form if action == REFUND
                            else None, error=str(refused), status=409)
    if outcome.kind == "done":
        flash(outcome.message, "success")
    elif outcome.kind == "unknown":
        flash(outcome.message, "warning")
    else:
        flash(_error_text(outcome.code), "error")
    return redirect(url_for("orders.show", order_id=order_id))


@bp.post("/<int:order_id>/refresh")
def refresh(order_id):
    """最新の状態を取得 (094)."""
    order = get_or_404(Order, order_id)
    if not PaymentActionForm().validate_on_submit():
        abort(400)
    try:
        state = operations.refresh(current_user.shop_id, order.id, current_user)
        flash(f"ペイジェントから最新の決済状況を取得しました（{state}）。", "success")
    except operations.Refused as refused:
        flash(str(refused), "error")
    if request.form.get("back") == "reconcile":  # pressed on 照合レポート: back to it
        return redirect(url_for("reconcile.index"))
    return redirect(url_for("orders.show", order_id=order_id))


@bp.post("/<int:order_id>/complete")
def complete(order_id):
    """受注完了一覧へ移動."""
    return _move(order_id, services.complete, "受注完了一覧へ移動しました。")


@bp.post("/<int:order_id>/cancel")
def cancel(order_id):
    """受注キャンセル一覧へ移動."""
    return _move(order_id, services.cancel, "受注キャンセル一覧へ移動しました。")


def _move(order_id, move, message):
    order = get_or_404(Order, order_id)
    form = OrderMoveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        move(order, current_user, form.version.data)
        flash(message, "success")
    except services.Stale as stale:
        db.session.rollback()
        flash(str(stale), "error")
    return redirect(url_for("orders.show", order_id=order_id))


@bp.post("/<int:order_id>/reviewed")
def reviewed(order_id):
    """確認済みにする: the order leaves the 要確認 list (its history keeps why it was there)."""
    return _move(order_id, services.mark_reviewed, "要確認を解除しました。")


@bp.route("/<int:order_id>/edit", methods=["GET", "POST"])
def edit(order_id):
    """編集モード: 金額調整 and 送料."""
    order = get_or_404(Order, order_id)
    if order.status not in EDITABLE:
        flash("この受注は編集できません（現在：" + order.status_name + "）。", "error")
        return redirect(url_for("orders.show", order_id=order.id))
    form = AdjustForm(obj=order)
    if request.method == "GET":
        form.version.data = order.version
    if form.validate_on_submit():
        try:
            services.adjust(order, current_user, form)
            flash("受注内容を変更しました。", "success")
            return redirect(url_for("orders.show", order_id=order.id))
        except services.Stale as stale:
            db.session.rollback()
            form.form_errors.append(str(stale))
        except ValueError:
            db.session.rollback()
    return render_template("admin/orders/edit.html", order=order, form=form)


@bp.get("/<int:order_id>/payment-log")
@owner_required
def payment_log(order_id):
    """Every telegram sent for this order, password masked (R2)."""
    order = get_or_404(Order, order_id)
    logs = db.session.scalars(select(PaymentLog).where(
        PaymentLog.shop_id == current_user.shop_id, PaymentLog.order_id == order.id
    ).order_by(PaymentLog.id.desc())).all()
    pretty = [(log, _pretty(log.request), _pretty(log.response)) for log in logs]
    return render_template("admin/orders/payment_log.html", order=order, logs=pretty)


def _pretty(text: str) -> str:
    try:
        return "\n".join(f"{k}={v}" for k, v in json.loads(text).items())
    except (ValueError, AttributeError):
        return text


def _first_error(form) -> str:
    for field in form:
        if field.errors:
            return field.errors[0]
    return "入力内容をご確認ください。"


def _error_text(code: str) -> str:
    return f"ペイジェントでエラーが発生しました（エラーコード：{code}）。{codes.explain(code)}"
