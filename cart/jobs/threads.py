"""The embedded backend: a thread pool inside the web process (the default, no Redis)."""
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from flask import Flask

log = logging.getLogger("cart.jobs")


class ThreadJobs:
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

    def start_notice_poller(self, seconds: float, poll) -> None:
        """N2 in the embedded setup: the web process fetches missed notices itself."""
        def loop():
            while True:
                time.sleep(seconds)
                with self.app.app_context():
                    try:
                        poll()
                    except Exception:  # the next round tries again
                        log.exception("periodic round (missed notices, open attempts)")

        threading.Thread(target=loop, name="notice-poller", daemon=True).start()
