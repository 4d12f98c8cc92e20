"""Applying 差分通知: verified, recorded once, never moving a payment backwards.

Each notice is one transaction: the record, the change it makes, its history lines and the
mail it queues commit together or not at all. A notice whose processing failed is kept as
"failed" (in a transaction of its own) and retried, by PAYGENT's re-send or by the periodic
round; it is never taken as done.
"""
import json
import logging

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from cart import operations
from cart.acceptance import accept_payment
from cart.extensions import begin_write, db, transaction
from cart.gateway import account_for
from cart.models import Order, Payment, PaymentAttempt, PaymentNotice
from cart.payment_status import change_status
from cart.review import flag
from payments import methods
from payments.paygent.notices import Notice, verify_notice

log = logging.getLogger("cart.notices")

#: What became of a recorded notice, as the notice log shows it.
OUTCOME_NAMES = {
    "applied": "反映しました",
    "ignored": "反映不要（同じか先の状態を反映済み）",
    "unmatched": "照合できません（要確認）",
    "mismatch": "金額不一致のため受注を保留",
    "amount_diff": "反映しました（金額不一致・要確認）",
    "failed": "処理に失敗しました（再試行します）",
    "received": "処理中",
}


def receive(shop, fields: dict) -> str:
    """Verify, record and apply one pushed notice. Returns forged, duplicate, unmatched,
    mismatch, applied or ignored (an older state than the one already known)."""
    account = account_for(shop.id)
    if account is None or not verify_notice(fields, account.notice_hash_key):
        return "forged"
    return record_and_apply(shop, fields)


def record_and_apply(shop, fields: dict) -> str:
    """Record a notice once per payment_notice_id and apply it, in one short write
    transaction. Pushed notices come here after their hash is checked; notices fetched with
    091 come here directly (the mutual-TLS connection to PAYGENT authenticated them). The
    record is inserted last, with its outcome: its unique key makes a second delivery that got
    this far roll back everything it did and count as a duplicate (it found the payment
    already moved, under the same row lock, so it changed nothing). A notice already recorded
    is a duplicate, unless its processing failed: then this delivery retries it. Raises when
    the notice could not be applied (it is then kept as failed, to be retried)."""
    notice = Notice.from_fields(fields)
    if not notice.payment_notice_id:
        return "forged"
    begin_write()
    record = _record(shop, notice, fields, "received")
    try:
        outcome = _apply(shop, notice, record)
        record.outcome = outcome
        db.session.add(record)
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        if _recorded(shop, notice) is None:  # not the notice's key: a real failure
            _keep_failed(shop, notice, fields)
            raise
        return _delivered_again(shop, notice)
    except BaseException:
        db.session.rollback()
        _keep_failed(shop, notice, fields)
        raise
    try:
        db.session.commit()
    except IntegrityError:  # the key, where the database checks it at commit
        db.session.rollback()
        return _delivered_again(shop, notice)
    return outcome


def _recorded(shop, notice: Notice) -> PaymentNotice | None:
    return db.session.scalar(select(PaymentNotice).where(
        PaymentNotice.shop_id == shop.id,
        PaymentNotice.payment_notice_id == notice.payment_notice_id[:20]))


def _delivered_again(shop, notice: Notice) -> str:
    """A notice already recorded: a duplicate, unless its processing failed, when this
    delivery retries it."""
    known = _recorded(shop, notice)
    if known is None or known.outcome != "failed":
        return "duplicate"
    outcome = _claim_and_apply(shop, known.id, "failed")
    return "duplicate" if outcome is None else outcome


def rematch(shop, record_id: int) -> str | None:
    """Apply a notice that could not be matched when it arrived, now that its order or payment
    may be known (再照合). Returns the new outcome, or None if it was not (or no longer)
    unmatched."""
    return _claim_and_apply(shop, record_id, "unmatched")


def retry_failed(limit: int = 200) -> dict:
    """The periodic round: apply again the notices whose processing failed (every shop)."""
    from cart.models import Shop
    rows = db.session.execute(select(PaymentNotice.id, PaymentNotice.shop_id).where(
        PaymentNotice.outcome == "failed").order_by(PaymentNotice.id).limit(limit)).all()
    db.session.commit()
    counts: dict[str, int] = {}
    for record_id, shop_id in rows:
        try:
            outcome = _claim_and_apply(db.session.get(Shop, shop_id), record_id, "failed")
        except Exception:
            log.exception("notice %s of shop %s failed again", record_id, shop_id)
            outcome = "failed"
        if outcome:
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _record(shop, notice: Notice, fields: dict, outcome: str) -> PaymentNotice:
    return PaymentNotice(
        shop_id=shop.id, payment_notice_id=notice.payment_notice_id[:20],
        payment_id=notice.payment_id[:18], trading_id=notice.trading_id[:25],
        payment_status=notice.payment_status[:2], payment_amount=notice.payment_amount,
        fields=json.dumps({k: v for k, v in fields.items() if k != "hc"}, ensure_ascii=False),
        outcome=outcome)


