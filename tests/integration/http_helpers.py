"""Staff working over real HTTP (gunicorn), as a browser would post the forms; and waiting
for what happens in another thread or process."""
import re
import threading
import time

import requests
from werkzeug.serving import make_server

from ..conftest import csrf_token


def wait_until(condition, timeout: float, message: str, interval: float = 0.05):
    """Call ``condition`` until it returns something truthy, and return that.

    Fails with ``message`` once ``timeout`` seconds have passed without it holding; the
    condition is always tried once more at the deadline, so a slow machine is not blamed
    for the poll interval. ``interval`` only paces the polling, it synchronises nothing.
    """
    deadline = time.monotonic() + timeout
    while True:
        last_try = time.monotonic() >= deadline
        value = condition()
        if value:
            return value
        if last_try:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {message}")
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))


def signed_in(url: str) -> requests.Session:
    """A staff member signed in over HTTP."""
    session = requests.Session()
    token = csrf_token(session.get(url + "/admin/login").text)
    session.post(url + "/admin/login", data={"csrf_token": token, "email": "staff@example.com",
                                             "password": "demo1234"})
    return session


def page_form(session, url, order_id, **extra) -> dict:
    """What the 受注明細 page's payment buttons post: its CSRF token and the state it drew."""
    page = session.get(f"{url}/admin/orders/{order_id}").text
    return {"csrf_token": csrf_token(page),
            "state": re.search(r'name="state" value="([^"]*)"', page).group(1), **extra}


class NoticeSink:
    """A shop's 差分通知 URL on a real port: every notice it got (decoded), answered
    ``result=0``; ``wait_for(match)`` waits until one matches and returns it."""

    def __init__(self):
        from flask import Flask, request
        from payments.paygent.codec import decode_form
        app = Flask("notice-sink")
        self.notices, self.cond = [], threading.Condition()

        @app.post("/notice")
        def notice():
            with self.cond:
                self.notices.append(decode_form(request.get_data()))
                self.cond.notify_all()
            return "result=0"

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/notice"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, match, timeout=20):
        with self.cond:
            assert self.cond.wait_for(lambda: any(match(n) for n in self.notices), timeout)
            return next(n for n in self.notices if match(n))

    def stop(self):
        self.server.shutdown()
