"""外部決済一括処理: 未処理一覧 → 処理内容 → 確認 → 実行 (progress) → 結果, and the 操作ログ."""
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from cart import operations
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


@bp.context_processor
def _fingerprints():
    """The pages carry what each order's payment was when shown (``state-<id>``)."""
    return {"fingerprint": operations.fingerprint}


def _selected(ids: list[str], action: str):
    """The posted selection: (Selection, None), or (None, the error message)."""
    try:
        return services.select_orders(current_user.shop_id, ids, action,
                                      services.states_of(request.form)), None
    except services.BulkError as error:
        return None, str(error)


def _back_to_list(selection, action: str):
    """未処理一覧 again, the orders that may still run still checked, and why any left."""
    if selection.dropped:
        flash(services.dropped_headline(action) + (
            "ほかの受注は選択したままです。" if selection.orders else ""), "error")
        for dropped in selection.dropped:
            flash(dropped.message, "warning")
    return redirect(url_for("bulk.index", ids=[o.id for o in selection.orders], action=action))


def _confirm_page(selection, action: str, status: int = 200):
    """「N件の受注に対して以下の処理を行います。」 for the orders that may run, with a fresh run
    token, and the orders left out named at the top."""
    return render_template("admin/bulk/confirm.html", orders=selection.orders, form=FlaskForm(),
                           action=action, action_name=BULK_ACTIONS[action],
                           token=services.new_token(), dropped=selection.dropped,
                           headline=services.dropped_headline(action)), status


@bp.post("/action")
def choose_action():
    """「処理対象を確定し次へ」: check the selection against the list's 処理内容, then show it.
    An order that changed since the list showed it sends the operator back to the list, the
    others still checked, the changed one named."""
    form = FlaskForm()
    ids = request.form.getlist("ids")
    action = _action(request.form.get("action"))
    if not form.validate_on_submit():
        return redirect(url_for("bulk.index", action=action))
    selection, error = _selected(ids, action)
    if error:
        flash(error, "error")
        return redirect(url_for("bulk.index", ids=ids[:500], action=action))
    if selection.dropped:
        return _back_to_list(selection, action)
    return render_template("admin/bulk/action.html", orders=selection.orders, form=form,
                           actions=BULK_ACTIONS, action=action)


@bp.post("/confirm")
def confirm():
    """「処理内容を確認し次へ」: 「N件の受注に対して以下の処理を行います。」, for the orders still as
    shown (those that changed named at the top)."""
    form = FlaskForm()
    ids = request.form.getlist("ids")
    action = request.form.get("action", "")
    if not form.validate_on_submit():
        return redirect(url_for("bulk.index"))
    if action not in BULK_ACTIONS:
        flash("処理内容を選択してください。", "error")
        return redirect(url_for("bulk.index", ids=ids[:500]))
    selection, error = _selected(ids, action)
    if error:
        flash(error, "error")
        return redirect(url_for("bulk.index", ids=ids[:500], action=action))
    if not selection.orders:
        return _back_to_list(selection, action)
    return _confirm_page(selection, action)


@bp.post("/run")
def run():
    """「一括処理を実行」: one run per confirmation page, however often it is posted. If an
    order changed since that page showed it, nothing starts: the page comes back with the
    others (a new token, so one more click runs exactly them) and the changed one named."""
    form = FlaskForm()
    token = request.form.get("token", "")
    if not form.validate_on_submit() or not token or len(token) > 64:
        return redirect(url_for("bulk.index"))
    action = request.form.get("action", "capture")
    try:
        started = services.start(current_user.shop_id, current_user, token,
                                 request.form.getlist("ids"), services.checked_action(action),
                                 services.states_of(request.form))
    except services.Changed as changed:
        if not changed.selection.orders:
            return _back_to_list(changed.selection, action)
        return _confirm_page(changed.selection, action, status=409)
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
