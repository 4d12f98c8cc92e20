"""The one entry point that changes a payment's status, whatever says so: the reply to a
staff action, a 差分通知 or a 094 answer. It records the time the method's status table stamps
(売上確定日時 and the like) and the 変更履歴 line in the caller's transaction, and cancels the
order with its stock given back where the status table says the status does (a card's 取消)."""
from cart import history, stock
from cart.models import Order, Payment
from cart.models.base import utcnow


def change_status(order: Order, payment: Payment, status: str, text: str | None,
                  staff=None) -> None:
    """Move the payment to ``status`` (the caller has checked the move against its rules)."""
    payment.status = status
    known = payment.lib.status(status)
    if known is not None and known.stamps and getattr(payment, known.stamps) is None:
        setattr(payment, known.stamps, utcnow())
    if text:
        history.record(order, text, staff)
    if known is not None and known.closes_order and order.status in ("new", "pending_payment"):
        stock.release(order)
        order.status, order.cancelled_at = "cancelled", utcnow()
        history.record(order, f"注文番号 : {order.number} 決済が「{known.name}」となったため、"
                              "受注をキャンセルしました（在庫を戻しました）", staff)
