"""コンビニ, ATM and 銀行ネット checkouts through the Flask test client, with the sandbox over real
HTTP (the demo shops offer all three), and their 差分通知 as PAYGENT sends them."""
import itertools
import re
from urllib.parse import urlsplit

from sqlalchemy import select

from cart.extensions import db
from cart.models import DeferredPayment, OrderHistory, OutboxMail, Product
from payments.paygent.notices import notice_hash
from tests.integration.checkout_helpers import at_confirmation, add_to_cart, fill_zero_step, shop, token

PAYMENT_TYPES = {"conveni": "03", "atm": "01", "bank": "05"}
_ids = itertools.count(80_000)


def to_confirm(client, kind, **buyer):
    add_to_cart(client)
    response = fill_zero_step(client, kind=kind, **buyer)
    assert at_confirmation(response), response.get_data(as_text=True)[:500]


def apply(client, **form):
    csrf = token(client, "/s/demo/checkout/confirm")
    return client.post("/s/demo/checkout/deferred/apply", data={"csrf_token": csrf, **form})


def order_with(client, kind, store="00C005", **buyer):
    """A complete checkout with ``kind``; returns the response to 「注文する」."""
    to_confirm(client, kind, **buyer)
    return apply(client, **({"cvs_company_id": store} if kind == "conveni" else {}))


def application(order_id) -> DeferredPayment:
    db.session.expire_all()
    return db.session.scalar(select(DeferredPayment).where(DeferredPayment.order_id == order_id))


def history(order) -> list[str]:
    return [h.text for h in db.session.scalars(select(OrderHistory).where(
        OrderHistory.order_id == order.id).order_by(OrderHistory.id))]


def mails(order) -> list[OutboxMail]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMail).where(
        OutboxMail.order_id == order.id).order_by(OutboxMail.id)).all()


def stock(code="tea-001") -> int:
    db.session.expire_all()
    return db.session.scalar(select(Product.stock).where(Product.code == code,
                                                         Product.shop_id == shop().id))


def notice(order, status, kind, hash_key, amount=None) -> dict:
    fields = {"payment_notice_id": str(next(_ids)), "change_date": "20261201120000",
              "payment_id": order.payment.paygent_payment_id, "trading_id": order.number,
              "payment_type": PAYMENT_TYPES[kind], "payment_status": status,
              "payment_amount": str(order.total if amount is None else amount)}
    fields["hc"] = notice_hash(fields, hash_key)
    return fields


def signed_link(body: str) -> str:
    """The path of the payment page's link in a mail."""
    url = re.search(r"https?://\S+/s/demo/payment/\S+", body).group(0)
    return urlsplit(url).path
