"""Builders for client ↔ sandbox tests."""
from payments.paygent import Credentials, Endpoint, PaygentClient

MERCHANT = "900000123"
CONNECT_ID = "test_connect"
PASSWORD = "test-pass-xyz"
HASH_KEY = "hash-key-123"
PUBLIC_KEY = "pk_test_integration"


def register(sandbox, notice_url: str = "") -> None:
    sandbox.store.upsert_merchant(MERCHANT, CONNECT_ID, PASSWORD, HASH_KEY, notice_url,
                                  PUBLIC_KEY, "テスト商店")


def client(sandbox, password: str = PASSWORD, read_timeout: float = 10.0,
           records: list | None = None) -> PaygentClient:
    on_telegram = records.append if records is not None else None
    return PaygentClient(Credentials(MERCHANT, CONNECT_ID, password),
                         Endpoint(sandbox.paygent_url, read_timeout=read_timeout),
                         on_telegram=on_telegram)


def authorize(sandbox, trading_id: str = "order00001", amount: int = 4000) -> dict:
    """A payment at 20, made the way the browser makes it (Paidy checkout endpoint)."""
    import requests
    reply = requests.post(f"{sandbox.url}/paidy/payments", timeout=10, json={
        "api_key": PUBLIC_KEY, "email": "successful.payment@paidy.com", "phone": "08000000001",
        "payload": {"amount": amount, "currency": "JPY",
                    "buyer": {"name1": "山田 太郎", "name2": "ヤマダ タロウ"},
                    "order": {"order_ref": trading_id, "items": [], "tax": 0, "shipping": 0},
                    "shipping_address": {"zip": "150-0001", "state": "東京都"}}})
    reply.raise_for_status()
    data = reply.json()
    row = sandbox.store.db.execute(
        "SELECT payment_id FROM payments WHERE paidy_payment_id=?", (data["id"],)).fetchone()
    return dict(data, payment_id=str(row["payment_id"]))


def status(sandbox, payment_id: str) -> str:
    return sandbox.control(f"payments/{payment_id}", method="get")["status"]
