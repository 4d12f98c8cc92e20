"""ペイジェント(コンビニ決済), (ATM決済) and (銀行ネット決済) settings: 支払期限日 and each method's
items (seed 003 §1.6.2), お支払い期限のお知らせメール, the shop's common PAYGENT connection asked
for once (then read-only), 「確認画面へ」 → 「設定する」 with the connection test, 「戻る」 keeping
the input, bad input explained beside its field, owners only, one shop each."""
import html as markup
import re

import pytest
from sqlalchemy import select

from cart.extensions import db
from cart.methods.deferred.config import deferred_settings_for
from cart.models import DeferredSettings, PaygentAccount, PaymentMethod

from ..conftest import csrf_token
from .checkout_helpers import shop

CONNECTION = {"environment": "sandbox", "merchant_id": "900000777",
              "connect_id": "new_connect", "connect_password": "s3cret-connect-pass",
              "notice_hash_key": "s3cret-hash-key"}
CONDITIONS = {"hide_from_on": "y", "hide_from": "３００,０００", "note": "入金確認後の発送です",
              "note_in_thanks_mail": "y"}
#: what each page is sent, what its 確認画面 shows, the row it stores
METHODS = {
    "conveni": {
        "title": "ペイジェント(コンビニ決済) 設定", "name": "コンビニ決済",
        "data": {"days": "１０", "connection_type": "ABD",
                 "stores": ["00C016", "00C001", "00C005"], "reminder_days": "3"},
        "shown": ("購入日より10日", "A/B/D", "セブン-イレブン、ファミリーマート、セイコーマート",
                  "期限の3日前"),
        "row": {"days": 10, "connection_type": "ABD", "stores": "00C001,00C005,00C016",
                "reminder_days": 3},
    },
    "atm": {
        "title": "ペイジェント(ATM決済) 設定", "name": "ATM決済（ペイジー）",
        "data": {"days": "45", "shop_name_kana": "おちゃの　みせ", "reminder_days": "0"},
        "shown": ("購入日より45日", "ｵﾁｬﾉ ﾐｾ", "送らない"),
        "row": {"days": 45, "shop_name_kana": "ｵﾁｬﾉ ﾐｾ", "reminder_days": 0},
    },
    "bank": {
        "title": "ペイジェント(銀行ネット決済) 設定", "name": "銀行ネット決済",
        "data": {"days": "99", "shop_name": "Tea茶舗", "shop_name_kana": "ティーチャホ",
                 "copyright": "Ｃｏｐｙｒｉｇｈｔ (c) Tea", "free_memo": "ありがとうございます",
                 "reminder_days": "7"},
        "shown": ("購入日より99日", "Ｔｅａ茶舗", "ﾃｨｰﾁｬﾎ", "Copyright (c) Tea",
                  "ありがとうございます", "期限の7日前"),
        "row": {"days": 99, "shop_name": "Ｔｅａ茶舗", "shop_name_kana": "ﾃｨｰﾁｬﾎ",
                "copyright": "Copyright (c) Tea", "free_memo": "ありがとうございます",
                "reminder_days": 7},
    },
}
LABELS = {
    "conveni": ("コンビニ(番号方式)決済設定", "支払期限日", "購入日より", "コンビニ接続タイプ",
                "A/B/D", "利用コンビニ", "セブン-イレブン", "ローソン", "ミニストップ",
                "ファミリーマート", "デイリーヤマザキ", "セイコーマート",
                "ペイジェントからメールでご案内したコンビニ接続タイプを選択してください。"),
    "atm": ("ATM決済設定", "支払期限日", "店舗名(カナ)", "入金時に表示される店舗名を入力してください。"),
    "bank": ("銀行ネット決済設定", "支払期限日", "店舗名(全角)", "店舗名(カナ)",
             "コピーライト(半角英数)", "自由メモ欄(全角)",
             "決済画面に表示される店舗名を入力してください", "決済画面に表示されるメッセージ"),
}
DEFAULT_DAYS = {"conveni": 15, "atm": 30, "bank": 7}
SECRETS = (CONNECTION["connect_password"], CONNECTION["notice_hash_key"], "demo-connect-pass",
           "demo-hash-key-0001")


