"""ペイジェント(クレジット決済) settings: the card's own items, the shop's common PAYGENT
connection asked for once (then shown read-only), 「確認画面へ」 → 「設定する」 with the
connection test, secrets never shown and stored encrypted, owners only, one shop each."""
import json
import re

import pytest
from sqlalchemy import select, text

from cart.extensions import db
from cart.models import CardSettings, PaygentAccount, PaymentMethod, SettingsDraft

from ..conftest import csrf_token
from .checkout_helpers import shop

FORM = "/admin/payment-methods/card"
CONFIRM = "/admin/payment-methods/card/confirm"
SAVE = "/admin/payment-methods/card/save"
TOKEN_KEY, TDS_KEY = "tok3n-Key-cafe-0001", "tds-Hash-Key-cafe-0001"
CARD = {"payment_classes": ["lump", "split", "bonus"], "security_code": "required",
        "three_d_secure": "2.0", "attempt_auth": "normal", "merchant_name": "Tea Online Shop",
        "tds_hash_key": TDS_KEY, "token_environment": "test", "token_key": TOKEN_KEY,
        "sales_mode": "auth", "hide_from_on": "y", "hide_from": "500,000",
        "note": "カード決済の注意書き", "note_on_payment_page": "y"}
CONNECTION = {"environment": "sandbox", "merchant_id": "900000777",
              "connect_id": "new_connect", "connect_password": "s3cret-connect-pass",
              "notice_hash_key": "s3cret-hash-key"}
SECRETS = (TOKEN_KEY, TDS_KEY, CONNECTION["connect_password"], CONNECTION["notice_hash_key"],
           "demo-connect-pass", "demo-hash-key-0001", "demo-token-key-0001",
           "demo-3ds-hash-key-0001")


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


def _post(client, data, path=FORM):
    page = client.get(path).get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_token(page), **data},
                       content_type="multipart/form-data")


def _confirm(client, response, force=False):
    """Open the 確認画面 the form led to and press 「設定する」."""
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    draft = re.search(r"draft=([^&]+)", location).group(1)
    page = client.get(location).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "draft": draft}
    if force:
        data["force"] = "1"
    return page, client.post(SAVE, data=data)


def _no_secret_in(html: str) -> None:
    for secret in SECRETS:
        assert secret not in html


def _stored(shop_id):
    db.session.expire_all()
    return db.session.scalar(select(CardSettings).where(CardSettings.shop_id == shop_id))


def _account(shop_id):
    db.session.expire_all()
    return db.session.scalar(select(PaygentAccount).where(PaygentAccount.shop_id == shop_id))


def _method(shop_id, kind="card"):
    db.session.expire_all()
    return db.session.scalar(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop_id, PaymentMethod.kind == kind))


