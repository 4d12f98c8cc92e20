"""受注一覧 (O1): tabs, 詳細検索フォーム and paging, each condition on an indexed column.

The list is in (created_at, id) order, newest first, and is paged by that key (keyset paging):
a page is "the 50 rows after this row", found by an index range however deep it is, never by
OFFSET. The pager still shows numbered pages: 「>>」 carries the last row's key (``after=``),
「<<」 the first row's (``before=``), and a numbered link a key of the current page and how many
rows on its page lies (``skip=``, a few pages at most), stepped over in the index when it is
opened. The position of a page (its 「N-M番目表示」 and page number) is counted at each request,
so rows inserted or moved away between two page loads never make the next page skip or repeat a
row and the numbers stay true. Only a page number typed without a key (``?page=N``) is looked up
by counting rows in the time index (keys only), as a fallback.
"""
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Integer, and_, bindparam, func, or_, select, union, union_all
from sqlalchemy import text as sql
from wtforms import DateField, SelectField, StringField
from wtforms.validators import AnyOf, Length, NumberRange, Optional

from cart.extensions import db
from cart.fields import JapaneseForm, WholeNumberField
from cart.models import Order, Payment, PaymentAttempt
from cart.models.order import OPEN, STATUSES
from payments import methods

PAGE_SIZE = 50
NEAR = 4  # numbered links either side of the current page
MAX_SKIP = (NEAR + 1) * 50  # how far a numbered link may lie from the key it carries
MAX_PAGE = 100_000  # a typed page number beyond any real list
JST = timezone(timedelta(hours=9))
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
TOKEN = re.compile(r"(-?[0-9]{1,18})_([0-9]{1,10})")
TABS = {"active": ("受注一覧", OPEN),
        "completed": ("受注完了一覧", ("completed",)),
        "cancelled": ("キャンセル一覧", ("cancelled", "payment_failed"))}  # 決済失敗 too

# What a row of the list shows, and nothing else: no ORM objects, no line items, one join for
# the payment's 取引ID and state (an order has at most one payment).
LIST_COLUMNS = (Order.id, Order.created_at, Order.number, Order.buyer_name, Order.total,
                Order.payment_name, Order.status, Order.needs_review,
                Payment.paygent_payment_id, Payment.status.label("payment_status"),
                Payment.in_flight_attempt_id,
                # the payment's deadlines (cart.deadlines.notes_for): its method and times
                Payment.method.label("payment_method"), Payment.amount.label("payment_amount"),
                Payment.authorized_at, Payment.captured_at,
                Payment.variant.label("payment_variant"),
                Payment.refunded.label("payment_refunded"))
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
    status = SelectField("対応状況", choices=[("", "全て")] + [(s, STATUSES[s]) for s in OPEN],
                         validate_choice=False, validators=[
                             Optional(), AnyOf(list(STATUSES), "対応状況は一覧から選択してください。")])
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
           after: str | None = None, before: str | None = None, skip: int = 0) -> Listing:
    """Orders of one tab matching the form, newest first: the page after the row ``after``
    names (``skip`` rows further on), the page before ``before`` (ending ``skip`` rows further
    back), or else page number ``page``."""
    scope = scope_for(shop_id, tab, form)
    if scope is None:
        return Listing(rows=[], total=0)
    scope.plan()
    after_key, before_key = Key.parse(after), Key.parse(before)
    cursor = after_key or before_key
    skip = skip if cursor is not None and 0 <= skip <= MAX_SKIP else 0
    total, ahead = scope.count(cursor, inclusive=after_key is not None)
    if not total:
        return Listing(rows=[], total=0)
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE

    rows = None
    if after_key is not None:
        anchor = scope.step(after_key, "older", skip)
        if anchor is not None:
            rows = scope.rows(anchor, "older")
            ahead += skip
    elif before_key is not None and ahead - skip >= PAGE_SIZE:
        anchor = scope.step(before_key, "newer", skip)
        if anchor is not None:
            rows = scope.rows(anchor, "newer", backwards=True)
            ahead -= skip + len(rows)
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
            rows = scope.rows(key, "older") if key else []
    if not rows:  # the list changed between the statements
        return Listing(rows=[], total=total, pages=pages)
    return _listing(rows, total, ahead)


