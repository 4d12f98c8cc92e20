"""Checkout business operations: offer methods, create orders, take Paidy's answer.

Each public function is one business operation and commits its own transaction. The
PAYGENT call (343) happens with no transaction open.
"""
import logging
import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import exists, func, select, update

from cart import history, mail
from cart.extensions import after_commit, db, transaction
from cart.gateway import account_for, client_for
from cart.models import (DeliveryMethod, Order, OrderHistory, OrderItem, Payment, PaymentMethod,
                         Product, Shop, ShopSettings)
from cart.models.base import utcnow
from cart.pricing import Line, totals
from payments.paidy import PaidyItem, PaidyOrder, build_payload
from payments.status import AUTHORIZED

log = logging.getLogger("cart.checkout")
PAIDY_ID = re.compile(r"^pay_[A-Za-z0-9_-]{1,60}\Z")

REJECTED_MESSAGE = "今回のお支払いは承認されませんでした。恐れ入りますが、他の支払い方法をお選びください。"
CLOSED_MESSAGE = "ペイディでのお支払いが中断されました。もう一度お試しいただくか、他のお支払い方法をお選びください。"
UNVERIFIED_MESSAGE = ("お支払い情報を確認できなかったため、ご注文を確定できませんでした。"
                      "お手数ですが、ショップまでお問い合わせください。")
UNAVAILABLE_MESSAGE = ("ただいまお支払いを確認できません。時間をおいて再度お試しいただくか、"
                       "他のお支払い方法をお選びください。")
FEE_UNDETERMINED_MESSAGE = ("送料が確定していない配送方法（送料別途連絡）では、"
                            "あと払い(ペイディ)はご利用いただけません。")
NOT_PAIRED_MESSAGE = "選択された配送方法では、このお支払い方法はご利用いただけません。"
TOO_MANY_PENDING_MESSAGE = ("お支払い手続き中のご注文が多いため、新しいお手続きを開始できません。"
                            "しばらく時間をおいてから再度お試しください。")


class CheckoutError(Exception):
    """A problem the shopper can fix; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# -- settings and offers ---------------------------------------------------------------
def settings_for(shop_id: int) -> ShopSettings:
    settings = db.session.scalar(select(ShopSettings).where(ShopSettings.shop_id == shop_id))
    return settings or ShopSettings(shop_id=shop_id, cart_type="zero", mobile_visible=True,
                                    mobile_required=False)


def deliveries(shop_id: int) -> list[DeliveryMethod]:
    return db.session.scalars(select(DeliveryMethod).where(
        DeliveryMethod.shop_id == shop_id, DeliveryMethod.active.is_(True)
    ).order_by(DeliveryMethod.position, DeliveryMethod.id)).all()


def offered_methods(shop_id: int, items_total: int) -> list[PaymentMethod]:
    """Configured methods whose 適用条件 match the product amount (shipping excluded)."""
    methods = db.session.scalars(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop_id, PaymentMethod.in_use.is_(True),
        PaymentMethod.configured.is_(True)
    ).order_by(PaymentMethod.position, PaymentMethod.id)).all()
    account = None
    offered = []
    for method in methods:
        if not method.applies_to(items_total):
            continue
        if method.kind == "paidy":
            account = account or account_for(shop_id)
            if account is None or not account.paidy_public_key:
                continue
        offered.append(method)
    return offered


def check_choice(shop_id: int, lines: list[Line], delivery_id, method_id):
    """The delivery and payment method, if this pair may be used for this cart."""
    delivery = next((d for d in deliveries(shop_id) if d.id == delivery_id), None)
    if delivery is None:
        raise CheckoutError("配送方法を選択してください。", "delivery_method")
    items_total = sum(line.subtotal for line in lines)
    method = next((m for m in offered_methods(shop_id, items_total) if m.id == method_id), None)
    if method is None:
        raise CheckoutError("お支払い方法を選択してください。", "payment_method")
    if method.kind == "paidy" and delivery.fee_undetermined:
        raise CheckoutError(FEE_UNDETERMINED_MESSAGE, "payment_method")
    if delivery not in method.delivery_methods:
        raise CheckoutError(NOT_PAIRED_MESSAGE, "payment_method")
    return delivery, method


# -- orders ----------------------------------------------------------------------------
def _next_number(shop_id: int) -> str:
    # The increment takes the write lock on the settings row, so two checkouts of one
    # shop can never draw the same number.
    db.session.execute(update(ShopSettings).where(ShopSettings.shop_id == shop_id)
                       .values(order_seq=ShopSettings.order_seq + 1))
    seq = db.session.scalar(select(ShopSettings.order_seq).where(
        ShopSettings.shop_id == shop_id))
    if seq is None:
        raise RuntimeError("shop has no settings row")
    return f"order{seq:05d}"


def _reserve_stock(shop_id: int, lines: list[Line]) -> None:
    for line in lines:
        taken = db.session.execute(update(Product).where(
            Product.id == line.product_id, Product.shop_id == shop_id,
            Product.stock >= line.quantity).values(stock=Product.stock - line.quantity))
        if taken.rowcount != 1:
            raise CheckoutError(f"「{line.name}」の在庫が不足しています。数量を変更してください。")


def release_stock(order: Order) -> None:
    """Give an order's stock back (cancel, rollback, or rebuilding a pending order)."""
    if not order.stock_reserved:
        return
    give_back_stock(order)
    order.stock_reserved = False


