"""受注一覧 (O1): tabs, 詳細検索フォーム and paging, each condition on an indexed column.

The list is in (created_at, id) order, newest first, and is paged by that key (keyset paging):
a page is "the 50 rows after this row", found by an index range however deep it is, never by
OFFSET. The pager still shows numbered pages: the links around the current page carry the key
of the row just before the page they open (``after=``), read from the index next to the
current page; 「<<」 carries the first row's key (``before=``). The position of a page (its
「N-M番目表示」 and page number) is counted at each request, so rows inserted or moved away
between two page loads never make the next page skip or repeat a row and the numbers stay
true. Only a page number typed without a key (``?page=N``) is looked up by counting rows in
the index (keys only), as a fallback.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Integer, and_, func, literal, or_, select, union_all
from sqlalchemy import text as sql
from wtforms import DateField, SelectField, StringField
from wtforms.validators import AnyOf, Length, NumberRange, Optional

from cart.extensions import db
from cart.fields import JapaneseForm, WholeNumberField
from cart.models import Order, Payment
from payments import methods

PAGE_SIZE = 50
NEAR = 4  # numbered links either side of the current page
MAX_PAGE = 100_000  # a typed page number beyond any real list
JST = timezone(timedelta(hours=9))
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
TOKEN = re.compile(r"(-?[0-9]{1,18})_([0-9]{1,10})")
TABS = {"active": ("受注一覧", ("new", "pending_payment")),
        "completed": ("受注完了一覧", ("completed",)),
        "cancelled": ("キャンセル一覧", ("cancelled",))}

# What a row of the list shows, and nothing else: no ORM objects, no line items, one join for
# the payment's 取引ID and state (an order has at most one payment).
LIST_COLUMNS = (Order.id, Order.created_at, Order.number, Order.buyer_name, Order.total,
                Order.payment_name, Order.status, Order.needs_review,
                Payment.paygent_payment_id, Payment.status.label("payment_status"),
                Payment.in_flight_attempt_id)
NEWEST_FIRST = (Order.created_at.desc(), Order.id.desc())
OLDEST_FIRST = (Order.created_at.asc(), Order.id.asc())


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


@dataclass(frozen=True)
class Key:
    """Where a row stands in the list's order: (created_at, id), newest first."""
    created_at: datetime  # aware, UTC
    id: int

    @classmethod
    def at(cls, created: datetime, ident: int) -> "Key":
        if created.tzinfo is None:  # SQLite hands back naive UTC
            created = created.replace(tzinfo=timezone.utc)
        return cls(created.astimezone(timezone.utc), ident)

    @classmethod
    def of(cls, row) -> "Key":
        """The key of a row that has created_at and id."""
        return cls.at(row.created_at, row.id)

    def token(self) -> str:
        """The key in a link: microseconds since 1970 (UTC) and the id, ``1792473600000000_42``."""
        return f"{(self.created_at - EPOCH) // timedelta(microseconds=1)}_{self.id}"

    @classmethod
    def parse(cls, token: str | None) -> "Key | None":
        """A key from a link, or None for anything that is not one."""
        found = TOKEN.fullmatch(token or "")
        if not found:
            return None
        micros, ident = int(found.group(1)), int(found.group(2))
        try:
            created = EPOCH + timedelta(microseconds=micros)
        except OverflowError:
            return None
        if not (1 <= ident <= 2**31 - 1) or not (1900 <= created.year <= 9998):
            return None
        return cls(created, ident)

    def older(self):
        """Rows after this one in the list (older, or as old with a lower id)."""
        return and_(Order.created_at <= self.created_at,
                    or_(Order.created_at < self.created_at, Order.id < self.id))

    def newer(self):
        """Rows before this one in the list."""
        return and_(Order.created_at >= self.created_at,
                    or_(Order.created_at > self.created_at, Order.id > self.id))


@dataclass
class Listing:
    """One page of the list: its rows, where it stands, and the pager's links (query args)."""
    rows: list
    total: int
    first: int = 0      # 「first-last番目表示」, 1-based; 0-0 when nothing matches
    last: int = 0
    page: int = 1
    pages: int = 0
    links: dict[int, dict] = field(default_factory=dict)  # page number -> its link's args
    previous: dict | None = None
    next: dict | None = None


