import unicodedata
from urllib.parse import unquote, urlsplit

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from cart.auth import bp
from cart.auth.devices import known_device, remember_device
from cart.auth.forms import LoginForm, LogoutForm
from cart.auth.throttle import throttle, wait_text
from cart.extensions import db, login_manager
from cart.models import Staff

FAILED = "メールアドレスまたはパスワードが正しくありません。"
DISABLED = ("このアカウントは無効になっています。ショップのオーナーにお問い合わせください。")
LOGGED_OUT = "ログアウトしました。このアカウントのほかの端末・ブラウザでのログインも終了しました。"
# Checked when the email is unknown, so that both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def locked_message(seconds: int) -> str:
    return (f"ログインの失敗が続いたため、しばらくログインできません。"
            f"{wait_text(seconds)}ほど待ってから再度お試しください。")


@login_manager.user_loader
def load_staff(user_id: str):
    """The session's staff member, if the account is active and the session's version is the
    account's current one (logout, a password change and disabling raise it)."""
    staff_id, _, version = user_id.partition(":")
    if not (staff_id.isascii() and staff_id.isdigit() and version.isascii()
            and version.isdigit() and len(staff_id) < 10 and len(version) < 10):
        return None
    staff = db.session.get(Staff, int(staff_id))
    if staff is None or not staff.active or staff.session_version != int(version):
        return None
    return staff


def client_address() -> str:
    """The client's address (behind trusted proxies, the one they name)."""
    return (request.remote_addr or "")[:64]


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign a staff member in."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()[:254]
        staff = db.session.scalar(select(Staff).where(func.lower(Staff.email) == email))
        attempt = throttle().attempt(email, client_address(), known_device(staff))
        if not attempt.allowed:
            form.form_errors.append(locked_message(attempt.wait))
            response = make_response(render_template("auth/login.html", form=form), 429)
            response.headers["Retry-After"] = str(attempt.wait)
            return response
        if staff is None:
            check_password_hash(_DUMMY_HASH, form.password.data)
            correct = False
        else:
            correct = staff.check_password(form.password.data)
        if correct and staff.active:
            throttle().succeeded(attempt)
            session.clear()  # a fresh session on sign-in (no fixation)
            login_user(staff)
            response = redirect(safe_next(request.args.get("next")))
            remember_device(response, staff)
            return response
        throttle().failed(attempt)
        # Only the right password learns that the account is disabled.
        form.form_errors.append(DISABLED if correct else FAILED)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Sign the staff member out, on every device: the account's sessions all end."""
    if LogoutForm().validate_on_submit():
        current_user.end_sessions()
        db.session.commit()
        logout_user()
        flash(LOGGED_OUT, "success")
    return redirect(url_for("auth.login"))


def _unsafe_character(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in "CZ"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: ``target`` if it is a path of this site, else the
    dashboard. A path starts with one slash and has no scheme, host, backslash, control or
    white-space character, before or after percent-decoding (browsers drop tabs and line
    breaks, so ``/\\t/host`` would be ``//host``)."""
    dashboard = url_for("admin.dashboard")
    if not target or len(target) > 2000:
        return dashboard
    for text in (target, unquote(target)):
        if (not text.startswith("/") or text.startswith("//") or "\\" in text
                or any(_unsafe_character(c) for c in text)):
            return dashboard
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return dashboard
    return target