def give_back_stock(order: Order) -> None:
    """Put the order's quantities back on the shelf (the caller owns the reservation flag)."""
    for item in order.items:
        if item.product_id:
            db.session.execute(update(Product).where(
                Product.id == item.product_id, Product.shop_id == order.shop_id
            ).values(stock=Product.stock + item.quantity))


def retake_stock(order: Order) -> list[str]:
    """Reserve again the stock of an order whose reservation had lapsed and that was paid after
    all; returns the names of the items the shelf no longer had (taken as far as it had)."""
    short = []
    for item in order.items:
        if not item.product_id:
            continue
        taken = db.session.execute(update(Product).where(
            Product.id == item.product_id, Product.shop_id == order.shop_id,
            Product.stock >= item.quantity).values(stock=Product.stock - item.quantity))
        if taken.rowcount != 1:
            db.session.execute(update(Product).where(
                Product.id == item.product_id, Product.shop_id == order.shop_id
            ).values(stock=0))
            short.append(item.name)
    order.stock_reserved = True
    order.reserved_at = utcnow()
    return short


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


def _write_order(shop: Shop, draft: Draft, pending_id) -> Order:
    """Create the order (or rebuild the shopper's pending one) with stock reserved."""
    if not draft.lines:
        raise CheckoutError("カゴに商品が入っていません。")
    shipping = 0 if draft.delivery.fee_undetermined else draft.delivery.fee
    money = totals(draft.lines, shipping)
    account = account_for(shop.id)
    order = _reusable_pending(shop.id, pending_id, draft.checkout_token)
    if order is None:
        # The number's increment locks the shop's settings row first, so concurrent
        # checkouts from one address are counted one after the other.
        number = _next_number(shop.id)
        if draft.client_address and _pending_held_by(shop.id, draft.client_address) >= \
                current_app.config["PENDING_ORDERS_PER_ADDRESS"]:
            raise CheckoutError(TOO_MANY_PENDING_MESSAGE)
        order = Order(shop_id=shop.id, number=number, status="pending_payment",
                      checkout_token=draft.checkout_token,
                      client_address=draft.client_address[:45])
        db.session.add(order)
        created = True
    else:
        release_stock(order)
        order.items.clear()
        created = False
    order.cart_type = draft.cart_type
    order.capture_mode = account.capture_mode if account else "auth"  # kept for life (P4)
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
            subtotal=line.subtotal))
    _reserve_stock(shop.id, draft.lines)
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
        order = _write_order(shop, draft, pending_id)
        order.status = "new"
        order.placed_at = utcnow()
        history.record(order, f"注文番号 : {order.number} 受注（{order.payment_name}）")
        mail.queue_order_mails(order)
    return order