def scope_for(shop_id: int, tab: str, form: OrderSearchForm | None) -> "_Scope | None":
    """The rows of one tab that the form's search selects (every row of the tab when the form
    is empty or does not validate), as the list and its CSV export read them; None when the
    search can match nothing (a 対応状況 outside the tab)."""
    fields, values = (), {}
    statuses = TABS[tab][1]
    if form is not None and form.filled() and form.validate():
        fields, values = _search_values(form)
        if form.status.data:  # 入金待ち, 入金済み …: one of the tab's statuses
            statuses = tuple(s for s in statuses if s == form.status.data)
            if not statuses:
                return None
    return _Scope(statuses, fields, {"shop_id": shop_id, **values})


# -- the statements ---------------------------------------------------------------------------
# Each statement is built once for its shape (tab, which search fields, which kind of seek) and
# run with its values bound: building a statement of several subqueries costs more than the
# database takes to run it.
_STATEMENTS: dict[tuple, object] = {}


def _statement(shape: tuple, build):
    found = _STATEMENTS.get(shape)
    if found is None:
        found = build()
        if len(_STATEMENTS) < 2000:  # shapes are few; a bound all the same
            _STATEMENTS[shape] = found
    return found


def _after(prefix: str):
    """Rows after the key bound as ``{prefix}_at`` / ``{prefix}_id`` (older, or as old with a
    lower id)."""
    at, ident = bindparam(f"{prefix}_at", type_=Order.created_at.type), bindparam(f"{prefix}_id")
    return and_(Order.created_at <= at, or_(Order.created_at < at, Order.id < ident))


def _before(prefix: str):
    """Rows before the key bound as ``{prefix}_at`` / ``{prefix}_id``."""
    at, ident = bindparam(f"{prefix}_at", type_=Order.created_at.type), bindparam(f"{prefix}_id")
    return and_(Order.created_at >= at, or_(Order.created_at > at, Order.id > ident))


def _bound(prefix: str, key: Key) -> dict:
    return {f"{prefix}_at": key.created_at, f"{prefix}_id": key.id}


