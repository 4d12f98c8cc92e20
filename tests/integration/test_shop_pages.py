"""特定商取引法に基づく表記 and プライバシーポリシー: the owner writes them through 確認画面へ →
設定する (staff are refused, another shop's drafts are nobody else's), the storefront shows
them escaped with a polite notice while unwritten, and every storefront page's footer links
to them without reading them."""
import html
import re

from sqlalchemy import event, select

from cart.demo import DEMO_PASSWORD
from cart.extensions import db
from cart.models import ShopPages

from ..conftest import csrf_token
from .checkout_helpers import add_to_cart, product, shop

FORM = "/admin/pages/tokushoho"
PRIVACY_FORM = "/admin/pages/privacy"
TOKUSHOHO = {
    "seller": "株式会社テスト茶舗", "manager": "茶屋 一郎",
    "address": "〒100-0001 東京都千代田区千代田1-1", "phone": "０３－９９９９－８８８８",
    "phone_hours": "平日 9:00〜18:00", "email": "contact@tea.example.jp", "website": "",
    "price": "各商品ページに記載", "extra_charges": "送料 全国一律700円",
    "order_method": "", "payment_methods": "クレジットカード決済\r\n銀行振込",
    "payment_timing": "ご注文時", "delivery_timing": "5営業日以内に発送",
    "returns": "到着後8日以内", "return_shipping": "お客様負担", "other": "",
}


def owner(client, login_as, email="owner@example.com"):
    login_as(email, DEMO_PASSWORD)
    return client


def submit(client, path, values):
    """「確認画面へ」 with ``values``; returns the response (a redirect when accepted)."""
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **values})


def draft_of(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.search(r"[?&]draft=([^&]+)", response.headers["Location"])
    assert match and "/confirm" in response.headers["Location"]
    return match.group(1)


def confirm_and_save(client, page, draft):
    confirm = client.get(f"/admin/pages/{page}/confirm?draft={draft}").get_data(as_text=True)
    return client.post(f"/admin/pages/{page}/save", data={
        "csrf_token": csrf_token(confirm), "draft": draft}), confirm


def stored(shop_code="demo") -> ShopPages | None:
    db.session.expire_all()
    return db.session.scalar(select(ShopPages).where(ShopPages.shop_id == shop(shop_code).id))


def storefront(app, path):
    response = app.test_client().get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


# -- the owner ---------------------------------------------------------------------------------
def test_owner_confirms_then_sets_the_tokushoho_page(app, client, login_as, shops):
    owner(client, login_as)
    menu = client.get("/admin/").get_data(as_text=True)
    assert '<a href="/admin/pages/tokushoho" class="">特定商取引法・プライバシーポリシー</a>' in menu
    draft = draft_of(submit(client, FORM, TOKUSHOHO))
    # not saved yet: the storefront still shows the demo's text
    assert "株式会社テスト茶舗" not in storefront(app, "/s/demo/tokushoho")
    response, confirm = confirm_and_save(client, "tokushoho", draft)
    assert "株式会社テスト茶舗" in confirm and "03-9999-8888" in confirm
    assert "（未入力）" in confirm  # 注文方法 left empty
    assert response.status_code == 302 and response.headers["Location"].endswith(FORM)
    assert "特定商取引法に基づく表記を設定しました。" in client.get(FORM).get_data(as_text=True)
    row = stored()
    assert row.seller == "株式会社テスト茶舗"
    assert row.phone == "03-9999-8888"  # full-width digits and hyphens as meant
    assert row.payment_methods == "クレジットカード決済\n銀行振込"
    page = storefront(app, "/s/demo/tokushoho")
    assert "<th scope=\"row\">販売業者</th><td>株式会社テスト茶舗</td>" in page
    assert "<th scope=\"row\">電話番号</th><td>03-9999-8888</td>" in page
    assert "注文方法" not in page  # an optional item left empty is not listed
    # the draft is used up
    assert client.get(f"/admin/pages/tokushoho/confirm?draft={draft}").status_code == 302


def test_owner_sets_the_privacy_policy(app, client, login_as, shops):
    owner(client, login_as)
    text = "当店は個人情報を大切に扱います。\r\n\r\n1. 利用目的\r\n発送のために利用します。"
    response, _ = confirm_and_save(client, "privacy", draft_of(submit(
        client, PRIVACY_FORM, {"privacy_policy": text})))
    assert response.status_code == 302
    assert stored().privacy_policy == text.replace("\r\n", "\n")
    assert stored().seller == "サンプル商会"  # the other page is left as it was
    page = storefront(app, "/s/demo/privacy")
    assert "当店は個人情報を大切に扱います。\n\n1. 利用目的\n発送のために利用します。" in page


def test_back_from_the_confirm_page_keeps_the_draft(app, client, login_as, shops):
    owner(client, login_as)
    draft = draft_of(submit(client, FORM, {**TOKUSHOHO, "seller": "下書き商店"}))
    back = client.get(f"{FORM}?draft={draft}").get_data(as_text=True)
    assert 'value="下書き商店"' in back and f'value="{draft}"' in back
    assert "サンプル商会" not in re.search(r'id="seller"[^>]*>', back).group(0)
    # changed and confirmed again: the same draft, now with the change
    again = draft_of(client.post(FORM, data={"csrf_token": csrf_token(back), "draft": draft,
                                             **TOKUSHOHO, "seller": "下書き商店２"}))
    assert again == draft
    confirm_and_save(client, "tokushoho", draft)
    assert stored().seller == "下書き商店２"


def test_the_form_starts_from_what_is_stored_or_suggested(app, client, login_as, shops,
                                                         make_shop):
    owner(client, login_as)
    page = client.get(FORM).get_data(as_text=True)
    assert 'value="サンプル商会"' in page and "03-1234-5678" in page
    # the shop's payment methods in use, named beside 支払方法
    assert "現在使用中の支払方法：あと払い(ペイディ)、クレジットカード決済" in page
    make_shop("fresh")
    client.post("/admin/logout", data={"csrf_token": csrf_token(page)})
    login_as("owner@fresh.test")
    fresh = client.get(FORM).get_data(as_text=True)
    assert "各商品ページに税込価格で表示しています。" in fresh
    assert re.search(r'<input id="seller"[^>]* value=""', fresh)


# -- who may ---------------------------------------------------------------------------------
def test_staff_who_is_not_owner_is_refused(client, login_as, shops):
    login_as("staff@example.com", DEMO_PASSWORD)
    for path in (FORM, PRIVACY_FORM, "/admin/pages", "/admin/pages/tokushoho/confirm?draft=x"):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client.get("/admin/").get_data(as_text=True))
    assert client.post(FORM, data={"csrf_token": token, **TOKUSHOHO}).status_code == 403
    assert client.post("/admin/pages/tokushoho/save", data={
        "csrf_token": token, "draft": "x"}).status_code == 403
    assert "特定商取引法・プライバシーポリシー" not in client.get("/admin/").get_data(as_text=True)
    assert stored().seller == "サンプル商会"


