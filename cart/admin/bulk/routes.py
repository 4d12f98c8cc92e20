"""外部決済一括処理: 未処理一覧 → 処理内容 → 確認 → 実行 (progress) → 結果, and the 操作ログ."""
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from cart import deadlines
from cart.admin.bulk import bp, services
from cart.extensions import db
from cart.models import BulkRun
from cart.models.bulk import BULK_ACTIONS
from cart.tenancy import get_or_404

PAGE = 100


def _action(value) -> str:
    """The 処理内容 a page is for (売上確定処理 unless another is named)."""
    return value if value in BULK_ACTIONS else "capture"


@bp.get("/")
def index():
    """未処理一覧 of one 処理内容 (売上確定処理 / 取消処理), with a checkbox per order."""
    action = _action(request.args.get("action"))
    # past the last page a page is empty; a huge number would overflow the OFFSET
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)
    query = services.unprocessed(current_user.shop_id, action)
    expiring = deadlines.days_arg(request.args.get("expiring"))
    if expiring is not None:  # オーソリ期限切れ間近 (the dashboard's link): lapsing within N days
        query = query.where(deadlines.expiring_condition(expiring, action=action))
    rows = db.session.scalars(query.limit(PAGE + 1).offset((page - 1) * PAGE)).all()
    selected = set(request.args.getlist("ids"))
    return render_template("admin/bulk/index.html", rows=rows[:PAGE], more=len(rows) > PAGE,
                           page=page, form=FlaskForm(), selected=selected,
                           limit=services.MAX_ORDERS, action=action, actions=BULK_ACTIONS,
                           expiring=expiring, deadline_notes=deadlines.notes_of(rows[:PAGE]))


@bp.post("/action")
def choose_action():
    """「処理対象を確定し次へ」: check the selection against the list's 処理内容, then show it."""
    form = FlaskForm()
    ids = request.form.getlist("ids")
    action = _action(request.form.get("action"))
    if not form.validate_on_submit():
        return redirect(url_for("bulk.index", action=action))
    try:
        orders = services.checked_selection(current_user.shop_id, ids, action)
    except services.BulkError as error:
        flash(str(error), "error")
        return redirect(url_for("bulk.index", ids=ids[:500], action=action))
    return render_template("admin/bulk/action.html", orders=orders, form=form,
                           actions=BULK_ACTIONS, action=action)


@bp.post("/confirm")
def confirm():
    """「処理内容を確認し次へ」: 「N件の受注に対して以下の処理を行います。」."""
    form = FlaskForm()
    ids = request.form.getlist("ids")
    action = request.form.get("action", "")
    if not form.validate_on_submit():
        return redirect(url_for("bulk.index"))
    if action not in BULK_ACTIONS:
        flash("処理内容を選択してください。", "error")
        return redirect(url_for("bulk.index", ids=ids[:500]))
    try:
        orders = services.checked_selection(current_user.shop_id, ids, action)
    except services.BulkError as error:
        flash(str(error), "error")
        return redirect(url_for("bulk.index", ids=ids[:500], action=action))
    return render_template("admin/bulk/confirm.html", orders=orders, form=form, action=action,
                           action_name=BULK_ACTIONS[action], token=services.new_token())


@bp.post("/run")
def run():
    """「一括処理を実行」: one run per confirmation page, however often it is posted."""
    form = FlaskForm()
    token = request.form.get("token", "")
    if not form.validate_on_submit() or not token or len(token) > 64:
        return redirect(url_for("bulk.index"))
    action = request.form.get("action", "capture")
    try:
        started = services.start(current_user.shop_id, current_user, token,
                                 request.form.getlist("ids"), services.checked_action(action))
    except services.BulkError as error:
        flash(str(error), "error")
        return redirect(url_for("bulk.index"))
    return redirect(url_for("bulk.show", run_id=started.id))


@bp.get("/runs/<int:run_id>")
def show(run_id):
    """Progress while running; results (and the 詳細ログ) when done."""
    run_ = get_or_404(BulkRun, run_id)
    return render_template("admin/bulk/run.html", run=run_)


@bp.get("/runs/<int:run_id>/progress")
def progress(run_id):
    """The progress bar's data."""
    run_ = get_or_404(BulkRun, run_id)
    return jsonify(status=run_.status, total=run_.total, done=run_.done,
                   succeeded=run_.succeeded, failed=run_.failed)


@bp.get("/logs")
def logs():
    """操作ログ: the last 100 runs."""
    return render_template("admin/bulk/logs.html", runs=services.recent_runs(
        current_user.shop_id))
