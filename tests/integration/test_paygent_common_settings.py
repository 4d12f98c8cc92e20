"""ペイジェント共通設定 (/admin/payment-methods/paygent): the shop's PAYGENT connection on a page of
its own, so that a shop using only the card can change it (接続先, credentials, certificates).
「確認画面へ」 → 「設定する」 with the connection test; secrets never shown and stored encrypted;
blank secrets keep the stored ones; a failed test saves nothing; owners only, one shop each;
the card's and Paidy's own settings are left as they are."""
import io
import re

import pytest
from sqlalchemy import select, text

from cart.extensions import db
from cart.models import CardSettings, PaygentAccount, PaymentMethod
from payments.paygent.client import HOSTS
from payments.sandbox import create_sandbox
from payments.sandbox.server import SandboxServer, tls_context

from ..conftest import csrf_token
from .certs import CertificateAuthority
from .checkout_helpers import shop

FORM = "/admin/payment-methods/paygent"
CONFIRM = FORM + "/confirm"
SAVE = FORM + "/save"
# the card-only shop, on PAYGENT's 試験環境 ...
TEST_ID, TEST_CONNECT = "900000777", "tea_test"
TEST_PASSWORD, TEST_HASH = "tea-Test-Pass-01", "tea-test-hash-key-01"
# ... and the credentials PAYGENT issues for 本番環境
LIVE_ID, LIVE_CONNECT = "900000778", "tea_live"
LIVE_PASSWORD, LIVE_HASH = "tea-Live-Pass-02", "tea-live-hash-key-02"
TOKEN_KEY, TDS_KEY = "tea-token-key-0001", "tea-3ds-hash-key-0001"
SECRETS = (TEST_PASSWORD, TEST_HASH, LIVE_PASSWORD, LIVE_HASH, TDS_KEY, "demo-connect-pass",
           "demo-hash-key-0001", "demo-3ds-hash-key-0001")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """PAYGENT's 本番環境 as the test sees it: a server whose certificate a CA file vouches
    for, demanding a client certificate of PAYGENT's issue."""
    server_ca = CertificateAuthority("PAYGENT server CA")
    client_ca = CertificateAuthority("PAYGENT client CA")
    folder = tmp_path_factory.mktemp("pki")
    cert, key = server_ca.issue("127.0.0.1", server=True)
    (folder / "server.pem").write_text(cert)
    (folder / "server.key").write_text(key)
    (folder / "client-ca.pem").write_text(client_ca.pem)
    client_cert, client_key = client_ca.issue(f"shop {LIVE_ID}")
    return {"folder": folder, "server_ca": server_ca.pem, "client_pem": client_cert + client_key}


@pytest.fixture(scope="module")
def production(pki):
    app = create_sandbox(dispatch=False)
    app.extensions["sandbox"].store.upsert_merchant(LIVE_ID, LIVE_CONNECT, LIVE_PASSWORD,
                                                   LIVE_HASH, "", "")
    folder = pki["folder"]
    context = tls_context(str(folder / "server.pem"), str(folder / "server.key"),
                          str(folder / "client-ca.pem"))
    with SandboxServer(app, ssl_context=context) as server:
        yield server


@pytest.fixture
def card_only(app, sandbox, runner, monkeypatch):
    """A shop that takes only the card, connected to 試験環境 (the sandbox standing for it)."""
    app.config["SANDBOX_URL"] = sandbox.url
    monkeypatch.setitem(HOSTS, "test", sandbox.paygent_url)
    result = runner.invoke(args=["shops", "create", "tea", "--name", "新茶舗", "--owner-email",
                                 "owner@tea.test", "--owner-password", "password123"])
    assert result.exit_code == 0
    tea = shop("tea")
    db.session.add(PaygentAccount(shop_id=tea.id, environment="test", merchant_id=TEST_ID,
                                  connect_id=TEST_CONNECT, connect_password=TEST_PASSWORD,
                                  notice_hash_key=TEST_HASH))
    db.session.add(CardSettings(shop_id=tea.id, payment_classes="lump,split",
                                security_code_required=True, three_d_secure=True,
                                attempt_auth="none", merchant_name="Tea Online Shop",
                                token_environment="test", token_key=TOKEN_KEY,
                                tds_hash_key=TDS_KEY, sales_mode="auth"))
    db.session.add(PaymentMethod(shop_id=tea.id, kind="card", position=1, in_use=True,
                                 configured=True))
    db.session.commit()
    sandbox.store.upsert_merchant(TEST_ID, TEST_CONNECT, TEST_PASSWORD, TEST_HASH, "", "",
                                  "新茶舗", token_key=TOKEN_KEY, tds_hash_key=TDS_KEY)
    return tea