def _keep_failed(shop, notice: Notice, fields: dict) -> None:
    """Keep a notice whose processing failed, so that it is retried rather than lost (a
    notice fetched with 091 is not handed out again)."""
    log.exception("notice %s of shop %s could not be applied; kept for a retry",
                  notice.payment_notice_id, shop.id)
    try:
        with transaction():
            db.session.add(_record(shop, notice, fields, "failed"))
    except IntegrityError:  # recorded meanwhile by another delivery, which applies it
        pass


def _claim_and_apply(shop, record_id: int, from_outcome: str) -> str | None:
    """Apply a recorded notice now in ``from_outcome`` (unmatched, or failed). The notice is
    claimed by a conditional update in the transaction that applies it, so a double click, two
    staff at once or a re-send racing the periodic round apply it once; a failure rolls the
    claim back with the rest, leaving the notice as it was."""
    begin_write()
    try:
        claimed = db.session.execute(update(PaymentNotice).where(
            PaymentNotice.id == record_id, PaymentNotice.shop_id == shop.id,
            PaymentNotice.outcome == from_outcome).values(outcome="received"))
        record = db.session.get(PaymentNotice, record_id, populate_existing=True)
    except BaseException:
        db.session.rollback()
        raise
    if claimed.rowcount != 1:
        db.session.rollback()
        return None
    return _apply_recorded(shop, Notice.from_fields(json.loads(record.fields)), record)


def _apply_recorded(shop, notice: Notice, record: PaymentNotice) -> str:
    """Apply a recorded notice and keep what became of it, in the transaction that recorded
    (or claimed) it; commits, or rolls back on any error (mail queued with it is never sent)."""
    try:
        outcome = _apply(shop, notice, record)
        record.outcome = outcome
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return outcome


def _apply(shop, notice: Notice, record: PaymentNotice) -> str:
    payment = _locked_payment(shop, notice.payment_id) if notice.payment_id else None
    locked = payment is not None
    order = payment.order if payment else db.session.scalar(  # with its payment, if any
        select(Order).options(joinedload(Order.payment)).where(
            Order.shop_id == shop.id, Order.number == notice.trading_id))
    if order is None:
        return "unmatched"
    record.order_id = order.id
    if payment is None:
        payment = order.payment
        if payment is not None and payment.paygent_payment_id and \
                payment.paygent_payment_id != notice.payment_id:
            return _other_payment_of_the_order(order, payment, notice)
    method = payment.lib if payment is not None else methods.find(order.payment_kind)
    if method is None or not method.through_paygent:
        return "unmatched"
    reference = notice.raw.get(method.reference_field, "") if method.reference_field else ""
    if payment is not None and reference and payment.reference != reference:
        return "unmatched"
    if notice.payment_status in method.paid_statuses() and (
            order.status == "pending_payment" or order.status == "cancelled" and payment is None):
        # The buyer authorised in the modal but never came back (or not yet); a later state
        # arriving first (notices are not ordered) proves the authorisation just as well.
        # An order cancelled meanwhile (rolled back) records the payment and asks staff to
        # cancel the authorisation.
        return _authorized(order, method, reference, notice)
    if payment is None:
        known = method.status(notice.payment_status)
        if order.status == "pending_payment" and known is not None and not known.paid \
                and not known.closes_order:
            # e.g. 10 申込済 arriving before the application's answer is booked: the booking
            # places the order; nothing here to do or to look at
            return "ignored"
        return "unmatched"
    if not locked:
        payment = operations.lock_payment(payment.id)  # one booking at a time per payment
    if notice.payment_id and payment.paygent_payment_id not in ("", notice.payment_id):
        # A partial refund booked while this notice waited for the lock moved the order to
        # the remainder's payment: the notice speaks of the payment it replaced.
        return _other_payment_of_the_order(order, payment, notice)
    if notice.payment_id and not payment.paygent_payment_id:
        payment.paygent_payment_id = notice.payment_id
    if payment.in_flight_attempt_id:
        return _settles_in_flight(order, payment, notice)
    if not method.is_ahead(notice.payment_status, payment.status):
        return "ignored"  # notices arrive in any order: never move a payment backwards
    change_status(order, payment, notice.payment_status,
                  f"ペイジェント差分通知 : 決済状況を「{method.status_name(payment.status)}」から"
                  f"「{method.status_name(notice.payment_status)}」に更新"
                  f"（取引ID : {payment.paygent_payment_id}）")
    return _book_amount(order, payment, notice, "applied")


def _locked_payment(shop, paygent_payment_id: str) -> Payment | None:
    """The one lookup of an ordinary notice: the payment by its 取引ID, with its order, taking
    the payment's row lock (PostgreSQL; SQLite has serialised writers). A payment whose 取引ID
    changed while this waited for the lock (a partial refund moved the order to the rest's
    new ID) no longer matches, and the notice is matched by its order instead."""
    return db.session.scalar(
        select(Payment).options(joinedload(Payment.order, innerjoin=True)).where(
            Payment.shop_id == shop.id, Payment.paygent_payment_id == paygent_payment_id)
        .with_for_update(of=Payment).execution_options(populate_existing=True))


