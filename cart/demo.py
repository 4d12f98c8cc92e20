"""Demo data: shops anyone can sign in to, wired to the local sandbox."""
import functools

from flask import current_app
from sqlalchemy import select

from cart.shops import add_staff, create_shop
from cart.extensions import db
from cart.gateway import account_for, notice_url
from cart.methods.paidy import PAIDY_NOTE
from cart.models import (CardSettings, CarrierSettings, DeferredSettings, DeliveryMethod,
                         Member, PaygentAccount, PaymentMethod, Product, Shop, ShopSettings,
                         StoredCard)

DEMO_PASSWORD = "demo1234"
BANK_INSTRUCTIONS = ("お振込先：サンプル銀行 本店営業部 普通 1234567 サンプルショウカイ\n"
                     "ご注文から7日以内にお振込みください。")
# Test credentials at the local sandbox (not secrets: they open nothing real).
DEMO_SHOPS = [
    {
        "code": "demo", "name": "サンプル商会", "cart_type": "zero",
        "owner": "owner@example.com", "staff": "staff@example.com",
        "paygent": {"merchant_id": "900000001", "connect_id": "demo_connect",
                    "connect_password": "demo-connect-pass",
                    "notice_hash_key": "demo-hash-key-0001",
                    "paidy_public_key": "pk_test_demo_shop_0001"},
        "card": {"token_key": "demo-token-key-0001", "tds_hash_key": "demo-3ds-hash-key-0001"},
    },
    {
        "code": "demo3", "name": "サンプル茶房（3ステップ）", "cart_type": "three",
        "owner": "owner3@example.com", "staff": "staff3@example.com",
        "paygent": {"merchant_id": "900000003", "connect_id": "demo3_connect",
                    "connect_password": "demo3-connect-pass",
                    "notice_hash_key": "demo3-hash-key-0003",
                    "paidy_public_key": "pk_test_demo_shop_0003"},
        "card": {"token_key": "demo3-token-key-0003",
                 "tds_hash_key": "demo3-3ds-hash-key-0003"},
    },
]
DEMO_PAYGENT = DEMO_SHOPS[0]["paygent"]
#: ペイジェント(クレジット決済) as the demo shops offer it, besides each shop's keys
DEMO_CARD = {"payment_classes": "lump,split,revo,bonus", "security_code_required": True,
             "three_d_secure": True, "attempt_auth": "none", "merchant_name": "SampleShop",
             "token_environment": "test", "sales_mode": "auth"}
DEMO_PRODUCTS = [
    ("tea-001", "静岡煎茶 深蒸し 100g", 1080, 8, 500),
    ("tea-002", "宇治抹茶 30g缶", 2160, 8, 300),
    ("cup-001", "有田焼 湯呑み", 3300, 10, 120),
    ("set-001", "お茶と湯呑みのギフトセット", 5500, 10, 80),
]


def seed_demo() -> list[str]:
    """Create (or complete) the demo shops; safe to run again."""
    out = []
    seeded = []
    for spec in DEMO_SHOPS:
        shop = db.session.scalar(select(Shop).where(Shop.code == spec["code"]))
        if shop is None:
            shop = create_shop(spec["code"], spec["name"], spec["owner"], DEMO_PASSWORD)
            add_staff(shop, spec["staff"], DEMO_PASSWORD, "staff", "受注担当")
            out.append(f"created shop {spec['code']}")
        _seed_catalog(shop)
        seeded.append((shop, spec, _seed_payments(shop, spec)))
        db.session.commit()
    # The card comes after every shop's first methods, so that theirs keep the ids they had
    # before the card existed.
    for shop, spec, account in seeded:
        _seed_card(shop, spec)
        db.session.commit()
    for shop, spec, account in seeded:
        _seed_deferred(shop)
        db.session.commit()
    for shop, spec, account in seeded:
        _seed_carrier(shop)
        db.session.commit()
        register_at_sandbox(account, shop)
    for shop, spec, account in seeded:
        _seed_subscriptions(shop, spec, account)
        db.session.commit()
    for shop, spec, account in seeded:
        _seed_pages(shop, spec)
        db.session.commit()
    for shop, spec, account in seeded:
        _seed_images(shop)
        db.session.commit()
    return out


