"""What a complete Paidy checkout costs the server, next to its cheapest page.

The app runs in processes of its own (bench/_live.py): the threaded development server or
gunicorn (gunicorn.conf.py), on a fresh SQLite file or on PostgreSQL; the PAYGENT + Paidy
sandbox runs as another process on its own port, as PAYGENT does, so its work is not counted.
The load generator (this process) plays the shoppers' browsers, each with a session and an
address of its own (X-Forwarded-For from the loopback, which the app trusts as its proxy).

One checkout is what a browser does, request by request:

    conveni (shop demo)      the zero-step pages, then 「注文する」 with a store (030) and the
                             completion page with the numbers; done once its 10 申込済
                             notice is booked
    card (shop demo)         the zero-step pages, then the card: the token (at the sandbox),
                             「注文する」 (its answer is the 3-D Secure page), the issuer's
                             page (frictionless, at the sandbox) back to the term URL, the
                             return page and the completion page
    zero-step (shop demo)    product page, 「カゴに入れる」 (followed to the cart page, which
                             is the one-page form), 「注文確認する」 (its answer is the
                             confirmation page), paidy/start, the Paidy modal's POST (to the
                             sandbox), paidy/result, the completion page
    three-step (shop demo3)  product page, 「カゴに入れる」 → cart page, 「注文手続きへ」 →
                             step 1, 「次へ」 → step 2, 「次へ」 → confirmation page, then the
                             same Paidy requests and the completion page

and it counts as done only once the sandbox's 差分通知 (オーソリOK) for the order has been
booked by the app (polled in the database, which costs the app nothing), so the notice's work
is part of it. Static files are left out (a browser caches them; a proxy would serve them).

Server CPU is the CPU time (utime + stime in /proc/<pid>/stat) of the server process and all
its children (gunicorn's workers), read before and after a batch run one checkout (or page)
at a time; per checkout = the difference ÷ the checkouts. The cheapest page is the cheapest of
a few candidates by the same measure. Each repetition measures the pages, both flows and the
throughput; the figures are medians over the repetitions (``--repeat``).

Inside the app process bench/_stats.py records each request's method and URL rule, wall
time, thread CPU time and SQL statements, and counts every statement the engine runs, in
requests, background jobs or elsewhere: queries per checkout = all of them ÷ checkouts. With
gunicorn each worker keeps its own figures, collected from each in turn.

Throughput: ``--concurrency`` shoppers check out (zero-step) for ``--seconds``; complete
checkouts/s = checkouts ÷ the time until the last one's 差分通知 was booked.

    .venv/bin/python -m bench.checkout [--server dev|gunicorn] [--workers 2] [--threads 4]
        [--pg | --database-url postgresql://…] [--repeat 3] [--checkouts 20] [--pages 500]
        [--seconds 10] [--concurrency 4]

The last line printed is one JSON object with the figures.
"""
import argparse
import functools
import html
import itertools
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._live import ROOT, LiveApp, csrf_from  # noqa: E402
from bench._proc import cpu_seconds, rss_mb  # noqa: E402

BUYER = {"buyer_name": "山田 太郎", "buyer_kana": "ヤマダ タロウ", "zip_code": "1500001",
         "prefecture": "東京都", "city": "渋谷区神宮前", "street": "1-2-3", "building": "",
         "tel": "0312345678", "mobile": "08000000001",
         "email": "successful.payment@paidy.com"}
PAGES = ("/", "/admin/login", "/s/demo/")  # candidates for the cheapest page
NOTICE_ROUTE = "POST /notices/paygent/<shop_code>"
STOCK = 10_000_000  # so that no run sells out
TIMEOUT = 30