def form_path(code):
    return f"/admin/payment-methods/{code}"


@pytest.fixture
def new_shop(app, sandbox, runner):
    """A shop made by the CLI: nothing configured. Its merchant exists at the sandbox."""
    app.config["SANDBOX_URL"] = sandbox.url
    result = runner.invoke(args=["shops", "create", "tea", "--name", "新茶舗", "--owner-email",
                                 "owner@tea.test", "--owner-password", "password123"])
    assert result.exit_code == 0
    sandbox.store.upsert_merchant("900000777", "new_connect", "s3cret-connect-pass",
                                  "s3cret-hash-key", "", "")
    return shop("tea")


def _post(client, code, data, path=None):
    path = path or form_path(code)
    page = client.get(path).get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_token(page), **data},
                       content_type="multipart/form-data")


def _draft_of(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return re.search(r"draft=([^&]+)", response.headers["Location"]).group(1)


def _confirm(client, code, response, force=False):
    """Open the 確認画面 the form led to and press 「設定する」."""
    draft = _draft_of(response)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "draft": draft}
    if force:
        data["force"] = "1"
    return page, client.post(f"{form_path(code)}/save", data=data)


def _stored(shop_id, code) -> DeferredSettings | None:
    db.session.expire_all()
    return db.session.scalar(select(DeferredSettings).where(
        DeferredSettings.shop_id == shop_id, DeferredSettings.method == code))


def _row(shop_id, code) -> dict | None:
    row = _stored(shop_id, code)
    if row is None:
        return None
    return {c.key: getattr(row, c.key) for c in row.__table__.columns
            if c.key not in ("id", "created_at", "updated_at")}


def _account(shop_id):
    db.session.expire_all()
    return db.session.scalar(select(PaygentAccount).where(PaygentAccount.shop_id == shop_id))


def _method(shop_id, kind):
    db.session.expire_all()
    return db.session.scalar(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop_id, PaymentMethod.kind == kind))


