"""Payment operations on an order: 売上確定, キャンセル, 返金 and 金額変更, with the telegram each
method's transition table names (Paidy 341 / 340 / 342; card 022 / 021 or 023 / 028 or 029),
and asking PAYGENT (094). Used alike by the order page, bulk runs and automatic capture.

Exactly once: an operation is first *claimed* in a short transaction (the rule re-checked, an
attempt row written, the payment marked in flight by a conditional update), the telegram is
sent with no transaction open, and the outcome is *booked* in a second short transaction. A
timeout or a dropped connection leaves the attempt unknown; it is settled by asking PAYGENT,
never by guessing.
"""
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select, update

from cart import history, jobs
from cart.extensions import begin_write, db
from cart.gateway import TelegramLog, account_for, client_for
from cart.models import Order, Payment, PaymentAttempt
from cart.models.base import utcnow
from cart.payment_status import change_status
from cart.review import flag
from payments import methods
from payments.methods import CANCEL, CAPTURE, REFUND
from payments.methods.base import ALL_ACTIONS, CHANGE, action_name
from payments.paygent import PaygentClient, codes
from payments.paygent.operations import HALF_DONE, new_payment_id, operation_fields

log = logging.getLogger("cart.operations")

SUCCESS_MESSAGES = {
    CAPTURE: "売上処理が正常に完了いたしました。",
    CANCEL: "キャンセル処理が正常に完了いたしました。",
    REFUND: "返金処理が正常に完了いたしました。",
    CHANGE: "金額変更処理が正常に完了いたしました。",
}
HALF_DONE_MESSAGE = ("金額変更で新しい決済（取引ID : {new}）は作成されましたが、元の決済（取引ID : "
                     "{old}）を取り消せませんでした。元の決済が請求される可能性があります。"
                     "ペイジェント管理画面で元の決済を取り消してください。")
UNKNOWN_MESSAGE = ("ペイジェントからの応答を確認できませんでした。処理結果を確認中です。"
                   "しばらくしてから「最新の状態を取得」で結果をご確認ください（再実行は不要です）。")
class Refused(Exception):
    """Not sent: the rule, a stale page or an operation already in flight. Japanese message."""


@dataclass
class Outcome:
    kind: str          # done | failed | unknown
    message: str
    code: str = ""


def state_of(payment: Payment) -> methods.PaymentState:
    return methods.PaymentState(status=payment.status, amount=payment.amount,
                              authorized_at=_aware(payment.authorized_at),
                              captured_at=_aware(payment.captured_at),
                              in_flight=payment.in_flight_attempt_id is not None,
                              refunded=payment.refunded, variant=payment.variant)


def fingerprint(payment: Payment) -> str:
    """What the page showed; a form carrying another fingerprint was drawn before a change."""
    return f"{payment.paygent_payment_id}:{payment.status}:{payment.amount}"


def now() -> datetime:
    return datetime.now(timezone.utc)


# -- run an operation -------------------------------------------------------------------------
def run(shop_id: int, order_id: int, action: str, amount: int | None = None, staff=None,
        source: str = "order", expected: str | None = None) -> Outcome:
    if action not in ALL_ACTIONS:  # refused before anything is claimed or sent
        raise Refused("この操作は行えません。")
    claimed = _claim(shop_id, order_id, action, amount, staff, source, expected)
    return book(claimed, send(claimed))


@dataclass
class Claimed:
    """An operation claimed and ready to send: everything the telegram needs, so sending it
    touches no database; the telegram's log entry waits for the booking transaction."""
    attempt_id: int
    telegram: str
    payment_id: str
    amount: int | None
    client: PaygentClient
    log: TelegramLog
    current_amount: int | None = None   # what PAYGENT holds now (an amount change's base)


def send(claimed: Claimed):
    """Send the claimed operation's telegram (no transaction may be open)."""
    return claimed.client.send(claimed.telegram, **operation_fields(
        claimed.telegram, claimed.payment_id, claimed.amount, claimed.current_amount))


