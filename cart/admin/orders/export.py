"""受注一覧's CSVダウンロード: every order of the current tab and 詳細検索 (all pages, not only
the one shown), streamed.

The rows are the list's own (``search.scope_for``: one place for the tab and the search's
rules), read by key in batches of ``BATCH`` (``_Scope.batches``), each in its own short
transaction, and written out as they come: the response body is a generator, so exporting
100,000 orders holds one batch at a time. Lines end in CRLF and are quoted as RFC 4180 says;
amounts are plain integers of yen. Shift_JIS (Windows-31J, cp932, what Excel opens) or UTF-8
with a BOM; in Shift_JIS a character cp932 cannot hold becomes ``?`` (after an em dash is
written as ―, ``SJIS_LOOKALIKES``). A text cell that begins with ``= + - @``, a tab
or a carriage return gets a leading apostrophe, so a spreadsheet never reads it as a formula.
"""
import csv
import io
import unicodedata
from datetime import datetime, timezone
from types import SimpleNamespace
from urllib.parse import quote

from flask import Response, flash, redirect, request, stream_with_context, url_for
from flask_login import current_user

from cart import operations
from cart.admin.orders import bp
from cart.admin.orders.search import TABS, OrderSearchForm, scope_for
from cart.models import Order, Payment
from cart.models.base import JST, aware
from cart.models.order import STATUSES
from payments import methods

BATCH = 1000  # rows read (and written out) at a time
ENCODINGS = {"sjis": ("Shift_JIS（Excel向け）", "cp932", "Shift_JIS"),
             "utf8": ("UTF-8（BOM付き）", "utf-8", "UTF-8")}
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Python's cp932 already writes 〜 (U+301C), − (U+2212), ‖, ¢, £ and ¬ as their Shift_JIS
# look-alikes; an em dash it lacks is written as the horizontal bar Shift_JIS has, not as "?".
SJIS_LOOKALIKES = str.maketrans({"\u2014": "\u2015"})  # — → ―

# What a row of the CSV reads: the order's columns and its payment's, one outer join.
COLUMNS = (Order.id, Order.created_at, Order.number, Order.status, Order.buyer_name,
           Order.buyer_kana, Order.email, Order.tel, Order.mobile, Order.zip_code,
           Order.prefecture, Order.city, Order.street, Order.building, Order.payment_kind,
           Order.payment_name, Order.items_total, Order.shipping_fee, Order.adjust10,
           Order.adjust8, Order.target10, Order.tax10, Order.target8, Order.tax8, Order.total,
           Order.delivery_name, Order.cart_type,
           Payment.method, Payment.paygent_payment_id, Payment.reference,
           Payment.status.label("payment_status"), Payment.variant,
           Payment.amount.label("payment_amount"), Payment.authorized_at, Payment.captured_at,
           Payment.refunded, Payment.in_flight_attempt_id)
HEADER = ("注文番号", "受注日時", "対応状況", "お名前", "フリガナ", "メールアドレス", "電話番号",
          "携帯電話番号", "郵便番号", "住所", "支払方法", "決済状況", "取引ID", "外部決済注文番号",
          "商品合計", "送料", "金額調整", "10%対象額", "消費税(10%)", "8%対象額", "消費税(8%)",
          "合計金額", "決済金額", "配送方法", "購入経路")
CART_TYPES = {"zero": "ゼロステップカート", "three": "3ステップカート"}


@bp.context_processor
def _encodings() -> dict:
    """The encodings the list's CSVダウンロード offers."""
    return {"csv_encodings": ENCODINGS}


@bp.get("/export.csv")
def export():
    """CSVダウンロード of the tab and search the list was showing (``tab`` and the 詳細検索
    fields, as the list's own query), in the chosen ``encoding``."""
    tab = request.args.get("tab", "active")
    if tab not in TABS:
        tab = "active"
    encoding = request.args.get("encoding", "sjis")
    if encoding not in ENCODINGS:
        encoding = "sjis"
    form = OrderSearchForm(request.args)
    if form.filled() and not form.validate():
        flash("検索条件に誤りがあるため、CSVをダウンロードできません。条件を確かめてください。",
              "error")
        args = {k: v for k, v in request.args.items()
                if k not in ("encoding", "page", "after", "before", "skip")}
        return redirect(url_for("orders.index", **args))
    scope = scope_for(current_user.shop_id, tab, form)
    stamp = datetime.now(timezone.utc).astimezone(JST).strftime("%Y%m%d_%H%M%S")
    filename = f"orders_{stamp}.csv"
    _, codec, charset = ENCODINGS[encoding]
    response = Response(stream_with_context(lines(scope, codec)),
                        content_type=f"text/csv; charset={charset}")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}")
    return response


def lines(scope, codec: str, size: int | None = None):
    """The CSV's bytes: the header line, then one chunk per batch of rows."""
    yield encode(BOM * (codec == "utf-8") + _csv([HEADER]), codec)
    if scope is None:  # the search can match nothing
        return
    now = operations.now()
    for batch in scope.batches("export", COLUMNS, size or BATCH):
        yield encode(_csv(row_cells(row, now) for row in batch), codec)


def row_cells(row, now) -> list:
    """One order's cells, as the list and the order page name things."""
    paid_with = methods.find(row.payment_kind)
    payment_name = row.payment_name
    payment_status = ""
    if row.method is not None:  # the order has a payment
        lib = methods.find(row.method) or paid_with
        if lib is not None and row.variant:
            payment_name += f"（{lib.variant_name(row.variant)}）"
        if lib is not None:
            payment_status = lib.display_status(operations.state_of(SimpleNamespace(
                status=row.payment_status, amount=row.payment_amount,
                authorized_at=row.authorized_at, captured_at=row.captured_at,
                in_flight_attempt_id=row.in_flight_attempt_id, refunded=row.refunded,
                variant=row.variant)), now)
    address = f"{row.prefecture}{row.city}{row.street}" + (
        f" {row.building}" if row.building else "")
    return [row.number, _jst(row.created_at), STATUSES.get(row.status, row.status),
            row.buyer_name, row.buyer_kana, row.email, row.tel, row.mobile, row.zip_code, address,
            payment_name, payment_status, row.paygent_payment_id or "", row.reference or "",
            row.items_total, row.shipping_fee, row.adjust10 + row.adjust8, row.target10,
            row.tax10, row.target8, row.tax8, row.total,
            row.payment_amount if row.payment_amount is not None else "",
            row.delivery_name, CART_TYPES.get(row.cart_type, row.cart_type)]


def guard(cell):
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe; numbers
    (ints of yen) are written as they are."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def encode(text: str, codec: str) -> bytes:
    """The text in the chosen encoding; for cp932, composed (NFC, so a decomposed が stays
    が), look-alikes mapped, anything else cp932 cannot hold written as ``?``."""
    if codec == "cp932":
        text = unicodedata.normalize("NFC", text).translate(SJIS_LOOKALIKES)
        return text.encode("cp932", errors="replace")  # "?" for what cp932 lacks
    return text.encode(codec)


def _csv(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for row in rows:
        writer.writerow([guard(cell) for cell in row])
    return out.getvalue()


def _jst(value) -> str:
    return "" if value is None else aware(value).astimezone(JST).strftime("%Y-%m-%d %H:%M:%S")
