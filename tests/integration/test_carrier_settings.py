"""ペイジェント(携帯キャリア決済) settings (seed 003 §1.6.2 携帯キャリア決済設定): 利用決済 (d払い,
auかんたん決済, ソフトバンクまとめて支払い・ワイモバイルまとめて支払い; one at least, stored in
that order) and 同時売上, 適用条件 and 注意書き; the shop's common PAYGENT connection asked for
once (then read-only), 「確認画面へ」 → 「設定する」 with the connection test, 「戻る」 keeping the
input, bad input explained beside its field, owners only, one shop each."""
import html as markup
import re

import pytest
from sqlalchemy import select

from cart.extensions import db
from cart.methods.carrier.config import carrier_settings_for
from cart.models import CarrierSettings, PaygentAccount, PaymentMethod

from ..conftest import csrf_token
from .checkout_helpers import shop

PATH = "/admin/payment-methods/carrier"
TITLE = "ペイジェント(携帯キャリア決済) 設定"
CONNECTION = {"environment": "sandbox", "merchant_id": "900000777",
              "connect_id": "new_connect", "connect_password": "s3cret-connect-pass",
              "notice_hash_key": "s3cret-hash-key"}
CONDITIONS = {"hide_from_on": "y", "hide_from": "５０,０００", "note": "月々の携帯料金と合わせてのお支払いです",
              "note_on_payment_page": "y"}
#: sent in the reverse of the checkout's order: stored in CARRIERS' order all the same
DATA = {"carriers": ["softbank", "docomo"], "sales_mode": "capture"}
NAMES = {"docomo": "d払い", "au": "auかんたん決済(au / UQ mobile / povo)",
         "softbank": "ソフトバンクまとめて支払い・ワイモバイルまとめて支払い"}
SECRETS = (CONNECTION["connect_password"], CONNECTION["notice_hash_key"], "demo-connect-pass",
           "demo-hash-key-0001")


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


def _post(client, data, path=PATH):
    page = client.get(path).get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_token(page), **data},
                       content_type="multipart/form-data")


def _draft_of(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return re.search(r"draft=([^&]+)", response.headers["Location"]).group(1)


def _confirm(client, response, force=False):
    """Open the 確認画面 the form led to and press 「設定する」."""
    draft = _draft_of(response)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "draft": draft}
    if force:
        data["force"] = "1"
    return page, client.post(f"{PATH}/save", data=data)


def _row(shop_id) -> dict | None:
    db.session.expire_all()
    row = db.session.scalar(select(CarrierSettings).where(CarrierSettings.shop_id == shop_id))
    if row is None:
        return None
    return {"shop_id": row.shop_id, "carriers": row.carriers, "sales_mode": row.sales_mode}


def _account(shop_id):
    db.session.expire_all()
    return db.session.scalar(select(PaygentAccount).where(PaygentAccount.shop_id == shop_id))


def _method(shop_id):
    db.session.expire_all()
    return db.session.scalar(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop_id, PaymentMethod.kind == "carrier"))


