"""外部決済一括処理 (B1–B4): the 未処理一覧 of each 処理内容 (売上確定処理, 取消処理), runs tracked
as rows, executed in the background.

Each order goes through the same exactly-once operation as the order page (cart.operations),
in its own transactions, so one failure stays one failure and two overlapping runs (or a run and
a click on the order page) send one telegram for an order; the loser counts it as done when the
operation it wanted has been done, and as refused otherwise. Which orders a 処理内容 lists is the
SQL form of the methods' transition tables (every method, no method named).
"""
import logging
import queue
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from cart import history, jobs, operations
from cart.extensions import begin_write, db
from cart.models import BulkRun, BulkRunItem, Order, Payment
from cart.models.bulk import log_text
from cart.models.base import utcnow
from payments import methods
from payments.methods import CAPTURE
from cart.models.bulk import BULK_ACTIONS

log = logging.getLogger("cart.bulk")
MAX_ORDERS = 50
LOG_SIZE = 100
IN_FLIGHT_WAIT = 60.0  # seconds an order held by another operation is waited for


class BulkError(Exception):
    """A selection that cannot run; the message says why, in Japanese."""


def unprocessed(shop_id: int, action: str = CAPTURE):
    """未処理一覧 of a 処理内容: orders whose payment its method lets run ``action`` now (within
    the method's window), in any list (completed and cancelled
    too), buyer done paying; for 売上確定処理 only those created under オーソリのみ (the others
    are captured automatically)."""
    conditions = [Order.shop_id == shop_id, Order.status != "pending_payment",
                  Payment.shop_id == shop_id,  # lets PostgreSQL start from the shop's payments
                  Payment.paygent_payment_id != "", _allowing(action)]
    if action == CAPTURE:
        conditions.append(Order.capture_mode == "auth")
    return select(Order).join(Payment, Payment.order_id == Order.id).options(
        contains_eager(Order.payment)).where(*conditions).order_by(
        Order.created_at.desc(), Order.id.desc())


def _allowing(action: str):
    """Payments their method's transition table lets run ``action`` now, as one SQL
    condition."""
    now = utcnow()
    conditions = []
    for method in methods.ALL:
        for t in method.transitions:
            if t.action != action:
                continue
            condition = and_(Payment.method == method.code, Payment.status == t.source)
            if t.variants:  # a carrier's own rule
                condition = and_(condition, Payment.variant.in_(sorted(t.variants)))
            if t.window is not None:
                since = getattr(Payment, t.window.since)
                condition = and_(condition, since >= now - t.window.length)
            conditions.append(condition)
    return or_(*conditions) if conditions else Payment.id.is_(None)


def checked_action(action: str) -> str:
    if action not in BULK_ACTIONS:
        raise BulkError("処理内容を選択してください。")
    return action


@dataclass
class Dropped:
    """An order left out of a selection, and why (Japanese, ends in 「ため」)."""
    number: str  # "" for an id that names no order of the shop (nothing of it is shown)
    reason: str

    @property
    def message(self) -> str:
        if not self.number:
            return "選択内容に未処理一覧にない受注が含まれていたため、その受注を選択から外しました。"
        return f"注文番号 {self.number} は{self.reason}、選択から外しました。"


@dataclass
class Selection:
    """The chosen orders that may run as they were shown (list order), and those left out."""
    orders: list[Order]
    dropped: list[Dropped] = field(default_factory=list)


class Changed(BulkError):
    """Some chosen orders changed (or left the list) after the page showed them: nothing was
    started; ``selection`` holds the others, to be shown again for one more confirmation."""

    def __init__(self, selection: Selection, action: str):
        super().__init__(dropped_headline(action))
        self.selection = selection


def dropped_headline(action: str) -> str:
    return (f"選択した受注の中に、他の操作で状態が変わった受注、または「{BULK_ACTIONS[action]}」"
            "の対象外になった受注があります。")


def states_of(form) -> dict[int, str]:
    """The fingerprints the pages carried (``state-<order id>``): what each order's payment
    was when the operator saw it."""
    states = {}
    for key, value in form.items():
        order_id = key[len("state-"):]
        if key.startswith("state-") and order_id.isascii() and order_id.isdigit() \
                and len(order_id) < 10:
            states[int(order_id)] = str(value)[:200]
    return states


