"""Shop mail: written to the outbox in the caller's transaction, sent by SMTP after commit.

The outbox row is the record (the admin reads it); SMTP is used only when MAIL_URL is set, by a
background job submitted once the transaction that queued the mail has committed, so neither a
rolled-back change nor a slow mail server reaches the request that made it.
"""
import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from flask import current_app, render_template
from sqlalchemy import inspect, select

from cart.extensions import after_commit, db
from cart.models import OutboxMail, PaymentMethod
from cart.models.base import utcnow
from cart.shop_settings import listed_methods, settings_for

log = logging.getLogger("cart.mail")
COPY_PREFIX = "【受注通知用コピーメール】"


def queue(shop_id: int, to_addr: str, subject: str, body: str, order_id=None) -> OutboxMail:
    mail = OutboxMail(shop_id=shop_id, order_id=order_id, to_addr=to_addr, subject=subject,
                      body=body)
    db.session.add(mail)
    if current_app.config.get("MAIL_URL"):
        after_commit(_send_later, mail)
    return mail


def _send_later(mail: OutboxMail) -> None:
    key = inspect(mail).identity  # known once flushed; reading it needs no query
    if key:
        from cart import jobs
        jobs.submit(deliver_pending, [key[0]])


def queue_order_mails(order) -> list[OutboxMail]:
    """サンクスメール to the buyer and its copy to the shop (K8)."""
    settings = stored_settings(order.shop_id)
    method = _method_of(order)
    note = method.note if method and method.note_in_thanks_mail else ""
    body = render_template("mail/thanks.txt", order=order, shop=order_shop(order), note=note,
                           method=method)
    subject = settings.thanks_mail_subject if settings else "ご注文ありがとうございました"
    mails = [queue(order.shop_id, order.email, subject, body, order.id)]
    if settings and settings.shop_email:
        mails.append(queue(order.shop_id, settings.shop_email, COPY_PREFIX + subject, body,
                           order.id))
    return mails


def stored_settings(shop_id: int):
    """The shop's stored settings row, or None."""
    settings = settings_for(shop_id)
    return settings if settings.id is not None else None


def _method_of(order):
    """The order's payment method as the shop has it now (None once removed)."""
    if not order.payment_method_id:
        return None
    listed = next((m for m in listed_methods(order.shop_id) if m.id == order.payment_method_id),
                  None)
    return listed or db.session.get(PaymentMethod, order.payment_method_id)


def queue_shop_alert(order, subject: str, body: str) -> None:
    settings = stored_settings(order.shop_id)
    if settings and settings.shop_email:
        queue(order.shop_id, settings.shop_email, subject, body, order.id)


def order_shop(order):
    from cart.models import Shop
    return db.session.get(Shop, order.shop_id)


def deliver_pending(mail_ids: list[int]) -> None:
    """Send outbox rows by SMTP when configured (a job, run after the queuing commit)."""
    url = current_app.config.get("MAIL_URL")
    if not url or not mail_ids:
        return
    target = urlparse(url)
    for mail in db.session.scalars(select(OutboxMail).where(
            OutboxMail.id.in_(mail_ids), OutboxMail.sent_at.is_(None))):
        message = EmailMessage()
        message["From"] = current_app.config["MAIL_FROM"]
        message["To"] = mail.to_addr
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        try:
            smtp_class = smtplib.SMTP_SSL if target.scheme == "smtps" else smtplib.SMTP
            with smtp_class(target.hostname, target.port or 25, timeout=10) as smtp:
                if target.username:
                    smtp.login(unquote(target.username), unquote(target.password or ""))
                smtp.send_message(message)
            mail.sent_at = utcnow()
        except (OSError, smtplib.SMTPException) as exc:
            mail.error = type(exc).__name__
            log.warning("mail %s to shop %s not sent: %s", mail.id, mail.shop_id,
                        type(exc).__name__)
    db.session.commit()