def search(shop_id: int, tab: str, form: OrderSearchForm | None, page: int = 1,
           after: str | None = None, before: str | None = None) -> Listing:
    """Orders of one tab matching the form, newest first: the page after the row ``after``
    names, the page before ``before``, or else page number ``page``."""
    where = [Order.shop_id == shop_id]
    if form is not None and form.filled() and form.validate():
        where += _conditions(form, shop_id)
        if db.session.get_bind().dialect.name == "postgresql":
            # A search is planned for its own values: the generic plan of a prepared statement
            # (psycopg prepares repeated ones) cannot use the prefix index for a LIKE and takes
            # a range such as 購入金額 for nearly empty, then reads every row of the tab.
            db.session.execute(sql("SET LOCAL plan_cache_mode = force_custom_plan"))
    scope = _Scope(where, TABS[tab][1])
    after_key, before_key = Key.parse(after), Key.parse(before)
    cursor = after_key or before_key
    total, ahead = scope.count(cursor, inclusive=after_key is not None)
    if not total:
        return Listing(rows=[], total=0)
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE

    rows = None
    if after_key is not None:
        rows = scope.rows(after_key.older())
    elif before_key is not None and ahead >= PAGE_SIZE:
        rows = scope.rows(before_key.newer(), backwards=True)
        ahead -= len(rows)
    if not rows:  # no key, or nothing left on its side of it
        page = min(max(1, page), pages) if cursor is None else (
            pages if after_key is not None else 1)
        ahead = (page - 1) * PAGE_SIZE
        if page == 1:
            rows = scope.rows()
        elif page == pages:  # the oldest rows, read from the other end
            rows = scope.rows(backwards=True, limit=total - ahead)
        else:
            key = scope.key_at(ahead, total)
            rows = scope.rows(key.older()) if key else []
    if not rows:  # the list changed between the statements
        return Listing(rows=[], total=total, pages=pages)
    return _listing(scope, rows, total, ahead)


class _Scope:
    """The statements of one tab and search. Rows are read in the list's order one status at
    a time, each an index range of (shop_id, status, created_at), merged: a tab of several
    statuses (受注一覧 is 新規受付 and 決済処理中) would otherwise be read in time order through
    the shop's orders of every status, or sorted whole."""

    def __init__(self, where: list, statuses: tuple[str, ...]):
        self.where, self.statuses = where, statuses

    def ordered(self, columns, *conditions, backwards=False, limit=PAGE_SIZE, offset=0,
                by=("created_at", "id"), join_payment=False):
        """``select(columns)`` of the rows after ``offset`` in the list's order (or the
        reverse), at most ``limit``."""
        def order(source):
            return [getattr(source, name).asc() if backwards else getattr(source, name).desc()
                    for name in by]

        def leg(statuses, leg_limit):
            query = select(*columns)
            if join_payment:
                query = query.outerjoin(Payment, Payment.order_id == Order.id)
            return (query.where(*self.where, Order.status.in_(statuses), *conditions)
                    .order_by(*order(Order)).limit(leg_limit))

        if len(self.statuses) == 1:
            query = leg(self.statuses, limit)
            return query.offset(offset) if offset else query
        legs = [leg((status,), limit + offset).subquery() for status in self.statuses]
        merged = union_all(*(select(one) for one in legs)).subquery()
        query = select(merged).order_by(*order(merged.c)).limit(limit)
        return query.offset(offset) if offset else query

    def count(self, cursor: Key | None, inclusive: bool) -> tuple[int, int]:
        """The number of matching rows, and how many of them come before ``cursor`` (itself
        included if ``inclusive``). One statement; the rows sharing the cursor's time are
        counted by a subquery, so the main count reads only indexed columns."""
        where = [*self.where, Order.status.in_(self.statuses)]
        if cursor is None:
            return db.session.scalar(select(func.count()).select_from(Order).where(*where)), 0
        same_time = (select(func.count()).select_from(Order)
                     .where(*where, Order.created_at == cursor.created_at,
                            Order.id >= cursor.id if inclusive else Order.id > cursor.id)
                     .correlate(None).scalar_subquery())
        total, newer, ties = db.session.execute(
            select(func.count(), func.count().filter(Order.created_at > cursor.created_at),
                   same_time).select_from(Order).where(*where)).one()
        return total, newer + ties

    def rows(self, *conditions, backwards: bool = False, limit: int = PAGE_SIZE) -> list:
        """What the list shows of the next ``limit`` rows, in the list's order."""
        rows = db.session.execute(self.ordered(LIST_COLUMNS, *conditions, backwards=backwards,
                                               limit=limit, join_payment=True)).all()
        return rows[::-1] if backwards else rows

    def neighbours(self, first: Key, behind: int, last: Key, beyond: int):
        """The keys of up to ``behind`` rows before ``first`` and ``beyond`` rows after
        ``last``, nearest first, in one statement; only the keys are read, no row data."""
        legs = []
        if behind:
            legs.append((self.ordered((Order.created_at, Order.id), first.newer(),
                                      backwards=True, limit=behind).subquery(), 0))
        if beyond:
            legs.append((self.ordered((Order.created_at, Order.id), last.older(),
                                      limit=beyond).subquery(), 1))
        if not legs:
            return [], []
        selects = [select(leg, literal(side, Integer).label("side")) for leg, side in legs]
        query = union_all(*selects) if len(selects) > 1 else selects[0]
        back, ahead = [], []
        for row in db.session.execute(query):
            (ahead if row.side else back).append(row)
        # nearest first, whatever order the two ranges arrive in
        back.sort(key=lambda row: (row.created_at, row.id))
        ahead.sort(key=lambda row: (row.created_at, row.id), reverse=True)
        return back, ahead

    def key_at(self, position: int, total: int) -> Key | None:
        """The key of the row at 1-based ``position``, for a page number typed without a key:
        the one place the list counts its way through rows, in the time index only (no row
        data), from whichever end is nearer; then among the rows of that exact time by id."""
        backwards = position > total - position
        query = self.ordered((Order.created_at,), backwards=backwards, limit=1, by=("created_at",),
                             offset=total - position if backwards else position - 1)
        created = db.session.scalar(query)
        if created is None:
            return None
        where = [*self.where, Order.status.in_(self.statuses)]
        newer = (select(func.count()).select_from(Order)
                 .where(*where, Order.created_at > created).correlate(None).scalar_subquery())
        same_time = db.session.execute(
            select(Order.id, newer.label("newer")).where(*where, Order.created_at == created)
            .order_by(Order.id.desc())).all()
        index = position - 1 - (same_time[0].newer if same_time else 0)
        if not 0 <= index < len(same_time):
            return None
        return Key.at(created, same_time[index].id)


