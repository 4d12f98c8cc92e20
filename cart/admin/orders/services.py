"""Order handling other than payment: moving between the lists, 編集モード (O4, O5)."""
from cart import history
from cart.stock import release as release_stock
from cart.extensions import db
from cart.models import Order
from cart.models.order import COMPLETABLE, EDITABLE, OPEN
from cart.models.base import utcnow
from cart.pricing import included_tax


class Stale(Exception):
    """The order changed since the page was drawn."""


def _check_version(order: Order, version: str) -> None:
    if str(order.version) != str(version):
        raise Stale("この受注は画面を表示した後に更新されました。最新の内容を確認してから、"
                    "もう一度操作してください。")


def complete(order: Order, staff, version: str) -> None:
    """受注完了一覧へ移動."""
    _check_version(order, version)
    if order.status not in COMPLETABLE:
        raise Stale("この受注は受注完了一覧へ移動できません（現在：" + order.status_name + "）。")
    order.status, order.completed_at = "completed", utcnow()
    order.version += 1
    history.record(order, f"注文番号 : {order.number} 受注処理を完了", staff)
    db.session.commit()


def cancel(order: Order, staff, version: str) -> None:
    """受注キャンセル一覧へ移動: stock goes back; the payment is left for its own buttons."""
    _check_version(order, version)
    if order.status not in OPEN:
        raise Stale("この受注はキャンセル一覧へ移動できません（現在：" + order.status_name + "）。")
    release_stock(order)
    order.status, order.cancelled_at = "cancelled", utcnow()
    order.version += 1
    history.record(order, f"注文番号 : {order.number} 受注をキャンセル一覧へ移動", staff)
    db.session.commit()


def mark_reviewed(order: Order, staff, version: str) -> None:
    """確認済みにする: staff have looked at a 要確認 order."""
    _check_version(order, version)
    if not order.needs_review:
        raise Stale("この受注は要確認ではありません。")
    order.needs_review = False
    order.version += 1
    history.record(order, f"注文番号 : {order.number} 要確認を確認済みにしました", staff)
    db.session.commit()


def adjust(order: Order, staff, form) -> None:
    """Apply 金額調整 and 送料; totals and the included tax per category are recomputed."""
    _check_version(order, form.version.data)
    if order.status not in EDITABLE:
        raise Stale("この受注は編集できません（現在：" + order.status_name + "）。")
    label = (form.adjust_label.data or "").strip()
    changes = []
    if (label, form.adjust10.data, form.adjust8.data) != (
            order.adjust_label, order.adjust10, order.adjust8):
        amounts = "、".join(f"{name}{value:,}円" for name, value in (
            ("10%対象", form.adjust10.data), ("8%対象", form.adjust8.data)) if value) or "0円"
        changes.append(f"金額調整項目を名目を{label or '（なし）'}、金額を{amounts}に変更")
    if form.shipping_fee.data != order.shipping_fee:
        changes.append(f"送料を{order.shipping_fee:,}円から{form.shipping_fee.data:,}円に変更")
    items10 = sum(i.subtotal for i in order.items if i.tax_rate == 10)
    items8 = order.items_total - items10
    target10 = items10 + form.shipping_fee.data + form.adjust10.data
    target8 = items8 + form.adjust8.data
    if target10 + target8 < 0:
        form.adjust10.errors = list(form.adjust10.errors) + ["合計が0円未満になる調整はできません。"]
        raise ValueError("negative total")
    order.adjust_label, order.adjust10, order.adjust8 = label, form.adjust10.data, form.adjust8.data
    order.shipping_fee = form.shipping_fee.data
    order.target10, order.target8 = target10, target8
    order.tax10, order.tax8 = included_tax(max(target10, 0), 10), included_tax(max(target8, 0), 8)
    order.total = target10 + target8
    order.version += 1
    for change in changes:
        history.record(order, f"注文番号 : {order.number} {change}", staff)
    db.session.commit()
