"""Property-based fuzzing of every form (each POST route) and of the PAYGENT notice endpoint.

What a user would notice, checked on every generated example:
  1. nothing ever answers 500 (the test app propagates exceptions, so a crash fails too);
  2. a refused form comes back with a Japanese message and what was typed still in it;
  3. a refused submission changes nothing stored;
  4. a notice changes a payment only when its hash is valid.
The CSRF token is a valid one so that the fuzzed data reaches validation; a separate test sends
missing and garbage tokens. Each test builds one app and runs many examples against it.

The examples are the same on every run (derandomized), so the suite's verdict does not depend
on luck; ``FUZZ_EXPLORE=1`` draws fresh ones each run to hunt for new failures, and a failure
found that way becomes an ``@example`` here.
"""
import io
import json
import os
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, assume, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cart.checkout.forms import PREFECTURES, _digits, _kana, _nfkc
from cart.extensions import db
from cart.models import (BulkRun, CardSettings, DeferredPayment, DeferredSettings,
                         DeliveryMethod, Order, OrderHistory, PaygentAccount, Payment,
                         PaymentMethod, PaymentNotice, Product, SettingsDraft, Shop,
                         ShopSettings, Staff)
from payments.paygent.codec import decode_form, encode_form
from payments.methods import PAIDY
from payments.paygent.notices import notice_hash

from ..conftest import PASSWORD
from .checkout_helpers import (at_confirmation, BUYER, add_to_cart, authorize_at_paidy, delivery,
                               fill_zero_step, method, paidy_start, product,
                               shop, token)
from .order_helpers import paid_order


