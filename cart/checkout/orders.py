"""Orders from the checkout: written (or the shopper's pending one rebuilt) with stock
reserved, and placed at once for methods with no payment step. Each public function commits
its own transaction; no PAYGENT call happens here."""
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import exists, func, select, update

from cart import history, mail, stock
from cart.extensions import db, transaction
from cart.methods import registry
from cart.models import DeliveryMethod, Order, OrderItem, Payment, PaymentMethod, Shop, ShopSettings
from cart.models.base import utcnow
from cart.pricing import Line, totals

TOO_MANY_PENDING_MESSAGE = ("お支払い手続き中のご注文が多いため、新しいお手続きを開始できません。"
                            "しばらく時間をおいてから再度お試しください。")


class CheckoutError(Exception):
    """A problem the shopper can fix; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def next_number(shop_id: int) -> str:
    # The increment takes the write lock on the settings row, so two checkouts of one
    # shop can never draw the same number.
    seq = db.session.execute(update(ShopSettings).where(ShopSettings.shop_id == shop_id)
                             .values(order_seq=ShopSettings.order_seq + 1)
                             .returning(ShopSettings.order_seq)).scalar()
    if seq is None:
        raise RuntimeError("shop has no settings row")
    return f"order{seq:05d}"


def _reusable_pending(shop_id: int, order_id, token: str | None) -> Order | None:
    """The shopper's own 決済処理中 order that no payment has reached yet: by the id the
    session remembers, else by the session's checkout token (a session replayed without the
    cookie that named the order still finds it)."""
    order = None
    if order_id:
        order = db.session.scalar(select(Order).where(
            Order.id == order_id, Order.shop_id == shop_id, Order.status == "pending_payment"))
    if order is None and token:
        order = db.session.scalar(select(Order).where(
            Order.shop_id == shop_id, Order.checkout_token == token,
            Order.status == "pending_payment").order_by(Order.id.desc()).limit(1))
    if order is None or order.payment is not None:
        return None
    return order


def _pending_held_by(shop_id: int, address: str) -> int:
    """決済処理中 orders from one address that still hold stock and no payment has reached."""
    return db.session.scalar(select(func.count()).select_from(Order).where(
        Order.shop_id == shop_id, Order.client_address == address,
        Order.status == "pending_payment", Order.stock_reserved.is_(True),
        ~exists().where(Payment.order_id == Order.id)))


@dataclass
class Draft:
    """What the shopper chose, ready to become an order."""
    lines: list[Line]
    buyer: dict
    delivery: DeliveryMethod
    method: PaymentMethod
    cart_type: str
    checkout_token: str | None = None   # the shopper's session's checkout
    client_address: str = ""            # where the shopper's request came from
    member_id: int | None = None        # the signed-in 会員 (None: a guest)


def write_order(shop: Shop, draft: Draft, pending_id) -> Order:
    """Create the order (or rebuild the shopper's pending one) with stock reserved."""
    if not draft.lines:
        raise CheckoutError("カゴに商品が入っていません。")
    shipping = 0 if draft.delivery.fee_undetermined else draft.delivery.fee
    money = totals(draft.lines, shipping)
    capture_mode = registry.get(draft.method.kind).capture_mode(shop.id)  # kept for life (P4)
    order = _reusable_pending(shop.id, pending_id, draft.checkout_token)
    if order is None:
        # The number's increment locks the shop's settings row first, so concurrent
        # checkouts from one address are counted one after the other.
        number = next_number(shop.id)
        if draft.client_address and _pending_held_by(shop.id, draft.client_address) >= \
                current_app.config["PENDING_ORDERS_PER_ADDRESS"]:
            raise CheckoutError(TOO_MANY_PENDING_MESSAGE)
        order = Order(shop_id=shop.id, number=number, status="pending_payment",
                      checkout_token=draft.checkout_token,
                      client_address=draft.client_address[:45])
        db.session.add(order)
        created = True
    else:
        stock.release(order)
        order.items.clear()
        created = False
    order.cart_type = draft.cart_type
    order.member_id = draft.member_id
    order.capture_mode = capture_mode
    for key, value in draft.buyer.items():
        setattr(order, key, value)
    order.delivery_method_id = draft.delivery.id
    order.delivery_name = draft.delivery.name
    order.payment_method_id = draft.method.id
    order.payment_kind = draft.method.kind
    order.payment_name = draft.method.name
    order.items_total, order.shipping_fee = money.items_total, money.shipping_fee
    order.target10, order.target8 = money.target10, money.target8
    order.tax10, order.tax8, order.total = money.tax10, money.tax8, money.total
    order.stock_reserved = True
    order.reserved_at = utcnow()
    for line in draft.lines:
        order.items.append(OrderItem(
            shop_id=shop.id, product_id=line.product_id, code=line.code, name=line.name,
            unit_price=line.unit_price, quantity=line.quantity, tax_rate=line.tax_rate,
            subtotal=line.subtotal, subscription_cycle=line.cycle))
    try:
        stock.reserve(shop.id, draft.lines)
    except stock.OutOfStock as short:
        raise CheckoutError(f"「{short}」の在庫が不足しています。数量を変更してください。") from None
    db.session.flush()
    if created:
        history.record(order, f"注文番号 : {order.number} 注文手続きを開始"
                              f"（{order.payment_name}、決済処理中）")
    else:
        history.record(order, f"注文番号 : {order.number} 注文内容を再作成"
                              f"（{order.payment_name}、合計 {order.total:,}円）")
    return order


def place_order(shop: Shop, draft: Draft, pending_id=None) -> Order:
    """An order paid by a basic method (銀行振込, 代金引換): accepted at once, mail sent."""
    with transaction():
        order = write_order(shop, draft, pending_id)
        order.status = "new"
        order.placed_at = utcnow()
        history.record(order, f"注文番号 : {order.number} 受注（{order.payment_name}）")
        mail.queue_order_mails(order)
    return order




def start_payment(shop: Shop, draft: Draft, pending_id=None, then=None):
    """Create the order as 決済処理中 with stock reserved, for a method's payment step.
    ``then(order)``, when given, runs before the commit (while the order just written is
    still loaded) and its result is returned with the order."""
    with transaction():
        order = write_order(shop, draft, pending_id)
        if then is None:
            return order
        return order, then(order)
