"""The dashboard's 売上集計 and open work counts for a shop of 10,000 orders among many shops:
p50 / p95 in ms of the figures' queries and of the whole dashboard page, and how many
statements the page reads. SQLite in a temporary folder by default, or a PostgreSQL
database given by URL (its tables are created and dropped). The last line printed is one JSON
object with the figures.

    .venv/bin/python bench/dashboard_sales.py [--shops 20] [--orders 10000] [--runs 50]
        [--database-url postgresql+psycopg://…/db] [--without-sales-indexes]

``--without-sales-indexes`` drops the three indexes of migration 0027 before measuring (the
figures without them, for comparison).
"""
import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

METHODS = ("paidy", "card", "carrier", "conveni")
SALES_INDEXES_DROPPED = (
    "DROP INDEX ix_payments_shop_authorized",
    "DROP INDEX ix_payments_shop_captured",
    "DROP INDEX ix_payment_attempts_shop_finished",
)


def build(shops: int, orders: int) -> int:
    from sqlalchemy import insert, select

    from cart.extensions import db
    from cart.models import Order, Payment, PaymentAttempt
    from cart.models.base import utcnow
    from cart.shops import create_shop
    rng = random.Random(7)
    now = utcnow()
    first = None
    for s in range(1, shops + 1):
        shop = create_shop(f"shop{s:03d}", f"ショップ{s}", f"owner@shop{s:03d}.test",
                           "password123")
        first = first or shop.id
        rows = []
        for n in range(orders):
            at = now - timedelta(minutes=rng.randrange(60 * 24 * 365))
            rows.append(dict(
                shop_id=shop.id, number=f"order{n:06d}", status=rng.choice(
                    ["new"] * 3 + ["completed"] * 5 + ["awaiting_payment", "cancelled"]),
                cart_type="zero", buyer_name="山田 太郎", buyer_kana="ヤマダ タロウ",
                zip_code="150-0001", prefecture="東京都", city="渋谷区", street="1-2-3",
                tel="0312345678", email="buyer@example.com", delivery_name="宅配便",
                payment_kind="paidy", payment_name="あと払い(ペイディ)", items_total=2000,
                total=2800, created_at=at, updated_at=at, placed_at=at))
        db.session.execute(insert(Order), rows)
        ids = db.session.execute(select(Order.id, Order.placed_at).where(
            Order.shop_id == shop.id)).all()
        pays = []
        for order_id, at in ids:
            at = at if at.tzinfo else at.replace(tzinfo=now.tzinfo)  # SQLite: naive UTC
            captured = at + timedelta(hours=rng.randrange(1, 72))
            pays.append(dict(shop_id=shop.id, order_id=order_id, method=rng.choice(METHODS),
                             paygent_payment_id=f"{s:03d}{order_id:09d}", status="40",
                             amount=rng.randrange(1000, 30000), authorized_at=at,
                             captured_at=captured if captured < now else None,
                             created_at=at, updated_at=at))
        db.session.execute(insert(Payment), pays)
        paid = db.session.execute(select(Payment.id, Payment.order_id, Payment.captured_at).where(
            Payment.shop_id == shop.id, Payment.captured_at.is_not(None))).all()
        attempts = []
        for payment_id, order_id, captured in paid:
            attempts.append(dict(shop_id=shop.id, key=f"{s}-{payment_id}-c",
                                 payment_id=payment_id, order_id=order_id, action="capture",
                                 paygent_payment_id="x", outcome="succeeded",
                                 created_at=captured, finished_at=captured))
            if rng.random() < 0.1:
                at = captured + timedelta(days=rng.randrange(1, 20))
                attempts.append(dict(shop_id=shop.id, key=f"{s}-{payment_id}-r",
                                     payment_id=payment_id, order_id=order_id, action="refund",
                                     amount=500, paygent_payment_id="x", outcome="succeeded",
                                     created_at=at, finished_at=at))
        db.session.execute(insert(PaymentAttempt), attempts)
        db.session.commit()
    return first


def timed(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return round(statistics.median(times), 1), round(times[max(0, round(len(times) * .95) - 1)], 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shops", type=int, default=20)
    parser.add_argument("--orders", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--without-sales-indexes", action="store_true")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-dashboard-")
    url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
    try:
        from sqlalchemy import event, text

        from cart import create_app
        from cart.admin import sales
        from cart.config import Config
        from cart.extensions import db
        app = create_app(Config, SECRET_KEY="bench", SANDBOX_ENABLED=False, LOG_LEVEL="WARNING",
                         SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False,
                         NOTICE_POLL_MINUTES=0)
        with app.app_context():
            db.drop_all()
            db.create_all()
            started = time.perf_counter()
            shop_id = build(args.shops, args.orders)
            print(f"built {args.shops} × {args.orders} orders in "
                  f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
            if args.without_sales_indexes:
                for statement in SALES_INDEXES_DROPPED:
                    db.session.execute(text(statement))
                db.session.commit()
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            figures = timed(lambda: sales.sales(shop_id), args.runs)
            with app.test_request_context():
                work = timed(lambda: sales.open_work(shop_id, 0, 0), args.runs)
            client = app.test_client()
            client.post("/admin/login", data={"email": "owner@shop001.test",
                                              "password": "password123"})
            assert client.get("/admin/").status_code == 200
            seen = []
            event.listen(db.engine, "before_cursor_execute",
                         lambda *a: seen.append(a[2]))
            client.get("/admin/")
            statements = len(seen)
            page = timed(lambda: client.get("/admin/"), args.runs)
            result = {"dialect": db.engine.dialect.name, "shops": args.shops,
                      "orders_per_shop": args.orders,
                      "without_sales_indexes": args.without_sales_indexes, "figures_ms": figures,
                      "open_work_ms": work, "dashboard_ms": page,
                      "dashboard_statements": statements}
            print(f"{'what':<22}{'p50 ms':>10}{'p95 ms':>10}")
            for name in ("figures_ms", "open_work_ms", "dashboard_ms"):
                print(f"{name:<22}{result[name][0]:>10}{result[name][1]:>10}")
            db.session.remove()  # its transaction would hold the tables drop_all drops
            if args.database_url:
                db.drop_all()
            db.engine.dispose()
        print(json.dumps(result))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