def fuzz(examples: int):
    return settings(max_examples=examples, deadline=None, database=None, print_blob=True,
                    derandomize=not os.environ.get("FUZZ_EXPLORE"),
                    phases=[p for p in Phase if p is not Phase.explain],  # slow on our examples
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# -- what gets typed ----------------------------------------------------------------------
JAPANESE = ("あいうえおかきくけこがぎんをゃっーアイウエオカキクケコガヴヲンｱｲｳｴｵｶﾞﾊﾟｰ"
            "山田太郎花子東京都渋谷区神宮前髙﨑𠮷①②㈱㍻〜～－―‐・「」『』、。　")
FULL_WIDTH = "０１２３４５６７８９，．－＋＠ＡＢＣ"
CONTROL = "".join(map(chr, range(32))) + "\x7f\x85\u200b\u2028\u202e\ufeff"
MARKUP = "<>&\"'%_\\/;=+#?*$`{}[]|~^"
SPICY = JAPANESE + FULL_WIDTH + CONTROL + MARKUP + "abcxyzABC0123456789 @.-"
NASTY = [
    "", " ", "　", "\x00", "a\x00b", "\r\n", "\t", "<script>alert(1)</script>", "' OR 1=1 --",
    "%00", "%ZZ", "{{ 7*7 }}", "${7*7}", "\u202e逆", "🍣", "null", "None", "undefined", "NaN",
    "-1", "0", "9" * 40, "１２３", "²", "³", "①", "٣", "᧚", "𝟗", "Ⅳ", "½", "\uffff", "\ufffd",
    "1e3", "0x10", "1_000", "+5", " 7 ", "1.5", "１２.５", "-0", "--1", "9223372036854775808",
    "-9223372036854775809", "a" * 300, "あ" * 300,
]
_char = st.characters(exclude_categories=("Cs",))  # anything a browser can send
short_text = st.one_of(st.text(st.sampled_from(SPICY), max_size=30), st.text(_char, max_size=15),
                       st.sampled_from(NASTY))
long_text = st.builds(lambda piece, times: piece * times,
                      st.text(st.sampled_from(SPICY), min_size=1, max_size=6),
                      st.integers(20, 700))
texts = st.one_of(short_text, short_text, long_text)


def _full_width(text: str) -> str:
    return text.translate(str.maketrans("0123456789-,", "０１２３４５６７８９－，"))


numbers = st.one_of(
    st.integers(-10**30, 10**30).map(str),
    st.integers(-10**4, 10**8).map(lambda n: f"{n:,}"),
    st.integers(0, 10**7).map(lambda n: _full_width(f"{n:,}")),
    st.integers(-10, 120).map(str),
    st.sampled_from(NASTY),
    short_text)
path_ids = st.one_of(st.integers(-10**30, 10**30).map(str), st.integers(2**31 - 2, 2**64).map(str),
                     short_text.map(lambda s: s if s.strip() else s + "x")
                     ).map(lambda s: quote(s, safe=""))
checkbox = st.sampled_from(["y", "", "on", "0", "false", "\x00"])
emails = st.one_of(
    st.emails().map(str),
    st.builds(lambda local, host: f"{local}@{host}", texts, short_text),
    texts)


def choice(valid, garbage=numbers):
    """A choice field: one of the valid values (what the page offers) or anything at all."""
    return st.one_of(st.sampled_from(list(valid)), garbage)


def form_data(valid: dict, fields: dict):
    """What a form is sent: any of its fields, each fuzzed or left out; or a valid submission
    with one or two fields fuzzed, so that refusals and acceptances both happen."""
    one_field = st.sampled_from(sorted(fields)).flatmap(
        lambda name: st.tuples(st.just(name), fields[name]))
    return st.one_of(st.fixed_dictionaries({}, optional=fields),
                     st.lists(one_field, max_size=2).map(lambda pairs: {**valid, **dict(pairs)}))


# -- reading pages -------------------------------------------------------------------------
JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")
MESSAGE = re.compile(r'class="(?:error|alert alert-error)"[^>]*>(.*?)</(?:p|div)>', re.S)
TEXT_INPUTS = {"text", "email", "date", "number", "tel", "search", "url", None}


class FormValues(HTMLParser):
    """The values a page's form fields show (text boxes, text areas, chosen options)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self._textarea = self._select = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") in TEXT_INPUTS:
            self.values.setdefault(name, a.get("value") or "")
        elif tag == "input" and name and a.get("type") == "hidden":
            self.values.setdefault("hidden:" + name, a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # the widget writes one line break before the text (which browsers drop)
            self.values[self._textarea] = self.values[self._textarea].removeprefix("\r\n")
            self._textarea = None
        elif tag == "select":
            self._select = None


def typed(value: str) -> str:
    """A value as the app receives it: NUL characters never reach it."""
    return value.replace("\x00", "")


def messages(html: str) -> list[str]:
    return MESSAGE.findall(html)


def assert_refused_in_japanese(html: str) -> None:
    """The page explains the refusal, every message in Japanese (choice values no page
    offers included)."""
    found = messages(html)
    assert found, "refused without any message on the page"
    assert all(JA.search(m) for m in found), f"message not in Japanese: {found}"


def assert_kept(html: str, expected: dict) -> None:
    """Each typed value is back in its field (as the form normalises it)."""
    shown = FormValues(html).values
    for name, value in expected.items():
        assert name in shown, f"field {name} missing from the re-rendered form"
        assert shown[name] == typed(value), f"{name}: typed {value!r}, shown {shown[name]!r}"


def assert_japanese_error_page(response, status: int) -> None:
    assert response.status_code == status, response.status_code
    html = response.get_data(as_text=True)
    assert JA.search(html) and f"<h1>{status}</h1>" in html


def follow(client, response) -> str:
    """The page a redirect leads to (where its flash message is shown)."""
    assert response.status_code in (302, 303), response.status_code
    location = urlsplit(response.headers["Location"])
    return client.get(location.path, query_string=location.query).get_data(as_text=True)


# -- what is stored ------------------------------------------------------------------------
def rows(*models) -> dict:
    """Every column of every row of these tables, to compare before and after a request."""
    db.session.expire_all()
    state = {}
    for model in models:
        columns = [c.key for c in model.__table__.columns]
        state[model.__tablename__] = sorted(
            (tuple(str(getattr(r, c)) for c in columns)
             for r in db.session.scalars(select(model))), key=repr)
    if DeliveryMethod in models:
        state["pairs"] = sorted((d.id, m.id) for d in db.session.scalars(select(DeliveryMethod))
                                for m in d.payment_methods)
    return state


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture
def owner(client, login_as, shops):
    assert login_as("owner@example.com", "demo1234").status_code == 302
    return client


# =========================================================================================
# ログイン
# =========================================================================================
@fuzz(30)
@given(email=emails, password=texts, with_next=st.one_of(st.none(), texts))
def test_login_refuses_bad_input_in_japanese_and_keeps_the_email(client, make_shop, email,
                                                                 password, with_next):
    if not count(Shop):
        make_shop()
    assume(password != PASSWORD)
    path = "/admin/login" + ("?" + urlencode({"next": with_next}) if with_next else "")
    response = client.post(path, data={"email": email, "password": password,
                                       "csrf_token": token(client, "/admin/login")})
    assert response.status_code in (200, 429), response.status_code
    html = response.get_data(as_text=True)
    assert_refused_in_japanese(html)
    assert_kept(html, {"email": email})
    assert client.get("/admin/").status_code == 302  # still signed out


# =========================================================================================
# 商品
# =========================================================================================
product_form = form_data({
    "code": "new-1", "name": "新茶", "price": "1,080", "stock": "5", "tax_rate": "8",
    "published": "y", "description": "説明"}, {
    "code": st.one_of(st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True), texts),
    "name": texts, "price": numbers, "stock": numbers, "description": texts,
    "tax_rate": choice(["10", "8"]), "published": checkbox})


@fuzz(60)
@example(data={"code": "a\x00b", "name": "煎茶\x00", "price": "1\x002", "stock": "\x00",
               "description": "\x00説明", "tax_rate": "8"})
@example(data={"code": "a\x00b", "name": "新茶", "price": "1,080", "stock": "5", "tax_rate": "8",
               "published": "y", "description": "説明"})
@example(data={"code": " ab-1\n", "name": "新茶", "price": "1,080", "stock": "5", "tax_rate": "8"})
@example(data={"code": "\r"})
@given(data=product_form)
def test_product_forms(client, make_shop, login_as, data):
    if not count(Product):
        shop_id = make_shop().id
        login_as("owner@shop-a.test")
        db.session.add(Product(shop_id=shop_id, code="keep-1", name="据え置き", price=500,
                               tax_rate=10, stock=3, published=True, description="説明"))
        db.session.commit()
    kept = db.session.scalar(select(Product).where(Product.code == "keep-1"))
    for path in ("/admin/products/new", f"/admin/products/{kept.id}/edit"):
        before = rows(Product)
        response = client.post(path, data={"csrf_token": token(client, path), **data})
        event(f"{path.split('/')[-1]} {response.status_code}")
        if response.status_code == 302:  # accepted: stored as typed, then put back
            db.session.expire_all()
            stored = db.session.scalar(select(Product).where(
                Product.code == typed(data.get("code", "keep-1")).strip()))
            assert stored is not None
            if "name" in data:
                assert stored.name == typed(data["name"])
            if "description" in data:
                assert stored.description == typed(data["description"])
            assert 0 <= stored.price <= 9_999_999 and 0 <= stored.stock <= 9_999_999
            if stored.id == kept.id:
                stored.code, stored.name, stored.price, stored.stock = "keep-1", "据え置き", 500, 3
            else:
                db.session.delete(stored)
            db.session.commit()
            continue
        assert response.status_code == 200, response.status_code
        html = response.get_data(as_text=True)
        assert_refused_in_japanese(html)
        assert_kept(html, {k: typed(v).strip() if k == "code" else v for k, v in data.items()
                           if k in ("code", "name", "price", "stock", "description")})
        assert rows(Product) == before


# =========================================================================================
# ショップ設定・宅配便・支払方法（基本決済）・使用決済の一覧
# =========================================================================================
shop_settings_form = form_data({
    "cart_type": "zero", "mobile_visible": "y", "shop_email": "shop@example.com",
    "thanks_mail_subject": "ご注文ありがとうございました", "pending_cancel_days": "7"}, {
    "cart_type": choice(["zero", "three"]), "mobile_visible": checkbox,
    "mobile_required": checkbox, "shop_email": emails, "thanks_mail_subject": texts,
    "conversion_tag": texts, "pending_cancel_days": numbers})
delivery_form = form_data({
    "name": "宅配便", "fee": "800", "active": "y", "payment_methods": ["1", "2"]}, {
    "name": texts, "fee": numbers, "fee_undetermined": checkbox, "active": checkbox,
    "payment_methods": st.lists(st.one_of(st.sampled_from(["1", "2", "3", "4", "5", "6"]),
                                          numbers), max_size=4)})
basic_form = form_data({
    "instructions": "お振込先：サンプル銀行", "note": "", "note_on_payment_page": "y"}, {
    "instructions": texts, "note": texts, "hide_under_on": checkbox, "hide_under": numbers,
    "hide_from_on": checkbox, "hide_from": numbers, "note_on_payment_page": checkbox,
    "note_in_thanks_mail": checkbox})


@fuzz(35)
@given(settings_data=shop_settings_form, delivery_data=delivery_form, basic_data=basic_form,
       kind=choice(["bank_transfer", "cod", "paidy", "card"], texts), other_id=path_ids,
       direction=texts)
def test_settings_forms(owner, settings_data, delivery_data, basic_data, kind, other_id,
                        direction):
    client = owner
    tables = (ShopSettings, DeliveryMethod, PaymentMethod, PaygentAccount, Product)

    # ショップ設定
    path = "/admin/settings/shop"
    before = rows(*tables)
    response = client.post(path, data={"csrf_token": token(client, path), **settings_data})
    event(f"ショップ設定 {response.status_code}")
    if response.status_code == 302:
        db.session.expire_all()
        stored = db.session.scalar(select(ShopSettings).where(ShopSettings.shop_id == shop().id))
        if "thanks_mail_subject" in settings_data:
            assert stored.thanks_mail_subject == typed(settings_data["thanks_mail_subject"])
        if "conversion_tag" in settings_data:
            assert stored.conversion_tag == typed(settings_data["conversion_tag"])
        assert 1 <= stored.pending_cancel_days <= 90 and stored.cart_type in ("zero", "three")
    else:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert_refused_in_japanese(html)
        assert_kept(html, {k: v for k, v in settings_data.items() if k in (
            "shop_email", "thanks_mail_subject", "conversion_tag", "pending_cancel_days")})
        assert rows(*tables) == before

    # 宅配便: new and edit
    courier = db.session.scalar(select(func.min(DeliveryMethod.id)))  # (its name may change)
    for path in ("/admin/settings/deliveries/new", f"/admin/settings/deliveries/{courier}"):
        before = rows(*tables)
        response = client.post(path, data={"csrf_token": token(client, path), **delivery_data})
        event(f"宅配便 {response.status_code}")
        if response.status_code == 302:  # 確認画面, then 「設定する」
            assert "/admin/settings/deliveries/confirm?draft=" in response.headers["Location"]
            draft = response.headers["Location"].rsplit("draft=", 1)[1]
            saved = client.post("/admin/settings/deliveries/save",
                                data={"csrf_token": token(client, path), "draft": draft})
            assert saved.status_code == 302
            db.session.expire_all()
            if "name" in delivery_data:
                assert db.session.scalar(select(DeliveryMethod).where(
                    DeliveryMethod.name == typed(delivery_data["name"]))) is not None
            continue
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert_refused_in_japanese(html)
        assert_kept(html, {k: v for k, v in delivery_data.items() if k in ("name", "fee")})
        assert rows(*tables) == before

    # 基本決済 (銀行振込) settings
    path = f"/admin/payment-methods/{method('bank_transfer').id}/basic"
    before = rows(*tables)
    response = client.post(path, data={"csrf_token": token(client, path), **basic_data})
    event(f"基本決済 {response.status_code}")
    if response.status_code == 302:
        db.session.expire_all()
        stored = method("bank_transfer")
        if "instructions" in basic_data:
            assert stored.instructions == typed(basic_data["instructions"])
        assert stored.hide_under is None or 1 <= stored.hide_under <= 99_999_999
    else:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert_refused_in_japanese(html)
        assert_kept(html, {k: v for k, v in basic_data.items() if k in (
            "instructions", "note", "hide_under", "hide_from")})
        assert rows(*tables) == before

    # 使用決済の一覧: リストに追加 / リストから削除 / ↑↓ (ids of no row are 404)
    csrf = token(client, "/admin/payment-methods/")
    before = rows(*tables)
    response = client.post("/admin/payment-methods/add", data={"csrf_token": csrf, "kind": kind})
    if kind not in ("bank_transfer", "cod", "paidy", "card"):
        assert_japanese_error_page(response, 400)
        assert rows(*tables) == before
    else:
        assert response.status_code == 302
    for action in ("remove", "move", "basic"):
        before = rows(*tables)
        response = client.post(f"/admin/payment-methods/{other_id}/{action}",
                               data={"csrf_token": csrf, "direction": direction})
        if response.status_code == 404:
            assert_japanese_error_page(response, 404)
            assert rows(*tables) == before
        else:
            assert response.status_code in (200, 302)
    path = f"/admin/payment-methods/{method('cod').id}/move"
    assert client.post(path, data={"csrf_token": csrf, "direction": direction}).status_code == 302
    for path in (f"/admin/settings/deliveries/{other_id}", f"/admin/products/{other_id}/edit"):
        before = rows(*tables)
        response = client.post(path, data={"csrf_token": csrf, **delivery_data})
        if response.status_code == 404:
            assert_japanese_error_page(response, 404)
            assert rows(*tables) == before
        else:
            assert response.status_code in (200, 302)


# =========================================================================================
# 支払方法設定: ペイジェント(あと払い(ペイディ)) with its 確認画面
# =========================================================================================
def _upload(data: bytes, name: str):
    return (io.BytesIO(data), name)


upload = st.one_of(
    st.builds(_upload, st.binary(max_size=300), st.sampled_from(["a.png", "ロゴ.jpg", "x.pem",
                                                               "", "..\\..\\x"])),
    st.builds(_upload, st.sampled_from([
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "証明書".encode("cp932")]), st.just("cert.pem")))
paidy_form = form_data({
    "public_key": "pk_test_demo_shop_0001", "capture_mode": "auth", "environment": "sandbox",
    "merchant_id": "900000001", "connect_id": "demo_connect", "banner": "320x100",
    "hide_from_on": "y", "hide_from": "300,000", "note": "注意書き"}, {
    "public_key": st.one_of(st.from_regex(r"pk_(live|test)_[A-Za-z0-9_]{8,20}", fullmatch=True),
                            texts),
    "capture_mode": choice(["auth", "auth_capture"]),
    "environment": choice(["sandbox", "test", "production"]),
    "merchant_id": st.one_of(st.from_regex(r"[0-9]{9}", fullmatch=True),
                             st.from_regex(r"\d{9}", fullmatch=True), numbers),
    "connect_id": st.one_of(st.from_regex(r"[A-Za-z0-9_]{1,32}", fullmatch=True), texts),
    "connect_password": texts, "notice_hash_key": texts,
    "hide_under_on": checkbox, "hide_under": numbers, "hide_from_on": checkbox,
    "hide_from": numbers, "note": texts, "note_on_payment_page": checkbox,
    "note_in_thanks_mail": checkbox, "banner": choice(["320x100", "240x150", "728x90"]),
    "logo_delete": checkbox, "client_cert_delete": checkbox, "ca_delete": checkbox,
    "draft": texts})


@fuzz(40)
@example(data={"public_key": "pk_test_demo_shop_0001", "merchant_id": "９００００００００１"[:9],
               "connect_id": "demo_connect", "environment": "sandbox", "capture_mode": "auth",
               "banner": "320x100"}, files={}, force="1")
@given(data=paidy_form, files=st.one_of(st.just({}), st.dictionaries(
           st.sampled_from(["logo", "client_cert", "ca_file"]), upload, max_size=2)),
       force=st.sampled_from(["1", "", "0", "y"]))
def test_paidy_settings_form_and_its_confirmation(owner, data, files, force):
    """(A full-width merchant ID is 9 digits to a regex, not to PAYGENT.)"""
    client = owner
    tables = (PaygentAccount, PaymentMethod)
    path = "/admin/payment-methods/paidy"
    before = rows(*tables)
    response = client.post(path, data={"csrf_token": token(client, path), **data, **files},
                           content_type="multipart/form-data")
    assert rows(*tables) == before  # 「確認画面へ」 never saves
    event(f"ペイディ設定 {response.status_code}")
    if response.status_code == 302:
        confirm = response.headers["Location"]
        assert "/admin/payment-methods/paidy/confirm" in confirm
        db.session.expire_all()
        draft = json.loads(db.session.scalars(select(SettingsDraft).order_by(
            SettingsDraft.created_at.desc())).first().payload)
        assert re.fullmatch(r"[0-9]{9}", draft["merchant_id"]), draft["merchant_id"]
        assert re.fullmatch(r"[A-Za-z0-9_]{1,32}", draft["connect_id"]), draft["connect_id"]
        page = client.get(confirm)
        assert page.status_code == 200 and "接続" in page.get_data(as_text=True)
        return
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_refused_in_japanese(html)
    expected = {k: (typed(v).strip() if k in ("public_key", "merchant_id", "connect_id") else v)
                for k, v in data.items() if k in ("public_key", "merchant_id", "connect_id",
                                                  "note", "hide_under", "hide_from")}
    assert_kept(html, expected)
    # the refused input, kept as a draft for the next try, cannot be confirmed and saved
    draft = FormValues(html).values.get("hidden:draft")
    assert draft
    response = client.post("/admin/payment-methods/paidy/confirm", data={
        "csrf_token": token(client, path), "draft": draft, "force": force})
    assert response.status_code in (200, 302)
    assert rows(*tables) == before
    assert client.get("/admin/payment-methods/").status_code == 200


# =========================================================================================
# 支払方法設定: ペイジェント(クレジット決済) with its 確認画面 (the connection shown read-only)
# =========================================================================================
CARD_CLASSES = ["lump", "split", "revo", "bonus"]
card_form = form_data({
    "payment_classes": ["lump", "split"], "security_code": "required", "three_d_secure": "2.0",
    "attempt_auth": "none", "merchant_name": "SampleShop", "tds_hash_key": "fuzz-3ds-hash",
    "token_environment": "test", "token_key": "fuzz-token-key", "sales_mode": "auth",
    "hide_from_on": "y", "hide_from": "300,000", "note": "注意書き"}, {
    "payment_classes": st.lists(choice(CARD_CLASSES, texts), max_size=5),
    "security_code": choice(["required", "optional"]),
    "three_d_secure": choice(["2.0", "off"]),
    "attempt_auth": choice(["none", "normal", "all"]),
    "merchant_name": st.one_of(st.from_regex(r"[A-Za-z0-9 .&-]{1,45}", fullmatch=True), texts),
    "tds_hash_key": texts, "token_key": texts,
    "token_environment": choice(["test", "production"]),
    "sales_mode": choice(["auth", "capture"]),
    "hide_under_on": checkbox, "hide_under": numbers, "hide_from_on": checkbox,
    "hide_from": numbers, "note": texts, "note_on_payment_page": checkbox,
    "note_in_thanks_mail": checkbox, "draft": texts,
    # the connection's fields, which this shop's card page does not have: ignored
    "merchant_id": numbers, "connect_id": texts, "connect_password": texts})


@fuzz(40)
@example(data={"payment_classes": ["lump"], "three_d_secure": "2.0", "merchant_name": "Ａ",
               "token_key": "k"}, force="1")
@example(data={"payment_classes": ["lump"], "three_d_secure": "off", "token_key": "k\x00"},
         force="1")
@given(data=card_form, force=st.sampled_from(["1", "", "0", "y"]))
def test_card_settings_form_and_its_confirmation(owner, data, force):
    client = owner
    tables = (PaygentAccount, PaymentMethod, CardSettings)
    path = "/admin/payment-methods/card"
    before = rows(*tables)
    response = client.post(path, data={"csrf_token": token(client, path), **data},
                           content_type="multipart/form-data")
    assert rows(*tables) == before  # 「確認画面へ」 never saves
    event(f"クレジット設定 {response.status_code}")
    if response.status_code == 302:
        confirm = response.headers["Location"]
        assert "/admin/payment-methods/card/confirm" in confirm
        page = client.get(confirm)
        assert page.status_code == 200 and "設定の確認" in page.get_data(as_text=True)
        draft = re.search(r"draft=([^&]+)", confirm).group(1)
        saved = client.post(path + "/save", data={"csrf_token": token(client, path),
                                                  "draft": draft, "force": force})
        assert saved.status_code in (200, 302)
        db.session.expire_all()
        stored = db.session.scalar(select(CardSettings).where(
            CardSettings.shop_id == shop().id))
        if saved.status_code == 302:
            assert stored.classes and stored.token_key
            assert len(stored.merchant_name) <= 40 and stored.merchant_name.isascii()
            assert not stored.three_d_secure or (stored.merchant_name and stored.tds_hash_key)
        else:
            assert stored is None or rows(*tables) == before
        assert rows(PaygentAccount) == {k: v for k, v in before.items()
                                        if k == "paygent_accounts"}
        return
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_refused_in_japanese(html)
    expected = {k: (typed(v).strip() if k == "merchant_name" else v)
                for k, v in data.items() if k in ("merchant_name", "note", "hide_under",
                                                  "hide_from")}
    assert_kept(html, expected)
    for tag in re.findall(r'<input[^>]*type="password"[^>]*>', html):  # secrets never shown
        assert 'value="' not in tag or 'value=""' in tag, tag
    # the refused input, kept as a draft for the next try, cannot be confirmed and saved
    draft = FormValues(html).values.get("hidden:draft")
    assert draft
    response = client.post(path + "/save", data={
        "csrf_token": token(client, path), "draft": draft, "force": force})
    assert response.status_code == 302
    assert rows(*tables) == before
    assert client.get("/admin/payment-methods/").status_code == 200


# =========================================================================================
# 支払方法設定: ペイジェント(コンビニ決済) / (ATM決済) / (銀行ネット決済) with their 確認画面
# =========================================================================================
STORES = ["00C001", "00C002", "00C004", "00C005", "00C014", "00C016"]
deferred_form = form_data({
    "days": "10", "connection_type": "ABD", "stores": ["00C001", "00C005"],
    "shop_name": "サンプル商会", "shop_name_kana": "サンプルショウカイ", "copyright": "(c) Sample",
    "free_memo": "ありがとうございます", "reminder_days": "0", "note": "注意書き"}, {
    "days": numbers, "connection_type": choice(["ABD", "F"], texts),
    "stores": st.lists(choice(STORES, texts), max_size=7), "shop_name": texts,
    "shop_name_kana": texts, "copyright": texts, "free_memo": texts,
    "reminder_days": numbers, "hide_under_on": checkbox, "hide_under": numbers,
    "hide_from_on": checkbox, "hide_from": numbers, "note": texts,
    "note_on_payment_page": checkbox, "note_in_thanks_mail": checkbox, "draft": texts})


@fuzz(30)
@given(data=deferred_form, code=st.sampled_from(["conveni", "atm", "bank"]),
       force=st.sampled_from(["1", ""]))
def test_deferred_settings_forms_and_their_confirmation(owner, data, code, force):
    client = owner
    tables = (PaygentAccount, PaymentMethod, DeferredSettings)
    path = f"/admin/payment-methods/{code}"
    before = rows(*tables)
    response = client.post(path, data={"csrf_token": token(client, path), **data},
                           content_type="multipart/form-data")
    assert rows(*tables) == before  # 「確認画面へ」 never saves
    event(f"{code} 設定 {response.status_code}")
    if response.status_code == 302:
        confirm = response.headers["Location"]
        assert f"{path}/confirm" in confirm
        assert client.get(confirm).status_code == 200
        draft = re.search(r"draft=([^&]+)", confirm).group(1)
        saved = client.post(path + "/save", data={"csrf_token": token(client, path),
                                                  "draft": draft, "force": force})
        assert saved.status_code in (200, 302)
        db.session.expire_all()
        stored = db.session.scalar(select(DeferredSettings).where(
            DeferredSettings.shop_id == shop().id, DeferredSettings.method == code))
        assert 1 <= stored.days and 0 <= stored.reminder_days < stored.days
        return
    assert response.status_code == 200
    assert_refused_in_japanese(response.get_data(as_text=True))


@fuzz(20)
@given(store=st.one_of(st.none(), choice(STORES, texts)),
       kind=st.sampled_from(["conveni", "atm", "bank"]))
def test_deferred_order_with_any_store_value(owner, store, kind):
    shopper = owner.application.test_client()
    add_to_cart(shopper)
    csrf = token(shopper, "/s/demo/cart")
    shopper.post("/s/demo/cart", data={"csrf_token": csrf, **BUYER, "confirm": "1",
                                       "delivery_method": delivery().id,
                                       "payment_method": method(kind).id})
    data = {"csrf_token": token(shopper, "/s/demo/checkout/confirm")}
    before = db.session.scalar(select(func.count()).select_from(DeferredPayment))
    if store is not None:
        data["cvs_company_id"] = store
    response = shopper.post("/s/demo/checkout/deferred/apply", data=data)
    assert response.status_code in (302, 303)
    page = shopper.get(response.headers["Location"].split("#")[0]
                       if response.headers["Location"].startswith("/") else "/s/demo/")
    assert page.status_code in (200, 302)
    if kind == "conveni" and store not in STORES:
        assert "コンビニエンスストアを選択してください" in page.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(DeferredPayment)) == before


# =========================================================================================
# 支払方法設定: ペイジェント共通設定 (the shop's PAYGENT connection) with its 確認画面
# =========================================================================================
paygent_form = form_data({
    "environment": "sandbox", "merchant_id": "900000001", "connect_id": "demo_connect"}, {
    "environment": choice(["sandbox", "test", "production"]),
    "merchant_id": st.one_of(st.from_regex(r"[0-9]{9}", fullmatch=True),
                             st.from_regex(r"\d{9}", fullmatch=True), numbers),
    "connect_id": st.one_of(st.from_regex(r"[A-Za-z0-9_]{1,32}", fullmatch=True), texts),
    "connect_password": texts, "notice_hash_key": texts,
    "client_cert_delete": checkbox, "ca_delete": checkbox, "draft": texts,
    # another page's fields: ignored
    "public_key": texts, "token_key": texts})


@fuzz(40)
@example(data={"environment": "test", "merchant_id": "900000001", "connect_id": "demo_connect",
               "notice_hash_key": "fuzz-hash-key-1"}, files={})
@example(data={"environment": "sandbox", "merchant_id": "９００００００００１"[:9],
               "connect_id": "demo_connect"}, files={})
@example(data={"environment": "production", "merchant_id": "900000001",
               "connect_id": "demo_connect", "connect_password": "not-the-password"}, files={})
@given(data=paygent_form, files=st.one_of(st.just({}), st.dictionaries(
           st.sampled_from(["client_cert", "ca_file"]), upload, max_size=2)))
def test_paygent_common_settings_form_and_its_confirmation(owner, data, files):
    """(試験環境 and 本番環境 are the sandbox here: nothing leaves the machine.)"""
    from flask import current_app

    from payments.paygent.client import HOSTS
    client = owner
    tables = (PaygentAccount, PaymentMethod, CardSettings)
    path = "/admin/payment-methods/paygent"
    before = rows(*tables)
    response = client.post(path, data={"csrf_token": token(client, path), **data, **files},
                           content_type="multipart/form-data")
    assert rows(*tables) == before  # 「確認画面へ」 never saves
    event(f"ペイジェント共通設定 {response.status_code}")
    if response.status_code == 302:
        confirm = response.headers["Location"]
        assert "/admin/payment-methods/paygent/confirm" in confirm
        page = client.get(confirm)
        assert page.status_code == 200 and "設定の確認" in page.get_data(as_text=True)
        draft = re.search(r"draft=([^&]+)", confirm).group(1)
        with pytest.MonkeyPatch.context() as patch:
            for environment in ("test", "production"):
                patch.setitem(HOSTS, environment,
                              current_app.config["SANDBOX_URL"] + "/paygent")
            saved = client.post(path + "/save", data={"csrf_token": token(client, path),
                                                      "draft": draft, "force": "1"})
        assert saved.status_code in (200, 302)
        event(f"ペイジェント共通設定 設定する {saved.status_code}")
        after = rows(*tables)
        if saved.status_code == 302:  # the connection test passed: only the connection moved
            db.session.expire_all()
            account = db.session.scalar(select(PaygentAccount).where(
                PaygentAccount.shop_id == shop().id))
            assert re.fullmatch(r"[0-9]{9}", account.merchant_id)
            assert re.fullmatch(r"[A-Za-z0-9_]{1,32}", account.connect_id)
            assert account.connect_password
            assert {k: v for k, v in after.items() if k != "paygent_accounts"} == {
                k: v for k, v in before.items() if k != "paygent_accounts"}
        else:
            assert "接続試験に失敗しました" in saved.get_data(as_text=True)
            assert after == before
        return
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_refused_in_japanese(html)
    assert_kept(html, {k: typed(v).strip() for k, v in data.items()
                       if k in ("merchant_id", "connect_id")})
    for tag in re.findall(r'<input[^>]*type="password"[^>]*>', html):  # secrets never shown
        assert 'value="' not in tag or 'value=""' in tag, tag
    # the refused input, kept as a draft for the next try, cannot be confirmed and saved
    draft = FormValues(html).values.get("hidden:draft")
    assert draft
    assert client.get(path + "/confirm", query_string={"draft": draft}).status_code == 302
    response = client.post(path + "/save", data={
        "csrf_token": token(client, path), "draft": draft})
    assert response.status_code == 302
    assert rows(*tables) == before
    assert client.get("/admin/payment-methods/").status_code == 200


# =========================================================================================
# ゼロステップカート / 3ステップカート / カゴ / ペイディ
# =========================================================================================
buyer_values = {
    "buyer_name": texts, "buyer_kana": st.one_of(st.text(st.sampled_from("アイウエオ ー"),
                                                        max_size=60), texts),
    # (\d: digits of any script, full-width ones included)
    "zip_code": st.one_of(st.from_regex(r"[0-9]{3}-?[0-9]{4}", fullmatch=True),
                          st.from_regex(r"\d{3}-?\d{4}", fullmatch=True), numbers),
    "prefecture": choice(PREFECTURES, texts), "city": texts, "street": texts,
    "building": texts, "tel": st.one_of(st.from_regex(r"0[0-9]{9,10}", fullmatch=True),
                                         st.from_regex(r"0\d{9,10}", fullmatch=True), numbers),
    "mobile": st.one_of(st.from_regex(r"0[789]0[0-9]{8}", fullmatch=True),
                        st.from_regex(r"0[789]0\d{8}", fullmatch=True), numbers),
    "email": emails,
}
# every field sent: each the sample value or fuzzed; or the sample with one or two fuzzed
buyer_form = st.one_of(
    st.fixed_dictionaries({name: st.one_of(st.just(BUYER[name]), values)
                           for name, values in buyer_values.items()}),
    form_data(BUYER, buyer_values))
SHOWN = {"buyer_name": _nfkc, "buyer_kana": _kana, "zip_code": _digits, "city": _nfkc,
         "street": _nfkc, "building": _nfkc, "tel": _digits, "mobile": _digits, "email": _nfkc}


def _shown_buyer(data: dict, html: str) -> dict:
    expected = {name: SHOWN[name](typed(data[name])) for name in SHOWN if name in data}
    if "name=\"mobile\"" not in html:
        expected.pop("mobile", None)
    if data.get("prefecture") in PREFECTURES:
        expected["prefecture"] = data["prefecture"]
    return expected


def _basket(client, shop_code="demo") -> dict:
    with client.session_transaction() as session:
        return dict(session.get(f"cart:{shop(shop_code).id}", {}))


@fuzz(60)
@example(buyer=BUYER, delivery_id="1", method_id="2", product_id="1", quantity="᧚",
         extra={"qty-1": "᧚"})
@example(buyer={**BUYER, "tel": "0" + "٣" * 9, "zip_code": "１５０-０００１"}, delivery_id="1",
         method_id="2", product_id="1", quantity="1", extra={})
@given(buyer=buyer_form, delivery_id=st.one_of(st.sampled_from(["1", "2", "3", "4"]), numbers),
       method_id=st.one_of(st.sampled_from(["1", "2", "3", "4", "5", "6"]), numbers),
       product_id=st.one_of(st.sampled_from(["1", "2", "5"]), numbers), quantity=numbers,
       extra=st.dictionaries(st.one_of(st.just("remove"), st.builds(
           "qty-{}".format, st.sampled_from(["1", "2", "x", "9" * 30]))), numbers, max_size=2))
def test_zero_step_cart(client, shops, buyer, delivery_id, method_id, product_id, quantity,
                        extra):
    tables = (Order, Product, Payment)
    if not _basket(client):
        assert add_to_cart(client).status_code == 302

    # 「カゴに入れる」 with any product id and quantity
    csrf = token(client, "/s/demo/cart")
    before_basket = _basket(client)
    response = client.post("/s/demo/cart/add", data={"csrf_token": csrf, "product_id": product_id,
                                                     "quantity": quantity})
    if response.status_code == 404:
        assert_japanese_error_page(response, 404)
        assert _basket(client) == before_basket
    elif urlsplit(response.headers["Location"]).path != "/s/demo/cart":
        page = follow(client, response)  # back to the product with the reason
        assert "数量は1〜99の半角数字で入力してください。" in page or "99点まで" in page
        assert _basket(client) == before_basket
    else:
        assert response.status_code == 302

    # quantities and 削除 without 「注文確認する」 just go back to the cart
    response = client.post("/s/demo/cart", data={"csrf_token": csrf, **extra})
    assert response.status_code == 302
    if not _basket(client):
        assert add_to_cart(client).status_code == 302

    # 「注文確認する」
    before = rows(*tables)
    data = {"csrf_token": csrf, **buyer, "delivery_method": delivery_id,
            "payment_method": method_id, "confirm": "1"}
    response = client.post("/s/demo/cart", data=data)
    assert rows(*tables) == before  # nothing is ordered before 「注文する」
    event(f"注文確認する {response.status_code}")
    if at_confirmation(response):
        with client.session_transaction() as session:
            saved = session[f"checkout:{shop().id}"]["buyer"]
        assert re.fullmatch(r"[0-9]{3}-[0-9]{4}", saved["zip_code"]), saved
        assert re.fullmatch(r"0[0-9]{9,10}", saved["tel"]), saved
        assert re.fullmatch(r"(0[789]0[0-9]{8})?", saved["mobile"]), saved
        assert client.get("/s/demo/checkout/confirm").status_code == 200
        return
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert_refused_in_japanese(html)
    assert_kept(html, _shown_buyer(buyer, html))


step2_form = st.fixed_dictionaries({}, optional={
    "delivery_method": st.one_of(st.sampled_from(["5", "6", "7", "8"]), numbers),
    "payment_method": st.one_of(st.sampled_from(["4", "5", "6", "7"]), numbers)})


@fuzz(50)
@given(buyer=buyer_form, choice_data=step2_form)
def test_three_step_checkout(client, shops, buyer, choice_data):
    tables = (Order, Product, Payment)
    if not _basket(client, "demo3"):
        assert add_to_cart(client, shop_code="demo3").status_code == 302
    before = rows(*tables)
    path = "/s/demo3/checkout/step1"
    response = client.post(path, data={"csrf_token": token(client, path), **buyer})
    event(f"step1 {response.status_code}")
    if response.status_code == 200:
        html = response.get_data(as_text=True)
        assert_refused_in_japanese(html)
        assert_kept(html, _shown_buyer(buyer, html))
        assert rows(*tables) == before
        return
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/s/demo3/checkout/step2"
    path = "/s/demo3/checkout/step2"
    response = client.post(path, data={"csrf_token": token(client, path), **choice_data})
    event(f"step2 {response.status_code}")
    assert rows(*tables) == before
    if not at_confirmation(response):
        assert response.status_code == 200
        assert_refused_in_japanese(response.get_data(as_text=True))
        return
    assert client.get("/s/demo3/checkout/confirm").status_code == 200


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(short_text, inner, max_size=3)), max_leaves=6)
paidy_bodies = st.one_of(
    st.fixed_dictionaries({}, optional={
        "order_number": st.one_of(st.sampled_from(["order00001", "order00002"]), json_values),
        "status": st.one_of(st.sampled_from(["authorized", "rejected", "closed",
                                             "AUTHORIZED"]), json_values),
        "id": st.one_of(st.from_regex(r"pay_[A-Za-z0-9]{4,12}", fullmatch=True), json_values),
    }).map(json.dumps),
    json_values.map(json.dumps),
    st.binary(max_size=200))
# what 「お支払いを確定」 posts is ignored: the order is made from the confirmed draft only
start_bodies = st.one_of(paidy_bodies, st.fixed_dictionaries({}, optional={
    name: texts for name in ("buyer_name", "email", "tel", "zip_code", "prefecture")}).map(
        json.dumps))


def _statuses() -> list:
    return [(o.id, o.status) for o in db.session.scalars(select(Order).order_by(Order.id))]


@fuzz(60)
@given(body=paidy_bodies, start_body=start_bodies)
def test_paidy_calls_take_any_body(client, shops, body, start_body):
    """What the modal's script posts (JSON, CSRF in a header) can be anything at all."""
    if not count(Order):
        add_to_cart(client)
        fill_zero_step(client)
        start = paidy_start(client).get_json()
        authorize_at_paidy(shops, start["payload"])  # a pending order Paidy has authorised
        other = client.application.test_client()
        add_to_cart(other)
        fill_zero_step(other, kind="bank_transfer")
        other.post("/s/demo/checkout/confirm", data={
            "csrf_token": token(other, "/s/demo/checkout/confirm")})
    csrf = token(client, "/s/demo/cart")
    headers = {"X-CSRFToken": csrf, "Content-Type": "application/json"}
    before = rows(Payment), _statuses()
    response = client.post("/s/demo/checkout/paidy/result", data=body, headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.get_json()["redirect"].startswith("/s/demo/")
    assert (rows(Payment), _statuses()) == before  # no made-up answer accepts an order
    response = client.post("/s/demo/checkout/paidy/start", data=start_body, headers=headers)
    event(f"paidy/start {response.status_code}")
    assert response.status_code in (200, 409)
    if response.status_code == 409:
        assert JA.search(response.get_json()["error"])
        return
    number = response.get_json()["order_number"]
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.number == number))
    assert (order.buyer_name, order.email, order.tel, order.zip_code, order.prefecture) == (
        BUYER["buyer_name"], BUYER["email"], "0312345678", BUYER["zip_code"], "東京都")


