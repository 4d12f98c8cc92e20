"""Members' stored cards (カード情報お預かり機能): registered from a token with 025 (PAYGENT's
カード有効性チェック first when the shop asks for it), listed with 027, deleted with 026. The row
mirrors what 027 shows: PAYGENT's customer_card_id, the masked number and the expiry. Each
telegram goes out with no transaction open; its outcome is booked after."""
from sqlalchemy import select

from cart.extensions import db, transaction
from cart.gateway import account_for, client_for
from cart.methods.card.config import card_settings_for
from cart.models import Member, StoredCard, Subscription
from cart.models.base import utcnow
from payments.paygent import stored_card as wire
from payments.paygent.results import Outcome

MAX_CARDS = 5
REGISTER_FAILED = ("カードを登録できませんでした。カード情報をご確認のうえ、もう一度お試しいただくか、"
                   "別のカードをご利用ください。")
UNAVAILABLE = "ただいまカードの登録・削除を受け付けられません。時間をおいて再度お試しください。"
IN_USE = ("このカードは継続中の定期購入のお支払いに使われているため削除できません。"
          "先に定期購入のカードを変更してください。")
TOO_MANY = f"登録できるカードは{MAX_CARDS}枚までです。不要なカードを削除してから登録してください。"


class CardStoreError(Exception):
    """What the member is told when the card store refused or could not be reached."""


def cards_of(member: Member) -> list[StoredCard]:
    return db.session.scalars(select(StoredCard).where(
        StoredCard.shop_id == member.shop_id, StoredCard.member_id == member.id,
        StoredCard.deleted_at.is_(None)).order_by(StoredCard.id)).all()


def register(member: Member, token: str) -> int:
    """025 for the token's card, then 027 for how it shows; returns the new row's id."""
    if len(cards_of(member)) >= MAX_CARDS:
        raise CardStoreError(TOO_MANY)
    settings = card_settings_for(member.shop_id)
    shop_id, customer_id, member_id = member.shop_id, member.paygent_customer_id, member.id
    client = client_for(account_for(shop_id))
    db.session.commit()  # nothing stays open while PAYGENT answers
    try:
        done = wire.register_card(client, customer_id, (token or "").strip()[:200],
                                  valid_check=bool(settings and settings.card_validity_check))
    except ValueError:
        raise CardStoreError(REGISTER_FAILED) from None
    if done.outcome is Outcome.ERROR:
        raise CardStoreError(UNAVAILABLE if done.code.startswith(("P", "E", "9"))
                             else REGISTER_FAILED)
    listed = wire.list_cards(client, customer_id)
    card_id = done.customer_card_id
    if not done.ok:  # no answer: PAYGENT's list tells whether the card was stored
        known = set(db.session.scalars(select(StoredCard.customer_card_id).where(
            StoredCard.shop_id == shop_id, StoredCard.member_id == member_id)))
        new = [c for c in listed.cards if c.customer_card_id not in known]
        if len(new) != 1:
            raise CardStoreError(UNAVAILABLE)
        card_id = new[0].customer_card_id
    shown = next((c for c in listed.cards if c.customer_card_id == card_id), None)
    with transaction():
        existing = db.session.scalar(select(StoredCard).where(
            StoredCard.shop_id == shop_id, StoredCard.member_id == member_id,
            StoredCard.customer_card_id == card_id[:30]))
        if existing is not None:  # the same card again: PAYGENT kept one
            existing.deleted_at = None
            return existing.id
        row = StoredCard(shop_id=shop_id, member_id=member_id,
                         customer_card_id=card_id[:30],
                         masked=(shown.masked_card_number if shown else "")[:24],
                         expiry=(shown.expiry if shown else "")[:5],
                         brand=(shown.card_brand if shown else "")[:20])
        db.session.add(row)
        db.session.flush()
        return row.id


def delete(member: Member, card_id: int) -> None:
    """026, then the row is marked deleted; a card an active subscription pays with stays."""
    card = db.session.scalar(select(StoredCard).where(
        StoredCard.shop_id == member.shop_id, StoredCard.member_id == member.id,
        StoredCard.id == card_id, StoredCard.deleted_at.is_(None)))
    if card is None:
        raise LookupError(card_id)
    in_use = db.session.scalar(select(Subscription.id).where(
        Subscription.shop_id == member.shop_id, Subscription.stored_card_id == card.id,
        Subscription.status == "active").limit(1))
    if in_use is not None:
        raise CardStoreError(IN_USE)
    shop_id, customer_id, card_ref = member.shop_id, member.paygent_customer_id, card.customer_card_id
    client = client_for(account_for(shop_id))
    db.session.commit()
    done = wire.delete_card(client, customer_id, card_ref)
    if not done.ok and done.code != wire.CARD_NOT_FOUND:  # already gone at PAYGENT: fine
        raise CardStoreError(UNAVAILABLE)
    with transaction():
        row = db.session.get(StoredCard, card_id)
        row.deleted_at = utcnow()