# -- one shopper ---------------------------------------------------------------------------
class Shopper:
    """A browser: its own cookies, connections and address."""
    _addresses = itertools.count(1)

    def __init__(self, live: LiveApp, shop_code: str):
        self.live, self.code = live, shop_code
        self.shop = live.ids["shops"][shop_code]
        self.base = f"{live.url}/s/{shop_code}"
        self.http = requests.Session()
        n = next(self._addresses)
        self.http.headers["X-Forwarded-For"] = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"

    def get(self, path: str) -> str:
        return self._checked(self.http.get(self.base + path, timeout=TIMEOUT))

    def post(self, path: str, **kwargs) -> requests.Response:
        reply = self.http.post(self.base + path, timeout=TIMEOUT, **kwargs)
        self._checked(reply)
        return reply

    @staticmethod
    def _checked(reply: requests.Response) -> str:
        if reply.status_code != 200:
            raise RuntimeError(f"{reply.request.method} {reply.url}: HTTP {reply.status_code}")
        return reply.text

    def add_to_cart(self) -> str:
        """Product page, 「カゴに入れる」; returns the cart page it is redirected to."""
        page = self.get(f"/products/{self.shop['product']}")
        return self.post("/cart/add", data={"csrf_token": csrf_from(page),
                                             "product_id": self.shop["product"],
                                             "quantity": 1}).text

    def pay_with_paidy(self, confirm_page: str) -> str:
        """From the confirmation page: the modal, its result, the completion page. Returns
        the order number."""
        headers = {"X-CSRFToken": csrf_from(confirm_page)}
        start = self.post("/checkout/paidy/start", json={}, headers=headers).json()
        paid = self.http.post(f"{self.live.sandbox_url}/paidy/payments", timeout=TIMEOUT, json={
            "api_key": self.shop["public_key"], "email": BUYER["email"],
            "phone": BUYER["mobile"], "payload": start["payload"]}).json()
        if paid.get("status") != "authorized":
            raise RuntimeError(f"the sandbox did not authorise: {paid}")
        result = self.post("/checkout/paidy/result", headers=headers, json={
            "order_number": start["order_number"], "status": paid["status"],
            "id": paid["id"]}).json()
        if not result.get("redirect", "").endswith("/checkout/complete"):
            raise RuntimeError(f"paidy/result answered {result}")
        done = self._checked(self.http.get(self.live.url + result["redirect"], timeout=TIMEOUT))
        if "ご注文ありがとうございました" not in done:
            raise RuntimeError("no completion page")
        return start["order_number"]

    def pay_with_card(self, confirm_page: str) -> str:
        """From the confirmation page: the token (at the sandbox, as PaygentToken.js makes
        it), 「注文する」, the issuer's page (frictionless: straight back to the shop's term
        URL), the return page and the completion page. Returns the order number."""
        token = self.http.post(f"{self.live.sandbox_url}/card/token", timeout=TIMEOUT, data={
            "merchant_id": self.shop["merchant_id"], "token_key": self.shop["token_key"],
            "card_number": "4111111111111111", "expire_year": "30", "expire_month": "12",
            "cvc": "123", "name": "TARO YAMADA"}).json()
        if token.get("result") != "0000":
            raise RuntimeError(f"the sandbox made no token: {token}")
        card = token["tokenizedCardObject"]
        issuer = self.post("/checkout/card/pay", data={
            "csrf_token": csrf_from(confirm_page), "card_token": card["token"],
            "payment_choice": "lump", "masked_card_number": card["masked_card_number"]}).text
        action = re.search(r'action="([^"]+)"', issuer)
        auth_id = re.search(r'name="3ds_auth_id" value="([^"]+)"', issuer)
        if not action or not auth_id:
            raise RuntimeError("no 3-D Secure page after 「注文する」")
        done = self._checked(self.http.post(html.unescape(action.group(1)), timeout=TIMEOUT,
                                            data={"3ds_auth_id": auth_id.group(1)}))
        number = re.search(r"(order\d+)", done)
        if "ご注文ありがとうございました" not in done or not number:
            raise RuntimeError("no completion page")
        return number.group(1)

    def pay_with_conveni(self, confirm_page: str) -> str:
        """From the confirmation page: 「注文する」 with a store, the completion page with the
        numbers. Returns the order number (the order is 入金待ち; its 10 申込済 notice is what
        the run waits for)."""
        done = self.post("/checkout/deferred/apply", data={
            "csrf_token": csrf_from(confirm_page), "cvs_company_id": "00C005"}).text
        number = re.search(r"(order\d+)", done)
        if "お客様番号" not in done or not number:
            raise RuntimeError("no completion page with the numbers")
        return number.group(1)

    def choice(self, method: str = "paidy") -> dict:
        return {"delivery_method": self.shop["delivery"], "payment_method": self.shop[method]}


