"""Demo data: a shop anyone can sign in to, wired to the local sandbox."""
from flask import current_app
from sqlalchemy import select

from cart.cli import add_staff, create_shop
from cart.extensions import db
from cart.gateway import notice_url
from cart.models import PaygentAccount, Product, Shop

DEMO_PASSWORD = "demo1234"
# Test credentials of the demo shop at the local sandbox (not secrets: they open nothing).
DEMO_PAYGENT = {
    "merchant_id": "900000001",
    "connect_id": "demo_connect",
    "connect_password": "demo-connect-pass",
    "notice_hash_key": "demo-hash-key-0001",
    "paidy_public_key": "pk_test_demo_shop_0001",
}
DEMO_PRODUCTS = [
    ("tea-001", "静岡煎茶 深蒸し 100g", 1080, 8, 50),
    ("tea-002", "宇治抹茶 30g缶", 2160, 8, 30),
    ("cup-001", "有田焼 湯呑み", 3300, 10, 12),
    ("set-001", "お茶と湯呑みのギフトセット", 5500, 10, 8),
]


def seed_demo() -> list[str]:
    """Create (or complete) the demo shop; safe to run again."""
    out = []
    shop = db.session.scalar(select(Shop).where(Shop.code == "demo"))
    if shop is None:
        shop = create_shop("demo", "サンプル商会", "owner@example.com", DEMO_PASSWORD)
        add_staff(shop, "staff@example.com", DEMO_PASSWORD, "staff", "受注担当")
        out.append("created shop demo")
    for code, name, price, rate, stock in DEMO_PRODUCTS:
        exists = db.session.scalar(select(Product).where(
            Product.shop_id == shop.id, Product.code == code))
        if not exists:
            db.session.add(Product(shop_id=shop.id, code=code, name=name, price=price,
                                   tax_rate=rate, stock=stock, published=True))
    account = db.session.scalar(select(PaygentAccount).where(PaygentAccount.shop_id == shop.id))
    if account is None:
        account = PaygentAccount(shop_id=shop.id, environment="sandbox", **DEMO_PAYGENT)
        db.session.add(account)
    db.session.commit()
    register_at_sandbox(account, shop)
    return out


def register_at_sandbox(account: PaygentAccount, shop: Shop) -> None:
    """Tell the embedded sandbox about a shop's credentials and notice URL."""
    sandbox = current_app.extensions.get("paygent_sandbox")
    if sandbox is None or account.environment != "sandbox":
        return
    sandbox.extensions["sandbox"].store.upsert_merchant(
        account.merchant_id, account.connect_id, account.connect_password,
        account.notice_hash_key, notice_url(shop), account.paidy_public_key, shop.name)


def summary() -> str:
    """What to open and how to sign in, printed by ``make run``."""
    base = current_app.config["PUBLIC_BASE_URL"]
    sandbox = current_app.config["SANDBOX_ENABLED"]
    lines = [
        "",
        "=" * 64,
        f"  管理画面ログイン   {base}/admin/login",
        f"    オーナー          owner@example.com / {DEMO_PASSWORD}",
        f"    スタッフ          staff@example.com / {DEMO_PASSWORD}",
        f"  ショップ (demo)    {base}/s/demo/",
    ]
    if sandbox:
        lines += [
            f"  PAYGENT sandbox    {base}/_sandbox/paygent  (e.g. /n/paidy/request)",
            f"  Paidy checkout.js  {base}/_sandbox/paidy/checkout.js",
            f"  Paidy modal trial  {base}/_sandbox/paidy/try",
            f"  demo merchant_id={DEMO_PAYGENT['merchant_id']} connect_id={DEMO_PAYGENT['connect_id']}"
            f" connect_password={DEMO_PAYGENT['connect_password']}",
            f"  hash key={DEMO_PAYGENT['notice_hash_key']}"
            f" Paidy public key={DEMO_PAYGENT['paidy_public_key']}",
        ]
    lines.append("=" * 64)
    return "\n".join(lines)
