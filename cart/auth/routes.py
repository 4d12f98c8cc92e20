from datetime import timedelta

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from cart.auth import bp
from cart.auth.forms import LoginForm, LogoutForm
from cart.extensions import db, login_manager
from cart.models import LoginFailure, Staff
from cart.models.base import utcnow

FAILED = "メールアドレスまたはパスワードが正しくありません。"
LOCKED = "ログインの失敗が続いたため、しばらくログインできません。15分ほど待ってから再度お試しください。"
WINDOW = timedelta(minutes=15)
MAX_PER_EMAIL = 10
MAX_PER_IP = 50
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
        ip = request.remote_addr or ""
        if _too_many_failures(email, ip):
            form.form_errors.append(LOCKED)
            return render_template("auth/login.html", form=form), 429
        staff = db.session.scalar(select(Staff).where(func.lower(Staff.email) == email))
        if staff is not None and staff.check_password(form.password.data):
            session.clear()  # a fresh session on sign-in (no fixation)
            login_user(staff)
            return redirect(_safe_next(request.args.get("next")))
        if staff is None:
            check_password_hash(_DUMMY_HASH, form.password.data)
        db.session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - 4 * WINDOW))
        db.session.add(LoginFailure(email=email[:254], ip=ip[:64]))
        db.session.commit()
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


def _too_many_failures(email: str, ip: str) -> bool:
    """Ten failures for one email, or fifty from one address, in 15 minutes lock sign-in."""
    since = utcnow() - WINDOW
    by_email = db.session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.email == email, LoginFailure.at >= since))
    by_ip = db.session.scalar(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.ip == ip, LoginFailure.at >= since))
    return by_email >= MAX_PER_EMAIL or by_ip >= MAX_PER_IP


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("admin.dashboard")
