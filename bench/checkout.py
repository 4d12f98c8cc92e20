"""Full zero-step Paidy checkouts per second through the sandbox, next to the cheapest page.

Each checkout is what a shopper's browser does: product page, 「カゴに入れる」, the one-page
form, 「注文確認する」, the confirmation page, the pending order and payload, Paidy's
authorisation (the sandbox modal's POST), and the result (343 verification, order accepted,
mail queued), while the sandbox pushes its 差分通知 back to the app.

    .venv/bin/python bench/checkout.py [--seconds 10] [--concurrency 4]
"""
import argparse
import os
import sys
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._live import LiveApp, csrf_from  # noqa: E402

BUYER = {"buyer_name": "山田 太郎", "buyer_kana": "ヤマダ タロウ", "zip_code": "1500001",
         "prefecture": "東京都", "city": "渋谷区神宮前", "street": "1-2-3", "building": "",
         "tel": "0312345678", "mobile": "08000000001",
         "email": "successful.payment@paidy.com"}


def one_checkout(base: str, ids: dict) -> None:
    s = requests.Session()
    page = s.get(f"{base}/s/demo/products/{ids['product']}").text
    s.post(f"{base}/s/demo/cart/add", data={"csrf_token": csrf_from(page),
                                            "product_id": ids["product"], "quantity": 1})
    page = s.get(f"{base}/s/demo/cart").text
    r = s.post(f"{base}/s/demo/cart", data={
        "csrf_token": csrf_from(page), **BUYER, "confirm": "1",
        "delivery_method": ids["delivery"], "payment_method": ids["paidy"]})
    csrf = csrf_from(r.text)  # followed to the confirmation page
    headers = {"X-CSRFToken": csrf}
    start = s.post(f"{base}/s/demo/checkout/paidy/start", json={}, headers=headers).json()
    paid = s.post(f"{base}/_sandbox/paidy/payments", json={
        "api_key": "pk_test_demo_shop_0001", "email": BUYER["email"],
        "phone": BUYER["mobile"], "payload": start["payload"]}).json()
    result = s.post(f"{base}/s/demo/checkout/paidy/result", headers=headers, json={
        "order_number": start["order_number"], "status": paid["status"], "id": paid["id"]}
    ).json()
    done = s.get(base + result["redirect"])
    if "ご注文ありがとうございました" not in done.text:
        raise RuntimeError("checkout did not complete")


def run(fn, seconds: float, concurrency: int) -> tuple[int, float]:
    count, errors, lock = [0], [], threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        while time.monotonic() < deadline:
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - report, do not hide
                errors.append(exc)
                return
            with lock:
                count[0] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return count[0], time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    live = LiveApp()
    base, ids = live.url, live.ids
    one_checkout(base, ids)  # warm up
    session = requests.Session()
    pages, page_time = run(lambda: session.get(base + "/").raise_for_status(), args.seconds,
                           args.concurrency)
    checkouts, checkout_time = run(lambda: one_checkout(base, ids), args.seconds,
                                   args.concurrency)
    page_rate = pages / page_time
    checkout_rate = checkouts / checkout_time
    print(f"concurrency {args.concurrency}, {args.seconds:.0f} s each; app: one process "
          f"(threaded dev server, embedded sandbox, SQLite)")
    print(f"cheapest page (GET /):        {page_rate:8.1f} requests/s ({pages} in {page_time:.1f} s)")
    print(f"zero-step Paidy checkouts:    {checkout_rate:8.1f} checkouts/s ({checkouts} in "
          f"{checkout_time:.1f} s)")
    print(f"ratio page/checkout:          {page_rate / checkout_rate:8.1f}")
    live.stop()


if __name__ == "__main__":
    main()