def start_paidy(shop: Shop, draft: Draft, pending_id=None) -> tuple[Order, dict]:
    """Create the order as 決済処理中 with stock reserved; return it and the Paidy payload."""
    with transaction():
        order = _write_order(shop, draft, pending_id)
    return order, paidy_payload(shop, order)


def paidy_payload(shop: Shop, order: Order) -> dict:
    return build_payload(PaidyOrder(
        order_ref=order.number, store_name=shop.name,
        items=[PaidyItem(i.code, i.name, i.quantity, i.unit_price) for i in order.items],
        shipping=order.shipping_fee, total=order.total, email=order.email,
        name_kanji=order.buyer_name, name_kana=order.buyer_kana, phone=order.phone_for_paidy,
        zip_code=order.zip_code, prefecture=order.prefecture, city=order.city,
        street=order.street, building=order.building,
        metadata={"tax10": order.tax10, "tax8": order.tax8}))


# -- Paidy's answer ---------------------------------------------------------------------
@dataclass
class PaidyOutcome:
    kind: str            # done | rejected | closed | pending | refused | unavailable
    order: Order | None
    message: str = ""


def finish_paidy(shop: Shop, order_number: str, status: str, paidy_payment_id: str,
                 own_order_id) -> PaidyOutcome:
    """Take the modal's callback for the shopper's own pending order (``own_order_id``, from
    the session); an authorisation counts only once PAYGENT (343) confirms it. Another
    order's number is refused with no telegram, flag or mail."""
    order = db.session.scalar(select(Order).where(Order.shop_id == shop.id,
                                                  Order.number == str(order_number)))
    if order is None or not own_order_id or order.id != own_order_id:
        return PaidyOutcome("refused", None, UNVERIFIED_MESSAGE)
    status = (status or "").lower()
    if order.status == "new" and order.payment is not None:
        return PaidyOutcome("done", order)  # a re-post, or the notice got here first
    if status == "rejected":
        return PaidyOutcome("rejected", order, REJECTED_MESSAGE)
    if status != "authorized":
        return PaidyOutcome("closed", order, CLOSED_MESSAGE)
    if not PAIDY_ID.match(paidy_payment_id or "") or order.status != "pending_payment":
        return PaidyOutcome("refused", order, UNVERIFIED_MESSAGE)
    used = db.session.scalar(select(Payment).where(Payment.paidy_payment_id == paidy_payment_id))
    if used is not None and used.order_id != order.id:
        _flag(order, f"他の注文で使用済みのペイディ決済ID（{paidy_payment_id}）で確定しようとしたため拒否しました。")
        return PaidyOutcome("refused", order, UNVERIFIED_MESSAGE)
    account = account_for(shop.id)
    order_id = order.id
    db.session.commit()  # no transaction stays open while PAYGENT answers
    result = client_for(account).verify_paidy(paidy_payment_id)
    order = db.session.get(Order, order_id)
    if result.unknown:
        return PaidyOutcome("pending", order)
    if not result.ok:
        log.warning("343 refused for shop %s order %s: %s", shop.id, order.number, result.code)
        return PaidyOutcome("unavailable", order, UNAVAILABLE_MESSAGE)
    problems = []
    if result.get("retrieve_result") != "0":
        problems.append("ペイディに該当する決済がありません")
    else:
        if result.get("order_ref") != order.number:
            problems.append(f"注文番号が一致しません（{result.get('order_ref')}）")
        if result.get("payment_amount") != str(order.total):
            problems.append(f"決済金額 {result.get('payment_amount')}円 が注文金額 "
                            f"{order.total:,}円 と一致しません")
        if result.get("currency", "JPY") != "JPY":
            problems.append("通貨がJPYではありません")
    if problems:
        _flag(order, "ペイディ決済の検証に失敗しました：" + "、".join(problems)
              + f"（ペイディ決済ID：{paidy_payment_id}）")
        return PaidyOutcome("refused", order, UNVERIFIED_MESSAGE)
    accepted = accept_authorization(order, paidy_payment_id, result.get("payment_id"),
                                    result.get("payment_status") or AUTHORIZED, order.total)
    return PaidyOutcome("done" if accepted or order.status == "new" else "refused", order,
                        "" if order.status == "new" else UNVERIFIED_MESSAGE)


