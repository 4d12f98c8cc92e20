"""受注一覧 and searches on 100,000 orders across 100 shops (SQLite): p50 / p95 in ms.

Each measured request goes through the Flask test client as a signed-in staff member, so the
figures include the query, the count for 「N件HIT」 and rendering 50 rows. Page 10 is measured
as typed (``?page=10``) and as the pager's 「>>」 opens it (``after=`` the key of the row before
the page). The database lives in a temporary folder that is removed at the end, also after an
error or a SIGTERM. The last line printed is one JSON object with the figures.

    .venv/bin/python bench/order_list.py [--orders 100000] [--shops 100] [--runs 200]
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
GIVEN = ["太郎", "花子", "一郎", "美咲", "健太", "陽子", "翔", "さくら", "大輔", "由美"]


def build(app, shops: int, orders: int) -> None:
    from sqlalchemy import insert

    from cart.cli import create_shop
    from cart.extensions import db
    from cart.models import Order, Payment
    rng = random.Random(7)
    per_shop = orders // shops
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for s in range(1, shops + 1):
        shop = create_shop(f"shop{s:03d}", f"ショップ{s}", f"owner@shop{s:03d}.test",
                           "password123")
        rows, pays = [], []
        for n in range(1, per_shop + 1):
            name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
            rows.append(dict(
                shop_id=shop.id, number=f"order{n:05d}", status=rng.choice(
                    ["new"] * 6 + ["completed"] * 3 + ["cancelled"]), cart_type="zero",
                buyer_name=name, buyer_kana="ヤマダ タロウ", zip_code="150-0001",
                prefecture="東京都", city="渋谷区", street="1-2-3", tel=f"03{rng.randrange(10**8):08d}",
                email=f"buyer{s}-{n}@example.com", delivery_name="宅配便",
                payment_kind="paidy", payment_name="あと払い(ペイディ)",
                items_total=1000 + n, total=1800 + n, created_at=start + timedelta(
                    minutes=rng.randrange(60 * 24 * 300)), updated_at=start))
        db.session.execute(insert(Order), rows)
        ids = db.session.execute(db.select(Order.id, Order.number).where(
            Order.shop_id == shop.id)).all()
        for order_id, number in ids:
            pays.append(dict(shop_id=shop.id, order_id=order_id, method="paidy",
                             reference=f"pay_{s}_{number}",
                             paygent_payment_id=f"{s:03d}{order_id:09d}", status="20",
                             amount=1800, created_at=start, updated_at=start))
        db.session.execute(insert(Payment), pays)
        db.session.commit()


def measure(client, path, args_list, runs) -> tuple[float, float]:
    times = []
    for i in range(runs):
        started = time.perf_counter()
        response = client.get(path, query_string=args_list[i % len(args_list)])
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    times.sort()
    return statistics.median(times), times[max(0, round(len(times) * 0.95) - 1)]


def pager_link(app, shop_no: int, page: int) -> dict:
    """The arguments of the pager's link to ``page`` of 受注一覧: the key of the row before it."""
    from cart.admin.orders.search import TABS, Key
    from cart.extensions import db
    from cart.models import Order, Shop
    with app.app_context():
        shop_id = db.session.scalar(db.select(Shop.id).where(Shop.code == f"shop{shop_no:03d}"))
        row = db.session.execute(
            db.select(Order.created_at, Order.id)
            .where(Order.shop_id == shop_id, Order.status.in_(TABS["active"][1]))
            .order_by(Order.created_at.desc(), Order.id.desc())
            .offset((page - 1) * 50 - 1).limit(1)).one()
        return {"page": str(page), "after": Key.of(row).token()}


def _exit_on_signal(signum, _frame):
    raise SystemExit(f"stopped by signal {signum}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--shops", type=int, default=100)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    import logging
    logging.disable(logging.WARNING)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    folder = tempfile.mkdtemp(prefix="cart-bench-")
    try:
        run(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args, folder: str) -> None:
    from flask_migrate import upgrade

    from cart import create_app
    from cart.config import Config
    from cart.extensions import db
    app = create_app(Config, SECRET_KEY="bench", SANDBOX_ENABLED=False, LOG_LEVEL="WARNING",
                     PASSWORD_HASH_METHOD="pbkdf2:sha256:1000", NOTICE_POLL_MINUTES=0,
                     REDIS_URL="",
                     SQLALCHEMY_DATABASE_URI=f"sqlite:///{os.path.join(folder, 'cart.sqlite3')}")
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        build(app, args.shops, args.orders)
        print(f"built {args.orders:,} orders across {args.shops} shops in "
              f"{time.perf_counter() - started:.1f} s (SQLite, in a temporary folder)")
    shop_no, per_shop = max(1, args.shops // 2), args.orders // args.shops
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/admin/login", data={"csrf_token": token, "email": f"owner@shop{shop_no:03d}.test",
                                      "password": "password123"})
    rng = random.Random(1)
    cases = {
        "list (受注一覧, page 1)": [{}],
        "list, page 10 (?page=10)": [{"page": "10"}],
        "list, page 10 (>> link)": [pager_link(app, shop_no, 10)],
        "search by 取引ID": [{"trade_id": f"{shop_no:03d}{rng.randrange(1, args.orders):09d}"}
                            for _ in range(50)],
        "search by name (prefix)": [{"name": s} for s in SURNAMES],
        "search by date range (1 month)": [{"date_from": f"2026-{m:02d}-01",
                                            "date_to": f"2026-{m:02d}-28"} for m in range(1, 10)],
    }
    print(f"{'request':34} {'p50 ms':>8} {'p95 ms':>8}   ({args.runs} runs each, "
          f"{per_shop:,} orders in the shop)")
    figures = {}
    for label, arg_list in cases.items():
        p50, p95 = measure(client, "/admin/orders/", arg_list, args.runs)
        figures[label] = {"p50": round(p50, 1), "p95": round(p95, 1)}
        print(f"{label:34} {p50:8.1f} {p95:8.1f}")
    with app.app_context():
        db.engine.dispose()
    print(json.dumps({"bench": "order_list", "orders": args.orders, "shops": args.shops,
                      "runs": args.runs, "cases": figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