def _checked(html: str, name: str, value: str) -> bool:
    return any("checked" in tag and f'value="{value}"' in tag
               for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', html))


def _value(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    match = re.search(r'value="([^"]*)"', tag)
    return markup.unescape(match.group(1)) if match else ""


def _confirm_row(html: str, heading: str) -> str:
    match = re.search(rf"<tr><th>{re.escape(heading)}</th><td>(.*?)</td></tr>", html, re.S)
    assert match, f"no row {heading!r} on the 確認画面"
    return " ".join(markup.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def _field_block(html: str, message: str) -> str:
    block = re.search(r'<div class="field[^"]*has-error[^"]*"[^>]*>(?:(?!<div class="field).)*?'
                      + re.escape(message), html, re.S)
    assert block, f"{message!r} not in a field's block"
    return block.group(0)


def _no_secret_in(html: str) -> None:
    for secret in SECRETS:
        assert secret not in html


def _demo_owner(login_as):
    login_as("owner@example.com", "demo1234")
    return shop()


# -- access -------------------------------------------------------------------------------
@pytest.mark.parametrize("verb, suffix", [("get", ""), ("post", ""), ("get", "/confirm?draft=x"),
                                          ("post", "/save")])
def test_staff_are_refused(client, login_as, shops, verb, suffix):
    login_as("staff@example.com", "demo1234")
    page = client.get("/admin/").get_data(as_text=True)
    before = _row(shop().id)
    kwargs = {"data": {"csrf_token": csrf_token(page), **DATA}} if verb == "post" else {}
    assert getattr(client, verb)(PATH + suffix, **kwargs).status_code == 403
    assert _row(shop().id) == before


def test_signed_out_visitors_go_to_the_login(client, shops):
    response = client.get(PATH)
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


@pytest.mark.parametrize("suffix", ["", "/save"])
def test_a_post_without_its_csrf_token_is_refused(client, login_as, shops, suffix):
    demo = _demo_owner(login_as)
    before = _row(demo.id)
    response = client.post(PATH + suffix, data={**DATA, "draft": "x"})
    assert response.status_code == 400
    assert "画面の有効期限が切れました" in response.get_data(as_text=True)
    assert _row(demo.id) == before


def test_another_shops_draft_is_out_of_reach(app, client, login_as, shops):
    other = app.test_client()
    page = other.get("/admin/login").get_data(as_text=True)
    other.post("/admin/login", data={"email": "owner3@example.com", "password": "demo1234",
                                     "csrf_token": csrf_token(page)})
    draft = _draft_of(_post(other, {"carriers": ["au"], "sales_mode": "capture"}))
    demo = _demo_owner(login_as)
    before, theirs = _row(demo.id), _row(shop("demo3").id)
    opened = client.get(f"{PATH}/confirm?draft={draft}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(PATH)
    back = client.get(f"{PATH}?draft={draft}").get_data(as_text=True)
    assert all(_checked(back, "carriers", code) for code in NAMES)  # a fresh form
    assert _checked(back, "sales_mode", "auth")
    saved = client.post(f"{PATH}/save", data={"csrf_token": csrf_token(back), "draft": draft})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(PATH)
    assert _row(demo.id) == before and _row(shop("demo3").id) == theirs


def test_one_methods_draft_is_not_anothers(client, login_as, shops):
    """A draft of コンビニ決済's page is nothing to this page, and this page's nothing to the
    card's or ATM決済's."""
    demo = _demo_owner(login_as)
    before = _row(demo.id)
    theirs = _draft_of(client.post("/admin/payment-methods/conveni", data={
        "csrf_token": csrf_token(client.get("/admin/payment-methods/conveni").get_data(
            as_text=True)),
        "days": "10", "connection_type": "ABD", "stores": ["00C001"], "reminder_days": "0"}))
    opened = client.get(f"{PATH}/confirm?draft={theirs}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(PATH)
    token = csrf_token(client.get(PATH).get_data(as_text=True))
    assert client.post(f"{PATH}/save", data={"csrf_token": token,
                                             "draft": theirs}).status_code == 302
    assert _row(demo.id) == before

    ours = _draft_of(_post(client, DATA))
    for other in ("card", "atm"):
        path = f"/admin/payment-methods/{other}"
        opened = client.get(f"{path}/confirm?draft={ours}")
        assert opened.status_code == 302 and opened.headers["Location"].endswith(path)
    assert _row(demo.id) == before


# -- first setup: the connection is asked for ----------------------------------------------
def test_first_setup_asks_for_the_connection_tests_it_and_saves(client, login_as, new_shop,
                                                                sandbox):
    login_as("owner@tea.test")
    partner = client.get("/admin/payment-methods/?tab=partner").get_data(as_text=True)
    assert "ペイジェント(携帯キャリア決済)" in partner
    client.post("/admin/payment-methods/add", data={"csrf_token": csrf_token(partner),
                                                    "kind": "carrier"})
    listed = client.get("/admin/payment-methods/").get_data(as_text=True)
    assert "未設定" in listed and f'href="{PATH}"' in listed

    form = client.get(PATH).get_data(as_text=True)
    assert TITLE in form
    for label in ("携帯キャリア決済設定", "利用決済", *NAMES.values(),
                  "利用可能な決済をチェックしてください。", "同時売上", "オーソリのみ",
                  "オーソリ+売上確定", "適用条件", "注意書き", "支払方法の名称", "携帯キャリア決済",
                  "接続先", "マーチャントID", "接続IDパスワード", "差分通知ハッシュ値生成キー",
                  "確認画面へ"):
        assert label in form, label
    for absent in ("支払期限日", "お支払い期限のお知らせメール"):  # the deferred pages' own
        assert absent not in form
    assert "ペイジェントの接続設定がまだありません" in form
    assert all(_checked(form, "carriers", code) for code in NAMES)  # every carrier offered
    assert _checked(form, "sales_mode", "auth")
    assert re.search(r'id="carriers-label">利用決済 <span class="badge badge-warn">必須</span>',
                     form)

    response = _post(client, {**DATA, **CONDITIONS, **CONNECTION})
    assert _account(new_shop.id) is None and _row(new_shop.id) is None  # not yet
    page, saved = _confirm(client, response)
    assert TITLE + "の確認" in page
    assert _confirm_row(page, "利用決済") == f"{NAMES['docomo']}、{NAMES['softbank']}"
    assert _confirm_row(page, "同時売上") == "オーソリ+売上確定"
    assert _confirm_row(page, "支払方法の名称") == "携帯キャリア決済"
    assert _confirm_row(page, "適用条件") == "商品金額が50,000円以上の場合は表示しない"
    assert "月々の携帯料金と合わせてのお支払いです" in _confirm_row(page, "注意書き")
    for shown in ("900000777", "new_connect", "********（入力あり）"):
        assert shown in page, shown
    _no_secret_in(page)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(
        "/admin/payment-methods/")
    listed = client.get("/admin/payment-methods/").get_data(as_text=True)
    assert "接続試験に成功し、設定しました。" in listed

    assert _row(new_shop.id) == {"shop_id": new_shop.id, "carriers": "docomo,softbank",
                                 "sales_mode": "capture"}
    assert carrier_settings_for(new_shop.id).offered == ["docomo", "softbank"]
    account = _account(new_shop.id)
    assert (account.merchant_id, account.connect_id, account.connect_password,
            account.notice_hash_key, account.paidy_public_key) == (
        "900000777", "new_connect", "s3cret-connect-pass", "s3cret-hash-key", "")
    method = _method(new_shop.id)
    assert (method.in_use, method.configured, method.hide_from, method.note,
            method.note_on_payment_page, method.note_in_thanks_mail) == (
        True, True, 50_000, "月々の携帯料金と合わせてのお支払いです", True, False)
    assert [t["telegram_kind"] for t in sandbox.telegrams()] == ["094"]

    again = client.get(PATH).get_data(as_text=True)
    assert 'name="connect_password"' not in again and "ペイジェント設定（共通）" in again
    assert [code for code in NAMES if _checked(again, "carriers", code)] == ["docomo",
                                                                            "softbank"]
    assert _checked(again, "sales_mode", "capture")
    assert _value(again, "hide_from") == "50000"
    _no_secret_in(again)


def test_saving_adds_a_method_missing_from_the_list(client, login_as, new_shop):
    """Opened straight from its URL, the method joins the list when it is saved."""
    login_as("owner@tea.test")
    assert _method(new_shop.id) is None
    _confirm(client, _post(client, {**DATA, **CONNECTION}))
    method = _method(new_shop.id)
    assert method.in_use and method.configured
    assert _row(new_shop.id)["carriers"] == "docomo,softbank"


# -- edit: the connection is the shop's, shown read-only ----------------------------------
def test_a_shop_with_a_connection_edits_its_settings_and_keeps_the_connection(
        client, login_as, shops):
    demo = _demo_owner(login_as)
    account_before = {c.key: getattr(_account(demo.id), c.key)
                      for c in PaygentAccount.__table__.columns}
    form = client.get(PATH).get_data(as_text=True)
    assert "ペイジェント設定（共通）" in form and "900000001" in form
    for name in ("merchant_id", "connect_password", "notice_hash_key", "environment"):
        assert f'name="{name}"' not in form
    assert _row(demo.id) == {"shop_id": demo.id, "carriers": "docomo,au,softbank",
                             "sales_mode": "auth"}  # the demo's, shown first
    assert all(_checked(form, "carriers", code) for code in NAMES)
    assert _checked(form, "sales_mode", "auth")
    page, saved = _confirm(client, _post(client, {"carriers": ["au"], "sales_mode": "auth",
                                                  **CONNECTION}))
    assert "900000001" in page and "900000777" not in page
    assert _confirm_row(page, "利用決済") == NAMES["au"]
    assert _confirm_row(page, "同時売上") == "オーソリのみ"
    _no_secret_in(page)
    assert saved.status_code == 302
    assert _row(demo.id) == {"shop_id": demo.id, "carriers": "au", "sales_mode": "auth"}
    assert {c.key: getattr(_account(demo.id), c.key)
            for c in PaygentAccount.__table__.columns} == account_before
    assert _method(demo.id).configured

    # saved again: the same row changes (one per shop), the stored values come first
    again = client.get(PATH).get_data(as_text=True)
    assert [code for code in NAMES if _checked(again, "carriers", code)] == ["au"]
    assert _checked(again, "sales_mode", "auth")
    _confirm(client, _post(client, {"carriers": list(NAMES), "sales_mode": "capture"}))
    assert _row(demo.id) == {"shop_id": demo.id, "carriers": "docomo,au,softbank",
                             "sales_mode": "capture"}
    assert db.session.query(CarrierSettings).filter_by(shop_id=demo.id).count() == 1


# -- 「戻る」 from the 確認画面 --------------------------------------------------------------
def test_back_from_the_confirm_page_keeps_what_was_typed(client, login_as, new_shop):
    login_as("owner@tea.test")
    data = {**DATA, **CONDITIONS, **CONNECTION}
    response = _post(client, data)
    draft = _draft_of(response)
    confirm = client.get(response.headers["Location"]).get_data(as_text=True)
    back_link = re.search(r'<a class="btn" href="([^"]+)">戻る</a>', confirm).group(1)
    assert f"draft={draft}" in back_link
    back = client.get(back_link.replace("&amp;", "&")).get_data(as_text=True)
    assert [code for code in NAMES if _checked(back, "carriers", code)] == ["docomo", "softbank"]
    assert _checked(back, "sales_mode", "capture")
    for name, value in (("merchant_id", "900000777"), ("connect_id", "new_connect"),
                        ("hide_from", "50000")):
        assert _value(back, name) == value, name
    assert _checked(back, "note_on_payment_page", "y")
    assert "月々の携帯料金と合わせてのお支払いです" in back
    _no_secret_in(back)  # the secrets stay in the draft ...
    assert _value(back, "connect_password") == ""
    # ... and come along when the form is sent again with them blank
    changed = {**data, "carriers": ["au"], "sales_mode": "auth", "connect_password": "",
               "notice_hash_key": "", "draft": draft}
    page, saved = _confirm(client, _post(client, changed, path=back_link.replace("&amp;", "&")))
    assert _confirm_row(page, "利用決済") == NAMES["au"]
    assert page.count("********（入力あり）") == 2
    assert saved.status_code == 302
    assert _row(new_shop.id) == {"shop_id": new_shop.id, "carriers": "au", "sales_mode": "auth"}
    assert _account(new_shop.id).connect_password == "s3cret-connect-pass"


# -- bad input ----------------------------------------------------------------------------
BAD = [
    ({"carriers": []}, "carriers", "利用決済を1つ以上選択してください。"),
    ({"carriers": ["docomo", "rakuten"]}, "carriers", "選択肢が正しくありません。"),
    ({"carriers": ["<script>alert(1)</script>"]}, "carriers", "選択肢が正しくありません。"),
    ({"sales_mode": "later"}, "sales_mode", "選択肢が正しくありません。"),
    ({"sales_mode": ""}, "sales_mode", "選択肢が正しくありません。"),
    ({"hide_from": "5万"}, "hide_from", "半角数字（整数）で入力してください。"),
    ({"hide_from": ""}, "hide_from", "金額を入力してください。"),
    ({"note": "あ" * 2001}, "note", "2000文字以内で入力してください。"),
    ({"merchant_id": "12345678a"}, "merchant_id", "マーチャントIDは9桁の半角数字で入力してください。"),
    ({"connect_password": ""}, "connect_password", "接続IDパスワードを入力してください。"),
]


@pytest.mark.parametrize("changes, field, message", BAD,
                         ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(BAD)])
def test_bad_input_is_explained_beside_the_field_kept_and_nothing_saved(
        client, login_as, new_shop, changes, field, message):
    login_as("owner@tea.test")
    data = {**DATA, **CONDITIONS, **CONNECTION, **changes}
    response = _post(client, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "入力内容に誤りがあります" in html
    assert f'name="{field}"' in _field_block(html, message)
    assert len(re.findall(r'class="field[^"]*has-error', html)) == 1
    assert html.count('<p class="error" role="alert">') == 1
    for name in ("merchant_id", "connect_id", "hide_from"):  # everything typed is still there
        assert _value(html, name) == data[name].strip(), name
    if field not in ("carriers", "sales_mode"):
        assert [code for code in NAMES if _checked(html, "carriers", code)] == ["docomo",
                                                                                "softbank"]
        assert _checked(html, "sales_mode", "capture")
    if field == "sales_mode":
        assert [code for code in NAMES if _checked(html, "carriers", code)] == ["docomo",
                                                                                "softbank"]
    if field == "carriers" and "docomo" in data["carriers"]:  # the valid one stays checked
        assert _checked(html, "carriers", "docomo")
    assert _checked(html, "note_on_payment_page", "y")
    assert "<script>alert" not in html
    _no_secret_in(html)
    assert _account(new_shop.id) is None and _row(new_shop.id) is None


def test_nothing_sent_breaks_a_page(client, login_as, shops):
    """Odd posts (fields missing, repeated, far too long, binary) get a page, never a 500."""
    demo = _demo_owner(login_as)
    odd = [{}, {"carriers": ""}, {"carriers": ["", "docomo"]}, {"carriers": ["docomo"] * 3},
           {"carriers": "\x00"}, {"sales_mode": ["auth", "capture"]}, {"sales_mode": "\ud7ff"},
           {"hide_under_on": "y", "hide_under": "1e3"}, {"hide_from": "-1", "hide_from_on": "y"},
           {"draft": "nope"}, {"draft": "x" * 5000},
           {name: "x" * 100_000 for name in ("carriers", "sales_mode", "note", "hide_from")}]
    for changes in odd:
        response = _post(client, {**DATA, **changes})
        assert response.status_code in (200, 302), changes
    for path in (f"{PATH}?draft=", f"{PATH}?draft=%00", f"{PATH}/confirm",
                 f"{PATH}/confirm?draft=" + "x" * 5000):
        assert client.get(path).status_code in (200, 302), path
    repeated = _post(client, {"carriers": ["docomo", "docomo", "au"], "sales_mode": "auth"})
    _confirm(client, repeated)
    assert _row(demo.id)["carriers"] == "docomo,au"


# -- the connection test --------------------------------------------------------------------
def test_a_failing_connection_test_is_explained_and_saves_nothing_unless_asked(
        client, login_as, new_shop):
    login_as("owner@tea.test")
    response = _post(client, {**DATA, **CONNECTION, "connect_password": "wrong-password"})
    page, tested = _confirm(client, response)
    html = tested.get_data(as_text=True)
    assert tested.status_code == 200
    assert "接続試験に失敗しました" in html and "認証に失敗しました" in html
    assert "設定は保存されていません" in html and "wrong-password" not in html
    assert "接続試験の結果にかかわらず保存する" in html
    assert _account(new_shop.id) is None and _row(new_shop.id) is None
    assert _method(new_shop.id) is None
    draft = re.search(r'name="draft" value="([^"]+)"', html).group(1)
    forced = client.post(f"{PATH}/save", data={"csrf_token": csrf_token(html), "draft": draft,
                                                "force": "1"})
    assert forced.status_code == 302
    assert "接続試験に失敗しましたが、設定を保存しました。" in client.get(
        "/admin/payment-methods/").get_data(as_text=True)
    assert _account(new_shop.id).connect_password == "wrong-password"
    assert _row(new_shop.id) == {"shop_id": new_shop.id, "carriers": "docomo,softbank",
                                 "sales_mode": "capture"}
    assert _method(new_shop.id).configured


def test_a_stale_draft_after_the_connection_was_set_elsewhere_is_refused(client, login_as,
                                                                         new_shop):
    login_as("owner@tea.test")
    draft = _draft_of(_post(client, {**DATA, **CONNECTION}))
    db.session.add(PaygentAccount(shop_id=new_shop.id, environment="sandbox",
                                  merchant_id="900000777", connect_id="new_connect",
                                  connect_password="s3cret-connect-pass"))
    db.session.commit()
    token = csrf_token(client.get(PATH).get_data(as_text=True))
    saved = client.post(f"{PATH}/save", data={"csrf_token": token, "draft": draft})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(PATH)
    assert "接続設定が変更されました" in client.get(PATH).get_data(as_text=True)
    assert _row(new_shop.id) is None


def test_an_expired_or_unchecked_draft_goes_back_to_the_form(client, login_as, shops):
    demo = _demo_owner(login_as)
    before = _row(demo.id)
    unchecked = _post(client, {"carriers": [], "sales_mode": "auth"})
    draft = re.search(r'name="draft" type="hidden" value="([^"]+)"',
                      unchecked.get_data(as_text=True)).group(1)
    opened = client.get(f"{PATH}/confirm?draft={draft}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(PATH)
    assert "確認画面の有効期限が切れました" in client.get(PATH).get_data(as_text=True)
    token = csrf_token(client.get(PATH).get_data(as_text=True))
    assert client.post(f"{PATH}/save", data={"csrf_token": token,
                                             "draft": draft}).status_code == 302
    assert _row(demo.id) == before
