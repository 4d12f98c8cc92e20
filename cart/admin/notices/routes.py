"""差分通知の受信履歴: what PAYGENT told the shop, and the notices no order could be found for."""
import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from cart.admin.notices import bp
from cart.extensions import db
from cart.models import PaymentNotice
from cart.notices.services import OUTCOME_NAMES, rematch
from cart.tenancy import get_or_404, scoped
from payments import methods

PAGE = 50
TABS = {"all": "すべて", "unmatched": "照合できない通知"}


@bp.get("/")
def index():
    """List received notices, newest first; the 照合できない通知 tab shows those to review."""
    tab = request.args.get("tab", "all")
    tab = tab if tab in TABS else "all"
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)
    query = scoped(PaymentNotice)
    if tab == "unmatched":
        query = query.where(PaymentNotice.outcome == "unmatched")
    notices = db.session.scalars(query.order_by(PaymentNotice.id.desc())
                                 .limit(PAGE + 1).offset((page - 1) * PAGE)).all()
    return render_template("admin/notices/index.html", notices=notices[:PAGE], page=page,
                           more=len(notices) > PAGE, tab=tab, tabs=TABS,
                           outcome_names=OUTCOME_NAMES, status_name=_status_name)


@bp.get("/<int:notice_id>")
def show(notice_id):
    """One notice with every field PAYGENT sent."""
    notice = get_or_404(PaymentNotice, notice_id)
    return render_template("admin/notices/show.html", notice=notice,
                           fields=_fields(notice), outcome_names=OUTCOME_NAMES,
                           status_name=_status_name, form=FlaskForm())


@bp.post("/<int:notice_id>/rematch")
def rematch_notice(notice_id):
    """再照合: apply an unmatched notice again, now that its order may be known."""
    notice = get_or_404(PaymentNotice, notice_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    outcome = rematch(current_user.shop, notice.id)
    if outcome is None:
        flash("この通知は照合済みです。", "info")
    elif outcome == "unmatched":
        flash("該当する受注が見つかりませんでした。注文番号と取引IDをご確認ください。", "error")
    else:
        flash(f"再照合しました：{OUTCOME_NAMES.get(outcome, outcome)}", "success")
    return redirect(url_for("notice_log.show", notice_id=notice.id))


def _fields(notice: PaymentNotice) -> list[tuple[str, str]]:
    try:
        fields = json.loads(notice.fields)
    except ValueError:
        return []
    return sorted((str(k), str(v)) for k, v in fields.items()) if isinstance(fields, dict) else []


def _status_name(notice) -> str:
    """The notice's status by the name its method gives it (the code for an unknown method)."""
    method = methods.by_payment_type(_payment_type(notice))
    return method.status_name(notice.payment_status) if method else notice.payment_status


def _payment_type(notice) -> str:
    try:
        fields = json.loads(notice.fields)
    except ValueError:
        return ""
    return str(fields.get("payment_type", "")) if isinstance(fields, dict) else ""
