"""会員 pages: 会員登録, ログイン, ログアウト, パスワード再設定 and マイページ (docs/members.md).

Every POST is CSRF-checked by CSRFProtect. Rows are read with the shop of the URL and, in
マイページ, the signed-in member: another shop's or another member's row is 404.
"""
import math

from flask import (abort, current_app, flash, g, make_response, redirect, render_template,
                   request, url_for)
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from cart import mail
from cart.auth.routes import client_address, locked_message, safe_next
from cart.auth.throttle import throttle
from cart.checkout import draft as checkout_draft
from cart.extensions import db, transaction
from cart.members import bp, reset
from cart.members.forms import (DUPLICATE_EMAIL, MAX_ADDRESSES, ActionForm, AddressForm,
                                ForgotForm, LoginForm, PasswordForm, ProfileForm, RegisterForm,
                                ResetForm)
from cart.members.prefill import addresses_of, member_buyer
from cart.members.session import current_member, member_required, sign_in, sign_out
from cart.models import Member, MemberAddress, Order
from cart.models.base import utcnow
from cart.shop_settings import settings_for

FAILED = "メールアドレスまたはパスワードが正しくありません。"
DISABLED = "このアカウントは現在ご利用いただけません。ショップまでお問い合わせください。"
PAGE = 10  # 購入履歴 per page
HIDDEN_STATUSES = ("pending_payment",)  # a checkout that never finished is no purchase


def _email_taken(email: str, but: int | None = None) -> bool:
    query = select(Member.id).where(Member.shop_id == g.shop.id, Member.email == email)
    if but is not None:
        query = query.where(Member.id != but)
    return db.session.scalar(query.limit(1)) is not None


def _throttle_key(email: str) -> str:
    """The throttle counts a member's attempts apart from staff accounts and other shops."""
    return f"member:{g.shop.id}:{email}"


def _dummy_hash() -> str:
    """Checked when the email is unknown, so both failures take the same time."""
    cached = current_app.extensions.get("members.dummy_hash")
    if cached is None:
        cached = generate_password_hash(
            "not-a-real-password",
            method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))
        current_app.extensions["members.dummy_hash"] = cached
    return cached


def _next_or_mypage() -> str:
    """``next=`` when it is a page of this shop's storefront, else マイページ."""
    target = request.args.get("next")
    prefix = url_for("storefront.index")
    if target and target.startswith(prefix) and safe_next(target) == target:
        return target
    return url_for("members.orders")


def _with_retry_after(html: str, status: int, wait: int = 0):
    response = make_response(html, status)
    if status == 429:
        response.headers["Retry-After"] = str(wait)
    return response


# -- 会員登録 -------------------------------------------------------------------------------
@bp.route("/register", methods=["GET", "POST"])
def register():
    """会員登録: the buyer fields and a password; the member is signed in at once."""
    if current_member(g.shop) is not None:
        return redirect(url_for("members.orders"))
    form = RegisterForm(settings=settings_for(g.shop.id))
    if form.validate_on_submit():
        values = form.member_values()
        if _email_taken(values["email"]):
            form.email.errors.append(DUPLICATE_EMAIL)
        else:
            member = Member(shop_id=g.shop.id, **values)
            member.set_password(form.password.data)
            member.last_login_at = utcnow()
            try:
                with transaction():
                    db.session.add(member)
            except IntegrityError:  # registered at the same moment by another request
                form.email.errors.append(DUPLICATE_EMAIL)
            else:
                sign_in(member)
                flash("会員登録が完了しました。", "success")
                return redirect(_next_or_mypage())
    return render_template("members/register.html", form=form)