def test_another_shops_draft_is_nobody_elses(app, login_as, client, shops):
    other = app.test_client()
    page = other.get("/admin/login").get_data(as_text=True)
    other.post("/admin/login", data={"csrf_token": csrf_token(page),
                                     "email": "owner3@example.com", "password": DEMO_PASSWORD})
    theirs = draft_of(submit(other, FORM, {**TOKUSHOHO, "seller": "茶房の下書き"}))
    owner(client, login_as)
    # 確認画面 and 「戻る」 with their draft: nothing of it shows
    confirm = client.get(f"/admin/pages/tokushoho/confirm?draft={theirs}")
    assert confirm.status_code == 302
    assert "茶房の下書き" not in client.get(confirm.headers["Location"]).get_data(as_text=True)
    assert "茶房の下書き" not in client.get(f"{FORM}?draft={theirs}").get_data(as_text=True)
    # 「設定する」 with it saves nothing, at either shop
    token = csrf_token(client.get(FORM).get_data(as_text=True))
    assert client.post("/admin/pages/tokushoho/save", data={
        "csrf_token": token, "draft": theirs}).status_code == 302
    assert stored().seller == "サンプル商会"
    assert stored("demo3").seller == "サンプル茶房（3ステップ）"
    # a page that does not exist, and the privacy page with the tokushoho's draft
    assert client.get("/admin/pages/about").status_code == 404
    mine = draft_of(submit(client, FORM, TOKUSHOHO))
    assert client.get(f"/admin/pages/privacy/confirm?draft={mine}").status_code == 302


# -- what is refused -------------------------------------------------------------------------
def test_missing_and_malformed_items_are_explained_and_kept(client, login_as, shops):
    owner(client, login_as)
    response = submit(client, FORM, {
        **TOKUSHOHO, "seller": "  ", "manager": "", "phone": "03-12", "email": "not mail",
        "website": "javascript:alert(1)", "returns": "", "price": "x" * 4001})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in ("販売業者を入力してください。", "運営統括責任者を入力してください。",
                    "電話番号は市外局番から半角数字とハイフンで入力してください（例：03-1234-5678）。",
                    "メールアドレスの形式が正しくありません。",
                    "http:// または https:// で始まるURLを入力してください。",
                    "返品・交換・キャンセルを入力してください。", "4,000文字以内で入力してください。"):
        assert message in page, message
    assert "入力内容に誤りがあります。赤字の項目をご確認ください。" in page
    assert 'value="03-12"' in page and 'value="not mail"' in page  # nothing typed is lost
    assert "送料 全国一律700円" in page
    assert stored().seller == "サンプル商会"
    # 必須 beside the items the law asks for, not beside the others
    labels = re.findall(r'<label class="label" for="(\w+)">[^<]*</label>(<span[^>]*>必須</span>)?',
                        page)
    required = {name for name, mark in labels if mark}
    assert required == {"seller", "manager", "address", "phone", "email", "price",
                        "extra_charges", "payment_methods", "payment_timing",
                        "delivery_timing", "returns"}