def _book_amount(order: Order, payment: Payment, notice: Notice, outcome: str) -> str:
    """PAYGENT is the authority on the amount too: a status change whose amount differs from
    the payment's is booked as PAYGENT says, and the order is flagged 要確認 and the shop
    alerted, for staff to find out why."""
    if notice.payment_amount is None or notice.payment_amount == payment.amount:
        return outcome
    before = payment.amount
    payment.amount = notice.payment_amount
    flag(order, f"ペイジェント差分通知 : 決済金額 {notice.payment_amount:,}円 が当店の記録 "
                f"{before:,}円 と一致しません。ペイジェントの金額で更新しました。ペイジェント"
                f"管理画面で取引内容をご確認ください（取引ID : {payment.paygent_payment_id}、"
                f"通知ID : {notice.payment_notice_id}）",
         subject=f"【要確認】注文番号 {order.number} の決済金額")
    return "amount_diff"


def _settles_in_flight(order: Order, payment: Payment, notice: Notice) -> str:
    """A notice about a payment whose operation is in flight: it may be that operation's
    outcome (capture, cancel, full refund), which books it exactly once."""
    attempt = db.session.get(PaymentAttempt, payment.in_flight_attempt_id)
    db.session.refresh(attempt)
    partial = attempt.amount is not None
    if attempt.outcome not in ("claimed", "unknown"):
        return "ignored"
    done, _ = payment.lib.settled(attempt.action, payment.variant)
    if notice.payment_status in done and not partial:
        operations._succeeded(attempt, payment, order)
        order.version += 1
        return _book_amount(order, payment, notice, "applied")
    return "ignored"  # settled by 094 or by the remainder's notice


def _other_payment_of_the_order(order: Order, payment: Payment, notice: Notice) -> str:
    """A notice for a PAYGENT payment of this order other than the one it uses: the rest of a
    partial refund or the new payment of an amount change (adopted), or a payment one of them
    replaced (nothing to do)."""
    payment = operations.lock_payment(payment.id)
    replaced = db.session.scalar(select(PaymentAttempt).where(
        PaymentAttempt.payment_id == payment.id, PaymentAttempt.outcome == "succeeded",
        PaymentAttempt.paygent_payment_id == notice.payment_id))
    if replaced is not None:
        return "ignored"
    attempt = db.session.get(PaymentAttempt, payment.in_flight_attempt_id) \
        if payment.in_flight_attempt_id else None
    transition = payment.lib.transition(payment.status, attempt.action, payment.variant) \
        if attempt else None
    expected = None  # (status, amount) of the payment the in-flight operation makes
    if transition is not None and attempt.amount is not None:
        if transition.new_amount:  # an amount change: the new payment, at the new amount
            expected = (transition.target, attempt.amount)
        elif transition.partial_target is not None:  # a partial refund's rest
            expected = (transition.partial_target, payment.amount - attempt.amount)
    if expected is not None and (notice.payment_status, notice.payment_amount) == expected:
        operations._succeeded(attempt, payment, order, notice.payment_id)
        order.version += 1
        return "applied"
    return "unmatched"


def _authorized(order: Order, method, reference: str, notice: Notice) -> str:
    """A status proving the buyer paid, for an order whose buyer did not come back from the
    payment step (or not yet)."""
    if notice.payment_amount != order.total:
        flag(order, f"ペイジェント差分通知 : オーソリ金額 {notice.payment_amount}円 が注文金額 "
                    f"{order.total:,}円 と一致しないため、受注を保留しました"
                    f"（取引ID : {notice.payment_id}）",
             subject=f"【要確認】注文番号 {order.number} の決済金額")
        return "mismatch"
    accept_payment(order, method, reference, notice.payment_id, notice.payment_status,
                   notice.payment_amount, source="差分通知")
    known = method.status(notice.payment_status)
    if known is not None and known.stamps:  # the time it records (売上確定日時 and the like)
        db.session.refresh(order)
        if order.payment is not None:
            change_status(order, order.payment, order.payment.status, None)
    return "applied"


def poll_missed_notices() -> dict:
    """N2: one round over every shop with PAYGENT settings; returns counts per shop code."""
    from cart.models import PaygentAccount, Shop
    shops = db.session.scalars(select(Shop).join(PaygentAccount,
                                                 PaygentAccount.shop_id == Shop.id)).all()
    return {shop.code: fetch_missed(shop) for shop in shops}


def fetch_missed(shop, limit: int = 1000) -> dict:
    """N2: fetch notices with 091 until PAYGENT has none left (success_code=1), applying each
    through the same path as pushed ones, so nothing is applied twice."""
    from cart.gateway import client_for
    account = account_for(shop.id)
    counts: dict[str, int] = {}
    if account is None:
        return counts
    client = client_for(account)
    db.session.commit()
    for _ in range(limit):
        result = client.fetch_notice()
        if not result.ok:
            counts["error:" + (result.code or "unknown")] = 1
            break
        if result.get("success_code") == "1":
            break
        fields = {k: v for k, v in result.data.items()
                  if k not in ("result", "response_code", "response_detail", "success_code")}
        try:
            outcome = record_and_apply(shop, fields)
        except Exception:  # kept as failed; the periodic round retries it
            outcome = "failed"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
