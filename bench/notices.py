"""PAYGENT 差分通知 per second through the real server, with replays: notices/s, p50 / p95 ms.

The app runs as a server in its own process(es): bench/_live.py (the embedded default: one
threaded process, SQLite, the sandbox mounted), or gunicorn with gunicorn.conf.py. Orders are
put in the database first: Paidy payments authorised (オーソリOK) or captured, and orders whose
buyer never came back from the Paidy modal. Then N concurrent senders POST one notice per
order to /notices/paygent/<shop code> as PAYGENT does (Shift_JIS form, the fields the sandbox
sends, ``hc`` from the shop's notice hash key):

    capture    オーソリOK → 消込済 (40)                 applied
    cancel     オーソリOK → オーソリ取消済 (32)          applied
    refund     消込済 → 売上取消済 (60)                  applied
    authorize  オーソリOK for a 決済処理中 order           applied: order accepted, payment made
    late       オーソリOK arriving after 消込済           ignored: never moves a payment back

and a share of them a second time (a replay, as PAYGENT re-sends a notice it thinks was not
received), often while the first is still being handled. Every reply must be HTTP 200 with
``result=0``. Afterwards the database is checked: each notice recorded exactly once with the
expected outcome, each payment and order where it should be, one 変更履歴 line per applied
notice and the two mails of an accepted order. Any discrepancy is printed and the exit status
is 1: the figures of a run with errors are not figures.

Closed loop (the default): N senders each send their next notice as soon as the previous one
is answered, so the figure is the server's throughput. Open loop (``--open-loop RATE``): the
notices go out on a fixed schedule, RATE a second for ``--seconds`` (send times computed in
advance), from enough sender threads that a slow reply never delays the next send; each
latency is measured from the notice's scheduled send time, so time a notice spent waiting for a
free sender counts too (no coordinated omission). The same database checks follow either way.

Beside the wall-clock figures it prints the CPU time a notice costs the server, the throwaway
PostgreSQL and the senders (bench/_proc.py), and the throughput the machine's cores
could give at that cost: on shared cores the neighbours' load moves the first, hardly the
second. The senders use plain keep-alive http.client connections, cheaper than requests.

``--profile`` runs the server under a stack sampler (bench/_notice_sampler.py) during the timed
phase and prints where a notice's time goes in the server: waiting for SQLite's write lock,
statements by kind, commits, the connection pool, Python, and the project functions by
inclusive time. ``--cprofile`` adds cProfile per request on the CPU clock (CPU by function).
With ``--server live`` the sampled server is the same one-process threaded server that
bench/_live.py runs, started here so that the sampler can run inside it.

The last line printed is one JSON object with the figures.

    python bench/notices.py [--orders 2000] [--senders 8] [--replays 0.2]
                            [--open-loop 100 --seconds 10]
                            [--server live|gunicorn] [--workers 3] [--threads 4]
                            [--database-url postgresql://…  |  --pg]
                            [--profile] [--cprofile]
"""
import argparse
import http.client
import json
import logging
import math
import os
import queue
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JST = timezone(timedelta(hours=9))
SECRET_KEY = "bench"  # what bench/_live.py uses: the stored hash keys are encrypted with it
NOTICE_ID_BASE = 50_000_000  # far above the sandbox's own notice numbering
PAYMENT_ID_BASE = 300_000_000
SAMPLE_ENV = "CART_BENCH_SAMPLE"  # bench/_notice_sampler.py: where the server's samples go
KINDS = {  # kind: (share, status before, status notified, event, outcome)
    "capture": (0.55, "20", "40", "capture", "applied"),
    "cancel": (0.10, "20", "32", "cancel", "applied"),
    "refund": (0.10, "40", "60", "refund", "applied"),
    "authorize": (0.15, None, "20", "authorize", "applied"),
    "late": (0.10, "40", "20", "authorize", "ignored"),
}
BUYERS = [("山田 太郎", "ヤマダ タロウ"), ("佐藤 花子", "サトウ ハナコ"), ("鈴木 一郎", "スズキ イチロウ"),
          ("高橋 美咲", "タカハシ ミサキ"), ("渡辺 翔", "ワタナベ ショウ"), ("伊藤 さくら", "イトウ サクラ")]


