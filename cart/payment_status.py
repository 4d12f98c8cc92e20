"""The one entry point that changes a payment's status, whatever says so: the reply to a
staff action, a 差分通知 or a 094 answer. It records the time the method's status table stamps
(売上確定日時 and the like) and the 変更履歴 line in the caller's transaction, cancels the
order with its stock given back where the status table says the status does (a card's 取消, a
コンビニ payment's 支払期限切), and moves an order waiting for the money (入金待ち) to the 対応状況
its payment's new status names (入金済み)."""
from cart import history, stock
from cart.models import Order, Payment
from cart.models.base import utcnow
from cart.models.order import OPEN, status_named
from cart.review import flag


def change_status(order: Order, payment: Payment, status: str, text: str | None,
                  staff=None) -> None:
    """Move the payment to ``status`` (the caller has checked the move against its rules)."""
    payment.status = status
    method = payment.lib
    known = method.status(status)
    if known is not None and known.stamps and getattr(payment, known.stamps) is None:
        setattr(payment, known.stamps, utcnow())
    if text:
        history.record(order, text, staff)
    if known is None:
        return
    if known.closes_order and order.status in OPEN:
        stock.release(order)
        order.status, order.cancelled_at = "cancelled", utcnow()
        history.record(order, f"注文番号 : {order.number} 決済が「{known.name}」となったため、"
                              "受注をキャンセルしました（在庫を戻しました）", staff)
    elif method.order_created_as and known.paid:
        if order.status == "awaiting_payment":
            order.status = status_named(known.order_label, order.status)
            history.record(order, f"注文番号 : {order.number} ご入金を確認しました"
                                  f"（{method.status_name(status)}、対応状況 : {order.status_name}）",
                           staff)
        elif order.status == "cancelled":
            flag(order, f"注文番号 : {order.number} キャンセル済みの注文に{method.name}の入金がありました"
                        f"（{method.status_name(status)}）。お客様への返金などの対応をご確認ください。",
                 subject=f"【要確認】注文番号 {order.number} の入金")
