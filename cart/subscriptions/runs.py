"""Due runs: each date, a shop's repeat orders are created (stock reserved) and authorised in
one PAYGENT file payment (seed 002's 一括オーソリ), without the manual steps.

1. **Create** (one transaction): the run row, unique per shop, date and 取引種別 (a second run
   on the same date finds it and creates nothing), one 決済処理中 order per due subscription
   (its next date moves one cycle on), the run's items and the authorisation file.
2. **Send** (automatic mode): the run is claimed (created/unknown → sending) and committed,
   200 goes out with PAYGENT's duplicate check, the receipt number is booked (sent). A timeout
   leaves it unknown: the next round sends the same file again, and PAYGENT's duplicate check
   answers with the receipt it already gave.
3. **Result**: 201 until PAYGENT has processed the file (9103 meanwhile), then each record is
   booked under its order's row: OK → the order is accepted (オーソリOK, in 未処理一覧 for bulk
   売上); NG → 決済失敗, its stock given back, the member mailed to update the card. A record
   already booked is skipped, so a result read twice (201 again, the manual upload) books once.

Manual mode keeps seed 002's path: staff download 「ペイジェントCSV」, upload it on PAYGENT's
site, and upload the result file here, which is booked as in step 3.
"""
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app, render_template
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from cart import history, mail, stock
from cart.acceptance import accept_payment
from cart.checkout.orders import next_number
from cart.extensions import begin_write, db, transaction
from cart.gateway import account_for, client_for
from cart.methods import registry
from cart.methods.card.config import card_settings_for
from cart.models import DeliveryMethod, Order, OrderItem, PaymentMethod, Shop
from cart.models.base import utcnow
from cart.models.member import Member
from cart.models.subscription import FilePaymentRun, FilePaymentRunItem, Subscription
from cart.pricing import Line, totals
from cart.subscriptions import cycles
from cart.subscriptions.services import AUTO, BUYER_FIELDS, record as record_subscription
from payments.methods import card as card_lib
from payments.paygent import file_payment as wire
from payments.paygent.results import Outcome

log = logging.getLogger("cart.subscriptions")
KIND = "020"
SOURCE = "ファイル決済"
SENDING_TIMEOUT = timedelta(minutes=10)  # longer than any 200 can take
NO_CARD = "お支払いに使うカードが登録されていないため、注文を作成できませんでした。"


@dataclass
class RunReport:
    """What a run did, for the CLI and the admin page."""
    run: FilePaymentRun | None
    created: int = 0
    skipped: list[str] = field(default_factory=list)  # why a due subscription made no order


# -- 1. create --------------------------------------------------------------------------------
def run_due(shop: Shop, day: date, send_now: bool = True) -> RunReport:
    """The shop's run of ``day``: created once, then sent and its result asked for (automatic
    mode) as far as PAYGENT has got."""
    report = create_run(shop, day)
    if report.run is not None and send_now:
        advance(shop, report.run.id)
        report.run = db.session.get(FilePaymentRun, report.run.id)
    return report


def create_run(shop: Shop, day: date) -> RunReport:
    existing = _run_of(shop.id, day)
    if existing is not None:
        return RunReport(existing)
    settings = card_settings_for(shop.id)
    account = account_for(shop.id)
    report = RunReport(None)
    try:
        with transaction():
            run = FilePaymentRun(shop_id=shop.id, due_date=day, kind=KIND,
                                 mode=getattr(settings, "file_payment_mode", "auto") or "auto",
                                 file_name=f"auth_{shop.code}_{day:%Y%m%d}.csv"[:60])
            db.session.add(run)
            db.session.flush()  # the unique key: a racing run of the same date stops here
            due = db.session.scalars(select(Subscription).where(
                Subscription.shop_id == shop.id, Subscription.status == "active",
                Subscription.next_date <= day).order_by(Subscription.id).with_for_update()
            ).all()
            records = []
            for sub in due:
                item = _repeat_order(shop, run, sub, day, report)
                if item is not None:
                    records.append(wire.AuthRecord(
                        trading_id=item.trading_id, amount=item.amount,
                        customer_id=item.customer_id,
                        previous_trading_id=item.previous_trading_id))
            run.records, run.amount = len(records), sum(r.amount for r in records)
            if records:
                run.request_file = wire.build_auth_file(account.merchant_id, records, KIND)
            else:
                run.state, run.finished_at = "done", utcnow()
            report.run, report.created = run, len(records)
    except IntegrityError:
        db.session.rollback()
        return RunReport(_run_of(shop.id, day))
    return report


