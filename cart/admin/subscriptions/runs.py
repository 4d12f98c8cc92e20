"""一括オーソリ (seed 002): each date's file payment run of the repeat orders, its records and
results; 「ペイジェントCSV」 download and the result file's upload for the manual path."""
from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from cart.admin.subscriptions import bp
from cart.admin.subscriptions.forms import ResultUploadForm
from cart.extensions import db, transaction
from cart.models import Order
from cart.models.subscription import FilePaymentRun, FilePaymentRunItem
from cart.subscriptions import cycles, runs
from cart.tenancy import get_or_404, scoped
from payments.paygent import file_payment as wire

MAX_RESULT_BYTES = 5 * 1024 * 1024
MAX_ERRORS_SHOWN = 51  # as PAYGENT's own screen lists them


@bp.get("/runs")
def run_list():
    items = db.session.scalars(scoped(FilePaymentRun).order_by(
        FilePaymentRun.due_date.desc(), FilePaymentRun.id.desc()).limit(100)).all()
    from cart.admin.subscriptions.routes import due_count
    today = cycles.today()
    return render_template("admin/subscriptions/runs.html", runs=items, today=today,
                           due=due_count(current_user.shop_id, today), form=FlaskForm())


@bp.post("/runs/today")
def run_today():
    """本日分を実行: today's run (created once however often this is clicked)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    report = runs.run_due(current_user.shop, cycles.today())
    for reason in report.skipped:
        flash(reason, "error")
    if report.run is None:
        flash("本日分の定期購入はありません。", "info")
        return redirect(url_for("subscriptions.run_list"))
    flash(f"{report.run.due_date:%Y/%m/%d} 分の一括オーソリ：{report.run.state_name}"
          f"（{report.run.records}件）", "success")
    return redirect(url_for("subscriptions.run_show", file_run_id=report.run.id))


@bp.get("/runs/<int:file_run_id>")
def run_show(file_run_id, form=None, errors=None, status=200):
    run = get_or_404(FilePaymentRun, file_run_id)
    items = db.session.scalars(scoped(FilePaymentRunItem).where(
        FilePaymentRunItem.run_id == run.id).order_by(FilePaymentRunItem.id)).all()
    orders = {o.id: o for o in db.session.scalars(scoped(Order).where(
        Order.id.in_([i.order_id for i in items])))} if items else {}
    return render_template("admin/subscriptions/run.html", run=run, items=items,
                           orders=orders, form=FlaskForm(),
                           upload=form or ResultUploadForm(formdata=None),
                           errors=errors or [], max_errors=MAX_ERRORS_SHOWN), status


@bp.get("/runs/<int:file_run_id>/csv")
def run_csv(file_run_id):
    """ペイジェントCSV: the authorisation file, byte for byte as sent (Windows-31J, CR+LF)."""
    run = get_or_404(FilePaymentRun, file_run_id)
    if not run.request_file:
        abort(404)
    return Response(run.request_file, mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={run.file_name}"})


@bp.get("/runs/<int:file_run_id>/result.csv")
def run_result_csv(file_run_id):
    run = get_or_404(FilePaymentRun, file_run_id)
    if not run.result_file:
        abort(404)
    return Response(run.result_file, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=result_{run.file_name}"})


@bp.post("/runs/<int:file_run_id>/check")
def run_check(file_run_id):
    """結果を確認 / 再送信: move the run as far as PAYGENT has got."""
    run = get_or_404(FilePaymentRun, file_run_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if run.state == "failed":
        runs.reset_failed(current_user.shop, run.id, current_user)
    state = runs.advance(current_user.shop, run.id)
    run = db.session.get(FilePaymentRun, run.id)
    if state == "sent":
        flash("PAYGENTで処理中です。しばらくしてから再度ご確認ください。", "info")
    elif state == "failed":
        flash(f"送信がエラーになりました（{run.code}）：{run.message}", "error")
    else:
        flash(f"一括オーソリ：{run.state_name}（OK {run.ok_count}件、NG {run.ng_count}件）",
              "success")
    return redirect(url_for("subscriptions.run_show", file_run_id=run.id))


@bp.post("/runs/<int:file_run_id>/result")
def run_upload(file_run_id):
    """The result file of PAYGENT's site, booked record by record (the manual path)."""
    run = get_or_404(FilePaymentRun, file_run_id)
    form = ResultUploadForm()
    if not form.validate_on_submit():
        abort(400)
    upload = form.result_file.data
    data = upload.read(MAX_RESULT_BYTES + 1) if upload else b""
    if not data:
        form.result_file.errors = ["結果ファイルを選択してください。"]
        return run_show(run.id, form=form, status=400)
    if len(data) > MAX_RESULT_BYTES:
        form.result_file.errors = ["ファイルが大きすぎます（5MBまで）。"]
        return run_show(run.id, form=form, status=400)
    result = wire.read_result_file(data)
    if result.errors:
        return run_show(run.id, form=form, errors=result.errors[:MAX_ERRORS_SHOWN], status=400)
    if not result.records:
        form.result_file.errors = ["結果ファイルにデータレコードがありません。"]
        return run_show(run.id, form=form, status=400)
    with transaction():
        run = db.session.get(FilePaymentRun, run.id)
        counts = runs.book_result(current_user.shop, run, result, data, current_user)
    flash(f"結果を取り込みました：OK {counts['ok']}件、NG {counts['ng']}件"
          + (f"、取り込み済み {counts['already']}件" if counts["already"] else "")
          + (f"、この一括オーソリにない行 {counts['unknown']}件" if counts["unknown"] else ""),
          "success" if not counts["unknown"] else "error")
    return redirect(url_for("subscriptions.run_show", file_run_id=run.id))
