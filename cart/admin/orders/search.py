"""受注一覧 (O1): tabs, 詳細検索フォーム and paging, each condition on an indexed column."""
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload
from wtforms import DateField, SelectField, StringField
from wtforms.validators import AnyOf, Length, NumberRange, Optional

from cart.extensions import db
from cart.fields import JapaneseForm, WholeNumberField
from cart.models import Order, Payment
from payments import methods

PAGE_SIZE = 50
JST = timezone(timedelta(hours=9))
TABS = {"active": ("受注一覧", ("new", "pending_payment")),
        "completed": ("受注完了一覧", ("completed",)),
        "cancelled": ("キャンセル一覧", ("cancelled",))}


class OrderSearchForm(JapaneseForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    number = StringField("注文番号", validators=[
        Optional(), Length(max=25, message="25文字以内で入力してください。")])
    payment_kind = SelectField("支払い方法", choices=[("", "全て")] + [(m.code, m.name) for m in methods.ALL],
                               validate_choice=False, validators=[
                                   Optional(), AnyOf(list(methods.CODES),
                                                     "支払い方法は一覧から選択してください。")])
    date_from = DateField("受注日（から）", validators=[Optional()])
    date_to = DateField("受注日（まで）", validators=[Optional()])
    name = StringField("購入者名", validators=[
        Optional(), Length(max=100, message="100文字以内で入力してください。")])
    kana = StringField("購入者名（フリガナ）", validators=[
        Optional(), Length(max=100, message="100文字以内で入力してください。")])
    email = StringField("メールアドレス", validators=[
        Optional(), Length(max=254, message="254文字以内で入力してください。")])
    phone = StringField("電話番号", validators=[
        Optional(), Length(max=20, message="20文字以内で入力してください。")])
    amount_min = WholeNumberField("購入金額（から）", validators=[
        Optional(), NumberRange(min=0, max=999_999_999,
                                message="0〜999,999,999円で入力してください。")])
    amount_max = WholeNumberField("購入金額（まで）", validators=[
        Optional(), NumberRange(min=0, max=999_999_999,
                                message="0〜999,999,999円で入力してください。")])
    cart_type = SelectField("購入経路", choices=[("", "全て"), ("three", "3ステップカート"),
                                               ("zero", "ゼロステップカート")],
                            validate_choice=False, validators=[
                                Optional(), AnyOf(["three", "zero"],
                                                  "購入経路は一覧から選択してください。")])
    trade_id = StringField("外部決済注文番号", validators=[
        Optional(), Length(max=64, message="64文字以内で入力してください。")])

    def filled(self) -> bool:
        """True when anything was typed (even something unreadable, so it gets a message)."""
        return any(f.raw_data and any(str(v).strip() for v in f.raw_data) for f in self)


def search(shop_id: int, tab: str, form: OrderSearchForm | None, page: int):
    """Orders of one tab matching the form, newest first: (rows, total)."""
    statuses = TABS[tab][1]
    query = select(Order).where(Order.shop_id == shop_id, Order.status.in_(statuses))
    if form is not None and form.filled() and form.validate():
        query = _conditions(query, form, shop_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(Order.created_at.desc(), Order.id.desc())
                              .options(lazyload(Order.items))  # a list shows no line items
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return rows, total


def _conditions(query, form: OrderSearchForm, shop_id: int):
    def text(field):
        return (field.data or "").strip()

    if text(form.number):
        query = query.where(Order.number == text(form.number))
    if form.payment_kind.data:
        query = query.where(Order.payment_kind == form.payment_kind.data)
    # 0001-01-01 and 9999-12-31 limit nothing (and have no day before / after to compute).
    if form.date_from.data and form.date_from.data > date.min:
        query = query.where(Order.created_at >= _jst_start(form.date_from.data))
    if form.date_to.data and form.date_to.data < date.max:
        query = query.where(Order.created_at < _jst_start(form.date_to.data + timedelta(days=1)))
    # Names and contacts: prefix match, so the (shop_id, column) indexes serve them.
    if text(form.name):
        query = query.where(Order.buyer_name.startswith(text(form.name), autoescape=True))
    if text(form.kana):
        query = query.where(Order.buyer_kana.startswith(text(form.kana), autoescape=True))
    if text(form.email):
        query = query.where(Order.email == text(form.email).lower())
    if text(form.phone):
        digits = "".join(c for c in text(form.phone) if c.isdigit())
        query = query.where((Order.tel == digits) | (Order.mobile == digits))
    if form.amount_min.data is not None:
        query = query.where(Order.total >= form.amount_min.data)
    if form.amount_max.data is not None:
        query = query.where(Order.total <= form.amount_max.data)
    if form.cart_type.data:
        query = query.where(Order.cart_type == form.cart_type.data)
    if text(form.trade_id):
        trade = text(form.trade_id)
        matching = select(Payment.order_id).where(
            Payment.shop_id == shop_id,
            (Payment.paygent_payment_id == trade) | (Payment.reference == trade))
        query = query.where(Order.id.in_(matching))
    return query


def _jst_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=JST).astimezone(timezone.utc)