def _post(client, data, files=None):
    payload = {"csrf_token": csrf_token(client.get(FORM).get_data(as_text=True)), **data}
    for name, (content, filename) in (files or {}).items():
        payload[name] = (io.BytesIO(content), filename)
    return client.post(FORM, data=payload, content_type="multipart/form-data")


def _confirm(client, response):
    """Open the 確認画面 the form led to and press 「設定する」."""
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    location = response.headers["Location"]
    draft = re.search(r"draft=([^&]+)", location).group(1)
    page = client.get(location).get_data(as_text=True)
    return page, client.post(SAVE, data={"csrf_token": csrf_token(page), "draft": draft})


def _no_secret_in(html: str) -> None:
    for secret in SECRETS:
        assert secret not in html
    assert "PRIVATE KEY" not in html and "BEGIN CERTIFICATE" not in html


def _columns(row) -> dict | None:
    if row is None:
        return None
    db.session.refresh(row)
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


def _account(shop_id) -> PaygentAccount | None:
    db.session.expire_all()
    return db.session.scalar(select(PaygentAccount).where(PaygentAccount.shop_id == shop_id))


def _raw(shop_id) -> tuple:
    return tuple(db.session.execute(text(
        "SELECT environment, merchant_id, connect_id, connect_password, notice_hash_key, "
        "client_cert_pem, ca_pem FROM paygent_accounts WHERE shop_id = :s"),
        {"s": shop_id}).one())


def _methods_state(shop_id) -> dict:
    """Everything of the methods' own: their rows, the card's settings, Paidy's columns."""
    db.session.expire_all()
    account = _account(shop_id)
    return {
        "methods": sorted(tuple(_columns(m).items()) for m in db.session.scalars(
            select(PaymentMethod).where(PaymentMethod.shop_id == shop_id))),
        "card": _columns(db.session.scalar(select(CardSettings).where(
            CardSettings.shop_id == shop_id))),
        "paidy": None if account is None else (
            account.paidy_public_key, account.capture_mode, account.logo_png)}


def _connection(shop_id) -> tuple:
    account = _account(shop_id)
    return (account.environment, account.merchant_id, account.connect_id,
            account.connect_password, account.notice_hash_key, account.client_cert_pem,
            account.ca_pem)