def _run_of(shop_id: int, day: date) -> FilePaymentRun | None:
    return db.session.scalar(select(FilePaymentRun).where(
        FilePaymentRun.shop_id == shop_id, FilePaymentRun.due_date == day,
        FilePaymentRun.kind == KIND))


def _repeat_order(shop: Shop, run: FilePaymentRun, sub: Subscription, day: date,
                  report: RunReport) -> FilePaymentRunItem | None:
    """One due subscription's repeat order (決済処理中, stock reserved) and the run's record of
    it; the subscription's next date moves past ``day``. None (with a history line, the date
    kept so that the next day's run tries again) when it cannot be made."""
    member = db.session.get(Member, sub.member_id)
    card = sub.stored_card
    problem = None
    if member is None or not member.active:
        problem = "会員が無効なため、注文を作成できませんでした。"
    elif card is None or card.deleted_at is not None:
        problem = NO_CARD
    method = db.session.get(PaymentMethod, sub.payment_method_id) if sub.payment_method_id \
        else None
    if problem is None and (method is None or method.kind != card_lib.CARD.code):
        problem = "お支払い方法（クレジットカード決済）が見つからないため、注文を作成できませんでした。"
    if problem is not None:
        record_subscription(sub, f"{sub.next_date:%Y/%m/%d} 分：{problem}", AUTO)
        report.skipped.append(f"定期購入 #{sub.id}: {problem}")
        return None
    delivery = db.session.get(DeliveryMethod, sub.delivery_method_id) \
        if sub.delivery_method_id else None
    lines = [Line(i.product_id, i.code, i.name, i.unit_price, i.quantity, i.tax_rate)
             for i in sub.items]
    shipping = 0 if delivery is None or delivery.fee_undetermined else delivery.fee
    money = totals(lines, shipping)
    savepoint = db.session.begin_nested()
    try:
        stock.reserve(shop.id, lines)
    except stock.OutOfStock as short:
        savepoint.rollback()
        text = f"{sub.next_date:%Y/%m/%d} 分：「{short}」の在庫が不足しているため、注文を作成できませんでした。"
        record_subscription(sub, text, AUTO)
        report.skipped.append(f"定期購入 #{sub.id}: {text}")
        return None
    savepoint.commit()
    previous = db.session.get(Order, sub.last_order_id) if sub.last_order_id else None
    order = Order(shop_id=shop.id, number=next_number(shop.id), status="pending_payment",
                  cart_type=previous.cart_type if previous is not None else "zero",
                  capture_mode=registry.get(method.kind).capture_mode(shop.id),
                  delivery_method_id=delivery.id if delivery else None,
                  delivery_name=delivery.name if delivery else
                  (previous.delivery_name if previous is not None else ""),
                  payment_method_id=method.id, payment_kind=method.kind,
                  payment_name=method.name, items_total=money.items_total,
                  shipping_fee=money.shipping_fee, target10=money.target10,
                  target8=money.target8, tax10=money.tax10, tax8=money.tax8, total=money.total,
                  stock_reserved=True, reserved_at=utcnow(), subscription_id=sub.id,
                  member_id=sub.member_id,
                  **{key: getattr(sub, key) for key in BUYER_FIELDS})
    for line in lines:
        order.items.append(OrderItem(shop_id=shop.id, product_id=line.product_id,
                                     code=line.code, name=line.name,
                                     unit_price=line.unit_price, quantity=line.quantity,
                                     tax_rate=line.tax_rate, subtotal=line.subtotal))
    db.session.add(order)
    db.session.flush()
    delivered = sub.next_date
    next_date = delivered
    while next_date <= day:  # a long pause makes one order, not one per missed date
        next_date = cycles.after(next_date, sub.cycle, sub.anchor_day)
    sub.next_date, sub.skipped_date = next_date, None
    sub.times += 1
    sub.last_order_id = order.id
    history.record(order, f"注文番号 : {order.number} 定期購入 {sub.times}回目の注文を作成"
                          f"（{delivered:%Y/%m/%d} 分、{SOURCE}でオーソリ、決済処理中）")
    record_subscription(sub, f"{sub.times}回目の注文を作成（注文番号 : {order.number}、"
                             f"{delivered:%Y/%m/%d} 分、合計 {order.total:,}円、次回お届け予定日 : "
                             f"{sub.next_date:%Y/%m/%d}）", AUTO)
    item = FilePaymentRunItem(shop_id=shop.id, run_id=run.id, order_id=order.id,
                              subscription_id=sub.id, trading_id=order.number,
                              amount=order.total, customer_id=member.paygent_customer_id,
                              previous_trading_id=previous.number if previous is not None
                              else "")
    db.session.add(item)
    return item