class _Scope:
    """The statements of one tab and search. Rows are read in the list's order one status at
    a time, each an index range of (shop_id, status, created_at), merged: a tab of several
    statuses (受注一覧 is 新規受付 and 決済処理中) would otherwise be read in time order through
    the shop's orders of every status, or sorted whole."""

    def __init__(self, statuses: tuple[str, ...], fields: tuple[str, ...], values: dict):
        self.statuses, self.fields, self.values = statuses, fields, values

    def plan(self) -> None:
        """Have this transaction's statements planned for their own values. On PostgreSQL the
        generic plan of a prepared statement (psycopg prepares repeated ones) cannot use the
        prefix index for a LIKE and takes a range such as 購入金額 for nearly empty, then reads
        every row of the tab; a search is therefore planned for its values."""
        if self.fields and db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(sql("SET LOCAL plan_cache_mode = force_custom_plan"))

    def where(self, *statuses: str) -> list:
        """The tab's (or one status's) rows that match the search."""
        return [Order.shop_id == bindparam("shop_id"),
                Order.status.in_(statuses or self.statuses),
                *(SEARCH_CONDITIONS[name]() for name in self.fields)]

    def run(self, shape: tuple, build, **values):
        statement = _statement((self.statuses, self.fields) + shape, build)
        return db.session.execute(statement, {**self.values, **values})

    def ordered(self, columns, *conditions, backwards=False, limit="limit", offset=False,
                by=("created_at", "id"), join_payment=False):
        """``select(columns)`` of the rows in the list's order (or the reverse), at most as
        many as the parameter named ``limit`` says (after ``:offset`` rows if ``offset``)."""
        def order(source):
            return [getattr(source, name).asc() if backwards else getattr(source, name).desc()
                    for name in by]

        def leg(statuses, limit):
            query = select(*columns)
            if join_payment:
                query = query.outerjoin(Payment, Payment.order_id == Order.id)
            return (query.where(*self.where(*statuses), *conditions)
                    .order_by(*order(Order)).limit(limit))

        limit = bindparam(limit, type_=Integer)
        if len(self.statuses) == 1:
            query = leg(self.statuses, limit)
        else:
            leg_limit = limit + bindparam("offset", type_=Integer) if offset else limit
            legs = [leg((status,), leg_limit).subquery() for status in self.statuses]
            merged = union_all(*(select(one) for one in legs)).subquery()
            query = select(merged).order_by(*order(merged.c)).limit(limit)
        return query.offset(bindparam("offset", type_=Integer)) if offset else query

    def count(self, cursor: Key | None, inclusive: bool) -> tuple[int, int]:
        """The number of matching rows, and how many of them come before ``cursor`` (itself
        included if ``inclusive``). One statement, counting each status's index range (read
        from the index alone when the search allows); the rows sharing the cursor's time are
        counted by a subquery, so the main count reads only indexed columns."""
        at = bindparam("c_at", type_=Order.created_at.type)

        def counts(statuses):
            columns = [func.count().label("total")]
            if cursor is not None:
                columns.append(func.count().filter(Order.created_at > at).label("newer"))
            return select(*columns).select_from(Order).where(*self.where(*statuses))

        def build():
            if len(self.statuses) == 1:
                query = counts(self.statuses)
            else:
                legs = union_all(*(counts((status,)) for status in self.statuses)).subquery()
                query = select(*(func.sum(column) for column in legs.c))
            if cursor is None:
                return query
            ident = bindparam("c_id")
            same_time = (select(func.count()).select_from(Order)
                         .where(*self.where(), Order.created_at == at,
                                Order.id >= ident if inclusive else Order.id > ident)
                         .correlate(None).scalar_subquery())
            return query.add_columns(same_time)

        shape = ("count", cursor is not None, inclusive)
        found = self.run(shape, build, **(_bound("c", cursor) if cursor else {})).one()
        found = [int(value or 0) for value in found]  # a sum comes back as a decimal
        return (found[0], 0) if cursor is None else (found[0], found[1] + found[2])

    def rows(self, key: Key | None = None, side: str | None = None, *,
             backwards: bool = False, limit: int = PAGE_SIZE) -> list:
        """What the list shows of the ``limit`` rows after (or before) ``key``, in the list's
        order."""
        conditions = {"older": lambda: [_after("k")], "newer": lambda: [_before("k")],
                      None: lambda: []}[side]
        found = self.run(("rows", side, backwards), lambda: self.ordered(
            LIST_COLUMNS, *conditions(), backwards=backwards, join_payment=True),
            limit=limit, **(_bound("k", key) if key else {})).all()
        return found[::-1] if backwards else found

    def batches(self, name: str, columns, size: int):
        """Every matching row, ``columns`` of it (created_at and id among them), in the list's
        order, ``size`` rows at a time: each batch is read by key as the rows after the last
        one's key (never OFFSET), in its own short transaction, so however many rows match
        only one batch is held and no connection is kept while the caller works on it. ``name``
        names the column set (statements are kept per shape)."""
        key = None
        while True:
            self.plan()
            seek = [_after("k")] if key is not None else []
            found = self.run(("batch", name, key is not None), lambda: self.ordered(
                columns, *seek, join_payment=True),
                limit=size, **(_bound("k", key) if key is not None else {})).all()
            db.session.rollback()  # reads only: end the transaction, give the connection back
            if found:
                yield found
            if len(found) < size:
                return
            key = Key.of(found[-1])

    def step(self, key: Key, side: str, count: int) -> Key | None:
        """The key ``count`` rows after (side "older") or before ("newer") ``key``: ``key``
        itself for 0, None if the list ends sooner. Only the keys are read, no row data."""
        if not count:
            return key
        condition = _after if side == "older" else _before
        found = self.run(("step", side), lambda: self.ordered(
            (Order.created_at, Order.id), condition("k"), backwards=side == "newer"),
            limit=count, **_bound("k", key)).all()
        return Key.of(found[-1]) if len(found) == count else None

    def key_at(self, position: int, total: int) -> Key | None:
        """The key of the row at 1-based ``position``, for a page number typed without a key:
        the one place the list counts its way through rows, in the time index only (no row
        data), from whichever end is nearer; then among the rows of that exact time by id."""
        backwards = position > total - position
        created = self.run(("time at", backwards), lambda: self.ordered(
            (Order.created_at,), backwards=backwards, offset=True, by=("created_at",)),
            limit=1, offset=total - position if backwards else position - 1).scalar()
        if created is None:
            return None

        def build():
            at = bindparam("t_at", type_=Order.created_at.type)
            newer = (select(func.count()).select_from(Order)
                     .where(*self.where(), Order.created_at > at)
                     .correlate(None).scalar_subquery())
            return (select(Order.id, newer.label("newer"))
                    .where(*self.where(), Order.created_at == at).order_by(Order.id.desc()))
        same_time = self.run(("ids at",), build, t_at=created).all()
        index = position - 1 - (same_time[0].newer if same_time else 0)
        if not 0 <= index < len(same_time):
            return None
        return Key.at(created, same_time[index].id)