# -- a card-only shop changes its connection ---------------------------------------------
def test_a_card_only_shop_moves_to_production_with_new_credentials_and_certificates(
        client, login_as, card_only, production, pki, monkeypatch):
    monkeypatch.setitem(HOSTS, "production", production.url + "/paygent")
    login_as("owner@tea.test")
    methods_before = _methods_state(card_only.id)

    # The way there: the list's button beside the tabs, and the card page's summary.
    listed = client.get("/admin/payment-methods/").get_data(as_text=True)
    assert f'href="{FORM}"' in listed and "ペイジェント共通設定" in listed
    assert "ペイジェント接続：試験環境" in listed
    card = client.get("/admin/payment-methods/card").get_data(as_text=True)
    assert re.search(rf'<a href="{FORM}">ペイジェント共通設定</a>', card)

    # The form: seed 003's 共通設定, the stored values, no secret, nothing of Paidy's.
    form = client.get(FORM).get_data(as_text=True)
    for shown in ("ペイジェント共通設定", "共通設定", "接続先", "マーチャントID", "接続ID",
                  "接続パスワード", "差分通知ハッシュ値生成キー", "クライアント証明書", "CAファイル",
                  "ペイジェントとの契約時に通知されたものを入力してください。",
                  "※試験・本番で値が異なります。本番運用開始時に変更してください。",
                  "ペイジェント(あと払い(ペイディ))", "ペイジェント(クレジット決済)",
                  "/notices/paygent/tea", "確認画面へ"):
        assert shown in form, shown
    assert f'value="{TEST_ID}"' in form and f'value="{TEST_CONNECT}"' in form
    assert re.search(r'<option selected value="test">試験環境</option>', form)
    assert 'name="public_key"' not in form and "パブリックキー" not in form
    assert "システム種別" not in form
    _no_secret_in(form)

    # 本番環境 without PAYGENT's certificate: the test fails, says why, nothing is saved.
    live = {"environment": "production", "merchant_id": LIVE_ID, "connect_id": LIVE_CONNECT,
            "connect_password": LIVE_PASSWORD, "notice_hash_key": LIVE_HASH}
    before = _raw(card_only.id)
    page, tested = _confirm(client, _post(client, live))
    assert "接続先を「試験環境」から「本番環境」に変更します。" in page
    assert LIVE_ID in page and "********（入力あり）" in page
    _no_secret_in(page)
    html = tested.get_data(as_text=True)
    assert tested.status_code == 200
    assert "接続試験に失敗しました" in html and "証明書の確認に失敗しました" in html
    assert "設定は保存されていません" in html
    assert "接続試験の結果にかかわらず保存する" not in html
    _no_secret_in(html)
    assert _raw(card_only.id) == before

    # With the client certificate and the CA file: tested against 本番環境, saved.
    response = _post(client, live, {
        "client_cert": (pki["client_pem"].encode(), "client.pem"),
        "ca_file": (pki["server_ca"].encode(), "ca.pem")})
    page, saved = _confirm(client, response)
    assert "新しい証明書" in page and "新しいCAファイル" in page
    _no_secret_in(page)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(
        "/admin/payment-methods/")
    listed = client.get("/admin/payment-methods/").get_data(as_text=True)
    assert "接続試験に成功し、ペイジェント共通設定を保存しました。" in listed
    assert "ペイジェント接続：本番環境" in listed
    _no_secret_in(listed)
    assert _connection(card_only.id) == (
        "production", LIVE_ID, LIVE_CONNECT, LIVE_PASSWORD, LIVE_HASH, pki["client_pem"],
        pki["server_ca"])
    assert production.app.extensions["sandbox"].store.telegrams("094")

    # Stored encrypted; shown nowhere; the card's settings as they were.
    raw = _raw(card_only.id)
    assert raw[:3] == ("production", LIVE_ID, LIVE_CONNECT)
    assert LIVE_PASSWORD not in raw[3] and LIVE_HASH not in raw[4]
    assert "PRIVATE KEY" not in raw[5] and "BEGIN" not in raw[5]
    assert _methods_state(card_only.id) == methods_before
    card = client.get("/admin/payment-methods/card").get_data(as_text=True)
    assert "本番環境" in card and LIVE_ID in card and LIVE_CONNECT in card
    again = client.get(FORM).get_data(as_text=True)
    assert again.count("設定済みです。変更する場合のみ入力してください。") == 2
    assert again.count("<p class=\"hint\">設定済み</p>") == 2
    assert 'name="client_cert_delete"' in again and 'name="ca_delete"' in again
    _no_secret_in(again)


def test_a_new_password_for_the_same_merchant(client, login_as, card_only, sandbox):
    # PAYGENT issues a new password for the merchant; the shop enters it here.
    sandbox.store.upsert_merchant(TEST_ID, TEST_CONNECT, "tea-Renewed-Pass-03", TEST_HASH, "",
                                  "", "新茶舗", token_key=TOKEN_KEY, tds_hash_key=TDS_KEY)
    login_as("owner@tea.test")
    data = {"environment": "test", "merchant_id": TEST_ID, "connect_id": TEST_CONNECT,
            "connect_password": "tea-Renewed-Pass-03", "notice_hash_key": ""}
    page, saved = _confirm(client, _post(client, data))
    assert "tea-Renewed-Pass-03" not in page and "変更なし" in page
    assert saved.status_code == 302
    account = _account(card_only.id)
    assert (account.connect_password, account.notice_hash_key) == (
        "tea-Renewed-Pass-03", TEST_HASH)