# -- ログイン / ログアウト ------------------------------------------------------------------
@bp.route("/login", methods=["GET", "POST"])
def login():
    """ログイン, throttled as the staff login is; the same message whether or not the email is
    registered."""
    if current_member(g.shop) is not None:
        return redirect(_next_or_mypage())
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.lower()[:254]
        member = db.session.scalar(select(Member).where(
            Member.shop_id == g.shop.id, Member.email == email))
        attempt = throttle().attempt(_throttle_key(email), client_address())
        if not attempt.allowed:
            form.form_errors.append(locked_message(attempt.wait))
            return _with_retry_after(render_template("members/login.html", form=form), 429,
                                     attempt.wait)
        if member is None:
            check_password_hash(_dummy_hash(), form.password.data)
            correct = False
        else:
            correct = member.check_password(form.password.data)
        if correct and member.active:
            throttle().succeeded(attempt)
            member.last_login_at = utcnow()
            db.session.commit()
            sign_in(member)
            return redirect(_next_or_mypage())
        throttle().failed(attempt)
        # Only the right password learns that the account is disabled.
        form.form_errors.append(DISABLED if correct else FAILED)
    return render_template("members/login.html", form=form)


@bp.post("/logout")
def logout():
    """ログアウト: every session of the member ends (on every browser)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    member = current_member(g.shop)
    if member is not None:
        member.end_sessions()
        db.session.commit()
    sign_out()
    if checkout_draft.get().get("buyer"):
        checkout_draft.update(buyer={})  # the member's details do not stay in the cart
    flash("ログアウトしました。", "success")
    return redirect(url_for("storefront.index"))


# -- パスワード再設定 ------------------------------------------------------------------------
@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot():
    """パスワードを忘れた方: a mail with a link, if the email is a member's; the same answer
    either way."""
    form = ForgotForm()
    if form.validate_on_submit():
        email = form.email.data.lower()
        member = db.session.scalar(select(Member).where(
            Member.shop_id == g.shop.id, Member.email == email, Member.active.is_(True)))
        if member is not None:
            link = current_app.config["PUBLIC_BASE_URL"] + url_for(
                "members.reset_password", token=reset.make_token(member))
            body = render_template("members/mail/reset.txt", member=member, shop=g.shop,
                                   link=link, minutes=reset.MAX_AGE // 60)
            with transaction():
                mail.queue(g.shop.id, member.email,
                           f"【{g.shop.name}】パスワード再設定のご案内", body)
        return render_template("members/forgot_sent.html")
    return render_template("members/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    """The link from the mail: a new password; the member's other sessions end."""
    member = reset.member_for(token, g.shop.id)
    if member is None:
        return render_template("members/reset_invalid.html"), 404
    form = ResetForm()
    if form.validate_on_submit():
        member.set_password(form.new_password.data)
        member.end_sessions()
        db.session.commit()
        sign_in(member)
        flash("パスワードを再設定しました。ほかの端末・ブラウザでのログインはすべて終了しました。",
              "success")
        return redirect(url_for("members.orders"))
    return render_template("members/reset.html", form=form)


# -- マイページ ----------------------------------------------------------------------------
@bp.get("/")
@member_required
def mypage():
    return redirect(url_for("members.orders"))


def _member_orders(member):
    return select(Order).where(Order.shop_id == g.shop.id, Order.member_id == member.id,
                               Order.status.not_in(HIDDEN_STATUSES))


@bp.get("/orders")
@member_required
def orders():
    """購入履歴: the member's orders at this shop, newest first."""
    member = current_member(g.shop)
    total = db.session.scalar(select(func.count()).select_from(
        _member_orders(member).subquery()))
    pages = max(1, math.ceil(total / PAGE))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    rows = db.session.scalars(_member_orders(member).order_by(
        Order.created_at.desc(), Order.id.desc()).limit(PAGE).offset((page - 1) * PAGE)).all()
    return render_template("members/orders.html", member=member, orders=rows, page=page,
                           pages=pages, total=total)


@bp.get("/orders/<int:order_id>")
@member_required
def order(order_id):
    """購入履歴詳細: lines, totals, delivery, payment and status of one of the member's orders."""
    member = current_member(g.shop)
    if not 0 < order_id < 2**31:
        abort(404)
    row = db.session.scalar(_member_orders(member).where(Order.id == order_id))
    if row is None:
        abort(404)
    return render_template("members/order.html", member=member, order=row,
                           section="members.orders")


