"""What a member or a staff member can do to a subscription, each change with its history
line, in the caller's transaction. The row is locked first, so a change and a due run on
the same subscription take turns."""
from sqlalchemy import select

from cart.extensions import begin_write, db
from cart.models import Order, OrderItem, Product
from cart.models.subscription import StoredCard, Subscription, SubscriptionHistory, SubscriptionItem
from cart.models.base import utcnow
from cart.subscriptions import cycles

MEMBER = "会員"
AUTO = "自動"


class SubscriptionError(Exception):
    """A change the subscription's state does not allow; the message says why."""


def actor_of(staff=None) -> str:
    return (staff.name or staff.email) if staff is not None else MEMBER


def record(sub: Subscription, text: str, actor: str) -> None:
    db.session.add(SubscriptionHistory(shop_id=sub.shop_id, subscription_id=sub.id,
                                       actor=actor[:100], text=text))


def history_of(sub: Subscription) -> list[SubscriptionHistory]:
    return db.session.scalars(select(SubscriptionHistory).where(
        SubscriptionHistory.shop_id == sub.shop_id,
        SubscriptionHistory.subscription_id == sub.id).order_by(
        SubscriptionHistory.id.desc())).all()


def offered_cycles(sub: Subscription) -> list[str]:
    """The cycles every product of the subscription offers now (to change to)."""
    ids = [i.product_id for i in sub.items if i.product_id]
    offers = [cycles.offered(p.subscription_cycles) for p in db.session.scalars(
        select(Product).where(Product.shop_id == sub.shop_id, Product.id.in_(ids)))] if ids \
        else []
    if not offers:
        return []
    common = set.intersection(*(set(o) for o in offers))
    return [c for c in offers[0] if c in common]


def locked(shop_id: int, sub_id: int, member_id: int | None = None) -> Subscription | None:
    """The subscription re-read under its row lock (a member sees only their own)."""
    begin_write()
    query = select(Subscription).where(Subscription.shop_id == shop_id,
                                       Subscription.id == sub_id)
    if member_id is not None:
        query = query.where(Subscription.member_id == member_id)
    return db.session.scalar(query.with_for_update().execution_options(populate_existing=True))


def create_from_order(order: Order, items: list[OrderItem], cycle: str, member_id: int,
                      stored_card_id: int | None) -> Subscription:
    """The subscription a member's first 定期購入 order starts: items and prices as bought,
    the order's buyer and address, the card it was paid with; the next delivery one cycle
    after the order's date."""
    start = cycles.today(order.placed_at or utcnow())
    sub = Subscription(shop_id=order.shop_id, member_id=member_id, status="active",
                       cycle=cycle, anchor_day=start.day,
                       next_date=cycles.after(start, cycle, start.day),
                       stored_card_id=stored_card_id,
                       delivery_method_id=order.delivery_method_id,
                       payment_method_id=order.payment_method_id, first_order_id=order.id,
                       last_order_id=order.id, times=1,
                       **{key: getattr(order, key) for key in BUYER_FIELDS})
    for item in items:
        sub.items.append(SubscriptionItem(
            shop_id=order.shop_id, product_id=item.product_id, code=item.code, name=item.name,
            unit_price=item.unit_price, quantity=item.quantity, tax_rate=item.tax_rate))
    db.session.add(sub)
    db.session.flush()
    order.subscription_id = sub.id
    record(sub, f"定期購入を開始（{cycles.label(cycle)}、初回 注文番号 : {order.number}、"
                f"次回お届け予定日 : {sub.next_date:%Y/%m/%d}）", MEMBER)
    return sub


BUYER_FIELDS = ("buyer_name", "buyer_kana", "zip_code", "prefecture", "city", "street",
                "building", "tel", "mobile", "email")


def _active(sub: Subscription) -> None:
    if sub.status != "active":
        raise SubscriptionError("解約済みの定期購入は変更できません。")


def skip_next(sub: Subscription, actor: str) -> None:
    """次回をスキップ: the next delivery moves one cycle on."""
    _active(sub)
    skipped = sub.next_date
    sub.next_date = cycles.after(skipped, sub.cycle, sub.anchor_day)
    sub.skipped_date = skipped
    record(sub, f"{skipped:%Y/%m/%d} のお届けをスキップ（次回お届け予定日 : "
                f"{sub.next_date:%Y/%m/%d}）", actor)


def undo_skip(sub: Subscription, actor: str, today=None) -> None:
    """スキップを取り消す: the skipped delivery comes back, if its date has not passed."""
    _active(sub)
    day = today or cycles.today()
    if sub.skipped_date is None:
        raise SubscriptionError("スキップしたお届けはありません。")
    if sub.skipped_date < day:
        raise SubscriptionError("スキップしたお届け日を過ぎているため、取り消せません。")
    sub.next_date, sub.skipped_date = sub.skipped_date, None
    record(sub, f"スキップを取り消し（次回お届け予定日 : {sub.next_date:%Y/%m/%d}）", actor)


def change_cycle(sub: Subscription, cycle: str, offered: list[str], actor: str) -> None:
    """お届け間隔の変更: among the cycles the product offers (kept when no longer offered)."""
    _active(sub)
    if cycle not in offered and cycle != sub.cycle:
        raise SubscriptionError("選択できないお届け間隔です。")
    if cycle == sub.cycle:
        return
    old = sub.cycle
    sub.cycle = cycle
    record(sub, f"お届け間隔を変更（{cycles.label(old)} → {cycles.label(cycle)}、"
                f"次回お届け予定日 : {sub.next_date:%Y/%m/%d}）", actor)


def change_next_date(sub: Subscription, day, actor: str, today=None) -> None:
    """次回お届け予定日の変更 (staff): any date after today."""
    _active(sub)
    if day <= (today or cycles.today()):
        raise SubscriptionError("次回お届け予定日は明日以降の日付を指定してください。")
    old = sub.next_date
    sub.next_date, sub.skipped_date = day, None
    record(sub, f"次回お届け予定日を変更（{old:%Y/%m/%d} → {day:%Y/%m/%d}）", actor)


def change_card(sub: Subscription, card: StoredCard, actor: str) -> None:
    _active(sub)
    if card.member_id != sub.member_id or card.deleted_at is not None:
        raise SubscriptionError("このカードは選択できません。")
    sub.stored_card_id = card.id
    record(sub, f"お支払いに使うカードを変更（{card.label}）", actor)


def stop(sub: Subscription, actor: str) -> None:
    """解約."""
    _active(sub)
    sub.status, sub.stopped_at = "stopped", utcnow()
    record(sub, "定期購入を解約", actor)


def resume(sub: Subscription, actor: str, today=None) -> None:
    """再開 (staff): the next delivery one cycle from today, or the planned one if later."""
    if sub.status == "active":
        raise SubscriptionError("この定期購入は継続中です。")
    day = today or cycles.today()
    if sub.next_date <= day:
        sub.next_date = cycles.after(day, sub.cycle, sub.anchor_day)
    sub.status, sub.stopped_at, sub.skipped_date = "active", None, None
    record(sub, f"定期購入を再開（次回お届け予定日 : {sub.next_date:%Y/%m/%d}）", actor)
