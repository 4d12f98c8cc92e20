"""受注一覧's CSVダウンロード: the bytes of a known set of orders in Shift_JIS and in UTF-8 with
a BOM, the search honoured over every page, another shop's orders never, and a streamed body
read by key in batches."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, insert

from cart.admin.orders import export
from cart.extensions import db
from cart.models import Order, Payment

from .checkout_helpers import setup_shops, shop

HEADER = ("注文番号,受注日時,対応状況,お名前,フリガナ,メールアドレス,電話番号,携帯電話番号,郵便番号,"
          "住所,支払方法,決済状況,取引ID,外部決済注文番号,商品合計,送料,金額調整,10%対象額,"
          "消費税(10%),8%対象額,消費税(8%),合計金額,決済金額,配送方法,購入経路\r\n")
PAIDY_ROW = ("order10001,2026-11-20 10:00:00,新規受付,山田 太郎,ヤマダ タロウ,taro@example.com,"
             "0312345678,,150-0001,東京都渋谷区神宮前1-2-3 サンプルビル101,あと払い(ペイディ),消込済,"
             "200000001,pay_abc,2440,800,0,800,72,2440,180,3240,3240,宅配便,ゼロステップカート\r\n")
# formula guard on a name, a kana and a phone; a comma, quotes and a line break in the address;
# a negative 金額調整 stays a number
TRICKY_ROW = ("order10002,2026-11-19 18:30:00,新規受付,'=SUM(A1),'-ハナコ,hanako@example.com,"
              "'+81312345678,,105-0011,\"東京都港区芝公園1-2, \"\"南\"\"棟 2F\n奥\",銀行振込,,,,"
              "1000,0,-100,900,81,0,0,900,,メール便,3ステップカート\r\n")
CARD_ROW_UTF8 = ("order10003,2026-11-18 09:05:00,新規受付,𠮷田 髙子,ヨシダ タカコ,yoshida@example.com,"
                 "0611112222,09011112222,530-0001,大阪府大阪市北区梅田1-1 A〜B棟,クレジットカード決済,"
                 "オーソリOK,300000003,,5000,500,0,5500,500,0,0,5500,5500,宅配便,ゼロステップカート\r\n")
# 𠮷 is not in cp932: "?"; 髙 is (an IBM extension); 〜 becomes cp932's ～
CARD_ROW_SJIS = CARD_ROW_UTF8.replace("𠮷", "?").replace("〜", "～")


def order(shop_id, number, created, **values) -> Order:
    data = dict(shop_id=shop_id, number=number, status="new", cart_type="zero",
                buyer_name="山田 太郎", buyer_kana="ヤマダ タロウ", zip_code="150-0001",
                prefecture="東京都", city="渋谷区神宮前", street="1-2-3", building="サンプルビル101",
                tel="0312345678", email="taro@example.com", delivery_name="宅配便",
                payment_kind="paidy", payment_name="あと払い(ペイディ)", items_total=1000,
                total=1000, created_at=created)
    data.update(values)
    row = Order(**data)
    db.session.add(row)
    db.session.flush()
    return row


def at(day, hour, minute=0):
    """A JST time, stored as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone(timedelta(hours=9))
                    ).astimezone(timezone.utc)


@pytest.fixture
def known(app, sandbox, client, login_as):
    """Three orders of the demo shop (Paidy captured, bank transfer with awkward text, card
    authorised), one completed, one cancelled, and one of the other shop."""
    setup_shops(app, sandbox)
    demo = shop().id
    now = datetime.now(timezone.utc)
    paidy = order(demo, "order10001", at(20, 10), items_total=2440, shipping_fee=800,
                  target10=800, tax10=72, target8=2440, tax8=180, total=3240)
    db.session.add(Payment(shop_id=demo, order_id=paidy.id, method="paidy", reference="pay_abc",
                           paygent_payment_id="200000001", status="40", amount=3240,
                           authorized_at=now - timedelta(days=2),
                           captured_at=now - timedelta(days=1)))
    order(demo, "order10002", at(19, 18, 30), buyer_name="=SUM(A1)", buyer_kana="-ハナコ",
          email="hanako@example.com", tel="+81312345678", zip_code="105-0011",
          city="港区芝公園", street='1-2, "南"棟', building="2F\n奥", payment_kind="bank_transfer",
          payment_name="銀行振込", items_total=1000, adjust10=-100, target10=900, tax10=81,
          total=900, delivery_name="メール便", cart_type="three")
    card = order(demo, "order10003", at(18, 9, 5), buyer_name="𠮷田 髙子",
                 buyer_kana="ヨシダ タカコ", email="yoshida@example.com", tel="0611112222",
                 mobile="09011112222", zip_code="530-0001", prefecture="大阪府", city="大阪市北区",
                 street="梅田1-1", building="A〜B棟", payment_kind="card",
                 payment_name="クレジットカード決済", items_total=5000, shipping_fee=500,
                 target10=5500, tax10=500, total=5500)
    db.session.add(Payment(shop_id=demo, order_id=card.id, method="card",
                           paygent_payment_id="300000003", status="20", amount=5500,
                           authorized_at=now - timedelta(days=1)))
    order(demo, "order10004", at(17, 12), status="completed", buyer_name="完了 太郎")
    order(demo, "order10005", at(16, 12), status="cancelled", buyer_name="取消 太郎")
    order(shop("demo3").id, "order10001", at(21, 12), buyer_name="他店 太郎")
    db.session.commit()
    login_as("staff@example.com", "demo1234")


