"""Bulk capture of 50 orders with 200 ms of PAYGENT latency per telegram.

Prints the wall time of a run with the configured number of telegrams in flight, of a
one-at-a-time baseline in the same process, and the theoretical limit
(ceil(50 / width) × latency).

    .venv/bin/python bench/bulk_capture.py [--orders 50] [--latency-ms 200] [--width 8]
"""
import argparse
import logging
import math
import secrets
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--width", type=int, default=8)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    from flask_migrate import upgrade
    from sqlalchemy import select

    from cart import create_app
    from cart.admin.bulk import services as bulk
    from cart.config import Config
    from cart.demo import DEMO_SHOPS, make_paid_orders, seed_demo
    from cart.extensions import db
    from cart.models import BulkRun, Order, Staff
    from payments.sandbox import create_sandbox
    from payments.sandbox.server import SandboxServer

    token = secrets.token_urlsafe(16)  # the control API's token, shared with the app below
    sandbox = SandboxServer(create_sandbox(dispatch=False, control_token=token)).start()
    store = sandbox.app.extensions["sandbox"].store
    folder = tempfile.mkdtemp(prefix="cart-bench-")
    app = create_app(Config, SECRET_KEY="bench", SANDBOX_ENABLED=False, SANDBOX_TOKEN=token, LOG_LEVEL="WARNING",
                     SANDBOX_URL=sandbox.url, PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
                     SQLALCHEMY_DATABASE_URI=f"sqlite:///{os.path.join(folder, 'cart.sqlite3')}")
    with app.app_context():
        upgrade()
        seed_demo()
        p = DEMO_SHOPS[0]["paygent"]
        store.upsert_merchant(p["merchant_id"], p["connect_id"], p["connect_password"],
                              p["notice_hash_key"], "", p["paidy_public_key"])
        staff = db.session.scalar(select(Staff).where(Staff.email == "staff@example.com"))
        results = {}
        for label, width in (("one at a time", 1), (f"{args.width} in flight", args.width)):
            numbers = make_paid_orders("demo", args.orders)
            ids = [str(i) for i in db.session.scalars(select(Order.id).where(
                Order.number.in_(numbers)))]
            store.set_setting("latency_ms", args.latency_ms)
            app.config["BULK_CONCURRENCY"] = width
            started = time.perf_counter()
            run = bulk.start(staff.shop_id, staff, bulk.new_token(), ids)
            app.extensions["jobs"].wait_idle(600)
            elapsed = time.perf_counter() - started
            store.set_setting("latency_ms", 0)
            db.session.expire_all()
            run = db.session.get(BulkRun, run.id)
            assert run.succeeded == args.orders, (run.succeeded, run.failed)
            results[label] = (elapsed, width)
    limit = math.ceil(args.orders / args.width) * args.latency_ms / 1000
    print(f"{args.orders} orders, {args.latency_ms} ms per telegram (sandbox latency)")
    for label, (elapsed, width) in results.items():
        print(f"  {label:16} {elapsed:6.2f} s  ({args.orders / elapsed:5.1f} captures/s)")
    base = results["one at a time"][0]
    fast = results[f"{args.width} in flight"][0]
    print(f"  theoretical limit with {args.width} in flight: {limit:.2f} s; "
          f"speed-up {base / fast:.1f}x")
    sandbox.stop()


if __name__ == "__main__":
    main()
