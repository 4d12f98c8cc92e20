"""An authorised order of either PAYGENT method, for the suites whose guarantees hold for
both (races, crash recovery, tenancy): the ``authorised`` fixture is parametrised over あと払い
(ペイディ) and ペイジェント(クレジット決済), and names each method's telegrams. Also card orders
made in bulk (as ``cart.demo.make_paid_orders`` makes Paidy ones) for the fault storm."""
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from cart import operations
from cart.acceptance import accept_and_commit
from cart.checkout.orders import Draft, write_order
from cart.extensions import db, transaction
from cart.gateway import account_for
from cart.models import Order, PaymentMethod, Product
from cart.pricing import Line
from cart.shop_settings import deliveries
from payments.methods import CAPTURE, card as card_lib
from payments.sandbox.methods import card as sandbox_card

from .card_helpers import card_order
from .checkout_helpers import BUYER, setup_shops, shop
from .order_helpers import paid_order


@dataclass(frozen=True)
class Kinds:
    """A method's operation telegrams."""
    code: str
    capture: str
    cancel: str            # before capture
    cancel_captured: str   # after capture: Paidy's 返金 (342), the card's 売上取消 (023)


PAIDY = Kinds("paidy", "341", "340", "342")
CARD = Kinds("card", "022", "021", "023")


class Authorised:
    """Makes 新規受付 orders whose payment is at オーソリOK (at 消込済 with ``capture``)."""

    def __init__(self, app, sandbox, kinds: Kinds):
        self.app, self.sandbox, self.kinds = app, sandbox, kinds
        self.code = kinds.code

    def order(self, capture: bool = False) -> Order:
        if self.code == "card":
            order = card_order(self.app.test_client(), self.sandbox, capture=capture)
        else:
            order = paid_order(self.app, self.sandbox)
            if capture:
                assert operations.run(order.shop_id, order.id, CAPTURE).kind == "done"
        db.session.expire_all()
        order = db.session.get(Order, order.id)
        assert order.status == "new" and order.payment.method == self.code
        assert order.payment.status == ("40" if capture else "20")
        return order


@pytest.fixture(params=["paidy", "card"])
def authorised(request, app, sandbox) -> Authorised:
    """The demo shops, with the card configured for ``card``; ``.order()`` makes an order."""
    if request.param == "card":
        request.getfixturevalue("card_shop")
        return Authorised(app, sandbox, CARD)
    setup_shops(app, sandbox)
    return Authorised(app, sandbox, PAIDY)


def make_card_orders(sandbox, count: int, shop_code: str = "demo") -> list[str]:
    """N card orders at オーソリOK: the 決済処理中 order written as the card form writes it, the
    sandbox holding an approved card payment for it, then accepted as 020's answer does."""
    demo = shop(shop_code)
    account = account_for(demo.id)
    method = db.session.scalar(select(PaymentMethod).where(
        PaymentMethod.shop_id == demo.id, PaymentMethod.kind == "card"))
    delivery = next(d for d in deliveries(demo.id) if not d.fee_undetermined
                    and method in d.payment_methods)
    products = db.session.scalars(select(Product).where(
        Product.shop_id == demo.id, Product.published.is_(True), Product.stock > 0)).all()
    numbers = []
    for i in range(count):
        product = products[i % len(products)]
        line = Line(product.id, product.code, product.name, product.price, 1, product.tax_rate)
        with transaction():
            order = write_order(demo, Draft([line], dict(BUYER), delivery, method, "zero"), None)
            order.capture_mode = "auth"
        paid = sandbox_card.create_authorized_payment(sandbox.store, account.merchant_id,
                                                      order.number, order.total)
        accept_and_commit(order, card_lib.CARD, None, str(paid["payment_id"]), "20",
                          order.total, source="決済画面")
        numbers.append(order.number)
    return numbers