def _listing(scope: _Scope, rows: list, total: int, ahead: int) -> Listing:
    """The page of ``rows`` that has ``ahead`` rows before it, with the pager's links: the
    numbered ones open pages of 50 counted from the top of the list as it is now, 「>>」 the
    rows right after these and 「<<」 the rows right before them."""
    first, last = ahead + 1, ahead + len(rows)
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    page = ahead // PAGE_SIZE + 1
    listing = Listing(rows=rows, total=total, first=first, last=last, page=page, pages=pages)
    top, bottom = Key.of(rows[0]), Key.of(rows[-1])
    # page k opens after the row at position (k - 1) * 50, which is behind these rows, among
    # them or beyond them
    positions = {k: (k - 1) * PAGE_SIZE
                 for k in range(max(2, page - NEAR), min(pages, page + NEAR) + 1) if k != page}
    behind = max([first - q for q in positions.values() if q < first], default=0)
    beyond = max([q - last for q in positions.values() if q > last], default=0)
    back, ahead_rows = scope.neighbours(top, behind, bottom, beyond)
    if page > 1:
        listing.links[1] = {}
    for k, q in positions.items():
        if q < first:
            row = back[first - q - 1] if first - q <= len(back) else None
        elif q <= last:
            row = rows[q - first]
        else:
            row = ahead_rows[q - last - 1] if q - last <= len(ahead_rows) else None
        if row is not None:
            listing.links[k] = {"page": k, "after": Key.of(row).token()}
    if ahead:
        listing.previous = ({} if ahead <= PAGE_SIZE else
                            {"page": ahead // PAGE_SIZE, "before": top.token()})
    if last < total:
        listing.next = {"page": last // PAGE_SIZE + 1, "after": bottom.token()}
    return listing


def _conditions(form: OrderSearchForm, shop_id: int) -> list:
    def text(field):
        return (field.data or "").strip()

    where = []
    if text(form.number):
        where.append(Order.number == text(form.number))
    if form.payment_kind.data:
        where.append(Order.payment_kind == form.payment_kind.data)
    # 0001-01-01 and 9999-12-31 limit nothing (and have no day before / after to compute).
    if form.date_from.data and form.date_from.data > date.min:
        where.append(Order.created_at >= _jst_start(form.date_from.data))
    if form.date_to.data and form.date_to.data < date.max:
        where.append(Order.created_at < _jst_start(form.date_to.data + timedelta(days=1)))
    # Names and contacts: prefix match, so the (shop_id, column) indexes serve them.
    if text(form.name):
        where.append(Order.buyer_name.startswith(text(form.name), autoescape=True))
    if text(form.kana):
        where.append(Order.buyer_kana.startswith(text(form.kana), autoescape=True))
    if text(form.email):
        where.append(Order.email == text(form.email).lower())
    if text(form.phone):
        digits = "".join(c for c in text(form.phone) if c.isdigit())
        where.append((Order.tel == digits) | (Order.mobile == digits))
    if form.amount_min.data is not None:
        where.append(Order.total >= form.amount_min.data)
    if form.amount_max.data is not None:
        where.append(Order.total <= form.amount_max.data)
    if form.cart_type.data:
        where.append(Order.cart_type == form.cart_type.data)
    if text(form.trade_id):
        trade = text(form.trade_id)
        matching = select(Payment.order_id).where(
            Payment.shop_id == shop_id,
            # every stored method is one of CODES: the condition lets the (method, reference)
            # key serve the match, so the two branches are two index lookups
            (Payment.paygent_payment_id == trade)
            | (Payment.method.in_(methods.CODES) & (Payment.reference == trade)))
        where.append(Order.id.in_(matching))
    return where


def _jst_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=JST).astimezone(timezone.utc)
