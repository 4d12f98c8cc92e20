"""照合レポート: the orders whose 決済状況 at PAYGENT differs from ours, and those 094 could not
confirm; 「今すぐ照合する」 starts a run in the background (``cart.reconciliation``)."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from cart import reconciliation
from cart.admin.reconcile import bp
from cart.extensions import db
from cart.models import Payment
from cart.models.reconciliation import DIFFERS, UNCHECKED, ReconcileCheck
from cart.operations import now, state_of
from cart.tenancy import scoped
from payments import methods

PAGE = 50
TABS = {"differs": "決済状況が異なる受注", "unchecked": "確認できなかった受注"}
OUTCOME_OF_TAB = {"differs": DIFFERS, "unchecked": UNCHECKED}


@bp.get("/")
def index():
    """The report: one tab of checks that still describe their payment, newest first."""
    tab = request.args.get("tab", "differs")
    tab = tab if tab in TABS else "differs"
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)
    current = scoped(ReconcileCheck).join(Payment, reconciliation.unchanged_since_check())
    rows = db.session.scalars(
        current.where(ReconcileCheck.outcome == OUTCOME_OF_TAB[tab])
        .order_by(ReconcileCheck.checked_at.desc(), ReconcileCheck.id.desc())
        .limit(PAGE + 1).offset((page - 1) * PAGE)).all()
    counts = dict(db.session.execute(
        select(ReconcileCheck.outcome, func.count()).where(
            ReconcileCheck.shop_id == current_user.shop_id,
            ReconcileCheck.outcome.in_((DIFFERS, UNCHECKED)))
        .join(Payment, reconciliation.unchanged_since_check())
        .group_by(ReconcileCheck.outcome)).all())
    state = reconciliation.state_of(current_user.shop_id)
    moment = now()
    return render_template(
        "admin/reconcile/index.html", rows=[_row(check, moment) for check in rows[:PAGE]],
        page=page, more=len(rows) > PAGE, tab=tab, tabs=TABS, state=state,
        counts={key: counts.get(outcome, 0) for key, outcome in OUTCOME_OF_TAB.items()},
        form=FlaskForm())


@bp.post("/run")
def run():
    """今すぐ照合する: one run in the background; nothing new while one runs."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    if reconciliation.start(current_user.shop_id):
        flash("照合を開始しました。しばらくしてからこのページを再表示してください。", "success")
    else:
        flash("照合を実行中です。終わってから結果をご確認ください。", "info")
    return redirect(url_for("reconcile.index"))


def _row(check: ReconcileCheck, moment) -> dict:
    payment = check.payment
    method = methods.find(payment.method)
    return dict(
        check=check, order=check.order, payment=payment,
        method_name=method.name if method else payment.method,
        ours=(method.display_status(state_of(payment), moment) if method
              else payment.status),
        theirs=(method.status_name(check.paygent_status) if method and check.paygent_status
                else check.paygent_status))
