"""The sandbox's Paidy checkout endpoint refuses what Paidy would refuse, with a message."""
import pytest
import requests

from .paygent_helpers import PUBLIC_KEY, register

GOOD = {"amount": 1800, "currency": "JPY",
        "buyer": {"name1": "山田 太郎", "email": "successful.payment@paidy.com"},
        "order": {"order_ref": "order00001", "tax": 0, "shipping": 800,
                  "items": [{"id": "a", "title": "煎茶", "quantity": 1, "unit_price": 1000}]}}


def _post(sandbox, body):
    return requests.post(f"{sandbox.url}/paidy/payments", json=body, timeout=10)


@pytest.mark.parametrize("body", [
    [1],
    {"api_key": PUBLIC_KEY, "payload": "x"},
    {"api_key": PUBLIC_KEY, "payload": dict(GOOD, order=[1])},
    {"api_key": PUBLIC_KEY, "payload": dict(GOOD, buyer="x")},
    {"api_key": PUBLIC_KEY, "payload": dict(GOOD, amount=1799), "phone": "08000000001"},
    {"api_key": PUBLIC_KEY, "payload": dict(GOOD, amount=18.5), "phone": "08000000001"},
    {"api_key": PUBLIC_KEY, "payload": GOOD, "phone": "0312345678"},
])
def test_malformed_or_unpayable_requests_are_400_with_a_message(sandbox, body):
    register(sandbox)
    response = _post(sandbox, body)
    assert response.status_code in (400, 401)
    assert response.json()["message"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert sandbox.store.db.execute("SELECT COUNT(*) FROM payments").fetchone()[0] == 0


def test_a_consistent_payload_is_authorised_on_the_sandbox_clock(sandbox):
    register(sandbox)
    sandbox.control("clock", advance_days=10)
    response = _post(sandbox, {"api_key": PUBLIC_KEY, "payload": GOOD, "phone": "080-0000-0001"})
    data = response.json()
    assert data["status"] == "authorized" and data["amount"] == 1800
    row = sandbox.store.db.execute("SELECT * FROM payments").fetchone()
    assert row["trading_id"] == "order00001" and row["status"] == "20"
    assert abs(row["authorized_at"] - sandbox.store.now()) < 60