# =========================================================================================
# 受注明細 / 編集モード / 外部決済一括処理
# =========================================================================================
adjust_form = form_data({
    "adjust_label": "値引き", "adjust10": "-100", "adjust8": "0", "shipping_fee": "800",
    "version": "RIGHT"}, {
    "adjust_label": texts, "adjust10": numbers, "adjust8": numbers, "shipping_fee": numbers,
    "version": st.one_of(st.just("RIGHT"), texts)})
id_lists = st.lists(st.one_of(st.just("RIGHT"), numbers), max_size=4)


@fuzz(30)
@example(state="x", refund={"mode": "0"}, version="x", adjust={}, ids=["²", "9" * 30],
         action="capture", bulk_token="t")
@example(state="\x00", refund={}, version="x", adjust={}, ids=[], action="capture",
         bulk_token="t")
@example(state="0", refund={}, version="", adjust={}, ids=["RIGHT", "9" * 40],
         action="capture", bulk_token="")
@given(state=texts, refund=st.fixed_dictionaries({}, optional={
           "mode": choice(["full", "partial"]), "amount": numbers, "state": texts}),
       version=texts, adjust=adjust_form, ids=id_lists, action=choice(["capture"], texts),
       bulk_token=texts)
def test_order_pages(client, login_as, shops, state, refund, version, adjust, ids, action,
                     bulk_token):
    app = client.application
    if not count(Payment):
        paid_order(app, shops)
        login_as("owner@example.com", "demo1234")
    order = db.session.scalar(select(Order).where(Order.status == "new"))
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    fingerprint = f"{payment.paygent_payment_id}:{payment.status}:{payment.amount}"
    tables = (Order, Payment, Product, BulkRun)
    csrf = token(client, f"/admin/orders/{order.id}")

    # 売上確定 / キャンセル with a state the page never drew: refused, nothing sent (a state
    # left out, or only NUL characters, is a client that checks nothing: not fuzzed here)
    assume(typed(state).strip() and state != fingerprint)
    for action_path in ("capture", "cancel-payment"):
        before = rows(*tables)
        response = client.post(f"/admin/orders/{order.id}/{action_path}",
                               data={"csrf_token": csrf, "state": state})
        assert response.status_code == 409
        assert_refused_in_japanese(response.get_data(as_text=True))
        assert rows(*tables) == before

    # 返金 of an authorisation (not captured): always refused
    before = rows(*tables)
    response = client.post(f"/admin/orders/{order.id}/refund", data={"csrf_token": csrf,
                                                                        **refund})
    assert response.status_code in (400, 409)
    assert_refused_in_japanese(response.get_data(as_text=True))
    assert rows(*tables) == before

    # 受注完了一覧へ移動 / キャンセル一覧へ移動 from a stale page
    assume(version != str(order.version))
    for move in ("complete", "cancel"):
        before = rows(*tables)
        response = client.post(f"/admin/orders/{order.id}/{move}",
                               data={"csrf_token": csrf, "version": version})
        assert "もう一度操作してください" in follow(client, response)
        assert rows(*tables) == before

    # 編集モード
    path = f"/admin/orders/{order.id}/edit"
    data = dict(adjust)
    if data.get("version") == "RIGHT":
        data["version"] = str(order.version)
    before, version_before = rows(*tables), order.version
    response = client.post(path, data={"csrf_token": token(client, path), **data})
    event(f"編集モード {response.status_code}")
    if response.status_code == 302:
        db.session.expire_all()
        assert order.total >= 0 and order.version == version_before + 1
        if "adjust_label" in data:
            assert order.adjust_label == typed(data["adjust_label"]).strip()
    else:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert_refused_in_japanese(html)
        assert_kept(html, {k: v for k, v in data.items() if k in (
            "adjust_label", "adjust10", "adjust8", "shipping_fee")})
        assert rows(*tables) == before

    # 外部決済一括処理: a selection without the one order is refused; with it and anything
    # else, the rest is dropped and said so, and nothing runs until the page is confirmed again
    ids = [str(order.id) if i == "RIGHT" else i for i in ids]
    chosen = {int(i) for i in ids if i.isascii() and i.isdigit()}
    bulk_csrf = token(client, "/admin/bulk/")
    for step in ("action", "confirm", "run"):
        before = rows(*tables)
        response = client.post(f"/admin/bulk/{step}", data={
            "csrf_token": bulk_csrf, "ids": ids, "action": action, "token": bulk_token})
        if chosen == {order.id}:
            assert response.status_code in (200, 302)
            if step == "confirm":
                break  # a real run of the order would capture it
        elif order.id in chosen:
            assert response.status_code in (200, 302, 409)
            page = follow(client, response) if response.status_code == 302 else \
                response.get_data(as_text=True)
            assert "選択から外しました" in page or response.status_code == 302 and JA.search(page)
            assert rows(*tables) == before
        else:
            assert response.status_code == 302
            page = follow(client, response)
            assert response.headers["Location"].startswith("/admin/bulk/") and JA.search(page)
            assert rows(*tables) == before


