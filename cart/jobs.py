"""Background work in the embedded default: a thread pool in the web process.

Job functions take plain ids and run inside an app context, so the same functions can be
handed to RQ workers at scale. ``wait_idle`` lets tests and CLI commands wait for them.
"""
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app

log = logging.getLogger("cart.jobs")


class Jobs:
    def __init__(self, app: Flask, workers: int):
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cart-job")
        self.lock = threading.Lock()
        self.running = 0
        self.idle = threading.Condition(self.lock)

    def submit(self, fn, *args, delay: float = 0.0) -> None:
        with self.lock:
            self.running += 1
        self.executor.submit(self._run, fn, args, delay)

    def _run(self, fn, args, delay):
        try:
            if delay:
                time.sleep(delay)
            with self.app.app_context():
                fn(*args)
        except Exception:  # a failed job is logged; its state stays in the database
            log.exception("job %s%r failed", getattr(fn, "__name__", fn), args)
        finally:
            with self.lock:
                self.running -= 1
                self.idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.idle.wait(left)
        return True


def init_app(app: Flask) -> None:
    app.extensions["jobs"] = Jobs(app, app.config.get("JOB_WORKERS", 4))
    minutes = float(app.config.get("NOTICE_POLL_MINUTES") or 0)
    if minutes > 0:
        _start_notice_poller(app, minutes * 60)


def _start_notice_poller(app: Flask, seconds: float) -> None:
    """N2: every few minutes, fetch notices a shop's endpoint may have missed (091)."""
    def loop():
        while True:
            time.sleep(seconds)
            with app.app_context():
                try:
                    poll_missed_notices()
                except Exception:  # the next round tries again
                    log.exception("missed-notice poll")

    threading.Thread(target=loop, name="notice-poller", daemon=True).start()


def poll_missed_notices() -> dict:
    """One round over every shop with PAYGENT settings; returns counts per shop code."""
    from sqlalchemy import select

    from cart.extensions import db
    from cart.models import PaygentAccount, Shop
    from cart.notices.services import fetch_missed
    shops = db.session.scalars(select(Shop).join(PaygentAccount,
                                                 PaygentAccount.shop_id == Shop.id)).all()
    return {shop.code: fetch_missed(shop) for shop in shops}


def submit(fn, *args, delay: float = 0.0) -> None:
    """Run ``fn(*args)`` in the background, after the current transaction committed."""
    current_app.extensions["jobs"].submit(fn, *args, delay=delay)