# -- 2. send ----------------------------------------------------------------------------------
def advance(shop: Shop, run_id: int) -> str:
    """Move an automatic run as far as PAYGENT has got: send it (created, unknown), ask for its
    result (sent). Returns the run's state."""
    run = db.session.get(FilePaymentRun, run_id)
    if run is None or run.shop_id != shop.id:
        return "missing"
    if run.mode == "auto" and run.state in ("created", "unknown"):
        send(shop, run_id)
        run = db.session.get(FilePaymentRun, run_id)
    if run.state == "sent":
        check(shop, run_id)
        run = db.session.get(FilePaymentRun, run_id)
    return run.state


def send(shop: Shop, run_id: int) -> str:
    """200 for a claimed run, once however many rounds and clicks ask at the same time."""
    with transaction():
        claimed = db.session.execute(update(FilePaymentRun).where(
            FilePaymentRun.id == run_id, FilePaymentRun.shop_id == shop.id,
            FilePaymentRun.mode == "auto",
            FilePaymentRun.state.in_(("created", "unknown"))).values(
            state="sending", sent_at=utcnow()).execution_options(
            synchronize_session=False)).rowcount == 1
        run = db.session.get(FilePaymentRun, run_id)
        data, name = run.request_file, run.file_name
    if not claimed:
        return run.state
    account = account_for(shop.id)
    sent = wire.send_file(client_for(account), data, name, duplicate_check=True)
    with transaction():
        run = db.session.scalar(select(FilePaymentRun).where(
            FilePaymentRun.id == run_id).with_for_update().execution_options(
            populate_existing=True))
        if run.state != "sending":
            return run.state
        run.code, run.message = sent.code or "", sent.message or ""
        if sent.receipt:  # accepted now, or the duplicate check's earlier receipt
            run.state, run.receipt = "sent", sent.receipt[:30]
        elif sent.outcome is Outcome.UNKNOWN:
            run.state = "unknown"
        else:
            run.state, run.finished_at = "failed", utcnow()
            _alert(shop, run, f"ファイル決済の送信がエラーになりました（{run.code}）：{run.message}")
        return run.state


def reset_failed(shop: Shop, run_id: int, staff=None) -> bool:
    """再送信 of a run PAYGENT refused (after the cause is fixed): it goes out again."""
    with transaction():
        return db.session.execute(update(FilePaymentRun).where(
            FilePaymentRun.id == run_id, FilePaymentRun.shop_id == shop.id,
            FilePaymentRun.mode == "auto", FilePaymentRun.state == "failed",
            FilePaymentRun.ok_count + FilePaymentRun.ng_count == 0).values(
            state="created", finished_at=None, code="", message="").execution_options(
            synchronize_session=False)).rowcount == 1


# -- 3. result --------------------------------------------------------------------------------
def check(shop: Shop, run_id: int) -> str:
    """201 for a sent run; books the result once PAYGENT has it."""
    run = db.session.get(FilePaymentRun, run_id)
    if run is None or run.state != "sent":
        return run.state if run is not None else "missing"
    receipt = run.receipt
    db.session.commit()
    fetched = wire.fetch_result(client_for(account_for(shop.id)), receipt)
    with transaction():
        run = db.session.get(FilePaymentRun, run_id)
        run.checked_at = utcnow()
        if fetched.state == "done" and fetched.file is not None:
            book_result(shop, run, fetched.file, fetched.data)
        elif fetched.state == "error":
            run.code, run.message = fetched.code or "", fetched.message or ""
        return run.state


def book_result(shop: Shop, run: FilePaymentRun, result: "wire.ResultFile", data: bytes,
                staff=None) -> dict:
    """Book each record of a result file in the caller's transaction; returns counts of
    ok, ng, already (booked before) and unknown (records that are not this run's)."""
    begin_write()
    items = {item.trading_id: item for item in db.session.scalars(
        select(FilePaymentRunItem).where(FilePaymentRunItem.run_id == run.id))}
    counts = {"ok": 0, "ng": 0, "already": 0, "unknown": 0}
    for rec in result.records:
        item = items.get(rec.trading_id)
        if item is None or rec.amount != item.amount:
            counts["unknown"] += 1
            continue
        if item.result:
            counts["already"] += 1
            continue
        _book_record(shop, item, rec, staff)
        counts[item.result] += 1
    run.ok_count = sum(1 for i in items.values() if i.result == "ok")
    run.ng_count = sum(1 for i in items.values() if i.result == "ng")
    run.result_file = data
    if all(i.result for i in items.values()):
        run.state, run.finished_at = "done", utcnow()
    if run.ng_count and counts["ng"]:
        _alert(shop, run, f"ファイル決済でオーソリNGが {counts['ng']}件ありました。"
                          "受注一覧の決済失敗をご確認ください。")
    return counts