def select_orders(shop_id: int, raw_ids: list[str], action: str = CAPTURE,
                  states: dict[int, str] | None = None) -> Selection:
    """The chosen orders (at most 50) that are still in the 未処理一覧 of the 処理内容 and,
    where the page said what their payment was (``states``), still as shown; the others are
    dropped, each with its reason. Refuses an empty selection and one over the limit."""
    states = states or {}
    raw = [str(i) for i in raw_ids if str(i).strip()]
    if not raw:
        raise BulkError("処理を行う受注を選択してください。")
    # anything but a short run of half-width digits names no order (and int() may refuse it)
    valid = [i for i in raw if i.isascii() and i.isdigit() and len(i) < 10]
    ids = {int(i) for i in valid}
    if len(ids) > MAX_ORDERS:
        raise BulkError(f"一度に処理できるのは{MAX_ORDERS}件までです（{len(ids)}件選択されています）。"
                        f"選択を{MAX_ORDERS}件以下にしてください。")
    listed = db.session.scalars(unprocessed(shop_id, checked_action(action)).where(
        Order.id.in_(ids))).all()
    orders, dropped = [], []
    for order in listed:
        shown = states.get(order.id)
        if shown is not None and shown != operations.fingerprint(order.payment):
            dropped.append(Dropped(order.number, _changed(order.payment, shown)))
        else:
            orders.append(order)
    gone = ids - {o.id for o in listed}
    found = db.session.scalars(select(Order).where(Order.shop_id == shop_id,
                                                   Order.id.in_(gone)).order_by(
        Order.created_at.desc(), Order.id.desc())).all() if gone else []
    for order in found:
        dropped.append(Dropped(order.number, _left(order, states.get(order.id), action)))
    if len(found) < len(gone) or len(valid) < len(raw):
        dropped.append(Dropped("", ""))
    return Selection(orders, dropped)


def checked_selection(shop_id: int, raw_ids: list[str], action: str = CAPTURE,
                      states: dict[int, str] | None = None) -> list[Order]:
    """The chosen orders, in list order, if none of them changed; else Changed."""
    selection = select_orders(shop_id, raw_ids, action, states)
    if selection.dropped:
        raise Changed(selection, action)
    return selection.orders


def _left(order: Order, shown: str | None, action: str) -> str:
    """Why an order of the shop is no longer in the 処理内容's list."""
    payment = order.payment
    if payment is not None and payment.paygent_payment_id and shown is not None \
            and shown != operations.fingerprint(payment):
        return _changed(payment, shown)
    return f"処理済みまたは「{BULK_ACTIONS[action]}」の対象外のため"


def _changed(payment: Payment, shown: str) -> str:
    """「他の操作で状態が変わったため」 with what changed since the page showed it."""
    try:
        trade_id, status, amount = shown.rsplit(":", 2)
        amount = int(amount)
    except ValueError:
        return "他の操作で状態が変わったため"
    if status != payment.status:
        detail = f"（決済状況：{payment.status_name}）"
    elif amount != payment.amount:
        detail = f"（決済額：{amount:,}円 → {payment.amount:,}円）"
    elif trade_id != payment.paygent_payment_id:
        detail = f"（取引ID：{payment.paygent_payment_id}）"
    else:
        detail = ""
    return f"他の操作で状態が変わったため{detail}"


def start(shop_id: int, staff, token: str, raw_ids: list[str],
          action: str = CAPTURE, states: dict[int, str] | None = None) -> BulkRun:
    """Record the run and queue it. The same token (a re-post, a double click) gets the same
    run back instead of a second one. A selection of which an order changed since the
    confirmation page showed it starts nothing (Changed, with the others)."""
    existing = db.session.scalar(select(BulkRun).where(BulkRun.shop_id == shop_id,
                                                       BulkRun.token == token))
    if existing is not None:
        return existing
    orders = checked_selection(shop_id, raw_ids, action, states)
    run = BulkRun(shop_id=shop_id, token=token, staff_id=staff.id, total=len(orders),
                  action=action)
    db.session.add(run)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return db.session.scalar(select(BulkRun).where(BulkRun.shop_id == shop_id,
                                                       BulkRun.token == token))
    db.session.add_all(BulkRunItem(shop_id=shop_id, run_id=run.id, order_id=o.id)
                       for o in orders)
    db.session.commit()
    jobs.submit(execute, run.id)
    return run


