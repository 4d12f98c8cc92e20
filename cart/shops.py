"""Shops (tenants) and their staff accounts, as the operator commands and the demo create them."""
import re

from sqlalchemy import select

from cart.extensions import db
from cart.models import Shop, ShopSettings, Staff

SHOP_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,31}\Z")


def create_shop(code: str, name: str, owner_email: str, owner_password: str) -> Shop:
    """Create a shop and its first owner; raises ValueError with a readable reason."""
    if not SHOP_CODE.match(code):
        raise ValueError("shop code must be 2-32 lower-case letters, digits or '-'")
    if not name.strip():
        raise ValueError("shop name must not be empty")
    if len(owner_password) < 8:
        raise ValueError("owner password must be at least 8 characters")
    if db.session.scalar(select(Shop).where(Shop.code == code)):
        raise ValueError(f"shop code {code!r} is taken")
    if db.session.scalar(select(Staff).where(Staff.email == owner_email.lower())):
        raise ValueError(f"{owner_email} already belongs to a shop")
    shop = Shop(code=code, name=name.strip())
    db.session.add(shop)
    db.session.flush()
    add_staff(shop, owner_email, owner_password, "owner", "オーナー")
    db.session.add(ShopSettings(shop_id=shop.id, cart_type="zero", mobile_visible=True,
                                mobile_required=False, shop_email=owner_email.lower()))
    db.session.commit()
    return shop


def add_staff(shop: Shop, email: str, password: str, role: str, name: str = "") -> Staff:
    staff = Staff(shop_id=shop.id, email=email.lower(), role=role, name=name)
    staff.set_password(password)
    db.session.add(staff)
    return staff