# =========================================================================================
# GET pages with fuzzed query strings and ids in URLs
# =========================================================================================
dates = st.one_of(st.dates().map(str), st.sampled_from(["0001-01-01", "9999-12-31", "2024-02-30",
                                                        "２０２４-０１-０１", "2024/01/01"]), texts)
search_form = st.fixed_dictionaries({}, optional={
    "tab": choice(["active", "completed", "cancelled"], texts),
    "page": numbers, "number": texts, "payment_kind": choice(["paidy", "bank_transfer", "cod"],
                                                            texts),
    "date_from": dates, "date_to": dates, "name": texts, "kana": texts, "email": emails,
    "phone": numbers, "amount_min": numbers, "amount_max": numbers,
    "cart_type": choice(["zero", "three"], texts), "trade_id": texts})
GET_PAGES = [
    "/admin/orders/{}", "/admin/orders/{}/edit", "/admin/orders/{}/payment-log",
    "/admin/products/{}/edit", "/admin/mails/{}", "/admin/bulk/runs/{}",
    "/admin/bulk/runs/{}/progress", "/admin/settings/deliveries/{}",
    "/admin/payment-methods/{}/basic", "/admin/notices/{}", "/s/demo/products/{}", "/s/{}/",
    "/s/{}/cart",
    "/s/{}/checkout/complete", "/s/{}/products/1",
]