def test_blank_secrets_keep_the_stored_ones_untouched(client, login_as, card_only):
    login_as("owner@tea.test")
    before = _raw(card_only.id)
    data = {"environment": "test", "merchant_id": TEST_ID, "connect_id": TEST_CONNECT,
            "connect_password": "", "notice_hash_key": ""}
    page, saved = _confirm(client, _post(client, data))
    assert page.count("変更なし") == 2  # the password and the hash key
    assert saved.status_code == 302
    assert _raw(card_only.id) == before  # not even re-encrypted
    assert _connection(card_only.id)[3:5] == (TEST_PASSWORD, TEST_HASH)


def test_a_failing_connection_test_saves_nothing_and_shows_its_message(client, login_as,
                                                                        card_only):
    login_as("owner@tea.test")
    before, methods_before = _raw(card_only.id), _methods_state(card_only.id)
    data = {"environment": "test", "merchant_id": TEST_ID, "connect_id": TEST_CONNECT,
            "connect_password": "wrong-password-x", "notice_hash_key": ""}
    response = _post(client, data)
    draft = re.search(r"draft=([^&]+)", response.headers["Location"]).group(1)
    _, tested = _confirm(client, response)
    html = tested.get_data(as_text=True)
    assert tested.status_code == 200
    assert "接続試験に失敗しました" in html
    assert "認証に失敗しました。マーチャントID・接続ID・接続IDパスワードをご確認ください。" in html
    assert "設定は保存されていません" in html and "wrong-password-x" not in html
    # no way to save it anyway from this page
    forced = client.post(SAVE, data={"csrf_token": csrf_token(html), "draft": draft,
                                     "force": "1"})
    assert forced.status_code == 200 and "接続試験に失敗しました" in forced.get_data(as_text=True)
    assert _raw(card_only.id) == before and _methods_state(card_only.id) == methods_before
    # 「戻る」 reopens the form as typed, the password kept in the draft, never in the page
    back = re.search(r'<a class="btn" href="([^"]+)">戻る</a>', html).group(1)
    assert back == f"{FORM}?draft={draft}"
    reopened = client.get(back).get_data(as_text=True)
    assert f'name="draft" type="hidden" value="{draft}"' in reopened
    assert "wrong-password-x" not in reopened
    _, retried = _confirm(client, client.post(FORM, data={
        "csrf_token": csrf_token(reopened), "draft": draft, "environment": "test",
        "merchant_id": TEST_ID, "connect_id": TEST_CONNECT}, content_type="multipart/form-data"))
    assert "認証に失敗しました" in retried.get_data(as_text=True)  # the same wrong password
    assert _raw(card_only.id) == before


# -- bad input ----------------------------------------------------------------------------
GOOD = {"environment": "test", "merchant_id": TEST_ID, "connect_id": TEST_CONNECT,
        "connect_password": "", "notice_hash_key": ""}


@pytest.mark.parametrize("changes, files, field, message", [
    ({"merchant_id": "12345678a"}, {}, "merchant_id",
     "マーチャントIDは9桁の半角数字で入力してください。"),
    ({"merchant_id": ""}, {}, "merchant_id", "マーチャントIDを入力してください。"),
    ({"connect_id": "接続の ID"}, {}, "connect_id",
     "接続IDは32文字以内の半角英数字で入力してください。"),
    ({"connect_id": ""}, {}, "connect_id", "接続IDを入力してください。"),
    ({"connect_password": "p" * 65}, {}, "connect_password", "64文字以内で入力してください。"),
    ({"environment": "staging"}, {}, "environment", "選択肢が正しくありません。"),
    ({}, {"client_cert": (b"hello", "client.pem")}, "client_cert", "証明書が含まれていません"),
])
def test_bad_input_is_explained_beside_the_field_kept_and_nothing_saved(
        client, login_as, card_only, changes, files, field, message):
    login_as("owner@tea.test")
    before = _raw(card_only.id)
    response = _post(client, {**GOOD, "notice_hash_key": "typed-hash-key-9", **changes}, files)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "入力内容に誤りがあります" in html
    block = re.search(r'<div class="field[^"]*has-error[^"]*"[^>]*>(?:(?!<div class="field).)*?'
                      + re.escape(message), html, re.S)
    assert block and f'name="{field}"' in block.group(0), message
    if field != "merchant_id":
        assert f'value="{TEST_ID}"' in html
    if field != "connect_id":
        assert f'value="{TEST_CONNECT}"' in html
    assert "typed-hash-key-9" not in html
    _no_secret_in(html)
    assert _raw(card_only.id) == before