def zero_step(live: LiveApp) -> tuple[int, str]:
    shopper = Shopper(live, "demo")
    cart = shopper.add_to_cart()
    confirm = shopper.post("/cart", data={"csrf_token": csrf_from(cart), **BUYER,
                                          **shopper.choice(), "confirm": "1"}).text
    return shopper.shop["shop"], shopper.pay_with_paidy(confirm)


def three_step(live: LiveApp) -> tuple[int, str]:
    shopper = Shopper(live, "demo3")
    cart = shopper.add_to_cart()
    step1 = shopper.post("/cart", data={"csrf_token": csrf_from(cart), "proceed": "1"}).text
    step2 = shopper.post("/checkout/step1", data={"csrf_token": csrf_from(step1),
                                                  **BUYER}).text
    confirm = shopper.post("/checkout/step2", data={"csrf_token": csrf_from(step2),
                                                    **shopper.choice()}).text
    return shopper.shop["shop"], shopper.pay_with_paidy(confirm)


def card_zero_step(live: LiveApp) -> tuple[int, str]:
    shopper = Shopper(live, "demo")
    cart = shopper.add_to_cart()
    confirm = shopper.post("/cart", data={"csrf_token": csrf_from(cart), **BUYER,
                                          **shopper.choice("card"), "confirm": "1"}).text
    return shopper.shop["shop"], shopper.pay_with_card(confirm)


def conveni_zero_step(live: LiveApp) -> tuple[int, str]:
    shopper = Shopper(live, "demo")
    cart = shopper.add_to_cart()
    confirm = shopper.post("/cart", data={"csrf_token": csrf_from(cart), **BUYER,
                                          **shopper.choice("conveni"), "confirm": "1"}).text
    return shopper.shop["shop"], shopper.pay_with_conveni(confirm)


FLOWS = {"zero-step": zero_step, "three-step": three_step, "card": card_zero_step,
         "conveni": conveni_zero_step}
SHOPS = {"zero-step": "demo", "three-step": "demo3", "card": "demo", "conveni": "demo"}


# -- what the app booked, read from its database --------------------------------------------
class Booked:
    """差分通知 the app has recorded and applied (outcome other than received/failed)."""
    WHERE = "n.shop_id = :shop AND n.outcome NOT IN ('received', 'failed')"

    def __init__(self, database_url: str):
        from sqlalchemy import create_engine
        self.engine = create_engine(database_url)

    def _count(self, sql: str, **params) -> int:
        from sqlalchemy import text
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()

    def total(self, shop: int) -> int:
        return self._count(f"SELECT count(*) FROM payment_notices n WHERE {self.WHERE}",
                           shop=shop)

    def wait_for(self, shop: int, number: str | None = None, at_least: int = 1,
                 timeout: float = 60) -> None:
        sql = f"SELECT count(*) FROM payment_notices n WHERE {self.WHERE}"
        params = {"shop": shop}
        if number is not None:
            sql += " AND n.trading_id = :number"
            params["number"] = number
        deadline = time.monotonic() + timeout
        while self._count(sql, **params) < at_least:
            if time.monotonic() > deadline:
                raise RuntimeError(f"差分通知 for shop {shop} {number or ''} not booked "
                                   f"within {timeout:.0f} s")
            time.sleep(0.005)

    def close(self) -> None:
        self.engine.dispose()


