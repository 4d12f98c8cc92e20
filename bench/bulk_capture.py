"""Bulk capture of 50 orders with 200 ms of PAYGENT latency per telegram.

The PAYGENT sandbox runs as a process of its own on its own port (``python -m
payments.sandbox --port P --control-token T --db FILE``), as PAYGENT would be, so its work does
not share the app's interpreter. The app runs in this process on a fresh SQLite file and reaches
the sandbox at SANDBOX_URL with its control token; its bulk run (外部決済一括処理) goes through
the embedded job threads, as in a one-process deployment. The latency is set through the
sandbox's control API and is 0 while the orders are made.

Each repeat makes fresh orders and times a one-at-a-time baseline (BULK_CONCURRENCY=1) and a
run with ``--width`` telegrams in flight, from the request (``bulk.start``) until every job is
done; the figures are the medians over ``--repeat`` runs. The theoretical limit is
ceil(orders / width) × latency. Where the median run's time goes beyond it is read from what
it left, whatever the app's threads do: when the sandbox answered each capture (its telegram
log), each round trip as the app timed it (the payment log), when each item was finished; and
the CPU time per order of the app and of the sandbox. ``--profile`` adds one more run with the
run's threads sampled (bench/_notice_sampler.py), reported apart so the medians stay
unsampled.

Everything it starts is stopped and its temporary folder removed when it ends, on errors and
on SIGTERM too. The last line printed is one JSON object with the figures.

    .venv/bin/python bench/bulk_capture.py [--orders 50] [--latency-ms 200] [--width 8]
                                           [--repeat 3] [--profile]
"""
import argparse
import json
import logging
import math
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN_HEADER = "X-Sandbox-Token"


def free_port() -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in (54329, 63799):  # the test suite's PostgreSQL and Redis
            return port


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when this bench dies, however it dies."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Sandbox:
    """``python -m payments.sandbox`` on a free port, its store and log in ``folder``."""

    def __init__(self, folder: str):
        self.token = secrets.token_urlsafe(32)
        self.log_path = os.path.join(folder, "sandbox.log")
        self.process = None
        for _ in range(5):  # a port taken between choosing it and binding it: another one
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "payments.sandbox", "--port", str(port),
                     "--control-token", self.token,
                     "--db", os.path.join(folder, "sandbox.sqlite3")],
                    cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    preexec_fn=_die_with_parent)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    if requests.get(self.url + "/paidy/checkout.js", timeout=5).ok:
                        return
                except requests.RequestException:
                    time.sleep(0.1)
            self.stop()
        raise RuntimeError("the sandbox did not start:\n" + self.log()[-2000:])

    def control(self, path: str, body: dict) -> dict:
        reply = requests.post(self.url + "/control" + path, json=body, timeout=10,
                              headers={TOKEN_HEADER: self.token})
        reply.raise_for_status()
        return reply.json()

    def telegrams(self, kind: str) -> list[dict]:
        reply = requests.get(self.url + "/control/telegrams", params={"kind": kind},
                             headers={TOKEN_HEADER: self.token}, timeout=30)
        reply.raise_for_status()
        return reply.json()

    def log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as fh:
                return fh.read()
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; medians reported")
    parser.add_argument("--profile", action="store_true",
                        help="one more run with the pool's threads sampled, reported apart")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up as on any error

    folder = tempfile.mkdtemp(prefix="cart-bench-bulk-")
    sandbox = app = None
    try:
        sandbox = Sandbox(folder)
        app = make_app(sandbox, folder)
        figures = measure(app, sandbox, args)
    finally:
        if app is not None:
            shut_down(app)
        if sandbox is not None:
            sandbox.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(figures, ensure_ascii=False))


def make_app(sandbox: Sandbox, folder: str):
    from flask_migrate import upgrade

    from cart import create_app
    from cart.config import Config
    from cart.demo import DEMO_SHOPS, seed_demo
    app = create_app(Config, SECRET_KEY="bench", SANDBOX_ENABLED=False, SANDBOX_URL=sandbox.url,
                     SANDBOX_TOKEN=sandbox.token, LOG_LEVEL="WARNING", REDIS_URL="",
                     MAIL_URL="", NOTICE_POLL_MINUTES=0, PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
                     SQLALCHEMY_DATABASE_URI=f"sqlite:///{os.path.join(folder, 'cart.sqlite3')}")
    from sqlalchemy import update

    from cart.extensions import db
    from cart.models import Product
    with app.app_context():
        upgrade()
        seed_demo()
        # stock for every repeat's orders (the demo's is sized for a demo)
        db.session.execute(update(Product).values(stock=1_000_000))
        db.session.commit()
    p = DEMO_SHOPS[0]["paygent"]
    sandbox.control("/merchants", dict(
        merchant_id=p["merchant_id"], connect_id=p["connect_id"],
        connect_password=p["connect_password"], hash_key=p["notice_hash_key"], notice_url="",
        paidy_public_key=p["paidy_public_key"], store_name=DEMO_SHOPS[0]["name"]))
    return app