def _seed_catalog(shop: Shop) -> None:
    for code, name, price, rate, stock in DEMO_PRODUCTS:
        exists = db.session.scalar(select(Product).where(
            Product.shop_id == shop.id, Product.code == code))
        if not exists:
            db.session.add(Product(shop_id=shop.id, code=code, name=name, price=price,
                                   tax_rate=rate, stock=stock, published=True))


#: 商品画像 drawn for the demo products: (background, foreground) per image, by product code
DEMO_IMAGE_COLOURS = {
    "tea-001": [((74, 124, 58), (236, 244, 226)), ((200, 221, 176), (52, 92, 40))],
    "tea-002": [((108, 153, 62), (245, 250, 235))],
    "cup-001": [((44, 82, 130), (240, 244, 250)), ((226, 232, 240), (44, 82, 130))],
    "set-001": [((150, 52, 60), (252, 240, 232))],
}
_CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf")


def _seed_images(shop: Shop) -> None:
    """The demo products' 商品画像, drawn here (a product that has images keeps them)."""
    from cart.images import catalog
    for code, name, *_ in DEMO_PRODUCTS:
        product = db.session.scalar(select(Product).where(
            Product.shop_id == shop.id, Product.code == code))
        if product is None or catalog.count_of(shop.id, product.id):
            continue
        drawn = [_demo_image(name, code, i) for i in range(len(DEMO_IMAGE_COLOURS.get(code, [0])))]
        catalog.add_images(shop.id, product.id, drawn)