def new_token() -> str:
    return uuid.uuid4().hex


def execute(run_id: int) -> None:
    """The job: run the run's operation on every order still to do. The orders are claimed up front
    (the first slots' worth in one transaction, the rest in a second one while the first
    telegrams are out); a bounded number of slots only send telegrams, and each result is
    booked with the run's item and the order's 変更履歴 line in one transaction. An order
    another operation holds is handled on its own (waited for). Started once per queueing
    (queued → running); a resumed run does only what is left."""
    app = current_app._get_current_object()
    started = db.session.execute(update(BulkRun).where(
        BulkRun.id == run_id, BulkRun.status == "queued").values(
        status="running", started_at=utcnow()))
    db.session.commit()
    if started.rowcount != 1:
        return
    run = db.session.get(BulkRun, run_id)
    pending = [(i.id, i.order_id) for i in run.items if i.outcome == "pending"]
    shop_id, staff_id, action = run.shop_id, run.staff_id, run.action
    width = max(1, int(app.config.get("BULK_CONCURRENCY", 8)))
    first, rest = pending[:width], pending[width:]
    claims = _claim_all(shop_id, staff_id, first, action)
    replies: queue.Queue = queue.Queue()
    booker = threading.Thread(target=_book_replies,
                              args=(app, run_id, staff_id, action, replies),
                              name=f"bulk-{run_id}-book")
    booker.start()

    def one(item_id):
        claimed = claims.get(item_id)
        if claimed is not None:  # the slot only sends; the booker books
            try:
                replies.put((item_id, claimed, operations.send(claimed)))
            except Exception:  # left claimed: the periodic round settles it with 094
                log.exception("bulk run %s item %s", run_id, item_id)
                replies.put((item_id, None, None))
            return
        with app.app_context():
            try:
                _run_item(shop_id, staff_id, item_id, action)
            except Exception:  # one order's failure must not stop the others
                log.exception("bulk run %s item %s", run_id, item_id)
                _finish_item(item_id, "failed", "E999", "システムエラー")
            finally:
                db.session.remove()

    try:
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix=f"bulk-{run_id}") as pool:
            sent = [pool.submit(one, item_id) for item_id, _ in first]
            if rest:
                claims.update(_claim_all(shop_id, staff_id, rest, action))
                sent += [pool.submit(one, item_id) for item_id, _ in rest]
            for future in sent:
                future.result()
    finally:
        replies.put(None)
        booker.join()
    db.session.execute(update(BulkRun).where(BulkRun.id == run_id).values(
        status="done", finished_at=utcnow()))
    db.session.commit()


def _book_replies(app, run_id: int, staff_id: int, action: str, replies: queue.Queue) -> None:
    """Book each reply as it comes (the outcome, the run's item, the 変更履歴 line: one
    transaction each), so the sending slots never wait for the database."""
    with app.app_context():
        try:
            while (reply := replies.get()) is not None:
                item_id, claimed, result = reply
                try:
                    if claimed is None:
                        _finish_item(item_id, "failed", "E999", "システムエラー")
                        continue
                    operations.book(claimed, result, also=lambda outcome: _item_booked(
                        run_id, item_id, staff_id, action, _KINDS[outcome.kind], outcome.code,
                        outcome.message))
                except Exception:  # one order's failure must not stop the others
                    log.exception("bulk run %s item %s", run_id, item_id)
                    db.session.rollback()
                    _finish_item(item_id, "failed", "E999", "システムエラー")
        finally:
            db.session.remove()


_KINDS = {"done": "success", "failed": "failed", "unknown": "unknown"}


def _claim_all(shop_id: int, staff_id: int, pending: list[tuple[int, int]],
               action: str) -> dict:
    """Claim the operation of every pending order in one writer transaction: item id → Claimed,
    or None for an order that cannot be claimed now (done or held elsewhere: handled one by
    one). Should the transaction fail, every order is handled one by one."""
    from cart.models import Staff
    claims = {}
    try:
        begin_write()
        staff = db.session.get(Staff, staff_id)
        for item_id, order_id in pending:
            try:
                claims[item_id] = operations.claim_in_transaction(
                    shop_id, order_id, action, staff=staff, source="bulk")
            except operations.Refused:
                claims[item_id] = None
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("bulk run claims for shop %s: handling the orders one by one", shop_id)
        return {}
    return claims