def shut_down(app) -> None:
    """Let the job threads finish (a failed run's telegrams fail fast once the sandbox is
    gone) and close the database connections."""
    from cart.extensions import db
    jobs = app.extensions.get("jobs")
    if jobs is not None and hasattr(jobs, "wait_idle"):
        jobs.wait_idle(30)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def measure(app, sandbox: Sandbox, args) -> dict:
    from sqlalchemy import select

    from cart.extensions import db
    from cart.models import Staff
    wide = f"{args.width} in flight"
    runs = {"one at a time": [], wide: []}
    with app.app_context():
        staff = db.session.scalar(select(Staff).where(Staff.email == "staff@example.com"))
        for n in range(args.repeat):
            for label, width in (("one at a time", 1), (wide, args.width)):
                runs[label].append(one_run(app, sandbox, staff, args, width))
                print(f"  run {n + 1}/{args.repeat} {label:14} {runs[label][-1]['wall_s']:6.2f} s",
                      flush=True)
        sampled = None
        if args.profile:
            from bench._notice_sampler import Sampler
            # the job's thread (start, claims), its sending slots and booker, and this one
            # (the request: bulk.start, then waiting for the jobs)
            sampler = Sampler(names=("bulk-", "cart-job", "MainThread"))
            sampled = one_run(app, sandbox, staff, args, args.width, sampler)
    limit = math.ceil(args.orders / args.width) * args.latency_ms / 1000
    base = statistics.median(r["wall_s"] for r in runs["one at a time"])
    fast = statistics.median(r["wall_s"] for r in runs[wide])
    print(f"\n{args.orders} orders, {args.latency_ms} ms per telegram (sandbox latency, "
          f"sandbox in its own process), medians of {args.repeat} runs")
    for label, results in runs.items():
        walls = [r["wall_s"] for r in results]
        median = statistics.median(walls)
        print(f"  {label:16} {median:6.2f} s  ({args.orders / median:5.1f} captures/s; runs "
              + ", ".join(f"{w:.2f}" for w in walls) + ")")
    print(f"  theoretical limit with {args.width} in flight: {limit:.2f} s; "
          f"speed-up {base / fast:.1f}x")
    middle = sorted(runs[wide], key=lambda r: r["wall_s"])[len(runs[wide]) // 2]
    print(f"\nwhere the median {wide} run's {middle['wall_s']:.2f} s went "
          f"(limit {limit:.2f} s):")
    breakdown(middle, args)
    figures = {f"bulk_{args.orders}_s": round(fast, 3), "one_at_a_time_s": round(base, 3),
               "limit_s": round(limit, 3), "width": args.width, "latency_ms": args.latency_ms,
               "repeat": args.repeat,
               "bulk_runs_s": [round(r["wall_s"], 3) for r in runs[wide]],
               "one_at_a_time_runs_s": [round(r["wall_s"], 3) for r in runs["one at a time"]],
               "beyond_limit_s": round(fast - limit, 3),
               "to_first_telegram_ms": round(middle["to_first_telegram_ms"], 1),
               "sending_ms": round(middle["sending_ms"], 1),
               "after_last_reply_ms": round(middle["after_last_reply_ms"], 1),
               "round_trip_ms": middle["round_trip_ms"],
               "app_cpu_ms_per_order": round(statistics.median(
                   r["app_cpu_ms_per_order"] for r in runs[wide]), 1),
               "sandbox_cpu_ms_per_order": round(statistics.median(
                   r["sandbox_cpu_ms_per_order"] for r in runs[wide]), 1)}
    if sampled is not None:
        from bench._notice_sampler import report
        print(f"\nthe sampled run ({sampled['wall_s']:.2f} s; the sampler runs in this process, "
              f"so it costs the run some time): where the run's threads spent it")
        breakdown(sampled, args)
        figures["sampled_ms_per_order"] = report(sampled["samples"], args.orders, "order")
    return figures


def one_run(app, sandbox: Sandbox, staff, args, width: int, sampler=None) -> dict:
    """Fresh orders, then one bulk capture of them at ``width``; its timeline."""
    from sqlalchemy import select

    from bench._proc import cpu_seconds, own_cpu_seconds
    from cart.admin.bulk import services as bulk
    from cart.demo import make_paid_orders
    from cart.extensions import db
    from cart.models import BulkRun, Order
    numbers = make_paid_orders("demo", args.orders)
    ids = [str(i) for i in db.session.scalars(select(Order.id).where(
        Order.number.in_(numbers)))]
    db.session.commit()
    sandbox.control("/settings", {"latency_ms": args.latency_ms})
    app.config["BULK_CONCURRENCY"] = width
    if sampler is not None:
        sampler.start()
    cpu_before = (own_cpu_seconds(), cpu_seconds(sandbox.process.pid))
    try:
        began = datetime.now(timezone.utc)
        started = time.perf_counter()
        run = bulk.start(staff.shop_id, staff, bulk.new_token(), ids)
        idle = app.extensions["jobs"].wait_idle(600)
        wall = time.perf_counter() - started
        ended = datetime.now(timezone.utc)
        app_cpu, sandbox_cpu = (after - before for before, after in zip(cpu_before, (
            own_cpu_seconds(), cpu_seconds(sandbox.process.pid))))
    finally:
        if sampler is not None:
            sampler.stop()
        sandbox.control("/settings", {"latency_ms": 0})
    db.session.expire_all()
    run = db.session.get(BulkRun, run.id)
    if not idle or run.succeeded != args.orders:
        raise SystemExit(f"bulk run {run.id}: {run.succeeded} captured, {run.failed} failed "
                         f"of {args.orders} (status {run.status}); the sandbox's log:\n"
                         + sandbox.log()[-2000:])
    result = timeline(run, sandbox, began, ended, width, args)
    result.update(wall_s=wall, app_cpu_ms_per_order=app_cpu * 1000 / args.orders,
                  sandbox_cpu_ms_per_order=sandbox_cpu * 1000 / args.orders)
    if sampler is not None:
        data = sampler.data()
        result["samples"] = {"processes": 1, "samples": data["samples"],
                             "seconds": data["seconds"],
                             "sampler_cpu_s": data["sampler_cpu_s"], "stacks": data["stacks"]}
    return result


def timeline(run, sandbox: Sandbox, began: datetime, ended: datetime, width: int,
             args) -> dict:
    """Where the run's time went, from what it left behind, whatever the app's threads do:
    when the sandbox answered each capture (its telegram log; it sleeps the latency first, so
    a telegram arrived about ``latency`` before), how long each round trip took as the app
    measured it (the payment log), when each item was finished (the run's items)."""
    from sqlalchemy import select

    from cart.extensions import db
    from cart.models import BulkRunItem, Payment, PaymentLog

    items = db.session.scalars(select(BulkRunItem).where(BulkRunItem.run_id == run.id)).all()
    orders = [i.order_id for i in items]
    payment_ids = set(db.session.scalars(select(Payment.paygent_payment_id).where(
        Payment.order_id.in_(orders))))
    answered = sorted(t["at"] for t in sandbox.telegrams("341")
                      if t["payment_id"] in payment_ids
                      and began.timestamp() <= t["at"] <= ended.timestamp())
    elapsed = [g.elapsed_ms for g in db.session.scalars(select(PaymentLog).where(
        PaymentLog.order_id.in_(orders), PaymentLog.telegram_kind == "341"))]
    finished = [_aware(i.finished_at).timestamp() for i in items]
    if len(answered) != len(items) or len(elapsed) != len(items):
        raise SystemExit(f"bulk run {run.id}: {len(answered)} captures answered by the sandbox, "
                         f"{len(elapsed)} in the payment log, for {len(items)} orders")
    t0, t1, latency = began.timestamp(), ended.timestamp(), args.latency_ms / 1000
    first_sent = answered[0] - latency
    sending = answered[-1] - first_sent
    waves = math.ceil(len(items) / width)
    busy = sum(elapsed) / 1000  # slot-seconds spent in telegrams
    return {
        "to_first_telegram_ms": (first_sent - t0) * 1000,
        "sending_ms": sending * 1000,
        "after_last_reply_ms": (max(finished) - answered[-1]) * 1000,
        "after_last_item_ms": (t1 - max(finished)) * 1000,
        "round_trip_ms": statistics.median(elapsed), "round_trip_max_ms": max(elapsed),
        "in_flight": busy / sending,
        "per_wave_gap_ms": (sending / waves - latency) * 1000,
    }


def breakdown(result: dict, args) -> None:
    waves = math.ceil(args.orders / args.width)
    print(f"  request → first telegram at the sandbox   {result['to_first_telegram_ms']:8.1f} ms"
          "  (the job starting, the orders claimed)")
    print(f"  first telegram → last one answered       {result['sending_ms']:8.1f} ms"
          f"  ({waves} rounds of {args.width} would be {waves * args.latency_ms} ms: "
          f"{result['per_wave_gap_ms']:+.1f} ms a round)")
    print(f"  last reply → last item booked            {result['after_last_reply_ms']:8.1f} ms")
    print(f"  last item booked → every job done        {result['after_last_item_ms']:8.1f} ms")
    print(f"  a telegram's round trip, as the app timed it: median "
          f"{result['round_trip_ms']:.0f} ms, max {result['round_trip_max_ms']:.0f} ms "
          f"({result['round_trip_ms'] - args.latency_ms:.0f} ms over the latency: HTTP, a new "
          "connection, the sandbox's own work, the app's threads waiting for the GIL)")
    print(f"  telegrams in flight while sending: {result['in_flight']:.2f} on average "
          f"(of {args.width})")
    print(f"  CPU per order: the app (this process) {result['app_cpu_ms_per_order']:.1f} ms, "
          f"the sandbox {result['sandbox_cpu_ms_per_order']:.1f} ms")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


if __name__ == "__main__":
    main()
