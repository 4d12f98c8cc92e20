from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from cart.auth import bp
from cart.auth.forms import LoginForm, LogoutForm
from cart.extensions import db, login_manager
from cart.models import Staff

FAILED = "メールアドレスまたはパスワードが正しくありません。"
# Checked when the email is unknown, so that both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


@login_manager.user_loader
def load_staff(staff_id: str):
    if not staff_id.isdigit():
        return None
    return db.session.get(Staff, int(staff_id))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign a staff member in."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        staff = db.session.scalar(select(Staff).where(func.lower(Staff.email) == email))
        if staff is not None and staff.check_password(form.password.data):
            login_user(staff)
            return redirect(_safe_next(request.args.get("next")))
        if staff is None:
            check_password_hash(_DUMMY_HASH, form.password.data)
        form.form_errors.append(FAILED)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Sign the staff member out."""
    if LogoutForm().validate_on_submit():
        logout_user()
        flash("ログアウトしました。", "success")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("admin.dashboard")