def _checked(html: str, name: str, value: str) -> bool:
    """Whether the page's checkbox or radio button ``name=value`` is checked."""
    return any("checked" in tag and f'value="{value}"' in tag
               for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', html))


def _columns(row) -> dict:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


# -- access -------------------------------------------------------------------------------
@pytest.mark.parametrize("method_, path", [("get", FORM), ("post", FORM),
                                           ("get", CONFIRM + "?draft=x"), ("post", SAVE)])
def test_staff_are_refused(client, login_as, shops, method_, path):
    login_as("staff@example.com", "demo1234")
    page = client.get("/admin/").get_data(as_text=True)
    before = _columns(_stored(shop().id))
    kwargs = {"data": {"csrf_token": csrf_token(page), **CARD}} if method_ == "post" else {}
    assert getattr(client, method_)(path, **kwargs).status_code == 403
    assert _columns(_stored(shop().id)) == before


def test_signed_out_visitors_go_to_the_login(client, shops):
    response = client.get(FORM)
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


@pytest.mark.parametrize("path", [FORM, SAVE])
def test_a_post_without_its_csrf_token_is_refused(client, login_as, shops, path):
    login_as("owner@example.com", "demo1234")
    before = _columns(_stored(shop().id))
    response = client.post(path, data={**CARD, "draft": "x"})
    assert response.status_code == 400
    assert "画面の有効期限が切れました" in response.get_data(as_text=True)
    assert _columns(_stored(shop().id)) == before


def test_another_shops_card_method_and_draft_are_out_of_reach(app, client, login_as, shops):
    # demo3's owner sets the card up, and leaves a draft at its 確認画面 ...
    other = app.test_client()
    page = other.get("/admin/login").get_data(as_text=True)
    other.post("/admin/login", data={"email": "owner3@example.com", "password": "demo1234",
                                     "csrf_token": csrf_token(page)})
    _confirm(other, _post(other, CARD))
    response = _post(other, CARD)
    draft = re.search(r"draft=([^&]+)", response.headers["Location"]).group(1)
    demo3_card = _method(shop("demo3").id)
    assert demo3_card.configured and _stored(shop("demo3").id).token_key == TOKEN_KEY
    # ... demo's owner can reach neither its method nor its draft.
    login_as("owner@example.com", "demo1234")
    before = _columns(_stored(shop().id))
    token = csrf_token(client.get(FORM).get_data(as_text=True))
    assert client.get(f"/admin/payment-methods/{demo3_card.id}/basic").status_code == 404
    for action in ("remove", "move"):
        assert client.post(f"/admin/payment-methods/{demo3_card.id}/{action}",
                           data={"csrf_token": token}).status_code == 404
    opened = client.get(f"{CONFIRM}?draft={draft}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(FORM)
    saved = client.post(SAVE, data={"csrf_token": token, "draft": draft})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(FORM)
    assert _columns(_stored(shop().id)) == before
    assert _method(shop("demo3").id).in_use


# -- the demo shops ------------------------------------------------------------------------
def test_the_demo_shops_offer_the_card_next_to_paidy(app, client, shops):
    from cart.methods import registry

    from .checkout_helpers import add_to_cart
    for code, keys in (("demo", ("demo-token-key-0001", "demo-3ds-hash-key-0001")),
                       ("demo3", ("demo3-token-key-0003", "demo3-3ds-hash-key-0003"))):
        listed = db.session.scalars(select(PaymentMethod).where(
            PaymentMethod.shop_id == shop(code).id).order_by(PaymentMethod.position)).all()
        assert [m.kind for m in listed] == ["paidy", "card", "conveni", "atm", "bank",
                                            "carrier", "bank_transfer", "cod"]
        assert all(m.configured and m.in_use for m in listed)
        settings = _stored(shop(code).id)
        assert (settings.classes, settings.three_d_secure, settings.merchant_name,
                settings.token_environment, settings.token_key, settings.tds_hash_key) == (
            ["lump", "split", "revo", "bonus"], True, "SampleShop", "test", *keys)
        assert registry.get("card").available(shop(code).id)
        courier = next(d for d in listed[1].delivery_methods)
        assert courier.name == "宅配便"
    # the methods that were there before keep their ids (the card's rows, then the deferred
    # methods', come after them)
    assert [m.id for m in db.session.scalars(select(PaymentMethod).where(
        PaymentMethod.kind.in_(("paidy", "bank_transfer", "cod"))).order_by(
        PaymentMethod.id))] == [1, 2, 3, 4, 5, 6]
    assert [m.id for m in db.session.scalars(select(PaymentMethod).where(
        PaymentMethod.kind == "card").order_by(PaymentMethod.id))] == [7, 8]
    from cart.demo import seed_demo
    assert seed_demo() == [] and len(db.session.scalars(select(PaymentMethod)).all()) == 16
    shopper = app.test_client()
    add_to_cart(shopper)
    html = shopper.get("/s/demo/cart").get_data(as_text=True)
    offered = re.findall(r'name="payment_method" value="(\d+)"', html)
    assert offered[:2] == [str(_method(shop().id, "paidy").id), str(_method(shop().id).id)]


# -- first setup: the connection is asked for ----------------------------------------------
def test_first_setup_asks_for_the_connection_tests_it_and_saves(client, login_as, new_shop,
                                                                sandbox):
    login_as("owner@tea.test")
    partner = client.get("/admin/payment-methods/?tab=partner").get_data(as_text=True)
    assert "ペイジェント(クレジット決済)" in partner
    client.post("/admin/payment-methods/add", data={"csrf_token": csrf_token(partner),
                                                    "kind": "card"})
    listed = client.get("/admin/payment-methods/").get_data(as_text=True)
    assert "クレジットカード決済" in listed and "未設定" in listed
    assert 'href="/admin/payment-methods/card"' in listed

    form = client.get(FORM).get_data(as_text=True)
    for label in ("支払い回数", "一括払い", "分割払い", "リボ払い", "ボーナス一括払い",
                  "セキュリティコード", "3Dセキュア", "Attemptオーソリ制御区分", "全て実施しない",
                  "正常時のみ実施", "全て実施", "加盟店名(半角英数字記号)",
                  "3Dセキュア結果受付ハッシュ鍵", "トークン接続先", "試験環境", "本番環境",
                  "トークン生成鍵", "同時売上", "オーソリのみ", "オーソリ+売上確定", "適用条件",
                  "注意書き", "接続先", "マーチャントID", "接続ID", "接続IDパスワード",
                  "差分通知ハッシュ値生成キー", "確認画面へ"):
        assert label in form, label
    assert "不正利用時に加盟店様負担となることがあります" in form
    assert 'name="connect_password"' in form and "ペイジェントの接続設定がまだありません" in form

    response = _post(client, {**CARD, **CONNECTION})
    assert _account(new_shop.id) is None and _stored(new_shop.id) is None  # not yet
    page, saved = _confirm(client, response)
    for shown in ("一括払い、分割払い、ボーナス一括払い", "正常時のみ実施", "Tea Online Shop",
                  "900000777", "new_connect", "********（入力あり）", "試験環境",
                  "オーソリのみ", "500,000円以上の場合は表示しない", "カード決済の注意書き"):
        assert shown in page, shown
    _no_secret_in(page)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(
        "/admin/payment-methods/")
    listed = client.get("/admin/payment-methods/").get_data(as_text=True)
    assert "接続試験に成功し、設定しました。" in listed
    _no_secret_in(listed)

    account = _account(new_shop.id)
    assert (account.environment, account.merchant_id, account.connect_id,
            account.connect_password, account.notice_hash_key, account.paidy_public_key) == (
        "sandbox", "900000777", "new_connect", "s3cret-connect-pass", "s3cret-hash-key", "")
    settings = _stored(new_shop.id)
    assert (settings.classes, settings.security_code_required, settings.three_d_secure,
            settings.attempt_auth, settings.merchant_name, settings.tds_hash_key,
            settings.token_environment, settings.token_key, settings.sales_mode) == (
        ["lump", "split", "bonus"], True, True, "normal", "Tea Online Shop", TDS_KEY, "test",
        TOKEN_KEY, "auth")
    card = _method(new_shop.id)
    assert (card.in_use, card.configured, card.hide_from, card.hide_under, card.note,
            card.note_on_payment_page, card.note_in_thanks_mail) == (
        True, True, 500_000, None, "カード決済の注意書き", True, False)
    assert _method(new_shop.id, "paidy") is None  # nothing of Paidy's was made
    assert [t["telegram_kind"] for t in sandbox.telegrams()] == ["094"]

    # The secrets are encrypted at rest and never shown back.
    raw = db.session.execute(text("SELECT token_key, tds_hash_key FROM card_settings "
                                  "WHERE shop_id = :s"), {"s": new_shop.id}).one()
    assert TOKEN_KEY not in raw[0] and TDS_KEY not in raw[1] and "tok3n" not in raw[0]
    again = client.get(FORM).get_data(as_text=True)
    _no_secret_in(again)
    assert "設定済みです。変更する場合のみ入力してください。" in again
    assert 'name="connect_password"' not in again  # from now on: the summary


def test_a_configured_card_is_offered_only_once_configured(client, login_as, new_shop):
    from cart.methods import registry
    login_as("owner@tea.test")
    partner = client.get("/admin/payment-methods/?tab=partner").get_data(as_text=True)
    client.post("/admin/payment-methods/add", data={"csrf_token": csrf_token(partner),
                                                    "kind": "card"})
    assert not registry.get("card").available(new_shop.id)  # in the list, not configured
    _confirm(client, _post(client, {**CARD, **CONNECTION}))
    db.session.expire_all()
    assert registry.get("card").available(new_shop.id)
    assert not registry.get("paidy").available(new_shop.id)  # the connection alone is not Paidy


# -- edit: the connection is the shop's, shown read-only ----------------------------------
def test_a_shop_with_a_connection_sees_it_read_only_and_keeps_it(client, login_as, shops):
    demo = shop()
    account_before = _columns(_account(demo.id))
    paidy_before = _columns(_method(demo.id, "paidy"))
    version_of = (lambda: db.session.execute(text(
        "SELECT config_version FROM shops WHERE id = :s"), {"s": demo.id}).scalar())
    login_as("owner@example.com", "demo1234")
    form = client.get(FORM).get_data(as_text=True)
    assert "ペイジェント設定（共通）" in form
    assert "900000001" in form and "demo_connect" in form and "ローカルサンドボックス" in form
    assert 'href="/admin/payment-methods/paidy"' in form  # where the connection is changed
    for name in ("merchant_id", "connect_id", "connect_password", "notice_hash_key",
                 "client_cert", "environment"):
        assert f'name="{name}"' not in form
    _no_secret_in(form)

    # Posting connection fields anyway changes nothing of the connection.
    response = _post(client, {**CARD, **CONNECTION})
    page, saved = _confirm(client, response)
    assert "900000001" in page and "900000777" not in page
    _no_secret_in(page)
    assert saved.status_code == 302
    assert _columns(_account(demo.id)) == account_before
    assert _columns(_method(demo.id, "paidy")) == paidy_before
    assert _stored(demo.id).token_key == TOKEN_KEY
    assert version_of() >= 1


def test_blank_secrets_on_edit_keep_the_stored_ones(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    _confirm(client, _post(client, CARD))
    before = _stored(shop().id)
    raw_before = db.session.execute(text("SELECT token_key, tds_hash_key FROM card_settings "
                                         "WHERE shop_id = :s"), {"s": shop().id}).one()
    assert (before.token_key, before.tds_hash_key) == (TOKEN_KEY, TDS_KEY)
    edited = dict(CARD, token_key="", tds_hash_key="", payment_classes=["revo"],
                  merchant_name="Renamed Shop", sales_mode="capture")
    page, saved = _confirm(client, _post(client, edited))
    assert page.count("変更なし") >= 2
    assert saved.status_code == 302
    after = _stored(shop().id)
    assert (after.token_key, after.tds_hash_key, after.classes, after.merchant_name,
            after.sales_mode) == (TOKEN_KEY, TDS_KEY, ["revo"], "Renamed Shop", "capture")
    raw_after = db.session.execute(text("SELECT token_key, tds_hash_key FROM card_settings "
                                        "WHERE shop_id = :s"), {"s": shop().id}).one()
    assert tuple(raw_after) == tuple(raw_before)  # not even re-encrypted
    # A new key typed replaces the stored one.
    _confirm(client, _post(client, dict(edited, token_key="new-Token-Key-2")))
    assert _stored(shop().id).token_key == "new-Token-Key-2"


# -- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize("changes, field, message", [
    ({"payment_classes": []}, "payment_classes", "支払い回数を1つ以上選択してください。"),
    ({"payment_classes": ["lump", "weekly"]}, "payment_classes", "選択肢が正しくありません。"),
    ({"token_key": ""}, "token_key", "トークン生成鍵を入力してください。"),
    ({"token_key": "鍵のつもり"}, "token_key", "トークン生成鍵は半角英数字記号で入力してください。"),
    ({"tds_hash_key": ""}, "tds_hash_key", "3Dセキュア結果受付ハッシュ鍵を入力してください。"),
    ({"merchant_name": ""}, "merchant_name", "3Dセキュアを利用する場合は加盟店名を入力してください。"),
    ({"merchant_name": "お茶のオンラインショップ"}, "merchant_name",
     "加盟店名は半角英数字記号で入力してください。"),
    ({"merchant_name": "A" * 41}, "merchant_name", "加盟店名は40文字以内で入力してください。"),
    ({"attempt_auth": "sometimes"}, "attempt_auth", "選択肢が正しくありません。"),
    ({"hide_from": ""}, "hide_from", "金額を入力してください。"),
    ({"hide_from": "5万"}, "hide_from", "半角数字（整数）で入力してください。"),
    ({"merchant_id": "12345678a"}, "merchant_id", "マーチャントIDは9桁の半角数字で入力してください。"),
    ({"merchant_id": ""}, "merchant_id", "マーチャントIDを入力してください。"),
    ({"connect_id": ""}, "connect_id", "接続IDを入力してください。"),
    ({"connect_password": ""}, "connect_password", "接続IDパスワードを入力してください。"),
    ({"notice_hash_key": ""}, "notice_hash_key", "差分通知ハッシュ値生成キーを入力してください。"),
])
def test_bad_input_is_explained_beside_the_field_kept_and_nothing_saved(
        client, login_as, new_shop, changes, field, message):
    login_as("owner@tea.test")
    response = _post(client, {**CARD, **CONNECTION, **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "入力内容に誤りがあります" in html
    # the message sits in the field's own block
    block = re.search(r'<div class="field[^"]*has-error[^"]*"[^>]*>(?:(?!<div class="field).)*?'
                      + re.escape(message), html, re.S)
    assert block and f'name="{field}"' in block.group(0), message
    if field != "merchant_name":
        assert 'value="Tea Online Shop"' in html
    if field != "merchant_id":
        assert 'value="900000777"' in html
    if field != "payment_classes":
        assert _checked(html, "payment_classes", "split")
    if field != "attempt_auth":
        assert _checked(html, "attempt_auth", "normal")
    _no_secret_in(html)
    assert _account(new_shop.id) is None and _stored(new_shop.id) is None


def test_without_3d_secure_its_name_and_key_are_not_needed(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    data = dict(CARD, three_d_secure="off", merchant_name="", tds_hash_key="")
    page, saved = _confirm(client, _post(client, data))
    assert "利用しない" in page and saved.status_code == 302
    settings = _stored(shop().id)
    assert (settings.three_d_secure, settings.merchant_name, settings.token_key) == (
        False, "", TOKEN_KEY)
    assert settings.tds_hash_key == "demo-3ds-hash-key-0001"  # kept for a later switch back


def test_secrets_typed_before_an_error_are_kept_server_side(client, login_as, new_shop):
    login_as("owner@tea.test")
    first = _post(client, {**CARD, **CONNECTION, "payment_classes": []})
    html = first.get_data(as_text=True)
    _no_secret_in(html)
    draft = re.search(r'name="draft" type="hidden" value="([^"]+)"', html).group(1)
    stored = json.loads(db.session.scalar(select(SettingsDraft.payload).where(
        SettingsDraft.token == draft)))
    assert stored["token_key"] == TOKEN_KEY and stored["checked"] is False
    raw = db.session.execute(text("SELECT payload FROM settings_drafts WHERE token = :t"),
                             {"t": draft}).scalar()
    assert TOKEN_KEY not in raw  # the draft is encrypted too
    # A refused draft cannot be confirmed.
    refused = client.get(f"{CONFIRM}?draft={draft}")
    assert refused.status_code == 302 and refused.headers["Location"].endswith(FORM)
    fixed = {**CARD, **CONNECTION, "token_key": "", "tds_hash_key": "", "connect_password": "",
             "notice_hash_key": "", "draft": draft}
    page, saved = _confirm(client, _post(client, fixed))
    assert page.count("********（入力あり）") == 4
    assert saved.status_code == 302
    assert _stored(new_shop.id).token_key == TOKEN_KEY
    assert _account(new_shop.id).connect_password == "s3cret-connect-pass"


def test_a_paidy_draft_is_not_a_card_draft_nor_the_other_way(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    before = (_columns(_stored(shop().id)), _columns(_account(shop().id)))
    card = _post(client, CARD)
    card_draft = re.search(r"draft=([^&]+)", card.headers["Location"]).group(1)
    paidy = client.get(f"/admin/payment-methods/paidy/confirm?draft={card_draft}")
    assert paidy.status_code == 302 and paidy.headers["Location"].endswith(
        "/admin/payment-methods/paidy")
    token = csrf_token(client.get(FORM).get_data(as_text=True))
    assert client.post("/admin/payment-methods/paidy/confirm", data={
        "csrf_token": token, "draft": card_draft}).status_code == 302
    assert (_columns(_stored(shop().id)), _columns(_account(shop().id))) == before


# -- the connection test --------------------------------------------------------------------
def test_a_failing_connection_test_is_explained_and_saves_nothing_unless_asked(
        client, login_as, new_shop):
    login_as("owner@tea.test")
    response = _post(client, {**CARD, **CONNECTION, "connect_password": "wrong-password"})
    page, tested = _confirm(client, response)
    html = tested.get_data(as_text=True)
    assert tested.status_code == 200
    assert "接続試験に失敗しました" in html and "認証に失敗しました" in html
    assert "設定は保存されていません" in html
    _no_secret_in(html)
    assert "wrong-password" not in html
    assert _account(new_shop.id) is None and _stored(new_shop.id) is None
    assert _method(new_shop.id) is None
    draft = re.search(r'name="draft" value="([^"]+)"', html).group(1)
    forced = client.post(SAVE, data={"csrf_token": csrf_token(html), "draft": draft,
                                     "force": "1"})
    assert forced.status_code == 302
    assert "接続試験に失敗しましたが、設定を保存しました。" in client.get(
        "/admin/payment-methods/").get_data(as_text=True)
    assert _account(new_shop.id).connect_password == "wrong-password"
    assert _stored(new_shop.id).token_key == TOKEN_KEY


def test_a_stale_draft_after_the_connection_was_set_elsewhere_is_refused(client, login_as,
                                                                         new_shop):
    login_as("owner@tea.test")
    response = _post(client, {**CARD, **CONNECTION})
    draft = re.search(r"draft=([^&]+)", response.headers["Location"]).group(1)
    db.session.add(PaygentAccount(shop_id=new_shop.id, environment="sandbox",
                                  merchant_id="900000777", connect_id="new_connect",
                                  connect_password="s3cret-connect-pass"))
    db.session.commit()
    token = csrf_token(client.get(FORM).get_data(as_text=True))
    saved = client.post(SAVE, data={"csrf_token": token, "draft": draft})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(FORM)
    assert "接続設定が変更されました" in client.get(FORM).get_data(as_text=True)
    assert _stored(new_shop.id) is None


def test_back_from_the_confirmation_keeps_what_was_typed(client, login_as, new_shop):
    login_as("owner@tea.test")
    response = _post(client, {**CARD, **CONNECTION})
    confirm = client.get(response.headers["Location"]).get_data(as_text=True)
    back = re.search(r'<a class="btn" href="([^"]+)">戻る</a>', confirm).group(1)
    assert "draft=" in back
    form = client.get(back).get_data(as_text=True)
    assert 'value="Tea Online Shop"' in form and "カード決済の注意書き" in form
    assert 'value="900000777"' in form and 'value="new_connect"' in form
    assert _checked(form, "attempt_auth", "normal") and _checked(form, "payment_classes", "bonus")
    _no_secret_in(form)
