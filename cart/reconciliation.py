"""照合: ask PAYGENT (094) about each shop's open payments and report where it differs from us.

A change made on PAYGENT's admin site (seed 003 §2.5) or a 差分通知 that never arrived leaves
our 決済状況 other than PAYGENT's. Each run takes the shop's open payments (its method says the
status is not final), oldest-checked first, at most ``RECONCILE_PER_ROUND`` of them with
``RECONCILE_PAUSE_SECONDS`` between two telegrams, and records for each: ours, PAYGENT's status
and amount, whether they differ, when. A telegram that fails or times out is recorded as
確認できませんでした, never guessed.

It only reports: no payment or order is changed here. The operator brings an order in line with
「最新の状態を取得」 (``operations.refresh``), from the report or the order page.

One run at a time per shop: a run claims the shop's ``ReconcileState`` by a conditional update
(the periodic round's and a hand-started one alike); a claim whose process died is taken over
once it is older than a run can last.
"""
import logging
import time
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from cart import jobs
from cart.extensions import begin_write, db
from cart.gateway import account_for, client_for
from cart.models import PaygentAccount, Payment
from cart.models.base import utcnow
from cart.models.reconciliation import (DIFFERS, SAME, UNCHECKED, ReconcileCheck,
                                        ReconcileState)
from payments import methods
from payments.paygent import codes

log = logging.getLogger("cart.reconciliation")

ROUND, HAND = "round", "hand"
NO_STATUS = "ペイジェントが決済状況を返しませんでした。"


def per_round() -> int:
    return max(0, int(current_app.config.get("RECONCILE_PER_ROUND") or 0))


def pause() -> float:
    return max(0.0, float(current_app.config.get("RECONCILE_PAUSE_SECONDS") or 0))


def stale_after() -> timedelta:
    """How long a run can last: past this its claim belongs to a process that stopped."""
    config = current_app.config
    each = pause() + config["PAYGENT_CONNECT_TIMEOUT"] + config["PAYGENT_READ_TIMEOUT"]
    return timedelta(seconds=max(1, per_round()) * each + 60)


def open_payments():
    """The condition of a payment worth asking about: through PAYGENT, a status PAYGENT may
    still move (its method's ``final_statuses`` say which do not), none in flight (settling an
    unknown outcome asks PAYGENT on its own)."""
    clauses = []
    for method in methods.all_methods():
        if not method.through_paygent:
            continue
        final = method.final_statuses()
        clauses.append(and_(Payment.method == method.code, Payment.status.notin_(sorted(final)))
                       if final else Payment.method == method.code)
    return and_(or_(*clauses) if clauses else false(), Payment.status != "",
                Payment.in_flight_attempt_id.is_(None))


def is_open(payment: Payment) -> bool:
    method = methods.find(payment.method)
    return (method is not None and method.through_paygent and payment.status != ""
            and payment.status not in method.final_statuses()
            and payment.in_flight_attempt_id is None)


def unchanged_since_check():
    """A check still describes the payment: ours is what it was when PAYGENT answered (a
    「最新の状態を取得」, a 差分通知 or an operation since then takes it off the report)."""
    return and_(Payment.id == ReconcileCheck.payment_id,
                Payment.status == ReconcileCheck.our_status,
                Payment.amount == ReconcileCheck.our_amount,
                Payment.paygent_payment_id == ReconcileCheck.paygent_payment_id)


# -- one run at a time per shop ---------------------------------------------------------------
def state_of(shop_id: int) -> ReconcileState | None:
    return db.session.scalar(select(ReconcileState).where(ReconcileState.shop_id == shop_id))