def _listing(rows: list, total: int, ahead: int) -> Listing:
    """The page of ``rows`` that has ``ahead`` rows before it, with the pager's links: 「>>」
    opens the rows right after these, 「<<」 the rows right before them, and each numbered link
    page k of 50 counted from the top of the list as it is now (rows (k-1)×50+1 to k×50),
    named by the key of a row of this page and how many rows on from it the page lies."""
    first, last = ahead + 1, ahead + len(rows)
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    page = ahead // PAGE_SIZE + 1
    listing = Listing(rows=rows, total=total, first=first, last=last, page=page, pages=pages)
    top, bottom = Key.of(rows[0]), Key.of(rows[-1])
    if page > 1:
        listing.links[1] = {}
    for k in range(max(2, page - NEAR), min(pages, page + NEAR) + 1):
        starts_after = (k - 1) * PAGE_SIZE  # the position of the row before page k
        if k < page:  # ends (first - 1) - k×50 rows before this page's first row
            listing.links[k] = _link(k, before=top, skip=first - 1 - k * PAGE_SIZE)
        elif k > page and starts_after <= last:  # the row before it is on this page
            listing.links[k] = _link(k, after=Key.of(rows[starts_after - first]))
        elif k > page:
            listing.links[k] = _link(k, after=bottom, skip=starts_after - last)
    if ahead:
        listing.previous = ({} if ahead <= PAGE_SIZE else _link(ahead // PAGE_SIZE, before=top))
    if last < total:
        listing.next = _link(last // PAGE_SIZE + 1, after=bottom)
    return listing


def _link(page: int, *, after: Key | None = None, before: Key | None = None, skip: int = 0):
    args = {"page": page}
    if after is not None:
        args["after"] = after.token()
    if before is not None:
        args["before"] = before.token()
    if skip:
        args["skip"] = skip
    return args


# -- the search form's conditions ---------------------------------------------------------------
def _like_prefix(column, name: str):
    return column.like(bindparam(name, type_=column.type), escape="/")


def _trade():
    # Three index lookups, one per way a payment is known by the typed ID, as a UNION (an OR
    # of them made PostgreSQL read every payment of the shop: 53 ms at p95 inside 1M orders):
    # its 取引ID; its method's own id (every stored method is one of CODES, so the
    # (method, reference) key serves it); a 取引ID it had before (a partial refund or 金額変更
    # moved it to a new one), the one its attempt was sent with, on (shop_id,
    # paygent_payment_id) of payment_attempts.
    trade = bindparam("trade_id", type_=Payment.reference.type)
    shop = bindparam("shop_id")
    return Order.id.in_(union(
        select(Payment.order_id).where(Payment.shop_id == shop,
                                       Payment.paygent_payment_id == trade),
        select(Payment.order_id).where(Payment.shop_id == shop,
                                       Payment.method.in_(methods.CODES),
                                       Payment.reference == trade),
        select(Payment.order_id).join(PaymentAttempt, PaymentAttempt.payment_id == Payment.id)
        .where(PaymentAttempt.shop_id == shop, PaymentAttempt.paygent_payment_id == trade,
               Payment.shop_id == shop)))


# Every condition uses an index beginning with shop_id (names match by prefix for that reason).
SEARCH_CONDITIONS = {
    "number": lambda: Order.number == bindparam("number"),
    "payment_kind": lambda: Order.payment_kind == bindparam("payment_kind"),
    "date_from": lambda: Order.created_at >= bindparam("date_from", type_=Order.created_at.type),
    "date_to": lambda: Order.created_at < bindparam("date_to", type_=Order.created_at.type),
    "name": lambda: _like_prefix(Order.buyer_name, "name"),
    "kana": lambda: _like_prefix(Order.buyer_kana, "kana"),
    "email": lambda: Order.email == bindparam("email"),
    "phone": lambda: (Order.tel == bindparam("phone")) | (Order.mobile == bindparam("phone")),
    "amount_min": lambda: Order.total >= bindparam("amount_min", type_=Integer),
    "amount_max": lambda: Order.total <= bindparam("amount_max", type_=Integer),
    "cart_type": lambda: Order.cart_type == bindparam("cart_type"),
    "trade_id": _trade,
}


def _search_values(form: OrderSearchForm) -> tuple[tuple[str, ...], dict]:
    """Which conditions the form sets, and their values."""
    def text(field):
        return (field.data or "").strip()

    def typed(field):
        """An id, number or address as typed, full-width or not: ｏｒｄｅｒ０００１２ and
        ３０００００７７７ are order00012 and 300000777 (NFKC). Names are matched as typed."""
        return unicodedata.normalize("NFKC", field.data or "").strip()

    def prefix(value: str) -> str:  # LIKE 'value%' with value's own % and _ taken literally
        return value.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"

    values = {}
    if typed(form.number):
        values["number"] = typed(form.number)
    if form.payment_kind.data:
        values["payment_kind"] = form.payment_kind.data
    # 0001-01-01 and 9999-12-31 limit nothing (and have no day before / after to compute).
    if form.date_from.data and form.date_from.data > date.min:
        values["date_from"] = _jst_start(form.date_from.data)
    if form.date_to.data and form.date_to.data < date.max:
        values["date_to"] = _jst_start(form.date_to.data + timedelta(days=1))
    if text(form.name):
        values["name"] = prefix(text(form.name))
    if text(form.kana):
        values["kana"] = prefix(text(form.kana))
    if typed(form.email):
        values["email"] = typed(form.email).lower()
    if typed(form.phone):
        values["phone"] = "".join(c for c in typed(form.phone) if "0" <= c <= "9")
    if form.amount_min.data is not None:
        values["amount_min"] = form.amount_min.data
    if form.amount_max.data is not None:
        values["amount_max"] = form.amount_max.data
    if form.cart_type.data:
        values["cart_type"] = form.cart_type.data
    if typed(form.trade_id):
        values["trade_id"] = typed(form.trade_id)
    return tuple(values), values


def _jst_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=JST).astimezone(timezone.utc)
