"""オーソリ期限切れ間近のお知らせ: a step of the periodic round that mails a shop's owners, once a
day, the orders waiting for 売上確定 whose authorisation lapses within 7 days.

Invariants (docs/deadlines.md):
- at most one mail a day (JST) per shop, however many workers run the round at once: the
  ``ExpiryNotice`` row of (shop, day) is inserted in the transaction that queues the mail, and
  its unique key refuses a second one (that transaction rolls back, queuing nothing);
- no mail when the shop turned the setting off, or when nothing lapses;
- each shop's mail lists its own orders only.
"""
import logging

from flask import current_app, render_template
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from cart import deadlines, mail, operations
from cart.extensions import db, transaction
from cart.models import Order, Payment, Shop, ShopSettings, Staff
from cart.models.base import JST
from cart.models.store_settings import ExpiryNotice

log = logging.getLogger("cart.expiry_watch")
LISTED = 50   # orders a mail lists one by one (the rest are counted)


def mail_enabled(shop_id: int) -> bool:
    """The shop's 「オーソリ期限切れ間近のお知らせメール」 (on unless turned off)."""
    value = db.session.scalar(select(ShopSettings.expiry_mail).where(
        ShopSettings.shop_id == shop_id))
    return value is not False


def send_expiry_mails(days: int = deadlines.WARN_DAYS) -> dict:
    """The round's step: each shop with authorisations lapsing within ``days`` (one query for
    which) and the setting on gets its mail, unless it had today's already."""
    now = operations.now()
    today = now.astimezone(JST).date()
    shop_ids = db.session.scalars(
        select(Payment.shop_id).distinct().join(Order, Order.id == Payment.order_id).where(
            Order.status != "pending_payment", Payment.paygent_payment_id != "",
            Order.capture_mode == "auth", deadlines.expiring_condition(days, now),
            ~exists().where(ExpiryNotice.shop_id == Payment.shop_id,
                            ExpiryNotice.sent_on == today))).all()
    db.session.commit()
    sent = 0
    for shop_id in sorted(shop_ids):
        try:
            sent += send_for(shop_id, now, days)
        except IntegrityError:   # another worker sent today's mail first
            db.session.rollback()
        except Exception:
            log.exception("expiry mail of shop %s", shop_id)
            db.session.rollback()
    return {"sent": sent}


def send_for(shop_id: int, now, days: int = deadlines.WARN_DAYS) -> int:
    """Queue the shop's mail for ``now``'s day; 1 when queued, 0 when off, nothing lapses, no
    owner has an address or it was sent today. IntegrityError when another transaction wrote
    today's row first."""
    today = now.astimezone(JST).date()
    if not mail_enabled(shop_id):
        db.session.rollback()
        return 0
    with transaction():
        watch = deadlines.watch(shop_id, days, now, limit=LISTED)
        owners = db.session.scalars(select(Staff.email).where(
            Staff.shop_id == shop_id, Staff.role == "owner", Staff.active.is_(True))
            .order_by(Staff.id)).all()
        if not watch.count or not owners:
            return 0
        db.session.add(ExpiryNotice(shop_id=shop_id, sent_on=today, count=watch.count,
                                    total=watch.total))
        db.session.flush()   # the unique (shop, day): a second one fails here, before any mail
        shop = db.session.get(Shop, shop_id)
        body = render_template(
            "mail/expiry_watch.txt", shop=shop, watch=watch,
            link=f"{current_app.config['PUBLIC_BASE_URL']}/admin/bulk/?action=capture"
                 f"&expiring={days}")
        subject = f"【{shop.name}】オーソリ期限切れ間近のお知らせ（{watch.count}件）"
        for address in dict.fromkeys(owners):
            mail.queue(shop_id, address, subject, body)
    return 1
