"""What the checkout's buyer fields start with for a signed-in member."""
from sqlalchemy import select

from cart.extensions import db
from cart.members.session import current_member
from cart.models import Member, MemberAddress


def member_buyer(member: Member) -> dict:
    """The member's data as the checkout's buyer fields."""
    return {"buyer_name": member.name, "buyer_kana": member.kana, "zip_code": member.zip_code,
            "prefecture": member.prefecture, "city": member.city, "street": member.street,
            "building": member.building, "tel": member.tel, "mobile": member.mobile,
            "email": member.email}


def address_buyer(address: MemberAddress) -> dict:
    """An お届け先 as the buyer fields it fills (email and mobile stay the member's)."""
    return {"buyer_name": address.name, "buyer_kana": address.kana,
            "zip_code": address.zip_code, "prefecture": address.prefecture,
            "city": address.city, "street": address.street, "building": address.building,
            "tel": address.tel}


def addresses_of(member: Member) -> list[MemberAddress]:
    return db.session.scalars(select(MemberAddress).where(
        MemberAddress.shop_id == member.shop_id, MemberAddress.member_id == member.id)
        .order_by(MemberAddress.id)).all()


def checkout_prefill(shop, saved_buyer: dict | None, address_id=None) -> tuple[dict, list]:
    """(buyer fields to start from, the member's お届け先) for the checkout's buyer form.

    A guest gets ({}, []) without a query. A member's fields start from their data when
    nothing was entered yet; ``address_id`` (one of their お届け先, chosen on the page) puts
    that address in place of what is there."""
    member = current_member(shop)
    if member is None:
        return {}, []
    addresses = addresses_of(member)
    data = {} if saved_buyer else member_buyer(member)
    chosen = next((a for a in addresses if str(a.id) == str(address_id)), None) \
        if address_id else None
    if chosen is not None:
        if saved_buyer:
            data = dict(saved_buyer)
        data.update(address_buyer(chosen))
    elif address_id == "member":
        data = member_buyer(member)
    return data, addresses
