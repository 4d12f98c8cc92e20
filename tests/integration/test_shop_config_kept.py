"""The storefront keeps what it read of a shop's configuration between requests
(cart/shop_config.py); every change to it is seen by the next request all the same."""
from sqlalchemy import select, update

from cart.extensions import db
from cart.models import DeliveryMethod, PaymentMethod, Shop, ShopSettings

from .checkout_helpers import add_to_cart, delivery, fill_zero_step, method, shop

NOT_PAIRED = "選択された配送方法では、このお支払い方法はご利用いただけません。"


def _cart(client) -> str:
    return client.get("/s/demo/cart").get_data(as_text=True)


def test_a_second_visit_reads_no_configuration_rows(client, shops, app):
    """What the first visit read is kept: the next one reads only the shop and the cart."""
    from sqlalchemy import event
    add_to_cart(client)
    _cart(client)
    tables = []

    def seen(_conn, _cursor, statement, *_):
        tables.append(statement.split(" FROM ", 1)[-1].split()[0] if " FROM " in statement
                      else statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert "宅配便" in _cart(client)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert not {"shop_settings", "delivery_methods", "payment_methods",
                "paygent_accounts"} & set(tables), tables


def test_changed_delivery_fee_and_settings_are_shown_at_once(client, shops):
    add_to_cart(client)
    assert "携帯電話番号<" in _cart(client)
    courier = delivery("宅配便")
    courier.fee = 1234
    db.session.scalar(select(ShopSettings).where(
        ShopSettings.shop_id == shop().id)).mobile_visible = False
    db.session.commit()
    page = _cart(client)
    assert "1,234円" in page
    assert "携帯電話番号<" not in page


def test_a_pairing_removed_is_refused_at_once(client, shops):
    add_to_cart(client)
    assert NOT_PAIRED not in fill_zero_step(client, kind="cod").get_data(as_text=True)
    courier = delivery("宅配便")
    courier.payment_methods = [m for m in courier.payment_methods if m.kind != "cod"]
    db.session.commit()
    assert NOT_PAIRED in fill_zero_step(client, kind="cod").get_data(as_text=True)


def test_a_method_taken_out_of_use_is_no_longer_offered(client, shops):
    add_to_cart(client)
    offered = 'name="payment_method" value="%d"' % method("bank_transfer").id
    assert offered in _cart(client)
    method("bank_transfer").in_use = False
    db.session.commit()
    assert offered not in _cart(client)


def test_every_configuration_change_raises_the_shops_version(client, shops):
    version = shop().config_version
    delivery("宅配便").name = "宅配便（新）"
    db.session.commit()
    db.session.expire_all()
    assert shop().config_version == version + 1
    other = db.session.scalar(select(Shop).where(Shop.code == "demo3"))
    before_other = other.config_version
    method("paidy").note = "注意書き"
    db.session.commit()
    db.session.expire_all()
    assert shop().config_version == version + 2
    assert db.session.get(Shop, other.id).config_version == before_other  # its own shop only


def test_a_change_rolled_back_is_never_kept(client, shops):
    """A transaction that changed the configuration neither keeps nor uses kept rows: what it
    reads is uncommitted and may be rolled back, while its version number is taken again by
    the next real change."""
    add_to_cart(client)
    _cart(client)
    courier = delivery("宅配便")
    courier.fee = 555
    db.session.flush()  # the version moves in this transaction
    assert "555円" in _cart(client)  # this transaction sees its own change
    db.session.rollback()
    delivery("宅配便").name = "宅配便（翌日）"  # a real change: the same version number again
    db.session.commit()
    page = _cart(client)
    assert "宅配便（翌日）" in page and "555円" not in page