@fuzz(45)
@example(search={"page": "9" * 30, "date_from": "0001-01-01", "date_to": "9999-12-31",
                 "payment_kind": "x", "number": "x" * 30},
         any_id="9" * 30, page="9" * 30, ids=["²"], tab="x", draft="x", next_url="//x")
@example(search={"date_from": "0001-01-01"}, any_id="-1", page="-1", ids=[], tab="", draft="",
         next_url="")
@example(search={"date_to": "9999-12-31"}, any_id="0", page="0", ids=[], tab="", draft="",
         next_url="")
@example(search={}, any_id="%2F", page="0", ids=[], tab="", draft="", next_url="")
@given(search=search_form, any_id=path_ids, page=numbers, ids=id_lists, tab=texts,
       draft=texts, next_url=texts)
def test_get_pages_with_fuzzed_queries(owner, search, any_id, page, ids, tab, draft, next_url):
    client = owner
    response = client.get("/admin/orders/", query_string=search)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if messages(html):
        assert_refused_in_japanese(html)
    assert_kept(html, {k: v for k, v in search.items() if k in (
        "number", "name", "kana", "email", "phone", "amount_min", "amount_max", "trade_id",
        "date_from", "date_to")})
    for path, query in (("/admin/bulk/", {"page": page, "ids": ids}),
                        ("/admin/mails/", {"page": page}),
                        ("/admin/notices/", {"page": page, "tab": tab}),
                        ("/admin/payment-methods/", {"tab": tab}),
                        ("/admin/payment-methods/paidy/confirm", {"draft": draft}),
                        ("/admin/payment-methods/card/confirm", {"draft": draft}),
                        ("/admin/payment-methods/paygent/confirm", {"draft": draft}),
                        ("/admin/payment-methods/paygent", {"draft": draft}),
                        ("/admin/login", {"next": next_url}),
                        ("/admin/orders/", {"page": page, "tab": tab})):
        response = client.get(path, query_string=query)
        assert response.status_code in (200, 302), (path, response.status_code)
    for pattern in GET_PAGES:
        response = client.get(pattern.format(any_id))
        assert response.status_code in (200, 302, 308, 404), (pattern, response.status_code)
        if response.status_code == 308:  # ".../%2F": the slashes merged, on the same site
            assert urlsplit(response.headers["Location"]).netloc in ("", "localhost")
        if response.status_code == 404:
            assert_japanese_error_page(response, 404)