# -- the app's own figures (bench/_stats.py), from each worker ------------------------------
class AppStats:
    def __init__(self, live: LiveApp):
        self.live, self.url = live, live.url + "/_bench/stats"

    def _each_worker(self, method: str, path: str = "") -> dict[int, dict]:
        """Ask until every worker process has answered (new connection each time: the
        kernel hands each to whichever worker accepts first)."""
        wanted, answers = set(self.live.worker_pids()), {}
        deadline = time.monotonic() + 20
        while not wanted <= set(answers) and time.monotonic() < deadline:
            reply = requests.request(method, self.url + path, timeout=TIMEOUT,
                                     headers={"Connection": "close"})
            reply.raise_for_status()
            body = reply.json()
            answers.setdefault(body["pid"], body)
        missing = wanted - set(answers)
        if missing:
            raise RuntimeError(f"worker processes {sorted(missing)} never answered")
        return answers

    def reset(self) -> None:
        self._each_worker("POST", "/reset")

    def collect(self) -> dict:
        """Every worker's figures merged, once no request or background job is running (the
        server closes a response a moment after the client has read it)."""
        deadline = time.monotonic() + 60
        while True:
            parts = list(self._each_worker("GET").values())
            if all(p["jobs_pending"] == 0 and p["requests_in_flight"] == 0 for p in parts):
                return _merge(parts)
            if time.monotonic() > deadline:
                raise RuntimeError("requests or background jobs still running after 60 s")
            time.sleep(0.01)


def _merge(parts: list[dict]) -> dict:
    merged = {"requests": {}, "jobs": {}}
    for part in parts:
        for table in ("requests", "jobs"):
            for key, kind in part[table].items():
                into = merged[table].setdefault(key, {"count": 0, "wall_ms": [], "cpu_ms": [],
                                                      "queries": []})
                into["count"] += kind["count"]
                for field in ("wall_ms", "cpu_ms", "queries"):
                    into[field] += kind[field]
        for field in ("queries_total", "queries_in_requests", "queries_in_jobs",
                      "queries_elsewhere", "jobs_pending", "requests_in_flight",
                      "bench_cpu_ms"):
            merged[field] = merged.get(field, 0) + part[field]
    return merged


# -- measurements ----------------------------------------------------------------------------
def server_cpu(live: LiveApp) -> float:
    return cpu_seconds(live.server_pid)


def measure_page(live: LiveApp, path: str, count: int, stats: AppStats) -> dict:
    """Server CPU ms per GET of ``path``, one after the other on one keep-alive connection,
    and the app's own figures for it."""
    http = requests.Session()
    http.get(live.url + path, timeout=TIMEOUT).raise_for_status()
    stats.reset()
    before = server_cpu(live)
    for _ in range(count):
        http.get(live.url + path, timeout=TIMEOUT).raise_for_status()
    cpu_ms = (server_cpu(live) - before) * 1000 / count
    kinds = stats.collect()["requests"]
    if sum(k["count"] for k in kinds.values()) != count:
        raise RuntimeError(f"other requests reached the app while GET {path} was measured: "
                           f"{ {key: k['count'] for key, k in kinds.items()} }")
    [kind] = kinds.values()
    return {"cpu_ms": cpu_ms, "thread_cpu_ms": med(kind["cpu_ms"]),
            "wall_ms": med(kind["wall_ms"]), "queries": med(kind["queries"])}


def measure_flow(live: LiveApp, flow, count: int, booked: Booked, stats: AppStats) -> dict:
    """``count`` checkouts one after the other, each waited for until its 差分通知 is booked:
    server CPU ms per checkout, the app's figures, the shopper's wall time."""
    stats.reset()
    walls = []
    before = server_cpu(live)
    for _ in range(count):
        started = time.perf_counter()
        shop, number = flow(live)
        booked.wait_for(shop, number)
        walls.append((time.perf_counter() - started) * 1000)
    cpu_ms = (server_cpu(live) - before) * 1000 / count
    figures = stats.collect()
    return {"cpu_ms": cpu_ms, "stats": figures, "wall_ms": statistics.median(walls),
            "queries": figures["queries_total"] / count}


