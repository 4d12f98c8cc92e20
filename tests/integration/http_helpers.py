"""Staff working over real HTTP (gunicorn), as a browser would post the forms; and waiting
for what happens in another thread or process."""
import re
import time

import requests

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