def claim(shop_id: int, source: str) -> str | None:
    """Claim the shop's reconciliation for one run: its token, or None while another runs."""
    if state_of(shop_id) is None:
        try:
            begin_write()
            db.session.add(ReconcileState(shop_id=shop_id))
            db.session.commit()
        except IntegrityError:  # made meanwhile by the other claimant
            db.session.rollback()
    token, now = uuid.uuid4().hex, utcnow()
    begin_write()
    claimed = db.session.execute(
        update(ReconcileState)
        .where(ReconcileState.shop_id == shop_id,
               or_(ReconcileState.run_token.is_(None),
                   ReconcileState.running_since < now - stale_after()))
        .values(run_token=token, running_since=now, source=source, last_started_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return token if claimed == 1 else None


def _release(shop_id: int, token: str, counts: dict) -> None:
    begin_write()
    db.session.execute(
        update(ReconcileState)
        .where(ReconcileState.shop_id == shop_id, ReconcileState.run_token == token)
        .values(run_token=None, running_since=None, last_finished_at=utcnow(),
                last_checked=sum(counts.values()), last_differing=counts[DIFFERS],
                last_unchecked=counts[UNCHECKED])
        .execution_options(synchronize_session=False))
    db.session.commit()


# -- the run ----------------------------------------------------------------------------------
def due(shop_id: int, limit: int) -> list[int]:
    """The shop's open payments, never-checked first, then the longest unchecked."""
    never = case((ReconcileCheck.checked_at.is_(None), 0), else_=1)
    return db.session.scalars(
        select(Payment.id)
        .outerjoin(ReconcileCheck, ReconcileCheck.payment_id == Payment.id)
        .where(Payment.shop_id == shop_id, open_payments())
        .order_by(never, ReconcileCheck.checked_at, Payment.id).limit(limit)).all()


def run(shop_id: int, token: str) -> dict:
    """One run for a shop claimed with ``token``: counts by outcome."""
    counts = {SAME: 0, DIFFERS: 0, UNCHECKED: 0}
    try:
        account = account_for(shop_id)
        ids = due(shop_id, per_round()) if account is not None else []
        db.session.commit()
        for number, payment_pk in enumerate(ids):
            if number:
                time.sleep(pause())  # spread the telegrams: PAYGENT is asked gently
            try:
                outcome = check(account, payment_pk)
            except Exception:
                log.exception("reconciling payment %s", payment_pk)
                db.session.rollback()
                continue
            if outcome is not None:
                counts[outcome] += 1
    finally:
        db.session.rollback()
        _release(shop_id, token, counts)
    return counts


def run_job(shop_id: int, token: str) -> None:
    counts = run(shop_id, token)
    log.info("reconciliation of shop %s: %s", shop_id, counts)


def check(account: PaygentAccount, payment_pk: int) -> str | None:
    """Ask PAYGENT about one payment and record the answer (None: no longer open)."""
    payment = db.session.get(Payment, payment_pk)
    if payment is None or not is_open(payment):
        db.session.commit()
        return None
    order = payment.order
    ours = dict(shop_id=payment.shop_id, payment_id=payment.id, order_id=order.id,
                paygent_payment_id=payment.paygent_payment_id, our_status=payment.status,
                our_amount=payment.amount)
    key = ({"payment_id": payment.paygent_payment_id} if payment.paygent_payment_id
           else {"trading_id": order.number})
    db.session.commit()  # no transaction stays open while PAYGENT answers
    result = client_for(account, order.id).inquire(**key)
    answer = dict(paygent_status="", paygent_amount=None, outcome=UNCHECKED, detail="")
    if not result.ok:
        answer["detail"] = (codes.explain(result.code) or result.detail or "")[:300]
    elif not result.get("payment_status"):
        answer["detail"] = NO_STATUS
    else:
        amount = result.get("payment_amount")
        answer.update(paygent_status=result.get("payment_status")[:2],
                      paygent_amount=int(amount) if amount.isascii() and amount.isdigit()
                      else None)
        differs = (answer["paygent_status"] != ours["our_status"]
                   or (answer["paygent_amount"] is not None
                       and answer["paygent_amount"] != ours["our_amount"]))
        answer["outcome"] = DIFFERS if differs else SAME
    _record(dict(ours, **answer, checked_at=utcnow()))
    return answer["outcome"]


def _record(values: dict) -> None:
    """Write the check over the payment's previous one."""
    begin_write()
    row = db.session.scalar(select(ReconcileCheck).where(
        ReconcileCheck.payment_id == values["payment_id"]))
    if row is None:
        db.session.add(ReconcileCheck(**values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    db.session.commit()


# -- starting runs ----------------------------------------------------------------------------
def start(shop_id: int, source: str = HAND) -> bool:
    """「今すぐ照合する」: a run of the shop in the background, unless one is under way."""
    token = claim(shop_id, source)
    if token is None:
        return False
    jobs.submit(run_job, shop_id, token)
    return True


def reconcile_round() -> dict:
    """The periodic round's step: one background job that runs every shop with PAYGENT
    settings in turn (one worker busy, not one a shop; a shop whose run is under way is
    skipped). Nothing when ``RECONCILE_PER_ROUND`` is 0."""
    if per_round() == 0:
        return {"shops": 0}
    shops = db.session.scalar(select(func.count(PaygentAccount.id)))
    db.session.commit()
    if shops:
        jobs.submit(round_job)
    return {"shops": shops}


def round_job() -> None:
    shop_ids = db.session.scalars(select(PaygentAccount.shop_id).order_by(
        PaygentAccount.shop_id)).all()
    db.session.commit()
    for shop_id in shop_ids:
        token = claim(shop_id, ROUND)  # claimed when its turn comes, so no claim waits
        if token is None:
            log.info("reconciliation of shop %s is under way: skipped this round", shop_id)
            continue
        run_job(shop_id, token)