# =========================================================================================
# 差分通知
# =========================================================================================
HASH_KEY = "demo-hash-key-0001"
NOTICE_FIELDS = ("payment_notice_id", "payment_id", "trading_id", "payment_type",
                 "payment_status", "payment_amount", "change_date", "paidy_payment_id",
                 "event", "event_result", "hc")
notice_values = st.one_of(texts, numbers, st.sampled_from(["20", "40", "41", "60", "12"]))
notice_changes = st.dictionaries(st.one_of(st.sampled_from(NOTICE_FIELDS), short_text),
                                 st.one_of(st.none(), notice_values), max_size=5)


def _body(fields: dict, charset: str) -> bytes:
    """A form body as PAYGENT sends it (Shift_JIS), or in another encoding."""
    try:
        return encode_form(fields) if charset == "cp932" else urlencode(
            fields, encoding=charset, errors="replace").encode("ascii")
    except (UnicodeEncodeError, ValueError):
        return urlencode(fields, encoding="utf-8").encode("ascii")


def _notice_state():
    return rows(Payment, Order, PaymentNotice), count(OrderHistory)


def _progress() -> dict:
    db.session.expire_all()
    return {p.id: PAIDY.rank(p.status) for p in db.session.scalars(select(Payment))}


DROP = object()
hashes = st.one_of(st.none(), st.just(DROP), texts,
                   st.text("0123456789abcdefABCDEF", min_size=64, max_size=64))