def _claim(shop_id, order_id, action, amount, staff, source, expected) -> Claimed:
    try:
        begin_write()
        claimed = claim_in_transaction(shop_id, order_id, action, amount, staff, source,
                                       expected)
        db.session.commit()  # nothing stays open while PAYGENT answers
        return claimed
    except BaseException:
        db.session.rollback()
        raise


def claim_in_transaction(shop_id, order_id, action, amount=None, staff=None, source="order",
                         expected=None) -> Claimed:
    """Claim an operation in the caller's writer transaction (``begin_write``), or raise
    Refused having written nothing. A bulk run claims all its orders in one transaction."""
    payment = db.session.scalar(select(Payment).join(Order).where(
        Order.id == order_id, Order.shop_id == shop_id))
    if payment is None or not payment.paygent_payment_id:
        raise Refused("取引IDがまだ通知されていないため、操作できません。"
                      "「最新の状態を取得」をお試しください。")
    if expected is not None and expected != fingerprint(payment):
        raise Refused("この受注は画面を表示した後に更新されました。最新の内容を確認してから、"
                      "もう一度操作してください。")
    state = state_of(payment)
    try:
        payment.lib.check(state, action, now(), amount)
    except methods.RuleViolation as violation:
        raise Refused(str(violation)) from None
    transition = payment.lib.transition(payment.status, action, payment.variant)
    if transition is None:  # the rules above refuse this; never send a guessed telegram
        raise Refused("この操作は行えません。")
    full = not transition.new_amount and (amount is None or amount == payment.amount)
    attempt = PaymentAttempt(
        shop_id=shop_id, key=uuid.uuid4().hex, payment_id=payment.id, order_id=order_id,
        action=action, amount=None if full else amount,
        paygent_payment_id=payment.paygent_payment_id, source=source,
        staff_id=staff.id if staff else None)
    db.session.add(attempt)
    db.session.flush()
    claimed = db.session.execute(update(Payment).where(
        Payment.id == payment.id, Payment.in_flight_attempt_id.is_(None),
        Payment.status == payment.status,
        Payment.paygent_payment_id == payment.paygent_payment_id,
    ).values(in_flight_attempt_id=attempt.id).execution_options(
        synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.delete(attempt)  # another writer got there first: leave no trace
        db.session.flush()
        raise Refused("この受注には他の操作が処理中、または既に処理済みです。"
                      "画面を更新して決済状況をご確認ください。")
    log = TelegramLog(shop_id, order_id)
    return Claimed(attempt.id, transition.telegram, attempt.paygent_payment_id, attempt.amount,
                   client_for(account_for(shop_id), order_id, log), log, payment.amount)


def book(claimed: Claimed, result, also=None) -> Outcome:
    """Book a sent operation's outcome in one transaction with its payment log entry;
    ``also(outcome)`` adds what the caller books with it (a bulk run's item)."""
    try:
        return _book(claimed.attempt_id, result, claimed.log, also)
    except BaseException:
        claimed.log.write_alone()  # the telegram went out: its log must not be lost
        raise


def _book(attempt_id: int, result, log=None, also=None) -> Outcome:
    try:
        begin_write()
        if log is not None:
            log.book()
        attempt = db.session.get(PaymentAttempt, attempt_id)
        lock_payment(attempt.payment_id)
        db.session.refresh(attempt)
        if attempt.outcome in ("succeeded", "failed"):
            # A notice carrying this operation's outcome got here first and booked it.
            kind = "done" if attempt.outcome == "succeeded" else "failed"
            outcome = Outcome(kind, SUCCESS_MESSAGES[attempt.action] if kind == "done"
                              else codes.explain(attempt.code), attempt.code)
            if also is not None:
                also(outcome)
            db.session.commit()
            return outcome
        payment = db.session.get(Payment, attempt.payment_id)
        order = db.session.get(Order, attempt.order_id)
        if result.ok:
            _succeeded(attempt, payment, order, new_payment_id(result))
            outcome = Outcome("done", SUCCESS_MESSAGES[attempt.action])
        elif result.code in HALF_DONE and new_payment_id(result):
            old = attempt.paygent_payment_id
            _succeeded(attempt, payment, order, new_payment_id(result))
            message = HALF_DONE_MESSAGE.format(new=payment.paygent_payment_id, old=old)
            flag(order, f"注文番号 : {order.number} {message}（エラーコード:{result.code}）",
                 subject=f"【要確認】注文番号 {order.number} の元の決済")
            outcome = Outcome("failed", message, result.code)
        elif result.unknown:
            attempt.outcome, attempt.code = "unknown", result.code
            history.record(order, f"注文番号 : {order.number} ペイジェント "
                                  f"{_verb(attempt.action)}の結果を確認中"
                                  f"（エラーコード:{result.code}）", _staff(attempt))
            outcome = Outcome("unknown", UNKNOWN_MESSAGE, result.code)
        else:
            _failed(attempt, payment, order, result.code, result.detail)
            outcome = Outcome("failed", codes.explain(result.code), result.code)
        order.version += 1
        if also is not None:
            also(outcome)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if outcome.kind == "unknown":
        schedule_settle(attempt_id)
    elif outcome.code in ("24003", "24006"):
        jobs.submit(refresh_job, order.shop_id, order.id)  # mirror what PAYGENT now holds
    return outcome


def lock_payment(payment_pk: int) -> Payment:
    """Take the payment's row lock (PostgreSQL) before booking anything about it, so a reply
    and a notice about the same operation book it one after the other, never both at once.
    SQLite has already serialised writers (begin_write)."""
    return db.session.scalar(select(Payment).where(Payment.id == payment_pk)
                             .with_for_update().execution_options(populate_existing=True))


def _succeeded(attempt, payment, order, new_payment_id: str = "") -> None:
    """Book a successful operation: the payment moves where the method's transition table
    says (``after``), through the one entry point for status changes."""
    at = utcnow()
    head = f"注文番号 : {order.number} ペイジェント"
    partial = attempt.amount is not None
    target = payment.lib.after(payment.status, attempt.action, partial, payment.variant)
    name = payment.lib.operation_name(payment.status, attempt.action, payment.variant)
    if attempt.action == CAPTURE:
        payment.captured_at = at
        text = f"{head} 売上処理を実行 売上金額 : {payment.amount:,}円"
    elif attempt.action == CANCEL:
        payment.cancelled_at = at
        text = f"注文番号 : {order.number} ペイジェントキャンセルを実行"
        if name != action_name(CANCEL):  # a name of its own (a card's 売上取消, 023)
            text = f"{head} {name}を実行 取消金額 : {payment.amount:,}円"
    elif attempt.action == CHANGE:
        # PAYGENT made a new payment for the new amount and cancelled the old one (a card), or
        # changed the amount of the same payment (a carrier's 補正売上)
        before, old_id = payment.amount, payment.paygent_payment_id
        payment.amount = attempt.amount
        payment.paygent_payment_id = new_payment_id or payment.paygent_payment_id
        attempt.new_payment_id = new_payment_id
        text = f"{head} {name}を実行 金額 : {before:,}円 → {attempt.amount:,}円"
        if payment.paygent_payment_id != old_id:
            text += f"（新しい取引ID : {payment.paygent_payment_id}、元の取引ID : {old_id}）"
    elif not partial:
        payment.refunded += payment.amount
        payment.refunded_at = at
        text = f"{head} 返金を実行 返金額 : {payment.amount:,}円（全額）"
    else:
        # Partial refund: PAYGENT moved the rest to a new payment; use its ID from now on.
        payment.amount -= attempt.amount
        payment.refunded += attempt.amount
        payment.refunded_at = at
        payment.paygent_payment_id = new_payment_id or payment.paygent_payment_id
        attempt.new_payment_id = new_payment_id
        text = (f"{head} 返金を実行 返金額 : {attempt.amount:,}円（返金可能額 : "
                f"{payment.amount:,}円、新しい取引ID : {payment.paygent_payment_id}）")
    change_status(order, payment, target, text, _staff(attempt))
    attempt.outcome, attempt.finished_at = "succeeded", at
    payment.in_flight_attempt_id = None


def _failed(attempt, payment, order, code: str, detail: str) -> None:
    attempt.outcome, attempt.code = "failed", code
    attempt.detail = (detail or "")[:300]
    attempt.finished_at = utcnow()
    if payment.in_flight_attempt_id == attempt.id:
        payment.in_flight_attempt_id = None
    history.record(order, f"注文番号 : {order.number} ペイジェント {_verb(attempt.action)}"
                          f"でエラー エラーコード:{code}", _staff(attempt))


def _verb(action: str) -> str:
    return {CAPTURE: "売上処理", CANCEL: "キャンセル処理", REFUND: "返金処理",
            CHANGE: "金額変更処理"}[action]


def _staff(attempt):
    if attempt.staff_id is None:
        return None
    from cart.models import Staff
    return db.session.get(Staff, attempt.staff_id)


def _aware(value):
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


# -- settling unknown outcomes, refreshing from PAYGENT (094) --------------------------------
def schedule_settle(attempt_id: int, try_number: int = 0) -> None:
    delays = current_app.config["SETTLE_DELAYS"]
    if try_number < len(delays):
        jobs.submit(settle_job, attempt_id, try_number, delay=delays[try_number])


def settle_job(attempt_id: int, try_number: int) -> None:
    if settle(attempt_id) == "unknown":
        schedule_settle(attempt_id, try_number + 1)


def claim_timeout() -> timedelta:
    """How long a claim can be in flight: a process alive past this has booked it or timed out
    (connect + read timeouts of the telegram, plus a margin for booking)."""
    config = current_app.config
    return timedelta(seconds=config["PAYGENT_CONNECT_TIMEOUT"] + config["PAYGENT_READ_TIMEOUT"]
                     + 60)


def _open(attempt) -> bool:
    """Still to be settled: unknown, or claimed by a process that died before booking it."""
    return attempt.outcome == "unknown" or (
        attempt.outcome == "claimed" and _aware(attempt.created_at) < now() - claim_timeout())


def settle(attempt_id: int) -> str:
    """Ask PAYGENT what became of an unknown attempt (or of a claim its process never booked)
    and book it. Returns its outcome."""
    attempt = db.session.get(PaymentAttempt, attempt_id)
    if attempt is None or not _open(attempt):
        return attempt.outcome if attempt else "missing"
    account = account_for(attempt.shop_id)
    payment_id, action, partial = attempt.paygent_payment_id, attempt.action, attempt.amount
    db.session.commit()
    result = client_for(account, attempt.order_id).inquire(payment_id)
    if not result.ok:
        return "unknown"
    status = result.get("payment_status")
    try:
        begin_write()
        attempt = db.session.get(PaymentAttempt, attempt_id)
        lock_payment(attempt.payment_id)
        db.session.refresh(attempt)
        if not _open(attempt):
            return attempt.outcome
        payment = db.session.get(Payment, attempt.payment_id)
        order = db.session.get(Order, attempt.order_id)
        if attempt.outcome == "claimed":  # its process stopped between claim and booking
            attempt.outcome = "unknown"
            history.record(order, f"注文番号 : {order.number} ペイジェント "
                                  f"{_verb(action)}の結果を確認中（処理が中断されたため）",
                           _staff(attempt))
        done, waiting = payment.lib.settled(action, payment.variant)
        if status in waiting:
            outcome = "unknown"
        elif status in done:
            if partial is not None:
                # The rest lives on under a new ID that only its notice tells; until then
                # the attempt stays open (adopt_remainder settles it).
                attempt.detail = ("金額変更済み" if action == CHANGE else "返金済み") + \
                    "。新しい取引IDの通知待ち"
                outcome = "unknown"
            else:
                _succeeded(attempt, payment, order)
                outcome = "succeeded"
        else:
            _failed(attempt, payment, order, "NOT_DONE", "ペイジェントで処理されていませんでした")
            if status:
                change_status(order, payment, status, None)
            outcome = "failed"
        order.version += 1
        db.session.commit()
        return outcome
    except BaseException:
        db.session.rollback()
        raise


def settle_overdue(limit: int = 500) -> dict:
    """Settle every attempt left open past the claim timeout: unknown outcomes whose scheduled
    checks ran out or were lost with a restarted process, and claims whose process stopped
    before booking. Run by the periodic round and ``flask orders settle``; counts by outcome."""
    ids = db.session.scalars(select(PaymentAttempt.id).where(
        PaymentAttempt.outcome.in_(("claimed", "unknown")),
        PaymentAttempt.created_at < now() - claim_timeout())
        .order_by(PaymentAttempt.id).limit(limit)).all()
    db.session.commit()
    return jobs.each_counted(ids, settle, "attempt")


def refresh(shop_id: int, order_id: int, staff=None) -> str:
    """「最新の状態を取得」: settle what is in flight, then mirror PAYGENT's status (094)."""
    payment = db.session.scalar(select(Payment).join(Order).where(
        Order.id == order_id, Order.shop_id == shop_id))
    if payment is None:
        raise Refused("この受注にはペイジェントの決済がありません。")
    if payment.in_flight_attempt_id:
        settle(payment.in_flight_attempt_id)
        db.session.expire_all()
        payment = db.session.get(Payment, payment.id)
    account = account_for(shop_id)
    key = {"payment_id": payment.paygent_payment_id} if payment.paygent_payment_id else {
        "trading_id": payment.order.number}
    payment_pk = payment.id
    db.session.commit()
    result = client_for(account, order_id).inquire(**key)
    if not result.ok:
        raise Refused("ペイジェントから決済情報を取得できませんでした："
                      + codes.explain(result.code))
    try:
        begin_write()
        payment = lock_payment(payment_pk)
        order = payment.order
        before = payment.status
        if not payment.paygent_payment_id:
            payment.paygent_payment_id = result.get("payment_id")
        status = result.get("payment_status")
        # Apply the answer unless something overtook the inquiry: an operation now in flight,
        # a partial refund that moved the order to a new 取引ID, or a later status booked
        # meanwhile (PAYGENT never moves a payment backwards).
        if (payment.in_flight_attempt_id is None and status
                and key.get("payment_id", payment.paygent_payment_id)
                == payment.paygent_payment_id
                and payment.lib.moves_forward(status, payment.status)):
            change_status(order, payment, status, None)
            amount = result.get("payment_amount")
            if amount.isdigit():
                payment.amount = int(amount)
        state = payment.lib.display_status(state_of(payment), now())
        history.record(order, f"注文番号 : {order.number} ペイジェントの決済状況を取得 : {state}"
                       + (f"（{payment.lib.status_name(before)}から更新）"
                          if before != payment.status else ""), staff)
        order.version += 1
        db.session.commit()
        return state
    except BaseException:
        db.session.rollback()
        raise


def refresh_job(shop_id: int, order_id: int) -> None:
    try:
        refresh(shop_id, order_id)
    except Refused as refused:
        log.info("refresh of order %s: %s", order_id, refused)


def auto_capture_job(shop_id: int, order_id: int) -> None:
    """オーソリ+売上確定: capture once the authorisation is known (O7)."""
    try:
        outcome = run(shop_id, order_id, CAPTURE, source="auto")
        log.info("auto capture of order %s: %s %s", order_id, outcome.kind, outcome.code)
    except Refused as refused:
        log.info("auto capture of order %s not sent: %s", order_id, refused)