@functools.lru_cache(maxsize=16)
def _demo_image(name: str, code: str, index: int):
    """A square in the product's colours with the first character of its name (or its code
    when no Japanese font is installed), prepared as an upload would be."""
    import io
    import os

    from PIL import Image, ImageDraw, ImageFont

    from cart.images.processing import prepare
    background, foreground = (DEMO_IMAGE_COLOURS.get(code) or [((120, 120, 120), (255, 255, 255))])[index]
    image = Image.new("RGB", (800, 800), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((130, 130, 670, 670), outline=foreground, width=14)
    font_path = next((path for path in _CJK_FONTS if os.path.exists(path)), None)
    text = name[0] if font_path else code.split("-")[0].upper()
    font = (ImageFont.truetype(font_path, 300) if font_path
            else ImageFont.load_default(size=200 if len(text) < 4 else 150))
    draw.text((400, 400), text, fill=foreground, font=font, anchor="mm")
    if index:
        draw.text((400, 730), f"{index + 1}", fill=foreground, font=ImageFont.load_default(size=60),
                  anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return prepare(out.getvalue(), f"{code}.png")


def _seed_payments(shop: Shop, spec: dict) -> PaygentAccount:
    settings = db.session.scalar(select(ShopSettings).where(ShopSettings.shop_id == shop.id))
    if settings.order_seq == 0:  # not yet used: safe to set the demo's cart type
        settings.cart_type = spec["cart_type"]
    account = account_for(shop.id)
    if account is None:
        account = PaygentAccount(shop_id=shop.id, environment="sandbox", **spec["paygent"])
        db.session.add(account)
    if db.session.scalar(select(PaymentMethod).where(PaymentMethod.shop_id == shop.id)):
        return account
    paidy = PaymentMethod(shop_id=shop.id, kind="paidy", position=1, configured=True,
                          hide_from=300_000, note=PAIDY_NOTE, note_on_payment_page=True,
                          note_in_thanks_mail=True)
    bank = PaymentMethod(shop_id=shop.id, kind="bank_transfer", position=2, configured=True,
                         instructions=BANK_INSTRUCTIONS)
    cod = PaymentMethod(shop_id=shop.id, kind="cod", position=3, configured=True)
    courier = DeliveryMethod(shop_id=shop.id, name="宅配便", fee=800, position=1)
    later = DeliveryMethod(shop_id=shop.id, name="大型配送", fee=0,
                           fee_undetermined=True, position=2)
    courier.payment_methods = [paidy, bank, cod]
    later.payment_methods = [paidy, bank]
    db.session.add_all([paidy, bank, cod, courier, later])
    return account


def _seed_card(shop: Shop, spec: dict) -> None:
    """ペイジェント(クレジット決済) on the sandbox's test keys, offered right after Paidy and
    accepted by 宅配便 (a shop that already has the method, or removed it, keeps its choice)."""
    if db.session.scalar(select(PaymentMethod).where(PaymentMethod.shop_id == shop.id,
                                                     PaymentMethod.kind == "card")):
        return
    if db.session.scalar(select(CardSettings).where(CardSettings.shop_id == shop.id)) is None:
        db.session.add(CardSettings(shop_id=shop.id, **DEMO_CARD, **spec["card"]))
    listed = db.session.scalars(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop.id).order_by(PaymentMethod.position, PaymentMethod.id)).all()
    paidy = next((m for m in listed if m.kind == "paidy"), None)
    position = paidy.position + 1 if paidy else 1
    for method in listed:
        if method.position >= position:
            method.position += 1
    card = PaymentMethod(shop_id=shop.id, kind="card", position=position, configured=True,
                         note_on_payment_page=False)
    db.session.add(card)
    courier = db.session.scalar(select(DeliveryMethod).where(
        DeliveryMethod.shop_id == shop.id, DeliveryMethod.name == "宅配便"))
    if courier is not None:
        courier.payment_methods.append(card)


#: 定期購入: the product sold in cycles, and shop demo's demo member with a stored test card
DEMO_SUBSCRIPTION_PRODUCT = ("tea-002", "1m,2m,3m,2w")
DEMO_MEMBER = {"email": "member@example.com", "name": "会員 花子", "kana": "カイイン ハナコ",
               "zip_code": "150-0001", "prefecture": "東京都", "city": "渋谷区神宮前",
               "street": "1-2-3", "building": "", "tel": "0312345678", "mobile": "08000000001"}


def _seed_subscriptions(shop: Shop, spec: dict, account: PaygentAccount) -> None:
    """A product sold as 定期購入, and at shop demo the demo member (member@example.com /
    demo1234) with a test card in the embedded sandbox's card store (4111…1111)."""
    code, offered = DEMO_SUBSCRIPTION_PRODUCT
    product = db.session.scalar(select(Product).where(Product.shop_id == shop.id,
                                                      Product.code == code))
    if product is not None and not product.subscription_cycles:
        product.subscription_cycles = offered
    if spec["code"] != "demo":
        return
    member = db.session.scalar(select(Member).where(Member.shop_id == shop.id,
                                                    Member.email == DEMO_MEMBER["email"]))
    if member is None:
        member = Member(shop_id=shop.id, **DEMO_MEMBER)
        member.set_password(DEMO_PASSWORD)
        db.session.add(member)
        db.session.flush()
    sandbox = current_app.extensions.get("paygent_sandbox")
    if sandbox is None or account.environment != "sandbox":
        return  # a card store elsewhere: the member registers a card in マイページ
    from payments.sandbox.methods.stored_card import seed_card
    card_id = seed_card(sandbox.extensions["sandbox"].store, account.merchant_id,
                        member.paygent_customer_id)
    if db.session.scalar(select(StoredCard.id).where(
            StoredCard.shop_id == shop.id, StoredCard.member_id == member.id,
            StoredCard.customer_card_id == card_id)) is None:
        db.session.add(StoredCard(shop_id=shop.id, member_id=member.id,
                                  customer_card_id=card_id, masked="411111******1111",
                                  expiry="12/30", brand="VISA"))


#: コンビニ, ATM and 銀行ネット as the demo shops offer them (every store of タイプA/B/D)
DEMO_DEFERRED = {
    "conveni": {"days": 15, "connection_type": "ABD",
                "stores": "00C001,00C002,00C004,00C005,00C014,00C016"},
    "atm": {"days": 30, "shop_name_kana": "サンプルショウカイ"},
    "bank": {"days": 7, "shop_name": "サンプル商会", "shop_name_kana": "サンプルショウカイ",
             "copyright": "Copyright (c) Sample Shokai", "free_memo": "ご利用ありがとうございます"},
}


def _seed_deferred(shop: Shop) -> None:
    """コンビニ決済, ATM決済 and 銀行ネット決済 on the sandbox, listed after the card and accepted
    by 宅配便 (a shop that already has a method, or removed it, keeps its choice)."""
    listed = db.session.scalars(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop.id).order_by(PaymentMethod.position, PaymentMethod.id)).all()
    after = next((m for m in listed if m.kind == "card"), None)
    position = after.position + 1 if after else len(listed) + 1
    courier = db.session.scalar(select(DeliveryMethod).where(
        DeliveryMethod.shop_id == shop.id, DeliveryMethod.name == "宅配便"))
    for code, values in DEMO_DEFERRED.items():
        if any(m.kind == code for m in listed):
            continue
        if db.session.scalar(select(DeferredSettings).where(
                DeferredSettings.shop_id == shop.id, DeferredSettings.method == code)) is None:
            db.session.add(DeferredSettings(shop_id=shop.id, method=code, **values))
        for method in listed:
            if method.position >= position:
                method.position += 1
        method = PaymentMethod(shop_id=shop.id, kind=code, position=position, configured=True,
                               note_on_payment_page=False)
        db.session.add(method)
        listed.append(method)
        position += 1
        if courier is not None:
            courier.payment_methods.append(method)