def stamp(ts: datetime | None) -> str:
    return ts.astimezone(JST).strftime("%Y%m%d%H%M%S") if ts else ""


def free_port() -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in (54329, 63799):
            return port


# -- the database and the server --------------------------------------------------------
def bench_app(database_url: str):
    """The app as the bench process uses it: seeding and checking, never serving."""
    from cart import create_app
    from cart.config import Config
    return create_app(Config, SECRET_KEY=SECRET_KEY, SANDBOX_ENABLED=False, LOG_LEVEL="WARNING",
                      NOTICE_POLL_MINUTES=0, REDIS_URL="",
                      PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
                      SQLALCHEMY_DATABASE_URI=database_url)


class Server:
    """The app served from the prepared database on a free port, in processes of its own:

    - ``gunicorn``: gunicorn -c gunicorn.conf.py wsgi:app (``workers`` × ``threads``);
    - ``threaded``: one threaded process as bench/_live.py runs it (the development server,
      the sandbox mounted), used for ``--server live --profile`` so that the sampler can run
      inside it (bench/_notice_sampler.py).

    With ``sample_prefix`` every serving process is sampled."""

    def __init__(self, kind: str, database_url: str, folder: str, workers: int = 1,
                 threads: int = 4, sample_prefix: str | None = None):
        from flask_migrate import upgrade

        from cart.demo import seed_demo
        app = bench_app(database_url)
        with app.app_context():
            upgrade()
            seed_demo()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.database = database_url
        env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=SECRET_KEY,
                   SANDBOX_ENABLED="0", PUBLIC_BASE_URL=self.url, NOTICE_POLL_MINUTES="0",
                   LOG_LEVEL="WARNING", REDIS_URL="", MAIL_URL="",
                   GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS=str(workers),
                   GUNICORN_THREADS=str(threads))
        if sample_prefix:
            env[SAMPLE_ENV] = sample_prefix
        if kind == "gunicorn":
            target = "bench._notice_sampler:app" if sample_prefix else "wsgi:app"
            command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                       "--access-logfile", "/dev/null", target]
            self.processes = workers
        else:
            env.update(SANDBOX_ENABLED="1", SANDBOX_DB=os.path.join(folder, "sandbox.sqlite3"),
                       SANDBOX_TOKEN=SECRET_KEY)
            command = [sys.executable, "-m", "bench._notice_sampler", "--port", str(port)]
            self.processes = 1
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=self.log)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(self.url + "/admin/login", timeout=10).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        log = self.errors()
        self.stop()
        raise SystemExit(f"the {kind} server did not start: " + log[-2000:])

    def errors(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        stop_process(self.process, 20)
        self.log.close()


def stop_process(process: subprocess.Popen, timeout: float) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- orders and notices -----------------------------------------------------------------
def seed(app, orders: int, rng: random.Random) -> list[dict]:
    """Orders in the demo shops, each with the notice it will receive. Returns the plans."""
    from sqlalchemy import insert, select

    from cart.extensions import db
    from cart.gateway import account_for
    from cart.models import (DeliveryMethod, Order, OrderItem, Payment, PaymentMethod, Product,
                             Shop)
    kinds = list(KINDS)
    weights = [KINDS[k][0] for k in kinds]
    plans = []
    now = datetime.now(timezone.utc)
    with app.app_context():
        shops = db.session.scalars(select(Shop).where(Shop.code.in_(("demo", "demo3")))
                                   .order_by(Shop.id)).all()
        context = {}
        def one(model, shop_id, **where):
            query = select(model).where(model.shop_id == shop_id)
            for key, value in where.items():
                query = query.where(getattr(model, key) == value)
            return db.session.scalars(query).first()

        for shop in shops:
            context[shop.id] = dict(
                code=shop.code, key=account_for(shop.id).notice_hash_key,
                product=one(Product, shop.id, code="tea-001"),
                delivery=one(DeliveryMethod, shop.id, name="宅配便"),
                paidy=one(PaymentMethod, shop.id, kind="paidy"))
        order_rows, item_rows = [], []
        for i in range(orders):
            shop = shops[i % len(shops)]
            c = context[shop.id]
            kind = rng.choices(kinds, weights)[0]
            _, before, _, _, _ = KINDS[kind]
            name, kana = BUYERS[i % len(BUYERS)]
            quantity = 1 + i % 3
            items_total = c["product"].price * quantity
            total = items_total + c["delivery"].fee
            created = now - timedelta(minutes=rng.randrange(1, 60 * 24 * 3))
            number = f"nb{i + 1:07d}"
            order_rows.append(dict(
                shop_id=shop.id, number=number,
                status="pending_payment" if before is None else "new", cart_type="zero",
                capture_mode="auth", buyer_name=name, buyer_kana=kana, zip_code="1500001",
                prefecture="東京都", city="渋谷区神宮前", street=f"1-{i % 20 + 1}-3", building="",
                tel="0312345678", mobile="08000000001", email=f"buyer{i}@example.com",
                delivery_method_id=c["delivery"].id, delivery_name=c["delivery"].name,
                payment_method_id=c["paidy"].id, payment_kind="paidy",
                payment_name="あと払い(ペイディ)", items_total=items_total,
                shipping_fee=c["delivery"].fee, target8=items_total,
                tax8=items_total * 8 // 108, target10=c["delivery"].fee,
                tax10=c["delivery"].fee * 10 // 110, total=total,
                placed_at=None if before is None else created, created_at=created,
                updated_at=created))
            plans.append(dict(
                index=i, kind=kind, shop_id=shop.id, shop_code=c["code"], hash_key=c["key"],
                number=number, total=total, created=created,
                payment_id=str(PAYMENT_ID_BASE + i + 1),
                paidy_payment_id=f"pay_bench{i + 1:011d}",
                notice_id=str(NOTICE_ID_BASE + i + 1),
                quantity=quantity, product=c["product"]))
        db.session.execute(insert(Order), order_rows)
        ids = dict(db.session.execute(select(Order.number, Order.id).where(
            Order.number.like("nb%"))).all())
        payment_rows = []
        for plan in plans:
            plan["order_id"] = ids[plan["number"]]
            product = plan["product"]
            item_rows.append(dict(
                shop_id=plan["shop_id"], order_id=plan["order_id"], product_id=product.id,
                code=product.code, name=product.name, unit_price=product.price,
                quantity=plan["quantity"], tax_rate=product.tax_rate,
                subtotal=product.price * plan["quantity"]))
            before = KINDS[plan["kind"]][1]
            if before is not None:
                payment_rows.append(dict(
                    shop_id=plan["shop_id"], order_id=plan["order_id"], method="paidy",
                    reference=plan["paidy_payment_id"],
                    paygent_payment_id=plan["payment_id"], status=before, amount=plan["total"],
                    authorized_at=plan["created"],
                    captured_at=plan["created"] + timedelta(minutes=5) if before == "40" else None,
                    refunded=0, created_at=plan["created"], updated_at=plan["created"]))
            del plan["product"]
        db.session.execute(insert(OrderItem), item_rows)
        if payment_rows:
            db.session.execute(insert(Payment), payment_rows)
        db.session.commit()
    return plans


def notice_body(plan: dict) -> bytes:
    """The notice PAYGENT would push for the plan, as the sandbox builds it, Shift_JIS form."""
    from payments.paygent.codec import encode_form
    from payments.paygent.notices import notice_hash
    _, _, status, event, _ = KINDS[plan["kind"]]
    created = plan["created"]
    captured = created + timedelta(minutes=5) if status in ("40", "60") else None
    fields = {
        "payment_notice_id": plan["notice_id"],
        "payment_id": plan["payment_id"],
        "trading_id": plan["number"],
        "payment_type": "22",
        "payment_status": status,
        "payment_amount": str(plan["total"]),
        "currency": "JPY",
        "paidy_payment_id": plan["paidy_payment_id"],
        "payment_init_date": stamp(created),
        "authorized_date": stamp(created),
        "payment_date": stamp(captured),
        "change_date": stamp(datetime.now(timezone.utc)),
        "event": event,
        "event_result": "success",
        "event_error_code": "",
    }
    fields["hc"] = notice_hash(fields, plan["hash_key"])
    return encode_form(fields)


def schedule(plans: list[dict], replays: float, rng: random.Random, spread: int) -> list:
    """The order of sending: every notice once, shuffled, and a share of them again a few
    places later (so often while the first delivery is still being handled)."""
    sends = [(plan, False) for plan in plans]
    rng.shuffle(sends)
    for plan in rng.sample(plans, round(len(plans) * replays)):
        at = next(i for i, (p, _) in enumerate(sends) if p is plan)
        sends.insert(min(len(sends), at + 1 + rng.randrange(spread)), (plan, True))
    return sends


HEADERS = {"Content-Type": "application/x-www-form-urlencoded; charset=Shift_JIS"}


class Sender:
    """One sender's keep-alive connection to the server. Plain http.client rather than
    requests: the senders share the machine's 2 cores with the server, and requests costs
    several times more CPU per POST."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.connection = None
        self.used = False

    def post(self, plan: dict, body: bytes) -> tuple[int, str]:
        path = f"/notices/paygent/{plan['shop_code']}"
        while True:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
                self.used = False
            reused = self.used
            try:
                self.connection.request("POST", path, body, HEADERS)
                reply = self.connection.getresponse()
                text = reply.read().decode("shift_jis", errors="replace")
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError) as exc:
                self.close()
                if reused:  # the server closed an idle keep-alive connection: a new one
                    continue
                return 0, type(exc).__name__
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                return 0, type(exc).__name__
            self.used = True
            if reply.will_close:
                self.close()
            return reply.status, text

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def send_all(url: str, sends: list, senders: int) -> tuple[list[dict], float]:
    """Closed loop: POST every notice with ``senders`` threads, each sending its next notice
    when the previous one is answered; each result: latency, status, body."""
    work = queue.Queue()
    for n, item in enumerate(sends):
        work.put((n, item))
    results: list[dict | None] = [None] * len(sends)
    bodies = {id(plan): notice_body(plan) for plan, _ in sends}

    def sender():
        connection = Sender(url)
        while True:
            try:
                n, (plan, replay) = work.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            status, body = connection.post(plan, bodies[id(plan)])
            results[n] = dict(ms=(time.perf_counter() - started) * 1000, status=status,
                              body=body, plan=plan, replay=replay)

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - started


def send_open_loop(url: str, sends: list, rate: float, threads: int
                   ) -> tuple[list[dict], float]:
    """Open loop: send i is due at start + i / rate, whatever the replies do. Each of
    ``threads`` senders takes the next notice not yet taken, waits for its due time and sends
    it. The latency counts from the due time, so a notice that found every sender busy (the
    server too slow for the schedule) is charged the wait; ``lag_ms`` is how late it left and
    ``late_taken`` whether it was still untaken when due (no sender free)."""
    bodies = {id(plan): notice_body(plan) for plan, _ in sends}
    results: list[dict | None] = [None] * len(sends)
    lock = threading.Lock()
    position = iter(range(len(sends)))
    begin = time.perf_counter() + 0.3  # every sender started and waiting
    due = [begin + n / rate for n in range(len(sends))]

    def sender():
        connection = Sender(url)
        while True:
            with lock:
                n = next(position, None)
            if n is None:
                return
            taken = time.perf_counter()
            plan, replay = sends[n]
            wait = due[n] - taken
            if wait > 0:
                time.sleep(wait)
            left = time.perf_counter()
            status, body = connection.post(plan, bodies[id(plan)])
            done = time.perf_counter()
            results[n] = dict(ms=(done - due[n]) * 1000, service_ms=(done - left) * 1000,
                              lag_ms=(left - due[n]) * 1000, late_taken=taken > due[n],
                              status=status, body=body, plan=plan, replay=replay)

    workers = [threading.Thread(target=sender, daemon=True) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return results, max(r["ms"] / 1000 + due[n] for n, r in enumerate(results)) - begin


# -- checking ---------------------------------------------------------------------------
def verify(app, plans: list[dict]) -> list[str]:
    """Everything the notices should have done, and nothing more. Returns the problems."""
    from sqlalchemy import func, select

    from cart.extensions import db
    from cart.models import Order, OrderHistory, OutboxMail, Payment, PaymentNotice
    problems = []
    with app.app_context():
        notices = db.session.execute(select(
            PaymentNotice.shop_id, PaymentNotice.payment_notice_id, PaymentNotice.outcome,
            PaymentNotice.order_id)).all()
        recorded = Counter((n.shop_id, n.payment_notice_id) for n in notices)
        outcome = {(n.shop_id, n.payment_notice_id): (n.outcome, n.order_id) for n in notices}
        expected_keys = {(p["shop_id"], p["notice_id"]) for p in plans}
        for key, count in recorded.items():
            if count != 1:
                problems.append(f"notice {key[1]} of shop {key[0]} recorded {count} times")
        extra = set(recorded) - expected_keys
        if extra:
            problems.append(f"{len(extra)} notices recorded that were not sent: "
                            f"{sorted(extra)[:5]}")
        orders = {o.id: o for o in db.session.scalars(select(Order).where(
            Order.number.like("nb%")))}
        payments = {p.order_id: p for p in db.session.scalars(select(Payment))}
        history = dict(db.session.execute(select(OrderHistory.order_id, func.count()).group_by(
            OrderHistory.order_id)).all())
        mails = dict(db.session.execute(select(OutboxMail.order_id, func.count()).group_by(
            OutboxMail.order_id)).all())
        for plan in plans:
            _, before, status, _, expected = KINDS[plan["kind"]]
            label = f"{plan['kind']} {plan['number']} (notice {plan['notice_id']})"
            got = outcome.get((plan["shop_id"], plan["notice_id"]))
            if got is None:
                problems.append(f"{label}: not recorded")
                continue
            if got[0] != expected:
                problems.append(f"{label}: outcome {got[0]}, expected {expected}")
            if got[1] != plan["order_id"]:
                problems.append(f"{label}: matched order {got[1]}, expected {plan['order_id']}")
            order, payment = orders[plan["order_id"]], payments.get(plan["order_id"])
            final = before if expected == "ignored" else status
            if payment is None or payment.status != final:
                problems.append(f"{label}: payment status "
                                f"{payment.status if payment else None}, expected {final}")
            elif (payment.paygent_payment_id, payment.reference) != (
                    plan["payment_id"], plan["paidy_payment_id"]):
                problems.append(f"{label}: payment {payment.paygent_payment_id} "
                                f"{payment.reference}")
            if plan["kind"] == "capture" and payment is not None and payment.captured_at is None:
                problems.append(f"{label}: captured_at not set")
            if order.status != "new":
                problems.append(f"{label}: order status {order.status}, expected new")
            lines = history.get(plan["order_id"], 0)
            if lines != (1 if expected == "applied" else 0):
                problems.append(f"{label}: {lines} 変更履歴 lines")
            want_mails = 2 if plan["kind"] == "authorize" else 0
            if mails.get(plan["order_id"], 0) != want_mails:
                problems.append(f"{label}: {mails.get(plan['order_id'], 0)} mails, expected "
                                f"{want_mails}")
    return problems


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * share) - 1)] if ordered else float("nan")


# -- main -------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000,
                        help="orders, one notice each (closed loop; the open loop sends "
                             "RATE × SECONDS notices, replays included)")
    parser.add_argument("--warmup", type=int, default=60,
                        help="orders whose notices are sent first, untimed (checked too)")
    parser.add_argument("--senders", type=int, default=None,
                        help="closed loop: concurrent senders (8); open loop: sender threads "
                             "(default: enough for half a second of the schedule, at least 16)")
    parser.add_argument("--replays", type=float, default=0.2,
                        help="share of notices sent a second time")
    parser.add_argument("--open-loop", type=float, default=None, metavar="RATE",
                        help="send on a fixed schedule of RATE notices a second instead")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="open loop: how long the schedule runs")
    parser.add_argument("--server", choices=("live", "gunicorn"), default="live")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server (postgresql://user@host:port/db); the bench "
                             "creates a database of its own there and drops it afterwards")
    parser.add_argument("--pg", action="store_true",
                        help="start a throwaway PostgreSQL (scripts/pg-test-server.sh) for the run")
    parser.add_argument("--profile", action="store_true",
                        help="sample the server's threads during the timed phase and print "
                             "where a notice's time goes")
    parser.add_argument("--cprofile", action="store_true",
                        help="with --profile: also run each timed request under cProfile on "
                             "its thread's CPU clock and print CPU time by function")
    args = parser.parse_args()
    if args.cprofile:
        args.profile = True
        os.environ["CART_BENCH_CPROFILE"] = "1"  # read by the server's processes
    open_loop = args.open_loop is not None
    if open_loop:
        if args.open_loop <= 0 or args.seconds <= 0:
            parser.error("--open-loop and --seconds must be positive")
        args.orders = max(1, round(args.open_loop * args.seconds / (1 + args.replays)))
        args.senders = args.senders or max(16, math.ceil(args.open_loop * 0.5))
    else:
        args.senders = args.senders or 8
    logging.disable(logging.WARNING)
    # stopped from outside: unwind through the clean-up below like any other error
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(5)

    from bench._live import LiveApp
    from bench._proc import cpu_seconds, own_cpu_seconds, postmaster_pid
    from bench.order_search_pg import Postgres

    pg = server = None
    folder = tempfile.mkdtemp(prefix="cart-bench-notices-")
    sample_prefix = os.path.join(folder, "samples") if args.profile else None
    bad, problems, figures = [], [], {}
    try:
        if args.database_url or args.pg:
            pg = Postgres(None, given=args.database_url, prefix="cart_notices")
        fresh = pg.url if pg else f"sqlite:///{os.path.join(folder, 'cart.sqlite3')}"
        if args.server == "live" and not args.profile:
            server = LiveApp(pg.url if pg else None)
            database = server.database
            where = "bench/_live.py (one threaded process, embedded sandbox)"
        elif args.server == "live":
            server = Server("threaded", fresh, folder, sample_prefix=sample_prefix)
            database = fresh
            where = "one threaded process as bench/_live.py runs it, sampled"
        else:
            server = Server("gunicorn", fresh, folder, args.workers, args.threads,
                            sample_prefix)
            database = fresh
            where = (f"gunicorn -c gunicorn.conf.py ({args.workers} workers × {args.threads} "
                     "threads, gthread)" + (", sampled" if args.profile else ""))
        engine = "PostgreSQL" if database.startswith("postgresql") else "SQLite"
        app = bench_app(database)
        started = time.perf_counter()
        plans = seed(app, args.warmup + args.orders, rng)
        print(f"server: {where}, {engine}; seeded {len(plans):,} orders in "
              f"{time.perf_counter() - started:.1f} s")
        warm, timed = plans[:args.warmup], plans[args.warmup:]

        warm_results, _ = send_all(server.url, schedule(warm, 0.0, rng, 1),
                                   min(args.senders, 8))
        if sample_prefix:
            open(sample_prefix + ".on", "w").close()
        server_pid = getattr(server, "server_pid", None) or server.process.pid
        pg_pid = postmaster_pid(os.path.join(pg.folder, "data")) if pg and pg.folder else None
        cpu_before = (cpu_seconds(server_pid), cpu_seconds(pg_pid), own_cpu_seconds())
        if open_loop:
            sends = schedule(timed, args.replays, rng, spread=3)
            results, elapsed = send_open_loop(server.url, sends, args.open_loop, args.senders)
        else:
            sends = schedule(timed, args.replays, rng, spread=2 * args.senders)
            results, elapsed = send_all(server.url, sends, args.senders)
        cpu = [after - before for before, after in zip(cpu_before, (
            cpu_seconds(server_pid), cpu_seconds(pg_pid), own_cpu_seconds()))]
        samples = (collect_samples(sample_prefix, server.processes, args.cprofile)
                   if sample_prefix else None)

        bad = [r for r in warm_results + results
               if r["status"] != 200 or r["body"].strip() != "result=0"]
        problems = verify(app, plans)
        if isinstance(server, Server):
            log = server.errors()
            errors = [line for line in log.splitlines() if "Traceback" in line or "Error" in line]
            if errors:
                first = log[log.index("Traceback"):] if "Traceback" in log else errors[0]
                problems.append(f"the server logged {len(errors)} error lines; the first:\n"
                                + "\n".join(first.splitlines()[:30]))
        figures = report(results, elapsed, args, engine, bad, problems, len(warm))
        figures.update(cpu_report(cpu, len(results), engine, pg_pid is not None))
        if samples is not None:
            from bench._notice_sampler import report as sample_report
            print("\nwhere the server's time went (busy request threads, sampled):")
            figures["server_ms_per_notice"] = sample_report(samples, len(results), "notice")
            if args.cprofile:
                from bench._notice_sampler import cprofile_report
                cprofile_report(sample_prefix, len(results), "notice")
    finally:
        if server is not None:
            server.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(figures, ensure_ascii=False))
    if bad or problems:
        sys.exit(1)


def cpu_report(cpu: list[float], notices: int, engine: str, database_measured: bool) -> dict:
    """CPU ms per notice of the server, the database server and the senders, and what the
    machine's cores could do at that cost if nothing else ran on them."""
    server, database, senders = (seconds * 1000 / notices for seconds in cpu)
    total = server + database + senders
    cores = os.cpu_count() or 1
    where = (f", PostgreSQL {database:.1f}" if database_measured
             else " (the database server's is not measured)" if engine == "PostgreSQL" else "")
    print(f"CPU per notice: server {server:.1f} ms{where}, senders (this process) "
          f"{senders:.1f} ms; together {total:.1f} ms, so {cores} cores could do at most "
          f"{cores * 1000 / total:.0f} notices/s with nothing else running "
          f"(the server alone: {cores * 1000 / server:.0f}/s)")
    figures = {"server_cpu_ms_per_notice": round(server, 2),
               "sender_cpu_ms_per_notice": round(senders, 2)}
    if database_measured:
        figures["database_cpu_ms_per_notice"] = round(database, 2)
    figures["cpu_bound_per_s"] = round(cores * 1000 / total, 1)
    return figures


def collect_samples(prefix: str, processes: int, cprofile: bool) -> dict:
    """Stop the server's samplers and read what they wrote (one file per process that
    served a timed notice; a gunicorn worker that served none writes nothing)."""
    from bench._notice_sampler import load, merge
    os.remove(prefix + ".on")
    folder, stem = os.path.split(prefix)

    def written() -> int:
        profiles = sum(1 for n in os.listdir(folder) if n.startswith(stem + ".")
                       and n.endswith(".prof"))
        return min(len(load(prefix)), profiles if cprofile else processes)

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and written() < processes:
        time.sleep(0.1)
    return merge(load(prefix))


def report(results, elapsed, args, engine, bad, problems, warm) -> dict:
    """Print the table; return the figures for the JSON line."""
    first = [r["ms"] for r in results if not r["replay"]]
    again = [r["ms"] for r in results if r["replay"]]
    every = first + again
    kinds = Counter(r["plan"]["kind"] for r in results if not r["replay"])
    open_loop = args.open_loop is not None
    how = (f"on a fixed schedule of {args.open_loop:g}/s for {args.seconds:g} s from "
           f"{args.senders} sender threads (latency from each notice's scheduled send time)"
           if open_loop else f"with {args.senders} concurrent senders")
    print(f"sent {len(results):,} notices ({len(first):,} first deliveries: "
          + ", ".join(f"{k} {kinds[k]}" for k in KINDS)
          + f"; {len(again):,} replays) {how}, after {warm} untimed warm-up notices")
    print(f"\n{'notices':24} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8}")

    def row(label, values):
        print(f"{label:24} {len(values):7,} {statistics.median(values):8.1f} "
              f"{percentile(values, 0.95):8.1f} {percentile(values, 0.99):8.1f} "
              f"{max(values):8.1f}")

    for label, values in (("all", every), ("first deliveries", first), ("replays", again)):
        if values:
            row(label, values)
    for kind in KINDS:
        values = [r["ms"] for r in results if r["plan"]["kind"] == kind and not r["replay"]]
        if values:
            row("  " + kind, values)
    lost = sum("not recorded" in p for p in problems)  # sent and never booked
    database = engine.lower()
    figures = dict(mode="open" if open_loop else "closed")
    if open_loop:
        service = [r["service_ms"] for r in results]
        lags = [r["lag_ms"] for r in results]
        late = sum(1 for lag in lags if lag > 5)
        untaken = sum(1 for r in results if r["late_taken"])
        print(f"\nschedule: {len(results):,} notices due over {args.seconds:g} s "
              f"({args.open_loop:g}/s); all answered {elapsed:.2f} s after the first was due "
              f"({len(results) / elapsed:.1f}/s)")
        row("server time (from send)", service)
        print(f"sends that left more than 5 ms after their due time: {late} (max "
              f"{max(lags):.1f} ms; {untaken} found no sender free)")
        figures.update(open_loop_rate=args.open_loop, seconds=args.seconds,
                       notices=len(results), achieved_per_s=round(len(results) / elapsed, 1))
    else:
        print(f"\nthroughput: {len(results) / elapsed:.0f} notices/s ({len(results):,} in "
              f"{elapsed:.1f} s, {engine}, {args.server})")
        figures.update(notices_per_s=round(len(results) / elapsed, 1), notices=len(results))
    print(f"replies other than HTTP 200 'result=0': {len(bad)}")
    for r in bad[:10]:
        print(f"   {r['plan']['kind']} {r['plan']['number']} "
              f"{'replay' if r['replay'] else 'first'}: HTTP {r['status']} {r['body'][:80]!r}")
    if problems:
        print(f"database check: {len(problems)} problems")
        for line in problems[:20]:
            print("   " + line)
    else:
        print("database check: every notice recorded exactly once with the expected outcome; "
              "payments, orders, 変更履歴 and mails as expected")
    print("The machine's other work shares its 2 cores with the server and the senders: "
          "figures are noisy.")
    figures.update(
        p50_ms=round(statistics.median(every), 1), p95_ms=round(percentile(every, 0.95), 1),
        p99_ms=round(percentile(every, 0.99), 1), max_ms=round(max(every), 1))
    if open_loop:
        figures.update(server_p95_ms=round(percentile(service, 0.95), 1), late_sends=late,
                       max_lag_ms=round(max(lags), 1), threads=args.senders)
    else:
        figures.update(senders=args.senders)
    figures.update(errors=len(bad) + len(problems), lost=lost, server=args.server,
                   database=database)
    return figures


if __name__ == "__main__":
    main()