@bp.route("/profile", methods=["GET", "POST"])
@member_required
def profile():
    """会員情報変更."""
    member = current_member(g.shop)
    form = ProfileForm(settings=settings_for(g.shop.id), data=member_buyer(member))
    if form.validate_on_submit():
        values = form.member_values()
        if _email_taken(values["email"], but=member.id):
            form.email.errors.append("このメールアドレスはほかの会員が使用しています。")
        else:
            try:
                with transaction():
                    for key, value in values.items():
                        setattr(member, key, value)
            except IntegrityError:
                form.email.errors.append("このメールアドレスはほかの会員が使用しています。")
            else:
                flash("会員情報を変更しました。", "success")
                return redirect(url_for("members.profile"))
    return render_template("members/profile.html", member=member, form=form)


@bp.get("/addresses")
@member_required
def addresses():
    """お届け先の一覧."""
    member = current_member(g.shop)
    return render_template("members/addresses.html", member=member,
                           addresses=addresses_of(member), limit=MAX_ADDRESSES,
                           form=ActionForm())


def _own_address(member, address_id) -> MemberAddress:
    if not 0 < address_id < 2**31:
        abort(404)
    address = db.session.scalar(select(MemberAddress).where(
        MemberAddress.id == address_id, MemberAddress.shop_id == g.shop.id,
        MemberAddress.member_id == member.id))
    if address is None:
        abort(404)
    return address


@bp.route("/addresses/new", methods=["GET", "POST"])
@member_required
def address_new():
    """お届け先の追加."""
    member = current_member(g.shop)
    if len(addresses_of(member)) >= MAX_ADDRESSES:
        flash(f"お届け先は{MAX_ADDRESSES}件まで登録できます。", "error")
        return redirect(url_for("members.addresses"))
    form = AddressForm()
    if form.validate_on_submit():
        with transaction():
            db.session.add(MemberAddress(shop_id=g.shop.id, member_id=member.id,
                                         **form.address_values()))
        flash("お届け先を追加しました。", "success")
        return redirect(url_for("members.addresses"))
    return render_template("members/address_form.html", member=member, form=form, address=None,
                           section="members.addresses")


@bp.route("/addresses/<int:address_id>/edit", methods=["GET", "POST"])
@member_required
def address_edit(address_id):
    """お届け先の変更."""
    member = current_member(g.shop)
    address = _own_address(member, address_id)
    form = AddressForm(data={
        "buyer_name": address.name, "buyer_kana": address.kana, "zip_code": address.zip_code,
        "prefecture": address.prefecture, "city": address.city, "street": address.street,
        "building": address.building, "tel": address.tel})
    if form.validate_on_submit():
        with transaction():
            for key, value in form.address_values().items():
                setattr(address, key, value)
        flash("お届け先を変更しました。", "success")
        return redirect(url_for("members.addresses"))
    return render_template("members/address_form.html", member=member, form=form,
                           address=address, section="members.addresses")


@bp.post("/addresses/<int:address_id>/delete")
@member_required
def address_delete(address_id):
    """お届け先の削除."""
    member = current_member(g.shop)
    address = _own_address(member, address_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with transaction():
        db.session.delete(address)
    flash("お届け先を削除しました。", "success")
    return redirect(url_for("members.addresses"))


@bp.route("/password", methods=["GET", "POST"])
@member_required
def password():
    """パスワード変更: the member's other sessions end; a wrong current password counts as a
    failed ログイン."""
    member = current_member(g.shop)
    form = PasswordForm()
    if form.validate_on_submit():
        attempt = throttle().attempt(_throttle_key(member.email), client_address())
        if not attempt.allowed:
            form.form_errors.append(locked_message(attempt.wait))
            return _with_retry_after(render_template("members/password.html", member=member,
                                                     form=form), 429, attempt.wait)
        if not member.check_password(form.current_password.data):
            throttle().failed(attempt)
            form.current_password.errors.append("現在のパスワードが正しくありません。")
        else:
            throttle().succeeded(attempt)
            member.set_password(form.new_password.data)
            member.end_sessions()
            db.session.commit()
            sign_in(member)  # this session goes on, under the new version
            flash("パスワードを変更しました。ほかの端末・ブラウザでのログインはすべて終了しました。",
                  "success")
            return redirect(url_for("members.password"))
    return render_template("members/password.html", member=member, form=form)