def _run_item(shop_id: int, staff_id: int, item_id: int, action: str) -> None:
    from cart.models import Staff
    item = db.session.get(BulkRunItem, item_id)
    staff = db.session.get(Staff, staff_id)
    order_id = item.order_id
    deadline = time.monotonic() + IN_FLIGHT_WAIT
    while True:
        try:
            outcome = operations.run(shop_id, order_id, action, staff=staff, source="bulk")
            kind = {"done": "success", "failed": "failed", "unknown": "unknown"}[outcome.kind]
            _finish_item(item_id, kind, outcome.code, outcome.message)
            return
        except operations.Refused as refused:
            db.session.rollback()
            db.session.expire_all()
            payment = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
            if payment is not None and \
                    payment.status in payment.lib.settled(action, payment.variant)[0]:
                _finish_item(item_id, "success", "",
                             f"処理済み（他の操作で{BULK_ACTIONS[action]}済み）")
                return
            if payment is not None and payment.in_flight_attempt_id and \
                    time.monotonic() < deadline:
                # Another run or a click on the order page has it: wait for its outcome
                # rather than report a failure that is not one.
                time.sleep(0.2)
                continue
            _finish_item(item_id, "failed", "RULE", str(refused))
            return


def _finish_item(item_id: int, outcome: str, code: str, message: str) -> None:
    """Book one order's result (not an operation's outcome, which ``operations.book`` books
    with the item) in a transaction of its own."""
    try:
        begin_write()
        item = db.session.get(BulkRunItem, item_id)
        run = db.session.get(BulkRun, item.run_id)
        _item_booked(run.id, item_id, run.staff_id, run.action, outcome, code, message)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _item_booked(run_id: int, item_id: int, staff_id: int, action: str, outcome: str,
                 code: str, message: str) -> bool:
    """In the caller's writer transaction: the item's result, the run's counters and the
    order's 変更履歴 line; once per item, even if a resumed run overlaps the one it replaced."""
    from cart.models import Staff
    booked = db.session.execute(update(BulkRunItem).where(
        BulkRunItem.id == item_id, BulkRunItem.outcome == "pending").values(
        outcome=outcome, code=code or "", message=(message or "")[:300],
        finished_at=utcnow()).returning(BulkRunItem.order_id))
    order_id = booked.scalar()
    if order_id is None:
        return False
    counter = BulkRun.succeeded if outcome == "success" else BulkRun.failed
    db.session.execute(update(BulkRun).where(BulkRun.id == run_id).values(
        {counter: counter + 1}))
    order = db.session.get(Order, order_id)
    history.record(order, f"注文番号 : {order.number} 外部決済一括処理（{BULK_ACTIONS[action]}） : "
                          f"{log_text(outcome, code)}",
                   db.session.get(Staff, staff_id))
    return True


def resume_interrupted(limit: int = 100) -> list[int]:
    """Queue again the runs whose process stopped: queued or running for longer than any run
    can take (JOB_TIMEOUT). Each resumes with the orders it had not finished; open payment
    operations are settled first by the same periodic round. Returns the run ids."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["JOB_TIMEOUT"])
    stale = or_(and_(BulkRun.status == "queued", BulkRun.created_at < cutoff),
                and_(BulkRun.status == "running", BulkRun.started_at < cutoff))
    resumed = []
    for run_id in db.session.scalars(select(BulkRun.id).where(stale).order_by(BulkRun.id)
                                      .limit(limit)).all():
        requeued = db.session.execute(update(BulkRun).where(BulkRun.id == run_id, stale)
                                      .values(status="queued"))
        db.session.commit()
        if requeued.rowcount == 1:
            log.warning("bulk run %s was interrupted: resuming it", run_id)
            jobs.submit(execute, run_id)
            resumed.append(run_id)
    return resumed


def recent_runs(shop_id: int) -> list[BulkRun]:
    return db.session.scalars(select(BulkRun).where(BulkRun.shop_id == shop_id)
                              .order_by(BulkRun.id.desc()).limit(LOG_SIZE)).all()
