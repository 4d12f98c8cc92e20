"""Staff working over real HTTP (gunicorn), as a browser would post the forms."""
import re

import requests

from ..conftest import csrf_token


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