def download(client, **args):
    response = client.get("/admin/orders/export.csv", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def test_shift_jis_bytes_exactly(client, known):
    response = download(client, encoding="sjis")
    assert response.content_type == "text/csv; charset=Shift_JIS"
    expected = (HEADER + PAIDY_ROW + TRICKY_ROW + CARD_ROW_SJIS).encode("cp932")
    assert response.data == expected
    assert "他店".encode("cp932") not in response.data


def test_utf8_with_bom_bytes_exactly(client, known):
    response = download(client, encoding="utf8")
    assert response.content_type == "text/csv; charset=UTF-8"
    assert response.data == ("\ufeff" + HEADER + PAIDY_ROW + TRICKY_ROW + CARD_ROW_UTF8
                             ).encode("utf-8")
    assert response.data.startswith(b"\xef\xbb\xbf")


def test_shift_jis_by_default_and_a_stamped_filename_given_both_ways(client, known):
    assert download(client).data == download(client, encoding="latin-9").data
    assert download(client).data.startswith(HEADER.encode("cp932"))
    disposition = download(client).headers["Content-Disposition"]
    match = re.fullmatch(r'attachment; filename="(orders_\d{8}_\d{6}\.csv)"; '
                         r"filename\*=UTF-8''(orders_\d{8}_\d{6}\.csv)", disposition)
    assert match and match.group(1) == match.group(2)


def test_every_line_ends_in_crlf_and_quoted_breaks_stay_inside_their_cell(client, known):
    body = download(client, encoding="utf8").data.decode("utf-8-sig")
    assert body.count("\r\n") == 4 and body.endswith("\r\n")
    import csv
    import io
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert [len(r) for r in rows] == [25] * 4
    assert rows[2][9] == '東京都港区芝公園1-2, "南"棟 2F\n奥'


def test_formula_guard(client, known):
    """Text starting with = + - @ gets an apostrophe; numbers (a negative 金額調整) do not."""
    assert export.guard("=SUM(A1)") == "'=SUM(A1)"
    assert [export.guard(v) for v in ("+1", "-1", "@x", "\tx", "ok", "a=b")] == [
        "'+1", "'-1", "'@x", "'\tx", "ok", "a=b"]
    assert export.guard(-100) == -100
    body = download(client, encoding="utf8").data.decode("utf-8-sig")
    assert ",'=SUM(A1),'-ハナコ," in body and ",'+81312345678," in body and ",-100," in body


def test_what_cp932_cannot_hold_is_replaced_not_a_500(client, known):
    assert export.encode("🍵—𠮷が", "cp932") == "?―?が".encode("cp932")
    assert export.encode("か\u3099", "cp932") == "が".encode("cp932")  # composed first
    body = download(client).data.decode("cp932")
    assert "?田 髙子" in body and "A～B棟" in body


SEARCHES = [
    ({"name": "山田"}, ["order10001"]),
    ({"payment_kind": "card"}, ["order10003"]),
    ({"trade_id": "pay_abc"}, ["order10001"]),
    ({"amount_min": "900", "amount_max": "3240"}, ["order10001", "order10002"]),
    ({"date_from": "2026-11-19", "date_to": "2026-11-19"}, ["order10002"]),
    ({"cart_type": "three"}, ["order10002"]),
    ({"status": "paid"}, []),
    ({"tab": "completed"}, ["order10004"]),
    ({"tab": "cancelled"}, ["order10005"]),
    ({"tab": "cancelled", "name": "山田"}, []),
]


def test_the_search_is_honoured(client, known):
    for args, numbers in SEARCHES:
        body = download(client, encoding="utf8", **args).data.decode("utf-8-sig")
        assert body.startswith("\ufeff" + HEADER) or body.startswith(HEADER)
        assert re.findall(r"^(order\d+),", body, re.M) == numbers, args


def test_a_bad_search_is_explained_and_exports_nothing(client, known):
    response = client.get("/admin/orders/export.csv",
                          query_string={"amount_min": "abc", "name": "山田", "encoding": "utf8"})
    assert response.status_code == 302
    assert "encoding" not in response.location and "amount_min=abc" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert "検索条件に誤りがあるため、CSVをダウンロードできません。" in page
    assert 'value="abc"' in page  # what was typed is kept


def test_another_shops_orders_never_appear(app, client, known):
    """Each shop's staff get their own shop's orders only, whatever the search names."""
    from tests.conftest import csrf_token
    other = app.test_client()
    page = other.get("/admin/login").get_data(as_text=True)
    other.post("/admin/login", data={"email": "staff3@example.com", "password": "demo1234",
                                     "csrf_token": csrf_token(page)})
    for who, args, numbers in ((other, {}, ["order10001"]),
                               (other, {"number": "order10001"}, ["order10001"]),
                               (other, {"tab": "completed"}, []),
                               (client, {"number": "order10001"}, ["order10001"])):
        body = download(who, encoding="utf8", **args).data.decode("utf-8-sig")
        assert re.findall(r"^(order\d+),", body, re.M) == numbers
        assert ("他店 太郎" in body) == (who is other and bool(numbers))
        assert ("山田 太郎" in body) == (who is client)


def test_the_list_offers_the_download_with_its_search(client, known):
    page = client.get("/admin/orders/", query_string={
        "tab": "active", "name": "山田", "page": "1", "after": "1_1"}).get_data(as_text=True)
    form = page[page.index('id="export-form"'):]
    form = form[:form.index("</form>")]
    assert 'action="/admin/orders/export.csv"' in page
    assert '<input type="hidden" name="name" value="山田">' in form
    assert '<input type="hidden" name="tab" value="active">' in form
    assert 'name="after"' not in form and 'name="page"' not in form
    assert "CSVダウンロード" in form and "Shift_JIS" in form and "UTF-8（BOM付き）" in form
    page = client.get("/admin/orders/", query_string={"name": '"><b>x'}).get_data(as_text=True)
    assert '<input type="hidden" name="name" value="&#34;&gt;&lt;b&gt;x">' in page


# -- streamed, by key, in batches ---------------------------------------------------------------
@pytest.fixture
def many(app, sandbox, client, login_as):
    setup_shops(app, sandbox)
    demo = shop().id
    start = datetime(2026, 10, 1, tzinfo=timezone.utc)
    base = dict(shop_id=demo, status="new", cart_type="zero", buyer_name="大量 太郎",
                buyer_kana="タイリョウ タロウ", zip_code="150-0001", prefecture="東京都",
                city="渋谷区", street="1-2-3", building="", tel="0312345678", mobile="",
                email="bulk@example.com", delivery_name="宅配便", payment_kind="paidy",
                payment_name="あと払い(ペイディ)", items_total=1000, shipping_fee=0, target10=0,
                target8=1000, tax10=0, tax8=74, total=1000)
    # 250 orders, some sharing a time (the key's id breaks the tie)
    db.session.execute(insert(Order), [
        {**base, "number": f"bulk{n:05d}", "created_at": start + timedelta(minutes=n // 3)}
        for n in range(250)])
    db.session.commit()
    login_as("staff@example.com", "demo1234")


def test_the_body_is_a_generator_reading_by_key_in_batches(client, many, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 100)
    selects = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "orders.cart_type" in statement:
            values = parameters.values() if isinstance(parameters, dict) else parameters
            selects.append((statement, list(values)))
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/admin/orders/export.csv", query_string={"encoding": "utf8"},
                              buffered=False)
        assert response.is_streamed
        chunks = iter(response.response)
        assert next(chunks) == ("\ufeff" + HEADER).encode("utf-8")
        assert selects == []  # nothing read before the body is asked for
        first = next(chunks)
        assert first.count(b"\r\n") == 100 and len(selects) == 1
        rest = list(chunks)
        response.close()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [c.count(b"\r\n") for c in rest] == [100, 50]
    assert len(selects) == 3
    # each batch asks for 100 rows; the second and third seek past the last key (no OFFSET)
    assert all(100 in values for _, values in selects)
    assert ["orders.created_at <=" in statement for statement, _ in selects] == [
        False, True, True]
    numbers = re.findall(rb"^bulk(\d+),", first + b"".join(rest), re.M)
    # newest first, ties by id: every order once
    assert [int(n) for n in numbers] == list(range(249, -1, -1))


def test_memory_is_bounded_by_the_batch_not_by_the_orders(client, many, monkeypatch):
    """Streaming 250 orders 25 at a time peaks well under reading them all at once: what is
    held is one batch and its chunk, whatever the number of orders."""
    import tracemalloc

    def peak(batch):
        monkeypatch.setattr(export, "BATCH", batch)
        response = client.get("/admin/orders/export.csv", query_string={"encoding": "utf8"},
                              buffered=False)
        tracemalloc.start()
        try:
            size = sum(len(chunk) for chunk in response.response)
            return tracemalloc.get_traced_memory()[1], size
        finally:
            tracemalloc.stop()
            response.close()
    peak(25), peak(250)  # statements built and kept
    (batched, size), (whole, same) = peak(25), peak(250)
    assert size == same > 60_000
    assert batched * 2 < whole, (batched, whole)