def test_an_empty_or_overlong_privacy_policy_is_refused(client, login_as, shops):
    owner(client, login_as)
    assert "プライバシーポリシーを入力してください。" in submit(
        client, PRIVACY_FORM, {"privacy_policy": " \r\n "}).get_data(as_text=True)
    long = submit(client, PRIVACY_FORM, {"privacy_policy": "あ" * 20001}).get_data(as_text=True)
    assert "20,000文字以内で入力してください。" in long
    assert stored().privacy_policy.startswith("サンプル商会（以下「当店」）")


def test_the_csrf_token_is_required(client, login_as, shops):
    owner(client, login_as)
    response = client.post(FORM, data=TOKUSHOHO)
    assert response.status_code in (200, 400) and stored().seller == "サンプル商会"
    assert client.post("/admin/pages/tokushoho/save", data={"draft": "x"}).status_code == 400


# -- the storefront ----------------------------------------------------------------------------
def test_saved_text_is_shown_escaped(app, client, login_as, shops):
    owner(client, login_as)
    attack = '<script>alert("x")</script><a href="https://evil.example">安い</a>'
    confirm_and_save(client, "tokushoho", draft_of(submit(client, FORM, {
        **TOKUSHOHO, "seller": attack, "other": "<img src=x onerror=alert(1)>",
        "website": 'https://tea.example.jp/"onmouseover="alert(1)'})))
    confirm_and_save(client, "privacy", draft_of(submit(client, PRIVACY_FORM, {
        "privacy_policy": "<b>太字</b>\n</div><script>alert(2)</script>"})))
    page = storefront(app, "/s/demo/tokushoho")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert html.escape(attack, quote=False) in page.replace("&#34;", '"').replace("&quot;", '"')
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="https://tea.example.jp/&#34;onmouseover=&#34;alert(1)"' in page
    privacy = storefront(app, "/s/demo/privacy")
    assert "&lt;b&gt;太字&lt;/b&gt;\n&lt;/div&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in privacy
    assert "<b>太字" not in privacy and "<script>alert(2)" not in privacy
    confirm = client.get(f"/admin/pages/privacy/confirm?draft={draft_of(submit(client, PRIVACY_FORM, {'privacy_policy': '<script>alert(3)</script>'}))}")
    assert "<script>alert(3)" not in confirm.get_data(as_text=True)


def test_unwritten_pages_say_so_politely(app, make_shop, shops):
    make_shop("fresh", "はじめて商店")
    for path, notice in (("/s/fresh/tokushoho", "はじめて商店の特定商取引法に基づく表記は、ただいま準備中です。"),
                         ("/s/fresh/privacy", "はじめて商店のプライバシーポリシーは、ただいま準備中です。")):
        page = storefront(app, path)
        assert notice in page
        assert 'href="/s/fresh/tokushoho"' in page and 'href="/s/fresh/privacy"' in page
    assert app.test_client().get("/s/nowhere/tokushoho").status_code == 404


FOOTER = re.compile(r'<footer class="store-footer">.*?</footer>', re.S)


def footer_of(page: str, shop_code: str, shop_name: str) -> None:
    match = FOOTER.search(page)
    assert match, "no footer"
    footer = match.group(0)
    assert f'<a href="/s/{shop_code}/tokushoho">特定商取引法に基づく表記</a>' in footer
    assert f'<a href="/s/{shop_code}/privacy">プライバシーポリシー</a>' in footer
    assert f"&copy; {shop_name}" in footer


def test_every_storefront_page_links_to_both_pages_in_its_footer(app, shops):
    from .test_members import login as member_login
    guest = app.test_client()
    item = product()
    pages = {"/s/demo/": None, f"/s/demo/products/{item.id}": None}
    add_to_cart(guest)
    pages["/s/demo/cart"] = "ご注文手続き"  # the zero-step cart's one page
    for path, heading in pages.items():
        page = guest.get(path).get_data(as_text=True)
        assert heading is None or heading in page
        footer_of(page, "demo", "サンプル商会")
    three = app.test_client()
    add_to_cart(three, shop_code="demo3")
    for path in ("/s/demo3/cart", "/s/demo3/checkout/step1", "/s/demo3/member/login",
                 "/s/demo3/tokushoho", "/s/demo3/privacy"):
        response = three.get(path)
        assert response.status_code == 200, path
        footer_of(response.get_data(as_text=True), "demo3", "サンプル茶房（3ステップ）")
    member = app.test_client()
    assert member_login(member, "member@example.com", DEMO_PASSWORD).status_code == 302
    for path in ("/s/demo/member/orders", "/s/demo/member/profile",
                 "/s/demo/member/subscriptions"):
        response = member.get(path)
        assert response.status_code == 200, path
        footer_of(response.get_data(as_text=True), "demo", "サンプル商会")


def test_the_footer_reads_nothing_on_the_checkout_pages(app, shops):
    shopper = app.test_client()
    add_to_cart(shopper)
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        for path in ("/s/demo/", "/s/demo/cart"):
            assert "特定商取引法に基づく表記" in shopper.get(path).get_data(as_text=True)
        assert statements and not [s for s in statements if "shop_pages" in s]
        shopper.get("/s/demo/tokushoho")
        assert [s for s in statements if "shop_pages" in s]  # the page itself does read it
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