def _book_record(shop: Shop, item: FilePaymentRunItem, rec, staff) -> None:
    order = db.session.scalar(select(Order).where(Order.id == item.order_id).with_for_update()
                              .execution_options(populate_existing=True))
    item.code, item.detail = (rec.response_code or "")[:10], (rec.response_detail or "")[:300]
    item.booked_at = utcnow()
    if rec.ok:
        item.result, item.payment_id = "ok", (rec.payment_id or "")[:20]
        accept_payment(order, card_lib.CARD, None, item.payment_id, card_lib.AUTHORIZED,
                       item.amount, SOURCE)
        return
    item.result = "ng"
    if order.status != "pending_payment":
        return
    stock.release(order)
    order.status, order.cancelled_at = "payment_failed", utcnow()
    detail = f"（エラーコード:{item.code}、{item.detail}）" if item.code or item.detail else ""
    history.record(order, f"注文番号 : {order.number} クレジット オーソリNG{detail}"
                          f"（{SOURCE}）、決済失敗", staff)
    sub = db.session.get(Subscription, item.subscription_id)
    record_subscription(sub, f"注文番号 : {order.number} のオーソリがNGになりました{detail}",
                        AUTO)
    body = render_template("mail/subscription_card_failed.txt", order=order, shop=shop,
                           mypage_url=f"{current_app.config['PUBLIC_BASE_URL']}/s/{shop.code}"
                                      "/member/cards")
    mail.queue(shop.id, order.email, "【重要】定期購入のお支払いができませんでした", body, order.id)


def _alert(shop: Shop, run: FilePaymentRun, text: str) -> None:
    settings = mail.stored_settings(shop.id)
    if settings and settings.shop_email:
        mail.queue(shop.id, settings.shop_email, f"【定期購入】{run.due_date:%Y/%m/%d} 分の一括オーソリ",
                   text)


def _settle_interrupted(shop: Shop) -> None:
    """A run left ``sending`` (the process stopped between the claim and the booking of 200's
    answer) is unknown: the next send of the same bytes is answered by PAYGENT's duplicate
    check with the receipt it gave, or is taken now if the first never arrived."""
    with transaction():
        db.session.execute(update(FilePaymentRun).where(
            FilePaymentRun.shop_id == shop.id, FilePaymentRun.state == "sending",
            FilePaymentRun.sent_at < utcnow() - SENDING_TIMEOUT).values(
            state="unknown").execution_options(synchronize_session=False))


# -- the round and the CLI -------------------------------------------------------------------
def due_round(day: date | None = None, shop_code: str | None = None) -> dict:
    """The periodic round (and ``flask subscriptions run``): each shop's run of the day, and
    every automatic run still waiting for PAYGENT."""
    day = day or cycles.today()
    query = select(Shop).order_by(Shop.id)
    if shop_code:
        query = query.where(Shop.code == shop_code)
    shops = db.session.scalars(query).all()
    counts = {"runs": 0, "orders": 0, "waiting": 0, "errors": 0}
    for shop in shops:
        try:
            has_due = db.session.scalar(select(Subscription.id).where(
                Subscription.shop_id == shop.id, Subscription.status == "active",
                Subscription.next_date <= day).limit(1)) is not None
            if has_due or _run_of(shop.id, day) is not None:
                report = run_due(shop, day)
                counts["runs"] += 1
                counts["orders"] += report.created
            _settle_interrupted(shop)
            for run_id in db.session.scalars(select(FilePaymentRun.id).where(
                    FilePaymentRun.shop_id == shop.id, FilePaymentRun.mode == "auto",
                    FilePaymentRun.state.in_(("sent", "unknown")))).all():
                if advance(shop, run_id) != "done":
                    counts["waiting"] += 1
        except Exception:
            log.exception("subscription run of shop %s on %s", shop.code, day)
            db.session.rollback()
            counts["errors"] += 1
    return counts