def _checked(html: str, name: str, value: str) -> bool:
    return any("checked" in tag and f'value="{value}"' in tag
               for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', html))


def _selected(html: str, name: str) -> str:
    select_ = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.search(r'<option selected value="([^"]*)"', select_).group(1)


def _value(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    match = re.search(r'value="([^"]*)"', tag)
    return markup.unescape(match.group(1)) if match else ""


def _field_block(html: str, message: str) -> str:
    block = re.search(r'<div class="field[^"]*has-error[^"]*"[^>]*>(?:(?!<div class="field).)*?'
                      + re.escape(message), html, re.S)
    assert block, f"{message!r} not in a field's block"
    return block.group(0)


def _no_secret_in(html: str) -> None:
    for secret in SECRETS:
        assert secret not in html


def _expected_row(code, shop_id, **changes) -> dict:
    row = {"shop_id": shop_id, "method": code, "connection_type": "ABD", "stores": "",
           "shop_name": "", "shop_name_kana": "", "copyright": "", "free_memo": ""}
    row.update(METHODS[code]["row"], **changes)
    return row


# -- access -------------------------------------------------------------------------------
@pytest.mark.parametrize("code", METHODS)
@pytest.mark.parametrize("verb, suffix", [("get", ""), ("post", ""), ("get", "/confirm?draft=x"),
                                          ("post", "/save")])
def test_staff_are_refused(client, login_as, shops, code, verb, suffix):
    login_as("staff@example.com", "demo1234")
    page = client.get("/admin/").get_data(as_text=True)
    before = _row(shop().id, code)
    kwargs = ({"data": {"csrf_token": csrf_token(page), **METHODS[code]["data"]}}
              if verb == "post" else {})
    assert getattr(client, verb)(form_path(code) + suffix, **kwargs).status_code == 403
    assert _row(shop().id, code) == before


@pytest.mark.parametrize("code", METHODS)
def test_signed_out_visitors_go_to_the_login(client, shops, code):
    response = client.get(form_path(code))
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


@pytest.mark.parametrize("code", METHODS)
@pytest.mark.parametrize("suffix", ["", "/save"])
def test_a_post_without_its_csrf_token_is_refused(client, login_as, shops, code, suffix):
    login_as("owner@example.com", "demo1234")
    before = _row(shop().id, code)
    response = client.post(form_path(code) + suffix, data={**METHODS[code]["data"], "draft": "x"})
    assert response.status_code == 400
    assert "画面の有効期限が切れました" in response.get_data(as_text=True)
    assert _row(shop().id, code) == before


def test_another_shops_draft_is_out_of_reach(app, client, login_as, shops):
    other = app.test_client()
    page = other.get("/admin/login").get_data(as_text=True)
    other.post("/admin/login", data={"email": "owner3@example.com", "password": "demo1234",
                                     "csrf_token": csrf_token(page)})
    draft = _draft_of(_post(other, "atm", {**METHODS["atm"]["data"],
                                           "shop_name_kana": "ダイサンノミセ"}))
    login_as("owner@example.com", "demo1234")
    before = _row(shop().id, "atm")
    opened = client.get(f"/admin/payment-methods/atm/confirm?draft={draft}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/atm")
    back = client.get(f"/admin/payment-methods/atm?draft={draft}").get_data(as_text=True)
    assert "ﾀﾞｲｻﾝﾉﾐｾ" not in back and "ダイサンノミセ" not in back  # a fresh form
    token = csrf_token(back)
    saved = client.post("/admin/payment-methods/atm/save", data={"csrf_token": token,
                                                                 "draft": draft})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/atm")
    assert _row(shop().id, "atm") == before
    assert _stored(shop("demo3").id, "atm").shop_name_kana != "ﾀﾞｲｻﾝﾉﾐｾ"


def test_one_methods_draft_is_not_anothers(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    before = {code: _row(shop().id, code) for code in METHODS}
    draft = _draft_of(_post(client, "conveni", METHODS["conveni"]["data"]))
    for code in ("atm", "bank", "card"):
        opened = client.get(f"{form_path(code)}/confirm?draft={draft}")
        assert opened.status_code == 302 and opened.headers["Location"].endswith(form_path(code))
        token = csrf_token(client.get(form_path(code)).get_data(as_text=True))
        assert client.post(f"{form_path(code)}/save", data={
            "csrf_token": token, "draft": draft}).status_code == 302
    assert {code: _row(shop().id, code) for code in METHODS} == before


# -- first setup: the connection is asked for ----------------------------------------------
@pytest.mark.parametrize("code", METHODS)
def test_first_setup_asks_for_the_connection_tests_it_and_saves(client, login_as, new_shop,
                                                                sandbox, code):
    spec = METHODS[code]
    login_as("owner@tea.test")
    partner = client.get("/admin/payment-methods/?tab=partner").get_data(as_text=True)
    assert spec["title"].removesuffix(" 設定") in partner
    client.post("/admin/payment-methods/add", data={"csrf_token": csrf_token(partner),
                                                    "kind": code})
    listed = client.get("/admin/payment-methods/").get_data(as_text=True)
    assert "未設定" in listed and f'href="{form_path(code)}"' in listed

    form = client.get(form_path(code)).get_data(as_text=True)
    assert spec["title"] in form
    for label in LABELS[code] + ("お支払い期限のお知らせメール", "送らない", "期限の1日前",
                                 "期限の7日前", "適用条件", "注意書き", "支払方法の名称",
                                 spec["name"], "接続先", "マーチャントID", "接続IDパスワード",
                                 "差分通知ハッシュ値生成キー", "確認画面へ"):
        assert label in form, label
    assert "ペイジェントの接続設定がまだありません" in form
    assert _value(form, "days") == str(DEFAULT_DAYS[code])  # seed 003's defaults
    assert _selected(form, "reminder_days") == "0"
    if code == "conveni":
        assert _checked(form, "connection_type", "ABD")
        assert all(_checked(form, "stores", s) for s in ("00C001", "00C004", "00C016"))

    response = _post(client, code, {**spec["data"], **CONDITIONS, **CONNECTION})
    assert _account(new_shop.id) is None and _stored(new_shop.id, code) is None  # not yet
    page, saved = _confirm(client, code, response)
    assert spec["title"] + "の確認" in page
    for shown in spec["shown"] + ("900000777", "new_connect", "********（入力あり）",
                                  "300,000円以上の場合は表示しない", "入金確認後の発送です"):
        assert shown in page, shown
    _no_secret_in(page)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(
        "/admin/payment-methods/")
    listed = client.get("/admin/payment-methods/").get_data(as_text=True)
    assert "接続試験に成功し、設定しました。" in listed

    assert _row(new_shop.id, code) == _expected_row(code, new_shop.id)
    assert deferred_settings_for(new_shop.id, code).days == spec["row"]["days"]
    account = _account(new_shop.id)
    assert (account.merchant_id, account.connect_id, account.connect_password,
            account.notice_hash_key, account.paidy_public_key) == (
        "900000777", "new_connect", "s3cret-connect-pass", "s3cret-hash-key", "")
    method = _method(new_shop.id, code)
    assert (method.in_use, method.configured, method.hide_from, method.note,
            method.note_in_thanks_mail, method.note_on_payment_page) == (
        True, True, 300_000, "入金確認後の発送です", True, False)
    assert [t["telegram_kind"] for t in sandbox.telegrams()] == ["094"]

    again = client.get(form_path(code)).get_data(as_text=True)
    assert 'name="connect_password"' not in again and "ペイジェント設定（共通）" in again
    assert _value(again, "days") == str(spec["row"]["days"])
    assert _selected(again, "reminder_days") == str(spec["row"]["reminder_days"])
    _no_secret_in(again)


def test_saving_adds_a_method_missing_from_the_list(client, login_as, new_shop):
    """Opened straight from its URL, the method joins the list when it is saved."""
    login_as("owner@tea.test")
    assert _method(new_shop.id, "bank") is None
    _confirm(client, "bank", _post(client, "bank", {**METHODS["bank"]["data"], **CONNECTION}))
    method = _method(new_shop.id, "bank")
    assert method.in_use and method.configured
    from cart.methods import registry
    db.session.expire_all()
    assert registry.get("bank").available(new_shop.id)


# -- edit: the connection is the shop's, shown read-only ----------------------------------
@pytest.mark.parametrize("code", METHODS)
def test_a_shop_with_a_connection_edits_its_settings_and_keeps_the_connection(
        client, login_as, shops, code):
    demo = shop()
    account_before = {c.key: getattr(_account(demo.id), c.key)
                      for c in PaygentAccount.__table__.columns}
    login_as("owner@example.com", "demo1234")
    form = client.get(form_path(code)).get_data(as_text=True)
    assert "ペイジェント設定（共通）" in form and "900000001" in form
    for name in ("merchant_id", "connect_password", "notice_hash_key", "environment"):
        assert f'name="{name}"' not in form
    # the stored values come first
    stored = _stored(demo.id, code)
    assert _value(form, "days") == str(stored.days)
    page, saved = _confirm(client, code, _post(client, code, {**METHODS[code]["data"],
                                                              **CONNECTION}))
    assert "900000001" in page and "900000777" not in page
    _no_secret_in(page)
    assert saved.status_code == 302
    assert _row(demo.id, code) == _expected_row(code, demo.id)
    assert {c.key: getattr(_account(demo.id), c.key)
            for c in PaygentAccount.__table__.columns} == account_before
    assert _method(demo.id, code).configured
    again = client.get(form_path(code)).get_data(as_text=True)
    assert _value(again, "days") == str(METHODS[code]["row"]["days"])
    assert deferred_settings_for(demo.id, code).days == METHODS[code]["row"]["days"]


def test_atm_shows_a_stored_name_as_it_was_saved(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    _confirm(client, "atm", _post(client, "atm", {"days": "30",
                                                  "shop_name_kana": "ﾁｬﾎ ｻﾝﾌﾟﾙ"}))
    assert _stored(shop().id, "atm").shop_name_kana == "ﾁｬﾎ ｻﾝﾌﾟﾙ"
    assert _value(client.get("/admin/payment-methods/atm").get_data(as_text=True),
                  "shop_name_kana") == "ﾁｬﾎ ｻﾝﾌﾟﾙ"


def test_conveni_type_f_offers_its_own_stores(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    data = {"days": "15", "connection_type": "F", "stores": ["00C002", "00C014"]}
    page, saved = _confirm(client, "conveni", _post(client, "conveni", data))
    assert "ローソン・ミニストップ、デイリーヤマザキ" in page
    row = _stored(shop().id, "conveni")
    assert (row.connection_type, row.stores) == ("F", "00C002,00C014")
    from cart.methods import registry
    db.session.expire_all()
    assert list(registry.get("conveni").offered_stores(
        deferred_settings_for(shop().id, "conveni"))) == ["00C002", "00C014"]


# -- 「戻る」 from the 確認画面 --------------------------------------------------------------
def test_back_from_the_confirm_page_keeps_what_was_typed(client, login_as, new_shop):
    login_as("owner@tea.test")
    data = {**METHODS["bank"]["data"], **CONDITIONS, **CONNECTION}
    response = _post(client, "bank", data)
    draft = _draft_of(response)
    confirm = client.get(response.headers["Location"]).get_data(as_text=True)
    back_link = re.search(r'<a class="btn" href="([^"]+)">戻る</a>', confirm).group(1)
    assert f"draft={draft}" in back_link
    back = client.get(back_link.replace("&amp;", "&")).get_data(as_text=True)
    for name, value in (("days", "99"), ("shop_name", "Tea茶舗"), ("shop_name_kana", "ティーチャホ"),
                        ("copyright", "Ｃｏｐｙｒｉｇｈｔ (c) Tea"), ("merchant_id", "900000777"),
                        ("connect_id", "new_connect"), ("hide_from", "300000")):
        assert _value(back, name) == value, name
    assert _selected(back, "reminder_days") == "7"
    assert "入金確認後の発送です" in back
    _no_secret_in(back)  # the secrets stay in the draft ...
    assert _value(back, "connect_password") == ""
    # ... and come along when the form is sent again with them blank
    changed = {**data, "days": "20", "connect_password": "", "notice_hash_key": "",
               "draft": draft}
    page, saved = _confirm(client, "bank", _post(client, "bank", changed, path=back_link))
    assert "購入日より20日" in page and page.count("********（入力あり）") == 2
    assert saved.status_code == 302
    assert _stored(new_shop.id, "bank").days == 20
    assert _account(new_shop.id).connect_password == "s3cret-connect-pass"


# -- bad input ----------------------------------------------------------------------------
BAD = [
    ("conveni", {"days": ""}, "days", "支払期限日を入力してください。"),
    ("conveni", {"days": "0"}, "days", "支払期限日は1～60日で入力してください。"),
    ("conveni", {"days": "-3"}, "days", "支払期限日は1～60日で入力してください。"),
    ("conveni", {"days": "６１"}, "days", "支払期限日は1～60日で入力してください。"),
    ("conveni", {"days": "十日"}, "days", "半角数字（整数）で入力してください。"),
    ("conveni", {"days": "9" * 40}, "days", "半角数字（整数）で入力してください。"),
    ("conveni", {"days": "99999999999"}, "days", "支払期限日は1～60日で入力してください。"),
    ("conveni", {"stores": []}, "stores", "利用コンビニを1つ以上選択してください。"),
    ("conveni", {"stores": ["00C001", "00C999"]}, "stores", "選択肢が正しくありません。"),
    ("conveni", {"connection_type": "F", "stores": ["00C001", "00C004"]}, "stores",
     "ミニストップはコンビニ接続タイプ「F」では選択できません。"),
    ("conveni", {"connection_type": "Z"}, "connection_type", "選択肢が正しくありません。"),
    ("conveni", {"reminder_days": "3", "days": "3"}, "reminder_days",
     "お支払い期限のお知らせメールは、支払期限日（購入日より3日）より前になる日を選択してください。"),
    ("conveni", {"reminder_days": "30"}, "reminder_days", "選択肢が正しくありません。"),
    ("atm", {"days": "61"}, "days", "支払期限日は1～60日で入力してください。"),
    ("atm", {"shop_name_kana": ""}, "shop_name_kana", "店舗名(カナ)を入力してください。"),
    ("atm", {"shop_name_kana": "   "}, "shop_name_kana", "店舗名(カナ)を入力してください。"),
    ("atm", {"shop_name_kana": "お茶の店"}, "shop_name_kana",
     "店舗名(カナ)に半角カナにできない文字（「茶」「店」）が含まれています。"),
    ("atm", {"shop_name_kana": "<script>alert(1)</script>"}, "shop_name_kana",
     "店舗名(カナ)に半角カナにできない文字（「&lt;」「&gt;」"),
    ("atm", {"shop_name_kana": "ガ" * 13}, "shop_name_kana",
     "店舗名(カナ)は半角カナにして24文字以内で入力してください（濁点・半濁点も1文字に数えます。現在26文字）。"),
    ("atm", {"shop_name_kana": "ア" * 5000}, "shop_name_kana", "400文字以内で入力してください。"),
    ("bank", {"days": "100"}, "days", "支払期限日は1～99日で入力してください。"),
    ("bank", {"shop_name": ""}, "shop_name", "店舗名(全角)を入力してください。"),
    ("bank", {"shop_name": "お茶とお菓子のオンラインショップ"}, "shop_name",
     "店舗名(全角)は全角12文字以内で入力してください（現在16文字）。"),
    ("bank", {"shop_name": "🍵茶舗"}, "shop_name", "店舗名(全角)に使えない文字（「🍵」）が含まれています。"),
    ("bank", {"shop_name_kana": ""}, "shop_name_kana", "店舗名(カナ)を入力してください。"),
    ("bank", {"shop_name_kana": "ア" * 49}, "shop_name_kana",
     "店舗名(カナ)は半角カナにして48文字以内で入力してください"),
    ("bank", {"copyright": "© Tea"}, "copyright", "コピーライトは半角英数字記号で入力してください。"),
    ("bank", {"copyright": "c" * 101}, "copyright", "コピーライトは100文字以内で入力してください。"),
    ("bank", {"free_memo": "あ" * 101}, "free_memo", "自由メモ欄は全角100文字以内で入力してください（現在101文字）。"),
    ("bank", {"hide_from": "5万"}, "hide_from", "半角数字（整数）で入力してください。"),
    ("bank", {"merchant_id": "12345678a"}, "merchant_id", "マーチャントIDは9桁の半角数字で入力してください。"),
    ("bank", {"connect_password": ""}, "connect_password", "接続IDパスワードを入力してください。"),
]


@pytest.mark.parametrize("code, changes, field, message", BAD,
                         ids=[f"{c}-{f}-{i}" for i, (c, _, f, _) in enumerate(BAD)])
def test_bad_input_is_explained_beside_the_field_kept_and_nothing_saved(
        client, login_as, new_shop, code, changes, field, message):
    login_as("owner@tea.test")
    data = {**METHODS[code]["data"], **CONNECTION, **changes}
    response = _post(client, code, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "入力内容に誤りがあります" in html
    assert f'name="{field}"' in _field_block(html, message)
    assert html.count('class="field has-error') + html.count('class="field inline-field has-error') == 1
    for name, value in data.items():  # everything typed is still there
        if name in ("connect_password", "notice_hash_key", "reminder_days", "environment",
                    "connection_type", "stores") or len(str(value)) > 200:
            continue
        assert _value(html, name) == value.strip(), name
    if field != "reminder_days":
        assert _selected(html, "reminder_days") == data["reminder_days"]
    if code == "conveni" and field not in ("stores", "connection_type"):
        assert all(_checked(html, "stores", s) for s in data["stores"])
    assert "<script>alert" not in html
    _no_secret_in(html)
    assert _account(new_shop.id) is None and _stored(new_shop.id, code) is None


@pytest.mark.parametrize("code", METHODS)
def test_nothing_sent_breaks_a_page(client, login_as, shops, code):
    """Odd posts (fields missing, repeated, far too long, binary) get a page, never a 500."""
    login_as("owner@example.com", "demo1234")
    odd = [{}, {"days": "1e3"}, {"days": "1.5"}, {"days": "０x１"}, {"reminder_days": ""},
           {"reminder_days": "-1"}, {"stores": ["", "00C001"]}, {"connection_type": ""},
           {"shop_name": "\x00\x01"}, {"shop_name_kana": "ｶﾞ" * 30}, {"free_memo": "\ud7ff" * 3},
           {"copyright": "\t\n"}, {"days": "1", "reminder_days": "1"}, {"draft": "nope"},
           {name: "x" * 100_000 for name in ("days", "shop_name", "shop_name_kana",
                                             "copyright", "free_memo", "note")}]
    for changes in odd:
        response = _post(client, code, {**METHODS[code]["data"], **changes})
        assert response.status_code in (200, 302), changes
    for path in (f"{form_path(code)}?draft=", f"{form_path(code)}?draft=%00",
                 f"{form_path(code)}/confirm", f"{form_path(code)}/confirm?draft=" + "x" * 5000):
        assert client.get(path).status_code in (200, 302), path


# -- the connection test --------------------------------------------------------------------
def test_a_failing_connection_test_is_explained_and_saves_nothing_unless_asked(
        client, login_as, new_shop):
    login_as("owner@tea.test")
    response = _post(client, "conveni", {**METHODS["conveni"]["data"], **CONNECTION,
                                         "connect_password": "wrong-password"})
    page, tested = _confirm(client, "conveni", response)
    html = tested.get_data(as_text=True)
    assert tested.status_code == 200
    assert "接続試験に失敗しました" in html and "認証に失敗しました" in html
    assert "設定は保存されていません" in html and "wrong-password" not in html
    assert _account(new_shop.id) is None and _stored(new_shop.id, "conveni") is None
    assert _method(new_shop.id, "conveni") is None
    draft = re.search(r'name="draft" value="([^"]+)"', html).group(1)
    forced = client.post("/admin/payment-methods/conveni/save", data={
        "csrf_token": csrf_token(html), "draft": draft, "force": "1"})
    assert forced.status_code == 302
    assert "接続試験に失敗しましたが、設定を保存しました。" in client.get(
        "/admin/payment-methods/").get_data(as_text=True)
    assert _account(new_shop.id).connect_password == "wrong-password"
    assert _row(new_shop.id, "conveni") == _expected_row("conveni", new_shop.id)


def test_a_stale_draft_after_the_connection_was_set_elsewhere_is_refused(client, login_as,
                                                                         new_shop):
    login_as("owner@tea.test")
    draft = _draft_of(_post(client, "atm", {**METHODS["atm"]["data"], **CONNECTION}))
    db.session.add(PaygentAccount(shop_id=new_shop.id, environment="sandbox",
                                  merchant_id="900000777", connect_id="new_connect",
                                  connect_password="s3cret-connect-pass"))
    db.session.commit()
    token = csrf_token(client.get(form_path("atm")).get_data(as_text=True))
    saved = client.post("/admin/payment-methods/atm/save", data={"csrf_token": token,
                                                                 "draft": draft})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/atm")
    assert "接続設定が変更されました" in client.get(form_path("atm")).get_data(as_text=True)
    assert _stored(new_shop.id, "atm") is None