def test_a_shop_without_a_connection_sets_it_up_here(client, login_as, new_shop_bare, sandbox):
    login_as("owner@tea.test")
    listed = client.get("/admin/payment-methods/?tab=partner").get_data(as_text=True)
    assert "ペイジェント共通設定（未設定）" in listed and f'href="{FORM}"' in listed
    form = client.get(FORM).get_data(as_text=True)
    assert "ペイジェントの接続設定がまだありません" in form
    missing = _post(client, {"environment": "sandbox", "merchant_id": "900000779",
                             "connect_id": "tea_new"}).get_data(as_text=True)
    assert "接続パスワードを入力してください。" in missing
    assert "差分通知ハッシュ値生成キーを入力してください。" in missing
    assert _account(new_shop_bare.id) is None
    _, saved = _confirm(client, _post(client, {
        "environment": "sandbox", "merchant_id": "900000779", "connect_id": "tea_new",
        "connect_password": "tea-New-Pass-04", "notice_hash_key": "tea-new-hash-04"}))
    assert saved.status_code == 302
    account = _account(new_shop_bare.id)
    assert (account.environment, account.merchant_id, account.connect_id,
            account.connect_password, account.paidy_public_key, account.capture_mode) == (
        "sandbox", "900000779", "tea_new", "tea-New-Pass-04", "", "auth")
    assert db.session.scalars(select(PaymentMethod).where(
        PaymentMethod.shop_id == new_shop_bare.id)).all() == []  # no method made
    # the card page now shows it read-only
    card = client.get("/admin/payment-methods/card").get_data(as_text=True)
    assert "ペイジェント設定（共通）" in card and 'name="connect_password"' not in card


@pytest.fixture
def new_shop_bare(app, sandbox, runner):
    app.config["SANDBOX_URL"] = sandbox.url
    result = runner.invoke(args=["shops", "create", "tea", "--name", "新茶舗", "--owner-email",
                                 "owner@tea.test", "--owner-password", "password123"])
    assert result.exit_code == 0
    sandbox.store.upsert_merchant("900000779", "tea_new", "tea-New-Pass-04", "tea-new-hash-04",
                                  "", "")
    return shop("tea")


# -- a shop with both methods: only the connection changes, the sandbox stays in step ----------
def test_saving_leaves_the_card_and_paidy_settings_and_their_keys_at_the_sandbox(
        app, client, login_as, shops, monkeypatch):
    monkeypatch.setitem(app.extensions, "paygent_sandbox", shops.server.app)
    demo = shop()
    methods_before = _methods_state(demo.id)
    assert methods_before["card"]["token_key"] and methods_before["paidy"][0]
    login_as("owner@example.com", "demo1234")
    data = {"environment": "sandbox", "merchant_id": "900000001", "connect_id": "demo_connect",
            "connect_password": "", "notice_hash_key": "demo-new-hash-key-5"}
    _, saved = _confirm(client, _post(client, data))
    assert saved.status_code == 302
    assert _account(demo.id).notice_hash_key == "demo-new-hash-key-5"
    assert _methods_state(demo.id) == methods_before
    merchant = shops.store.merchant("900000001")
    assert merchant["hash_key"] == "demo-new-hash-key-5"
    assert (merchant["token_key"], merchant["tds_hash_key"], merchant["paidy_public_key"]) == (
        methods_before["card"]["token_key"], methods_before["card"]["tds_hash_key"],
        methods_before["paidy"][0])
    # the Paidy page shows the connection as saved here
    paidy = client.get("/admin/payment-methods/paidy").get_data(as_text=True)
    assert 'value="900000001"' in paidy and "demo-new-hash-key-5" not in paidy


# -- access -------------------------------------------------------------------------------
@pytest.mark.parametrize("method_, path", [("get", FORM), ("post", FORM),
                                           ("get", CONFIRM + "?draft=x"), ("post", SAVE)])