def accept_authorization(order: Order, paidy_payment_id: str, paygent_payment_id: str,
                         status: str, amount: int, source: str = "決済画面") -> bool:
    """Record Paidy's authorisation on the order and accept it (新規受付), in a transaction of
    its own (the browser callback, the demo data)."""
    with transaction():
        return book_authorization(order, paidy_payment_id, paygent_payment_id, status, amount,
                                  source)


def book_authorization(order: Order, paidy_payment_id: str, paygent_payment_id: str,
                       status: str, amount: int, source: str) -> bool:
    """Record Paidy's authorisation on the order and accept it (新規受付) in the caller's
    transaction; the mail and the automatic capture follow its commit.

    Shared by the browser callback (after 343) and the オーソリOK notice, which may race:
    the conditional update lets exactly one of them accept the order and send the mail.
    """
    won = db.session.execute(update(Order).where(
        Order.id == order.id, Order.status == "pending_payment"
    ).values(status="new", placed_at=utcnow()).execution_options(
        synchronize_session=False)).rowcount == 1
    db.session.refresh(order)
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    if payment is None:
        payment = Payment(shop_id=order.shop_id, order_id=order.id,
                          paidy_payment_id=paidy_payment_id, amount=amount,
                          status=status, paygent_payment_id=paygent_payment_id or "",
                          authorized_at=utcnow())
        db.session.add(payment)
    elif paygent_payment_id and not payment.paygent_payment_id:
        payment.paygent_payment_id = paygent_payment_id
    if won:
        history.record(order, f"注文番号 : {order.number} ペイディ オーソリOK"
                              f"（{source}） 取引ID : {paygent_payment_id or '未通知'}"
                              f" 金額 : {amount:,}円")
        if not order.stock_reserved:
            _retake_lapsed_stock(order)
        mail.queue_order_mails(order)
        if order.capture_mode == "auth_capture":
            from cart import jobs, operations
            after_commit(jobs.submit, operations.auto_capture_job, order.shop_id, order.id)
    elif order.status == "cancelled":
        flag(order, "キャンセル済みの注文にペイディのオーソリが届きました。"
                    "受注明細からオーソリをキャンセルしてください。")
    return won


def _retake_lapsed_stock(order: Order) -> None:
    """The buyer paid after the reservation of a 決済処理中 order had lapsed."""
    short = retake_stock(order)
    text = f"注文番号 : {order.number} お支払いの確認により在庫を再度確保しました"
    if short:
        text = (f"注文番号 : {order.number} お支払いを確認しましたが、在庫が不足しています"
                f"（{'、'.join(short)}）。在庫と発送をご確認ください。")
        flag(order, text, subject=f"【要確認】注文番号 {order.number} の在庫")
    else:
        history.record(order, text)


def flag(order: Order, text: str, subject: str | None = None) -> None:
    """Mark an order 要確認 with a history line, in the caller's transaction. The shop is
    alerted by mail when the order becomes 要確認, not again while it stays so, and a line
    already written for the order is not written twice (a re-posted request changes nothing)."""
    first = db.session.execute(update(Order).where(
        Order.id == order.id, Order.needs_review.is_(False)).values(needs_review=True)
        .execution_options(synchronize_session=False)).rowcount == 1
    order.needs_review = True
    written = db.session.scalar(select(exists().where(
        OrderHistory.order_id == order.id, OrderHistory.text == text)))
    if not written:
        history.record(order, text)
    if first:
        mail.queue_shop_alert(order, subject or f"【要確認】注文番号 {order.number} の決済", text)


def _flag(order: Order, text: str) -> None:
    """Flag the order from the browser callback, in a transaction of its own."""
    with transaction():
        flag(order, text)
