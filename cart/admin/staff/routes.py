from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_user

from cart.admin.staff import bp
from cart.admin.staff.forms import PasswordForm, StaffActionForm
from cart.auth.devices import known_device
from cart.auth.routes import client_address, locked_message
from cart.auth.throttle import throttle
from cart.extensions import db
from cart.models import Staff
from cart.tenancy import get_or_404, owner_required, scoped


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Change the signed-in staff member's password; the account's other sessions end."""
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        staff = current_user._get_current_object()
        # A wrong current password is a failed sign-in: a stolen session cannot guess it.
        attempt = throttle().attempt(staff.email, client_address(), known_device(staff))
        if not attempt.allowed:
            form.form_errors.append(locked_message(attempt.wait))
            status = 429
        elif not staff.check_password(form.current_password.data):
            throttle().failed(attempt)
            form.current_password.errors.append("現在のパスワードが正しくありません。")
        else:
            throttle().succeeded(attempt)
            staff.set_password(form.new_password.data)
            staff.end_sessions()
            db.session.commit()
            login_user(staff)  # this session goes on, under the new version
            flash("パスワードを変更しました。ほかの端末・ブラウザでのログインはすべて終了しました。",
                  "success")
            return redirect(url_for("staff.password"))
    response = make_response(render_template("admin/staff/password.html", form=form), status)
    if status == 429:
        response.headers["Retry-After"] = str(attempt.wait)
    return response


@bp.get("/staff/")
@owner_required
def index():
    """List the shop's staff with their state."""
    members = db.session.scalars(scoped(Staff).order_by(Staff.id)).all()
    return render_template("admin/staff/index.html", members=members)


@bp.post("/staff/<int:staff_id>/disable")
@owner_required
def disable(staff_id):
    """Disable a staff member of the shop: they can no longer sign in, their sessions end."""
    return _set_active(staff_id, False)


@bp.post("/staff/<int:staff_id>/enable")
@owner_required
def enable(staff_id):
    """Let a disabled staff member of the shop sign in again."""
    return _set_active(staff_id, True)


def _set_active(staff_id: int, active: bool):
    if not StaffActionForm().validate_on_submit():
        abort(400)
    member = get_or_404(Staff, staff_id)
    if not active and member.id == current_user.id:
        flash("ご自身のアカウントを無効にすることはできません。", "error")
    elif member.active == active:
        flash(f"{member.email} はすでに{'有効' if active else '無効'}です。", "warning")
    elif active:
        member.active = True
        db.session.commit()
        flash(f"{member.email} を有効にしました。ログインできるようになりました。", "success")
    else:
        member.active = False
        member.end_sessions()
        db.session.commit()
        flash(f"{member.email} を無効にしました。ログイン中のセッションはすべて終了しました。",
              "success")
    return redirect(url_for("staff.index"))