def _seed_carrier(shop: Shop) -> None:
    """携帯キャリア決済 with all three carriers, listed after the card and the deferred methods and
    accepted by 宅配便 (a shop that already has it, or removed it, keeps its choice)."""
    listed = db.session.scalars(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop.id).order_by(PaymentMethod.position, PaymentMethod.id)).all()
    if any(m.kind == "carrier" for m in listed):
        return
    if db.session.scalar(select(CarrierSettings).where(
            CarrierSettings.shop_id == shop.id)) is None:
        db.session.add(CarrierSettings(shop_id=shop.id, carriers="docomo,au,softbank",
                                       sales_mode="auth"))
    after = [m for m in listed if m.kind in ("card", "conveni", "atm", "bank")]
    position = max(m.position for m in after) + 1 if after else len(listed) + 1
    for method in listed:
        if method.position >= position:
            method.position += 1
    method = PaymentMethod(shop_id=shop.id, kind="carrier", position=position, configured=True,
                           note_on_payment_page=False)
    db.session.add(method)
    courier = db.session.scalar(select(DeliveryMethod).where(
        DeliveryMethod.shop_id == shop.id, DeliveryMethod.name == "宅配便"))
    if courier is not None:
        courier.payment_methods.append(method)


#: 特定商取引法に基づく表記 and プライバシーポリシー of the demo shops (fictitious details)
DEMO_PAGES = {
    "manager": "山田 太郎",
    "address": "〒150-0001 東京都渋谷区神宮前1-2-3 サンプルビル5F",
    "phone": "03-1234-5678",
    "phone_hours": "平日 10:00〜17:00（土日祝・年末年始を除く）",
    "price": "各商品ページに税込価格で表示しています。",
    "extra_charges": "送料：宅配便 全国一律800円（大型配送はご注文後にご連絡します）\n"
                     "代金引換手数料：330円\n銀行振込の振込手数料はお客様のご負担となります。",
    "order_method": "ショッピングカートからご注文ください。",
    "payment_methods": "あと払い(ペイディ)、クレジットカード決済、コンビニ決済、ATM決済（ペイジー）、"
                       "銀行ネット決済、携帯キャリア決済、銀行振込、代金引換",
    "payment_timing": "クレジットカード決済・携帯キャリア決済：ご注文時にお支払いが確定します。\n"
                      "あと払い(ペイディ)：ご利用の翌月27日までにお支払いください。\n"
                      "コンビニ決済・ATM決済・銀行ネット決済・銀行振込：ご注文から7日以内にお支払いください。\n"
                      "代金引換：商品お受け取りの際にお支払いください。",
    "delivery_timing": "ご注文（前払いの場合はご入金の確認）から3営業日以内に発送します。",
    "returns": "商品に欠陥がある場合を除き、お客様のご都合による返品・交換はお受けしておりません。\n"
               "不良品・誤配送の場合は、商品到着後7日以内にご連絡ください。良品と交換いたします。\n"
               "ご注文のキャンセルは、発送前に限りお問い合わせ先までご連絡ください。",
    "return_shipping": "不良品・誤配送の場合は当店が負担します。",
}
DEMO_PRIVACY = """{name}（以下「当店」）は、お客様の個人情報を次のとおり取り扱います。

1. 取得する情報
ご注文・会員登録の際に、お名前、ご住所、電話番号、メールアドレス等をお預かりします。クレジットカード番号は決済代行会社が管理し、当店は保持しません。

2. 利用目的
商品の発送、ご注文内容の確認やご連絡、お支払いの手続き、お問い合わせへの回答のために利用します。

3. 第三者への提供
法令に基づく場合を除き、ご本人の同意なく第三者に提供しません。ただし、商品の配送や決済のため、配送業者・決済代行会社に必要な範囲で提供します。

4. 安全管理
お預かりした個人情報は、漏えい・滅失・毀損のないよう適切に管理します。

5. 開示・訂正・削除のご請求
ご本人からの個人情報の開示・訂正・利用停止・削除のご請求には、ご本人であることを確認のうえ対応します。

6. お問い合わせ窓口
{name} 個人情報お問い合わせ窓口
メール：{email}
"""