def side_by_side(task, shoppers: int, deadline: float | None = None) -> int:
    """``task()`` in ``shoppers`` threads, once each or again and again until ``deadline``
    (time.monotonic); the number of tasks done. The first error is raised."""
    count, errors, lock = [0], [], threading.Lock()

    def shopper():
        while not errors:
            try:
                task()
            except Exception as exc:  # noqa: BLE001 - raised below
                errors.append(exc)
                return
            with lock:
                count[0] += 1
            if deadline is None or time.monotonic() >= deadline:
                return

    threads = [threading.Thread(target=shopper, daemon=True) for _ in range(shoppers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return count[0]


def measure_throughput(live: LiveApp, seconds: float, concurrency: int,
                       booked: Booked) -> dict:
    """Shoppers checking out (zero-step) side by side; done once every 差分通知 is booked."""
    shop = live.ids["shops"]["demo"]["shop"]
    base = booked.total(shop)
    started, cpu_before = time.monotonic(), server_cpu(live)
    count = side_by_side(functools.partial(zero_step, live), concurrency, started + seconds)
    booked.wait_for(shop, at_least=base + count)
    elapsed = time.monotonic() - started
    return {"rate": count / elapsed, "checkouts": count, "seconds": elapsed,
            "cpu_ms": (server_cpu(live) - cpu_before) * 1000 / count}


def warm_up(live: LiveApp, concurrency: int, booked: Booked) -> None:
    """Every worker through every page and both flows a few times (templates, statement
    caches, connections), until their 差分通知 are booked."""
    for path in PAGES:
        for _ in range(20):
            requests.get(live.url + path, timeout=TIMEOUT).raise_for_status()
    for name, flow in FLOWS.items():
        shop = live.ids["shops"][SHOPS[name]]["shop"]
        base = booked.total(shop)
        done = side_by_side(functools.partial(flow, live), max(2, concurrency))
        booked.wait_for(shop, at_least=base + done)


def repetition(live: LiveApp, args, booked: Booked, stats: AppStats) -> dict:
    pages = {path: measure_page(live, path, args.pages, stats) for path in PAGES}
    flows = {name: measure_flow(live, flow, args.checkouts, booked, stats)
             for name, flow in FLOWS.items()}
    throughput = measure_throughput(live, args.seconds, args.concurrency, booked)
    return {"pages": pages, "flows": flows, "throughput": throughput}


# -- report ------------------------------------------------------------------------------
def med(values) -> float:
    return statistics.median(values)


def print_flow_table(name: str, shop: str, runs: list[dict], checkouts: int) -> None:
    """Per request kind: how many per checkout, median server ms, CPU ms and queries."""
    merged = _merge([r["stats"] for r in runs])
    total = checkouts * len(runs)
    print(f"\n{name} checkout (shop {shop}), per request: median over {total} sequential "
          f"checkouts ({len(runs)} × {checkouts})")
    print(f"  {'request':52} {'/checkout':>9} {'server ms':>9} {'CPU ms':>7} {'queries':>7}")

    def row(label, kind):
        print(f"  {label:52} {kind['count'] / total:9.2f} {med(kind['wall_ms']):9.2f} "
              f"{med(kind['cpu_ms']):7.2f} {med(kind['queries']):7.0f}")

    requests_ = merged["requests"]
    for key, kind in requests_.items():
        if key != NOTICE_ROUTE:
            row(key, kind)
    if NOTICE_ROUTE in requests_:
        row(NOTICE_ROUTE + " (差分通知)", requests_[NOTICE_ROUTE])
    for key, kind in merged["jobs"].items():
        row(f"background job {key}", kind)
    if not merged["jobs"]:
        print("  background jobs: none")
    print(f"  statements outside requests and jobs: {merged['queries_elsewhere'] / total:.1f}"
          " per checkout")
    thread_cpu = sum(sum(k["cpu_ms"]) for t in ("requests", "jobs")
                     for k in merged[t].values()) / total
    print(f"  request + job thread CPU: {thread_cpu:.1f} ms per checkout; server process CPU "
          f"{med([r['cpu_ms'] for r in runs]):.1f} ms (the rest: HTTP server, other threads)")
    print(f"  shopper's wall time per checkout (to the booked 差分通知): "
          f"{med([r['wall_ms'] for r in runs]):.0f} ms")


def summarise(reps: list[dict], args, live: LiveApp, database: str, commit: str) -> dict:
    page_cpu = {path: med([r["pages"][path]["cpu_ms"] for r in reps]) for path in PAGES}
    cheapest = min(page_cpu, key=page_cpu.get)
    per_rep = {name: [r["flows"][name]["cpu_ms"] / r["pages"][cheapest]["cpu_ms"]
                      for r in reps] for name in FLOWS}
    rss = [mb for _, mb in rss_mb(live.server_pid)]  # gunicorn: the master first
    return {
        "checkout_cpu_per_cheapest_page": round(med(per_rep["zero-step"]), 1),
        "three_step_cpu_per_cheapest_page": round(med(per_rep["three-step"]), 1),
        "queries_per_checkout": round(med([r["flows"]["zero-step"]["queries"] for r in reps]), 1),
        "three_step_queries_per_checkout": round(
            med([r["flows"]["three-step"]["queries"] for r in reps]), 1),
        "card_cpu_per_cheapest_page": round(med(per_rep["card"]), 1),
        "card_queries_per_checkout": round(med([r["flows"]["card"]["queries"] for r in reps]), 1),
        "card_cpu_ms": round(med([r["flows"]["card"]["cpu_ms"] for r in reps]), 1),
        "conveni_cpu_per_cheapest_page": round(med(per_rep["conveni"]), 1),
        "conveni_queries_per_checkout": round(
            med([r["flows"]["conveni"]["queries"] for r in reps]), 1),
        "conveni_cpu_ms": round(med([r["flows"]["conveni"]["cpu_ms"] for r in reps]), 1),
        "cheapest_page": f"GET {cheapest}",
        "cheapest_page_cpu_ms": round(page_cpu[cheapest], 2),
        "checkout_cpu_ms": round(med([r["flows"]["zero-step"]["cpu_ms"] for r in reps]), 1),
        "three_step_cpu_ms": round(med([r["flows"]["three-step"]["cpu_ms"] for r in reps]), 1),
        "checkouts_per_s": round(med([r["throughput"]["rate"] for r in reps]), 1),
        "checkout_cpu_ms_under_load": round(med([r["throughput"]["cpu_ms"] for r in reps]), 1),
        "concurrency": args.concurrency,
        "server": args.server,
        "workers": live.workers,
        "threads": args.threads if args.server == "gunicorn" else None,
        "database": database,
        "rss_mb": rss,
        "repeat": args.repeat,
        "commit": commit,
    }


def print_report(reps: list[dict], args, live: LiveApp, figures: dict) -> None:
    print(f"\ncheapest page candidates: {len(reps)} × {args.pages} GETs one after the other "
          "(keep-alive)")
    print(f"  {'request':24} {'server CPU ms':>13} {'server ms':>9} {'thread CPU ms':>13} "
          f"{'queries':>7}")
    for path in PAGES:
        runs = [r["pages"][path] for r in reps]
        print(f"  GET {path:20} {med([p['cpu_ms'] for p in runs]):13.2f} "
              f"{med([p['wall_ms'] for p in runs]):9.2f} "
              f"{med([p['thread_cpu_ms'] for p in runs]):13.2f} "
              f"{med([p['queries'] for p in runs]):7.0f}")
    for name, shop in SHOPS.items():
        print_flow_table(name, shop, [r["flows"][name] for r in reps], args.checkouts)
    rates = ", ".join(f"{r['throughput']['rate']:.1f}" for r in reps)
    print(f"\nsummary (medians of {len(reps)} repetitions)")
    rows = [
        (f"cheapest page ({figures['cheapest_page']}) CPU ms", figures["cheapest_page_cpu_ms"]),
        ("zero-step checkout CPU ms", figures["checkout_cpu_ms"]),
        ("  ÷ cheapest page (median of the repetitions' ratios)",
         figures["checkout_cpu_per_cheapest_page"]),
        ("  queries per checkout", figures["queries_per_checkout"]),
        ("three-step checkout CPU ms", figures["three_step_cpu_ms"]),
        ("  ÷ cheapest page (median of the repetitions' ratios)",
         figures["three_step_cpu_per_cheapest_page"]),
        ("  queries per checkout", figures["three_step_queries_per_checkout"]),
        ("zero-step card checkout (3-D Secure, frictionless) CPU ms", figures["card_cpu_ms"]),
        ("  ÷ cheapest page (median of the repetitions' ratios)",
         figures["card_cpu_per_cheapest_page"]),
        ("  queries per checkout", figures["card_queries_per_checkout"]),
        ("zero-step コンビニ checkout (030, the completion page with the numbers) CPU ms",
         figures["conveni_cpu_ms"]),
        ("  ÷ cheapest page", figures["conveni_cpu_per_cheapest_page"]),
        ("  queries per checkout", figures["conveni_queries_per_checkout"]),
        (f"zero-step checkouts/s at concurrency {args.concurrency} ({rates})",
         figures["checkouts_per_s"]),
        ("  server CPU ms per checkout under that load", figures["checkout_cpu_ms_under_load"]),
    ]
    for label, value in rows:
        print(f"  {label:58} {value:8}")
    roles = (["dev server"] if args.server == "dev"
             else ["gunicorn master"] + [f"worker {i + 1}" for i in range(live.workers)])
    print("  server process RSS after the bench (VmRSS, MB): " + ", ".join(
        f"{role} {mb}" for role, mb in zip(roles, figures["rss_mb"])))


def _commit() -> str:
    def git(*command):
        return subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True,
                              check=False).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench")
    return commit + ("+uncommitted app changes" if changed else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n", 2)[2])
    parser.add_argument("--server", choices=("dev", "gunicorn"), default="dev")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--pg", action="store_true",
                        help="start a throwaway PostgreSQL (scripts/pg-test-server.sh)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server; a database of the bench's own is created "
                             "there and dropped afterwards")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--checkouts", type=int, default=20,
                        help="sequential checkouts per flow and repetition")
    parser.add_argument("--pages", type=int, default=500,
                        help="requests per candidate page and repetition")
    parser.add_argument("--seconds", type=float, default=10, help="throughput run length")
    parser.add_argument("--concurrency", type=int, default=4, help="shoppers at once")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up as for Ctrl-C

    pg = live = booked = None
    try:
        if args.pg or args.database_url:
            from bench.order_search_pg import Postgres
            pg = Postgres(None, given=args.database_url, prefix="cart_checkout")
        live = LiveApp(pg.url if pg else None, server=args.server, sandbox="process",
                       workers=args.workers, threads=args.threads, stats=True, stock=STOCK)
        database = "postgresql" if pg else "sqlite"
        where = ("threaded dev server, one process" if args.server == "dev" else
                 f"gunicorn -c gunicorn.conf.py, {args.workers} workers × {args.threads} "
                 "threads")
        commit = _commit()  # others may commit meanwhile: the code measured is the one started
        print(f"app: {where}, {database}; sandbox: its own process; commit {commit}",
              flush=True)
        booked, stats = Booked(live.database), AppStats(live)
        warm_up(live, args.concurrency, booked)
        reps = []
        for i in range(args.repeat):
            reps.append(repetition(live, args, booked, stats))
            print(f"repetition {i + 1}/{args.repeat} done", flush=True)
        figures = summarise(reps, args, live, database, commit)
        print_report(reps, args, live, figures)
        print(json.dumps(figures, ensure_ascii=False))
    finally:
        if booked is not None:
            booked.close()
        if live is not None:
            live.stop()
        if pg is not None:
            pg.stop()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # everything started was stopped on the way out
        sys.exit("interrupted")
