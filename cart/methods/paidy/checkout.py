"""The Paidy payment step: the 決済処理中 order and the modal's payload, then the modal's
answer, believed only once PAYGENT (343) confirms it. The PAYGENT call happens with no
transaction open."""
import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from cart import history
from cart.acceptance import accept_payment
from cart.checkout.orders import Draft, start_payment
from cart.extensions import begin_write, db, transaction
from cart.gateway import TelegramLog, account_for, client_for
from cart.models import Order, Payment, Shop
from cart.review import flag
from payments.methods import paidy as lib
from payments.paidy import PaidyItem, PaidyOrder, build_payload

log = logging.getLogger("cart.checkout")
PAIDY_ID = re.compile(r"^pay_[A-Za-z0-9_-]{1,60}\Z")

REJECTED_MESSAGE = "今回のお支払いは承認されませんでした。恐れ入りますが、他の支払い方法をお選びください。"
CLOSED_MESSAGE = "ペイディでのお支払いが中断されました。もう一度お試しいただくか、他のお支払い方法をお選びください。"
UNVERIFIED_MESSAGE = ("お支払い情報を確認できなかったため、ご注文を確定できませんでした。"
                      "お手数ですが、ショップまでお問い合わせください。")
UNAVAILABLE_MESSAGE = ("ただいまお支払いを確認できません。時間をおいて再度お試しいただくか、"
                       "他のお支払い方法をお選びください。")


def start_paidy(shop: Shop, draft: Draft, pending_id=None) -> tuple[Order, dict]:
    """Create the order as 決済処理中 with stock reserved; return it and the Paidy payload."""
    return start_payment(shop, draft, pending_id, then=lambda order: paidy_payload(shop, order))


def paidy_payload(shop: Shop, order: Order) -> dict:
    """The modal's payload from the stored order (Paidy needs a mobile number: the
    携帯電話番号 when given, else TEL)."""
    return build_payload(PaidyOrder(
        order_ref=order.number, store_name=shop.name,
        items=[PaidyItem(i.code, i.name, i.quantity, i.unit_price) for i in order.items],
        shipping=order.shipping_fee, total=order.total, email=order.email,
        name_kanji=order.buyer_name, name_kana=order.buyer_kana, phone=(order.mobile or order.tel).replace("-", ""),
        zip_code=order.zip_code, prefecture=order.prefecture, city=order.city,
        street=order.street, building=order.building,
        metadata={"tax10": order.tax10, "tax8": order.tax8}))


@dataclass
class PaidyOutcome:
    kind: str            # done | rejected | closed | pending | refused | unavailable
    order: Order | None
    message: str = ""
    number: str = ""     # the order's number, as read before any commit (no read after it)


def finish_paidy(shop: Shop, order_number: str, status: str, paidy_payment_id: str,
                 own_order_id) -> PaidyOutcome:
    """Take the modal's callback for the shopper's own pending order (``own_order_id``, from
    the session); an authorisation counts only once PAYGENT (343) confirms it. Another
    order's number is refused with no telegram, flag or mail."""
    order = db.session.scalar(_with_payment().where(Order.shop_id == shop.id,
                                                    Order.number == str(order_number)))
    if order is None or not own_order_id or order.id != own_order_id:
        return PaidyOutcome("refused", None, UNVERIFIED_MESSAGE)
    number = order.number
    status = (status or "").lower()
    if order.status == "new" and order.payment is not None:
        return PaidyOutcome("done", order, number=number)  # a re-post, or the notice was first
    if status == "rejected":
        _note(order, "ペイディでのお支払いが承認されませんでした（購入者には他のお支払い方法を"
                     "ご案内しました）")
        return PaidyOutcome("rejected", order, REJECTED_MESSAGE)
    if status != "authorized":
        _note(order, "購入者がペイディの決済画面を閉じ、お支払いを中断しました")
        return PaidyOutcome("closed", order, CLOSED_MESSAGE)
    if not PAIDY_ID.match(paidy_payment_id or "") or order.status != "pending_payment":
        return PaidyOutcome("refused", order, UNVERIFIED_MESSAGE)
    used = db.session.scalar(select(Payment).where(
        Payment.method == lib.PAIDY.code, Payment.reference == paidy_payment_id))
    if used is not None and used.order_id != order.id:
        _flag(order, f"他の注文で使用済みのペイディ決済ID（{paidy_payment_id}）で確定しようとしたため拒否しました。")
        return PaidyOutcome("refused", order, UNVERIFIED_MESSAGE)
    account = account_for(shop.id)
    order_id = order.id
    telegrams = TelegramLog(shop.id, order_id)  # logged with what the answer leads to
    db.session.commit()  # no transaction stays open while PAYGENT answers
    result = client_for(account, order_id, telegrams).verify_paidy(paidy_payment_id)
    if result.unknown or not result.ok:
        telegrams.write_alone()
    else:
        begin_write()  # the answer is booked next: read the order once, as the writer
    # with its payment (none yet, unless a notice accepted the order meanwhile), so that the
    # acceptance need not look for one
    order = db.session.scalar(_with_payment().where(Order.id == order_id))
    if result.unknown:
        return PaidyOutcome("pending", order, number=number)
    if not result.ok:
        log.warning("343 refused for shop %s order %s: %s", shop.id, order.number, result.code)
        _note(order, f"ペイディ決済の確認（ペイジェント）がエラーになりました（結果コード : "
                     f"{result.code or '不明'}）。購入者には時間をおいて再度お試しいただくよう"
                     "ご案内しました")
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
              + f"（ペイディ決済ID：{paidy_payment_id}）", telegrams)
        return PaidyOutcome("refused", order, UNVERIFIED_MESSAGE)
    try:
        with transaction():
            telegrams.book()
            accepted = accept_payment(order, lib.PAIDY, paidy_payment_id,
                                      result.get("payment_id"),
                                      result.get("payment_status") or lib.AUTHORIZED,
                                      order.total, "決済画面")
            placed = accepted or order.status == "new"  # or the notice placed it meanwhile
    except BaseException:
        telegrams.write_alone()
        raise
    return PaidyOutcome("done" if placed else "refused", order,
                        "" if placed else UNVERIFIED_MESSAGE, number=number)


def _with_payment():
    """The order with its payment in one query."""
    return select(Order).options(joinedload(Order.payment))


def _note(order: Order, text: str) -> None:
    """A 変更履歴 line for a payment step that ended without a payment, while the order is
    still 決済処理中 (the order stays so: the shopper may try again or choose another method,
    and the rollback closes it later)."""
    if order.status != "pending_payment":
        return
    with transaction():
        history.record(order, f"注文番号 : {order.number} {text}（注文は決済処理中のままです）")


def _flag(order: Order, text: str, telegrams: TelegramLog | None = None) -> None:
    """Flag the order from the browser callback, in a transaction of its own (with the log of
    the telegram that found the problem)."""
    with transaction():
        if telegrams is not None:
            telegrams.book()
        flag(order, text)