def _seed_pages(shop: Shop, spec: dict) -> None:
    """The storefront's footer pages, filled in (a shop that wrote its own keeps them)."""
    from cart.models import ShopPages
    if db.session.scalar(select(ShopPages).where(ShopPages.shop_id == shop.id)):
        return
    email = f"info@{spec['code']}.example.com"
    db.session.add(ShopPages(shop_id=shop.id, seller=spec["name"], email=email, **DEMO_PAGES,
                             privacy_policy=DEMO_PRIVACY.format(name=spec["name"], email=email)))


def register_at_sandbox(account: PaygentAccount, shop: Shop) -> None:
    """Tell the embedded sandbox about a shop's credentials and notice URL."""
    sandbox = current_app.extensions.get("paygent_sandbox")
    if sandbox is None or account.environment != "sandbox":
        return
    card = db.session.scalar(select(CardSettings).where(CardSettings.shop_id == shop.id))
    sandbox.extensions["sandbox"].store.upsert_merchant(
        account.merchant_id, account.connect_id, account.connect_password,
        account.notice_hash_key, notice_url(shop), account.paidy_public_key, shop.name,
        token_key=card.token_key if card else "",
        tds_hash_key=card.tds_hash_key if card else "")


def summary() -> str:
    """What to open and how to sign in, printed by ``make run``."""
    base = current_app.config["PUBLIC_BASE_URL"]
    lines = ["", "=" * 72]
    for spec in DEMO_SHOPS:
        kind = "ゼロステップカート" if spec["cart_type"] == "zero" else "3ステップカート"
        lines += [
            f"  {spec['name']}  ({kind})",
            f"    ショップ        {base}/s/{spec['code']}/",
            f"    管理画面        {base}/admin/login",
            f"    オーナー        {spec['owner']} / {DEMO_PASSWORD}",
            f"    スタッフ        {spec['staff']} / {DEMO_PASSWORD}",
        ]
        if spec["code"] == "demo":
            lines.append(f"    会員            {DEMO_MEMBER['email']} / {DEMO_PASSWORD}"
                         f"  (登録カード 4111…1111; 定期購入: {DEMO_SUBSCRIPTION_PRODUCT[0]})")
    if current_app.config["SANDBOX_ENABLED"]:
        token = current_app.config.get("SANDBOX_TOKEN", "")
        lines += [
            f"  PAYGENT sandbox   {base}/_sandbox/paygent  (e.g. /n/paidy/request)",
            f"  Paidy checkout.js {base}/_sandbox/paidy/checkout.js (try: /_sandbox/paidy/try)",
            "  Paidy test buyer  successful.payment@paidy.com / rejected.payment@paidy.com,"
            " SMS code 8888",
            f"  sandbox control   {base}/_sandbox/control/… needs the header "
            f"X-Sandbox-Token: {token}",
            f"    e.g. curl -s -H 'X-Sandbox-Token: {token}' {base}/_sandbox/control/notices",
        ]
        for spec in DEMO_SHOPS:
            p = spec["paygent"]
            lines.append(f"  {spec['code']}: merchant_id={p['merchant_id']} connect_id="
                         f"{p['connect_id']} connect_password={p['connect_password']} "
                         f"hash key={p['notice_hash_key']} public key={p['paidy_public_key']}")
            lines.append(f"        card: token key={spec['card']['token_key']} 3DS hash key="
                         f"{spec['card']['tds_hash_key']} (test card 4111111111111111)")
        lines.append(f"  コンビニ/ATM の支払い: {base}/_sandbox/cvs/terminal"
                     "  (お支払い番号を入力して「支払う」)")
    lines.append("=" * 72)
    return "\n".join(lines)