def test_staff_are_refused(client, login_as, shops, method_, path):
    login_as("staff@example.com", "demo1234")
    page = client.get("/admin/").get_data(as_text=True)
    before = _raw(shop().id)
    kwargs = {"data": {"csrf_token": csrf_token(page), **GOOD, "merchant_id": "900000009",
                       "draft": "x"}} if method_ == "post" else {}
    assert getattr(client, method_)(path, **kwargs).status_code == 403
    assert _raw(shop().id) == before


def test_signed_out_visitors_go_to_the_login(client, shops):
    response = client.get(FORM)
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


@pytest.mark.parametrize("path", [FORM, SAVE])
def test_a_post_without_its_csrf_token_is_refused(client, login_as, shops, path):
    login_as("owner@example.com", "demo1234")
    before = _raw(shop().id)
    response = client.post(path, data={**GOOD, "merchant_id": "900000009", "draft": "x"})
    assert response.status_code == 400
    assert "画面の有効期限が切れました" in response.get_data(as_text=True)
    assert _raw(shop().id) == before


def test_another_shops_draft_is_out_of_reach(app, client, login_as, shops):
    # demo3's owner leaves a checked draft at its 確認画面 ...
    other = app.test_client()
    page = other.get("/admin/login").get_data(as_text=True)
    other.post("/admin/login", data={"email": "owner3@example.com", "password": "demo1234",
                                     "csrf_token": csrf_token(page)})
    token = csrf_token(other.get(FORM).get_data(as_text=True))
    response = other.post(FORM, data={"csrf_token": token, "environment": "sandbox",
                                      "merchant_id": "900000003", "connect_id": "demo3_x"},
                          content_type="multipart/form-data")
    draft = re.search(r"draft=([^&]+)", response.headers["Location"]).group(1)
    assert other.get(f"{CONFIRM}?draft={draft}").status_code == 200
    # ... demo's owner can neither open nor save it, nor post it back into the form.
    login_as("owner@example.com", "demo1234")
    before = (_raw(shop().id), _raw(shop("demo3").id))
    token = csrf_token(client.get(FORM).get_data(as_text=True))
    opened = client.get(f"{CONFIRM}?draft={draft}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(FORM)
    saved = client.post(SAVE, data={"csrf_token": token, "draft": draft})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(FORM)
    reopened = client.get(f"{FORM}?draft={draft}").get_data(as_text=True)
    assert "demo3_x" not in reopened and 'value="demo_connect"' in reopened
    assert f'value="{draft}"' not in reopened
    reused = client.post(FORM, data={"csrf_token": token, "draft": draft, **GOOD,
                                     "merchant_id": "900000001", "connect_id": "demo_connect"},
                         content_type="multipart/form-data")
    assert reused.status_code == 302
    assert (_raw(shop().id), _raw(shop("demo3").id)) == before


def test_a_card_or_paidy_draft_is_not_a_common_settings_draft(client, login_as, shops):
    login_as("owner@example.com", "demo1234")
    before = _raw(shop().id)
    token = csrf_token(client.get("/admin/payment-methods/card").get_data(as_text=True))
    card = client.post("/admin/payment-methods/card", data={
        "csrf_token": token, "payment_classes": ["lump"], "security_code": "required",
        "three_d_secure": "off", "attempt_auth": "none", "token_environment": "test",
        "sales_mode": "auth"}, content_type="multipart/form-data")
    card_draft = re.search(r"draft=([^&]+)", card.headers["Location"]).group(1)
    assert client.get(f"{CONFIRM}?draft={card_draft}").status_code == 302
    assert client.post(SAVE, data={"csrf_token": token, "draft": card_draft}).status_code == 302
    common = _post(client, {**GOOD, "environment": "sandbox", "merchant_id": "900000001",
                            "connect_id": "demo_connect"})
    common_draft = re.search(r"draft=([^&]+)", common.headers["Location"]).group(1)
    for path in ("/admin/payment-methods/paidy/confirm", "/admin/payment-methods/card/confirm"):
        opened = client.get(f"{path}?draft={common_draft}")
        assert opened.status_code == 302
    assert _raw(shop().id) == before