@fuzz(60)
@example(changes={}, hc=None, raw=b"", charset="cp932", shop_code="%2F0", sign=False, huge=0)
@example(changes={}, hc="ａ" * 64, raw=b"", charset="cp932", shop_code="demo", sign=False,
         huge=0)
@example(changes={"payment_notice_id": "999", "payment_amount": "²"}, hc=None, raw=b"hc=\x82",
         charset="cp932", shop_code="demo", sign=True, huge=10)
@example(changes={"payment_notice_id": "998", "payment_amount": "9" * 40}, hc=None, raw=b"=",
         charset="utf-8", shop_code="demo", sign=True, huge=0)
@given(changes=notice_changes, hc=hashes, raw=st.binary(max_size=400),
       charset=st.sampled_from(["cp932", "utf-8", "euc-jp", "latin-1"]),
       shop_code=st.one_of(st.just("demo"), path_ids), sign=st.booleans(),
       huge=st.integers(0, 120_000))
def test_notice_endpoint_takes_anything_and_applies_only_valid_hashes(
        client, shops, changes, hc, raw, charset, shop_code, sign, huge):
    if not count(Order):
        add_to_cart(client)
        fill_zero_step(client)
        start = paidy_start(client).get_json()
        authorize_at_paidy(shops, start["payload"])  # the buyer never came back
    real = json.loads(shops.store.db.execute(
        "SELECT fields FROM notices ORDER BY id").fetchone()["fields"])

    # raw bytes of any kind: Shift_JIS, invalid sequences, no '=' at all, huge bodies
    for body in (raw, raw * (huge // max(len(raw), 1)) if raw else b"a=" + b"\x82" * huge):
        before = _notice_state()
        response = client.post(f"/notices/paygent/{shop_code}", data=body,
                               content_type="application/x-www-form-urlencoded; charset=Shift_JIS")
        # (a '/' in the code is no route, or "%2F" merges slashes into a 308: nothing applied)
        assert response.status_code in (403, 404, 308), response.status_code
        if response.status_code == 403 or shop_code == "demo":
            assert response.get_data() == b"result=1"
        assert _notice_state() == before

    # the real notice with fields dropped, replaced or added, and any hc
    fields = dict(real)
    for key, value in changes.items():
        if value is None:
            fields.pop(key, None)
        else:
            fields[key] = value
    if hc is DROP:
        fields.pop("hc", None)
    elif hc is not None:
        fields["hc"] = hc
    valid = fields.get("hc") == notice_hash(fields, HASH_KEY)
    before = _notice_state()
    response = client.post("/notices/paygent/demo", data=_body(fields, charset),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 403), response.status_code
    if response.status_code == 403 or not valid:
        assert response.status_code == 403 and _notice_state() == before

    # the same fields signed with the shop's key: taken (never a 500), payments only go forward
    if sign:
        fields["hc"] = notice_hash(fields, HASH_KEY)
        encoded = _body(fields, "cp932")
        received = decode_form(encoded)
        assume(received.get("hc") == notice_hash(received, HASH_KEY))  # cp932 could carry it
        before = _progress()
        response = client.post("/notices/paygent/demo", data=encoded,
                               content_type="application/x-www-form-urlencoded")
        event(f"signed notice {response.status_code}")
        if received.get("payment_notice_id"):
            assert response.status_code == 200 and response.get_data() == b"result=0"
        else:
            assert response.status_code == 403  # a notice without its id is not PAYGENT's
        after = _progress()
        assert all(after[k] >= v for k, v in before.items()), (before, after)


# =========================================================================================
# CSRF: missing or garbage tokens are refused with a Japanese page, before anything happens
# =========================================================================================
@fuzz(8)
@given(bad=st.one_of(st.none(), texts.filter(bool)))
def test_missing_or_garbage_csrf_token_is_a_japanese_400(owner, bad):
    client = owner
    ids = {"order": 1, "method": method("bank_transfer").id, "delivery": delivery().id,
           "product": product().id, "staff": db.session.scalar(select(Staff.id).where(
               Staff.email == "staff@example.com"))}
    paths = [
        "/admin/login", "/admin/logout", "/admin/orders/rollback",
        "/admin/orders/{order}/capture", "/admin/orders/{order}/cancel-payment",
        "/admin/orders/{order}/refund", "/admin/orders/{order}/refresh",
        "/admin/orders/{order}/complete", "/admin/orders/{order}/cancel",
        "/admin/orders/{order}/edit", "/admin/bulk/action", "/admin/bulk/confirm",
        "/admin/bulk/run", "/admin/settings/shop", "/admin/settings/deliveries/new",
        "/admin/settings/deliveries/{delivery}", "/admin/products/new",
        "/admin/products/{product}/edit", "/admin/payment-methods/add",
        "/admin/payment-methods/{method}/remove", "/admin/payment-methods/{method}/move",
        "/admin/payment-methods/paidy", "/admin/payment-methods/paidy/confirm",
        "/admin/payment-methods/card", "/admin/payment-methods/card/save",
        "/admin/payment-methods/conveni", "/admin/payment-methods/atm/save",
        "/admin/payment-methods/bank", "/s/demo/checkout/deferred/apply",
        "/admin/payment-methods/paygent", "/admin/payment-methods/paygent/save",
        "/admin/payment-methods/{method}/basic", "/admin/notices/1/rematch",
        "/admin/orders/{order}/reviewed", "/admin/password", "/admin/staff/{staff}/disable",
        "/admin/staff/{staff}/enable",
        "/s/demo/cart/add", "/s/demo/cart",
        "/s/demo3/checkout/step1", "/s/demo3/checkout/step2", "/s/demo/checkout/confirm",
        "/s/demo/checkout/paidy/start", "/s/demo/checkout/paidy/result",
    ]
    tables = (Order, Payment, Product, ShopSettings, DeliveryMethod, PaymentMethod,
              PaygentAccount, SettingsDraft, BulkRun, CardSettings)
    before = rows(*tables)
    for path in paths:
        path = path.format(**ids)
        data = {"kind": "cod", "product_id": str(ids["product"]), "quantity": "1",
                "name": "x", "code": "x1", "price": "1", "stock": "1", "tax_rate": "10"}
        headers = {}
        if bad is not None:
            data["csrf_token"] = bad
            if bad.isascii() and bad.isprintable():  # what a header can carry
                headers["X-CSRFToken"] = bad
        response = client.post(path, data=data, headers=headers)
        assert_japanese_error_page(response, 400)
        assert "画面の有効期限が切れました" in response.get_data(as_text=True)
    assert rows(*tables) == before
    assert client.get("/admin/").status_code == 200  # still signed in: logout was refused