DEMO_BUYERS = [("山田 太郎", "ヤマダ タロウ"), ("佐藤 花子", "サトウ ハナコ"),
               ("鈴木 一郎", "スズキ イチロウ"), ("高橋 美咲", "タカハシ ミサキ")]


def make_paid_orders(shop_code: str, count: int) -> list[str]:
    """N orders paid with Paidy through the sandbox: オーソリのみ, payment オーソリOK, 取引ID
    attached. For demos, tests and the bulk-capture benchmark."""
    import requests

    from cart.acceptance import accept_and_commit
    from cart.checkout.orders import Draft
    from cart.methods.paidy.checkout import start_paidy
    from cart.shop_settings import deliveries
    from payments.methods import PAIDY
    from cart.config import sandbox_token, sandbox_url
    from cart.pricing import Line
    from payments.sandbox.methods import paidy as sandbox_paygent

    shop = db.session.scalar(select(Shop).where(Shop.code == shop_code))
    if shop is None:
        raise ValueError(f"no shop {shop_code!r}")
    account = account_for(shop.id)
    paidy = db.session.scalar(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop.id, PaymentMethod.kind == "paidy"))
    delivery = next((d for d in deliveries(shop.id) if not d.fee_undetermined
                     and paidy in d.payment_methods), None)
    products = db.session.scalars(select(Product).where(
        Product.shop_id == shop.id, Product.published.is_(True), Product.stock > 0)).all()
    if account is None or paidy is None or delivery is None or not products:
        raise ValueError("the shop needs Paidy configured, a delivery accepting it and products")
    embedded = current_app.extensions.get("paygent_sandbox")
    numbers = []
    for i in range(count):
        product = products[i % len(products)]
        name, kana = DEMO_BUYERS[i % len(DEMO_BUYERS)]
        buyer = {"buyer_name": name, "buyer_kana": kana, "zip_code": "150-0001",
                 "prefecture": "東京都", "city": "渋谷区神宮前", "street": f"1-{i + 1}",
                 "building": "", "tel": "0312345678", "mobile": "08000000001",
                 "email": "successful.payment@paidy.com"}
        line = Line(product.id, product.code, product.name, product.price, 1, product.tax_rate)
        order, payload = start_paidy(shop, Draft([line], buyer, delivery, paidy, "zero"))
        order.capture_mode = "auth"
        db.session.commit()
        details = {"buyer": payload["buyer"], "order": payload["order"],
                   "shipping_address": payload["shipping_address"]}
        if embedded is not None and account.environment == "sandbox":
            paid = sandbox_paygent.create_authorized_payment(
                embedded.extensions["sandbox"].store, account.merchant_id, order.number,
                order.total, details)
        else:
            url = sandbox_url(current_app.config) + "/control/payments"
            reply = requests.post(
                url, headers={"X-Sandbox-Token": sandbox_token(current_app.config)},
                json={"merchant_id": account.merchant_id, "trading_id": order.number,
                      "amount": order.total, "details": details}, timeout=10)
            if reply.status_code != 200:
                raise ValueError(f"{url} answered HTTP {reply.status_code}: SANDBOX_TOKEN "
                                 "must be that sandbox's control token")
            paid = reply.json()
        accept_and_commit(order, PAIDY, paid["paidy_payment_id"], str(paid["payment_id"]), "20",
                          order.total, source="デモデータ")
        numbers.append(order.number)
    return numbers
