"""Migration 0013 on a database that holds every kind of order and payment the cart has made.

A fresh database is upgraded to 0012 and filled with plain SQL in the old shape (the models
describe 0013): one shop, its staff, the three payment methods, and orders in every state —
決済処理中 without a payment, 新規受付 with a Paidy payment at each PAYGENT status (one partly
refunded, one with an attempt in flight), 受注完了, キャンセル and basic-method orders. Then
0013 runs: every payment becomes Paidy's with its ``pay_…`` id as ``reference`` and nothing
else moves; the downgrade brings the old shape and the data back. SQLite always, PostgreSQL
too when TEST_POSTGRES_URL is set.
"""
import os
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import g
from flask_migrate import downgrade, upgrade
from sqlalchemy import DateTime, bindparam, create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from cart import create_app
from cart.config import TestConfig
from cart.extensions import db
from cart.models import Order, Payment, PaymentMethod
from payments import methods

from ..conftest import csrf_token

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
BEFORE, AFTER = "0012", "0013"

STAFF_EMAIL = "owner@m0013.test"
STAFF_PASSWORD = "password-0013"

# PAYGENT's names of the Paidy statuses (seed 003 §2.3), as the order pages read them.
PAIDY_STATUS_NAMES = {
    "20": "オーソリOK", "30": "売上要求中", "31": "オーソリ取消中", "32": "オーソリ取消済",
    "33": "オーソリ期限切", "40": "消込済", "41": "消込済(売上取消期限切)", "42": "返金要求中",
    "60": "売上取消済",
}
# The shop's domain tables; the migration may change payments and payment_methods only.
TABLES = {
    "shops": "id", "shop_settings": "id", "staff": "id", "delivery_methods": "id",
    "payment_methods": "id", "delivery_payment_methods": "delivery_method_id, payment_method_id",
    "orders": "id", "order_items": "id", "order_history": "id", "payments": "id",
    "payment_attempts": "id",
}

T0 = datetime(2026, 11, 25, 1, 2, 3, 456789, tzinfo=timezone.utc)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# -- plain SQL ------------------------------------------------------------------------------
def insert(conn, table: str, returning: bool = True, **values):
    """INSERT one row; datetimes are bound as the column type binds them (SQLite stores text)."""
    names = list(values)
    sql = (f"INSERT INTO {table} ({', '.join(names)}) "
           f"VALUES ({', '.join(':' + name for name in names)})")
    statement = text(sql + (" RETURNING id" if returning else "")).bindparams(
        *(bindparam(name, type_=DateTime(timezone=True))
          for name, value in values.items() if isinstance(value, datetime)))
    result = conn.execute(statement, values)
    return result.scalar_one() if returning else None


def listed(ids) -> str:
    return ", ".join(str(int(i)) for i in ids)


def snapshot(conn) -> dict[str, list[dict]]:
    return {table: [dict(row) for row in conn.execute(
        text(f"SELECT * FROM {table} ORDER BY {order}")).mappings()]
        for table, order in TABLES.items()}


def schema_of(engine, table: str) -> dict:
    """What a migration must keep or restore: columns, keys, checks and indexes."""
    found = inspect(engine)
    return {
        "columns": sorted((c["name"], str(c["type"]), c["nullable"], c.get("default"))
                          for c in found.get_columns(table)),
        "unique": sorted((u["name"], tuple(u["column_names"]))
                         for u in found.get_unique_constraints(table)),
        "checks": sorted((c["name"], re.sub(r"\s+", " ", c["sqltext"]))
                         for c in found.get_check_constraints(table)),
        "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                          for i in found.get_indexes(table)),
        "foreign_keys": sorted((f["name"], tuple(f["constrained_columns"]), f["referred_table"],
                                tuple(f["referred_columns"]))
                               for f in found.get_foreign_keys(table)),
    }


def new_kind_row(shop_id: int, position: int) -> dict:
    """A payment method of a kind the 0012 CHECK did not list."""
    return dict(kind="konbini", position=position, configured=False, in_use=False,
                hide_under=None, hide_from=None, note="", note_on_payment_page=True,
                note_in_thanks_mail=False, banner="320x100", instructions="", shop_id=shop_id,
                created_at=at(100), updated_at=at(100))


# -- the old-shape data ---------------------------------------------------------------------
def order_row(shop_id: int, number: int, status: str, method: dict, delivery_id: int,
              **extra) -> dict:
    row = dict(
        number=f"20261125-{number:04d}", status=status, cart_type="zero", capture_mode="auth",
        buyer_name="山田 太郎", buyer_kana="ヤマダ タロウ", zip_code="150-0001",
        prefecture="東京都", city="渋谷区神宮前", street="1-2-3", building="移行ビル 4F",
        tel="03-1234-5678", mobile="090-1234-5678", email=f"buyer{number}@example.jp",
        delivery_method_id=delivery_id, delivery_name="宅配便", payment_method_id=method["id"],
        payment_kind=method["kind"], payment_name=method["name"], items_total=5000,
        shipping_fee=0, target10=5000, target8=0, tax10=454, tax8=0, total=5000,
        stock_reserved=False, needs_review=False, placed_at=at(number), shop_id=shop_id,
        created_at=at(number), updated_at=at(number + 1), adjust_label="", adjust10=0,
        adjust8=0, version=1, completed_at=None, cancelled_at=None, reserved_at=None,
        checkout_token=None, client_address="203.0.113.7")
    row.update(extra)
    return row


def payment_row(shop_id: int, order_id: int, number: int, status: str, **extra) -> dict:
    row = dict(
        order_id=order_id, paidy_payment_id=f"pay_M0013{number:04d}{status}x",
        paygent_payment_id=f"{700000000000000000 + number}", status=status, amount=5000,
        authorized_at=at(number), captured_at=None, cancelled_at=None, refunded_at=None,
        refunded=0, in_flight_attempt_id=None, shop_id=shop_id, created_at=at(number),
        updated_at=at(number + 2))
    row.update(extra)
    return row


def attempt_row(shop_id: int, payment: dict, payment_id: int, staff_id: int, action: str,
                outcome: str, created_at: datetime, **extra) -> dict:
    row = dict(
        key=uuid.uuid4().hex, payment_id=payment_id, order_id=payment["order_id"],
        action=action, amount=None, paygent_payment_id=payment["paygent_payment_id"],
        outcome=outcome, code="", detail="", new_payment_id="", source="order",
        staff_id=staff_id, created_at=created_at, finished_at=None, shop_id=shop_id)
    row.update(extra)
    return row


def seed(conn) -> dict:
    """Everything in the 0012 shape; returns the ids the tests look for."""
    shop = insert(conn, "shops", code="m0013", name="移行テスト商店", created_at=at(0),
                  updated_at=at(0))
    insert(conn, "shop_settings", cart_type="zero", mobile_visible=True, mobile_required=False,
           shop_email=STAFF_EMAIL, thanks_mail_subject="ご注文ありがとうございました",
           conversion_tag="", pending_cancel_days=7, order_seq=20, shop_id=shop,
           created_at=at(0), updated_at=at(0))
    staff = insert(conn, "staff", email=STAFF_EMAIL, name="オーナー", role="owner",
                   password_hash=generate_password_hash(STAFF_PASSWORD,
                                                        method="pbkdf2:sha256:1000"),
                   active=True, session_version=3, shop_id=shop, created_at=at(0),
                   updated_at=at(0))
    delivery = insert(conn, "delivery_methods", name="宅配便", fee=0, fee_undetermined=False,
                      position=0, active=True, shop_id=shop, created_at=at(0),
                      updated_at=at(0))
    kinds = {}
    for position, (kind, name, configured) in enumerate((
            ("paidy", "あと払い(ペイディ)", True), ("bank_transfer", "銀行振込", True),
            ("cod", "代金引換", False))):
        method_id = insert(
            conn, "payment_methods", kind=kind, position=position, configured=configured,
            in_use=True, hide_under=1000 if kind == "cod" else None,
            hide_from=300000 if kind == "cod" else None, note=f"{name}の注意書き",
            note_on_payment_page=True, note_in_thanks_mail=kind != "paidy", banner="320x100",
            instructions="振込先: 移行銀行" if kind == "bank_transfer" else "", shop_id=shop,
            created_at=at(0), updated_at=at(position))
        insert(conn, "delivery_payment_methods", returning=False, delivery_method_id=delivery,
               payment_method_id=method_id)
        kinds[kind] = dict(id=method_id, kind=kind, name=name)

    orders, payments = {}, {}
    number = 0

    def add_order(label: str, status: str, kind: str, **extra) -> int:
        nonlocal number
        number += 1
        order_id = insert(conn, "orders", **order_row(shop, number, status, kinds[kind],
                                                      delivery, **extra))
        insert(conn, "order_items", order_id=order_id, product_id=None, code=f"M-{number}",
               name="移行テスト商品", unit_price=5000, quantity=1, tax_rate=10, subtotal=5000,
               shop_id=shop)
        orders[label] = order_id
        return order_id

    def add_payment(label: str, status: str, **extra) -> dict:
        row = payment_row(shop, orders[label], number, status, **extra)
        payments[label] = dict(row, id=insert(conn, "payments", **row))
        return payments[label]

    # 決済処理中: the shopper is still at Paidy; stock held, no payment yet.
    add_order("pending", "pending_payment", "paidy", placed_at=None, stock_reserved=True,
              reserved_at=at(1), checkout_token="c" * 32)
    # 新規受付 with a Paidy payment at each PAYGENT status.
    for status in PAIDY_STATUS_NAMES:
        add_order(f"paidy-{status}", "new", "paidy", needs_review=status in ("30", "31", "42"))
        extra = {}
        if status in ("40", "41", "42", "60"):
            extra["captured_at"] = at(number + 1)
        if status == "32":
            extra["cancelled_at"] = at(number + 1)
        if status == "60":
            extra.update(refunded=5000, refunded_at=at(number + 2))
        add_payment(f"paidy-{status}", status, **extra)
    # A partial refund: PAYGENT keeps the rest (4,000円) as a new payment at 消込済.
    add_order("partial-refund", "new", "paidy")
    partial = add_payment("partial-refund", "40", amount=4000, refunded=1000,
                          captured_at=at(number + 1), refunded_at=at(number + 2),
                          paygent_payment_id="799999999999999999")
    insert(conn, "payment_attempts", **attempt_row(
        shop, partial, partial["id"], staff, "refund", "succeeded", at(number + 2),
        amount=1000, paygent_payment_id=f"{700000000000000000 + number}",
        new_payment_id="799999999999999999", finished_at=at(number + 2)))
    # 売上確定 sent and not answered yet: the payment is claimed by its attempt.
    add_order("in-flight", "new", "paidy")
    in_flight = add_payment("in-flight", "20")
    claimed = insert(conn, "payment_attempts", **attempt_row(
        shop, in_flight, in_flight["id"], staff, "capture", "claimed",
        datetime.now(timezone.utc) - timedelta(seconds=5)))
    conn.execute(text("UPDATE payments SET in_flight_attempt_id = :a WHERE id = :p"),
                 {"a": claimed, "p": in_flight["id"]})
    in_flight["in_flight_attempt_id"] = claimed
    # 受注完了 (captured) and キャンセル (authorisation cancelled).
    add_order("completed", "completed", "paidy", completed_at=at(number + 3), version=3)
    add_payment("completed", "40", captured_at=at(number + 1))
    add_order("cancelled", "cancelled", "paidy", cancelled_at=at(number + 3), version=2,
              adjust_label="値引き", adjust10=-500, total=4500)
    add_payment("cancelled", "32", cancelled_at=at(number + 2))
    conn.execute(text("INSERT INTO order_history (order_id, staff_id, actor, text, created_at, "
                      "shop_id) VALUES (:o, :s, 'オーナー', 'キャンセルを実行', :at, :shop)")
                 .bindparams(bindparam("at", type_=DateTime(timezone=True))),
                 {"o": orders["cancelled"], "s": staff, "at": at(number + 3), "shop": shop})
    # Basic methods: settled between shop and buyer, never a payment row.
    add_order("bank-new", "new", "bank_transfer")
    add_order("bank-completed", "completed", "bank_transfer", completed_at=at(number + 1))
    add_order("cod-new", "new", "cod")
    add_order("cod-cancelled", "cancelled", "cod", cancelled_at=at(number + 1))
    return dict(shop=shop, staff=staff, orders=orders, payments=payments, attempt=claimed)


# -- the database ---------------------------------------------------------------------------
class Migrated:
    def __init__(self, app, backend, ids, before, schema_before):
        self.app, self.backend, self.ids = app, backend, ids
        self.before, self.schema_before = before, schema_before
        self.after = snapshot_now()


def snapshot_now():
    with db.engine.connect() as conn:
        return snapshot(conn)


def _pg_admin():
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="module", params=["sqlite"] + (["postgresql"] if POSTGRES_URL else []))
def migrated(request, tmp_path_factory):
    """One database per backend: filled at 0012, then upgraded to head."""
    name = None
    if request.param == "postgresql":
        name = f"cart_m0013_{uuid.uuid4().hex[:12]}"
        with _pg_admin().connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('m0013') / 'cart.sqlite3'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)

    @app.teardown_request
    def forget_request_globals(exc):  # the module holds one app context open
        for key in list(g):
            g.pop(key)

    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            ids = seed(conn)
        with db.engine.connect() as conn:
            before = snapshot(conn)
        schema_before = {t: schema_of(db.engine, t) for t in ("payments", "payment_methods")}
        upgrade()
        yield Migrated(app, request.param, ids, before, schema_before)
        app.extensions["jobs"].wait_idle(30)
        db.session.remove()
        db.engine.dispose()
    if name:
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def current_revision() -> str:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def expected_after(before: dict) -> dict:
    """The 0012 data as 0013 must hold it: payments are Paidy's, the pay_… id is the reference."""
    expected = dict(before)
    payments = []
    for row in before["payments"]:
        row = dict(row)
        row["reference"] = row.pop("paidy_payment_id")
        row["method"] = "paidy"
        payments.append(row)
    expected["payments"] = payments
    return expected


# -- upgrade --------------------------------------------------------------------------------
def test_the_data_covers_every_state(migrated):
    orders = {row["id"]: row for row in migrated.before["orders"]}
    assert {row["status"] for row in orders.values()} == {
        "pending_payment", "new", "completed", "cancelled"}
    assert {row["status"] for row in migrated.before["payments"]} == set(PAIDY_STATUS_NAMES)
    assert {row["kind"] for row in migrated.before["payment_methods"]} == {
        "paidy", "bank_transfer", "cod"}
    paid = {row["order_id"] for row in migrated.before["payments"]}
    assert {orders[i]["payment_kind"] for i in set(orders) - paid} == {
        "paidy", "bank_transfer", "cod"}  # 決済処理中 and the basic methods have no payment
    assert any(row["refunded"] and row["amount"] < 5000 for row in migrated.before["payments"])
    assert any(row["in_flight_attempt_id"] for row in migrated.before["payments"])


def head() -> str:
    """The newest revision (later ones may follow 0013)."""
    import os

    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory
    config = AlembicConfig()
    config.set_main_option("script_location",
                           os.path.join(os.path.dirname(__file__), "..", "..", "migrations"))
    (newest,) = ScriptDirectory.from_config(config).get_heads()
    return newest


def test_upgrade_reaches_head(migrated):
    """From 0012 through 0013 to the newest revision."""
    assert current_revision() == head()


def test_payments_become_paidy_with_their_pay_id_as_reference(migrated):
    payments = migrated.after["payments"]
    assert len(payments) == len(migrated.before["payments"]) == len(migrated.ids["payments"])
    assert {row["method"] for row in payments} == {"paidy"}
    by_id = {row["id"]: row for row in payments}
    for label, seeded in migrated.ids["payments"].items():
        assert by_id[seeded["id"]]["reference"] == seeded["paidy_payment_id"], label
        assert by_id[seeded["id"]]["reference"].startswith("pay_")
    assert all("paidy_payment_id" not in row for row in payments)


def test_nothing_else_moves(migrated):
    """Every other column of payments (status, amounts, timestamps, the in-flight claim) and
    every other table, orders and attempts included, hold exactly what they held."""
    expected = expected_after(migrated.before)
    for table in TABLES:
        # columns later revisions added are theirs to test
        after = [{key: row[key] for key in want} for row, want in
                 zip(migrated.after[table], expected[table])]
        assert len(migrated.after[table]) == len(expected[table]), table
        assert after == expected[table], table
    by_id = {row["id"]: row for row in migrated.after["payments"]}
    in_flight = by_id[migrated.ids["payments"]["in-flight"]["id"]]
    assert in_flight["in_flight_attempt_id"] == migrated.ids["attempt"]
    partial = by_id[migrated.ids["payments"]["partial-refund"]["id"]]
    assert (partial["amount"], partial["refunded"], partial["status"]) == (4000, 1000, "40")


def test_the_schema_is_the_models(migrated):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
    payments = schema_of(db.engine, "payments")
    columns = {name: (nullable, default) for name, _, nullable, default in payments["columns"]}
    assert "paidy_payment_id" not in columns
    assert columns["reference"][0] is True
    assert columns["method"] == (False, None)  # the fill-in default is gone
    assert ("uq_payments_method_reference", ("method", "reference")) in payments["unique"]
    assert "uq_payments_paidy_payment_id" not in {name for name, _ in payments["unique"]}
    assert {name for name, *_ in payments["indexes"]} >= {
        "ix_payments_paygent_payment_id", "ix_payments_shop_id"}
    assert payments["foreign_keys"] == migrated.schema_before["payments"]["foreign_keys"]
    assert schema_of(db.engine, "payment_methods")["checks"] == []


def assert_references_enforced(migrated) -> None:
    """SQLite rebuilds the tables with foreign keys off; the app's connections enforce them."""
    if migrated.backend == "sqlite":
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    ids = migrated.ids
    with pytest.raises(IntegrityError):  # an attempt of a payment that does not exist
        with db.engine.begin() as conn:
            insert(conn, "payment_attempts", **attempt_row(
                ids["shop"], ids["payments"]["paidy-20"], 999999, ids["staff"], "capture",
                "claimed", at(100)))


def test_references_are_enforced_after_the_rebuild(migrated):
    assert_references_enforced(migrated)


# -- the new shape's rules ------------------------------------------------------------------
def test_a_reference_is_unique_per_method_only(migrated):
    ids = migrated.ids
    taken = ids["payments"]["paidy-20"]["paidy_payment_id"]
    added = []

    def add(order: str, method: str, reference: str | None) -> None:
        row = payment_row(ids["shop"], ids["orders"][order], 90, "", method=method,
                          reference=reference, paygent_payment_id="", authorized_at=None)
        del row["paidy_payment_id"]
        with db.engine.begin() as conn:
            added.append(insert(conn, "payments", **row))

    try:
        add("bank-new", "bank_transfer", taken)         # another method, the same reference
        add("cod-new", "cod", None)                     # no reference at all...
        add("cod-cancelled", "cod", None)               # ...for as many payments as need one
        with pytest.raises(IntegrityError):
            add("pending", "paidy", taken)              # Paidy's pay_… id twice
        with pytest.raises(IntegrityError):
            add("bank-completed", "bank_transfer", taken)
        add("bank-completed", "bank_transfer", "BT-0001")
        assert len(added) == 4
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT method, reference FROM payments WHERE id IN "
                                     f"({listed(added)}) ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("bank_transfer", taken), ("cod", None),
                                            ("cod", None), ("bank_transfer", "BT-0001")]
    finally:
        if added:
            with db.engine.begin() as conn:
                conn.execute(text(f"DELETE FROM payments WHERE id IN ({listed(added)})"))


def test_a_payment_method_of_a_new_kind_can_be_stored(migrated):
    with db.engine.begin() as conn:
        new = insert(conn, "payment_methods", **new_kind_row(migrated.ids["shop"], 3))
    try:
        with pytest.raises(IntegrityError):  # still one row per kind and shop
            with db.engine.begin() as conn:
                insert(conn, "payment_methods", **new_kind_row(migrated.ids["shop"], 4))
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM payment_methods WHERE id = :id"), {"id": new})


# -- the app on the migrated data -----------------------------------------------------------
def test_the_models_read_the_migrated_payments(migrated):
    db.session.remove()
    payments = db.session.scalars(select(Payment).order_by(Payment.id)).all()
    assert len(payments) == len(migrated.ids["payments"])
    for payment in payments:
        assert payment.method == "paidy" and payment.lib is methods.PAIDY
        assert payment.lib.status_name(payment.status) == PAIDY_STATUS_NAMES[payment.status]
        assert payment.order.payment is payment
    for label, seeded in migrated.ids["payments"].items():
        found = db.session.scalar(select(Payment).where(
            Payment.method == methods.PAIDY.code,
            Payment.reference == seeded["paidy_payment_id"]))
        assert found is not None and found.id == seeded["id"], label
    kinds = {m.kind: m.lib for m in db.session.scalars(select(PaymentMethod))}
    assert kinds == {"paidy": methods.PAIDY, "bank_transfer": methods.BANK_TRANSFER,
                     "cod": methods.COD}
    basic = db.session.get(Order, migrated.ids["orders"]["cod-new"])
    assert basic.payment is None
    db.session.remove()


def test_the_order_pages_render(migrated):
    client = migrated.app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    signed_in = client.post("/admin/login", data={
        "email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": csrf_token(page)})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    numbers = {row["id"]: row["number"] for row in migrated.after["orders"]}
    payments = {row["order_id"]: row for row in migrated.after["payments"]}
    for label, order_id in migrated.ids["orders"].items():
        response = client.get(f"/admin/orders/{order_id}")
        assert response.status_code == 200, label
        html = response.get_data(as_text=True)
        assert numbers[order_id] in html, label
        if order_id in payments:
            assert payments[order_id]["paygent_payment_id"] in html, label
    db.session.remove()


# -- downgrade ------------------------------------------------------------------------------
def test_downgrade_brings_the_old_shape_and_data_back(migrated):
    db.session.remove()
    downgrade(revision=BEFORE)
    try:
        assert current_revision() == BEFORE
        with db.engine.connect() as conn:
            restored = snapshot(conn)
        for table in TABLES:
            assert restored[table] == migrated.before[table], table
        for table in ("payments", "payment_methods"):
            assert schema_of(db.engine, table) == migrated.schema_before[table], table
        with pytest.raises(IntegrityError):  # the CHECK on kind is back
            with db.engine.begin() as conn:
                insert(conn, "payment_methods", **new_kind_row(migrated.ids["shop"], 3))
    finally:
        upgrade()
    assert current_revision() == head()
    assert snapshot_now() == migrated.after
    assert_references_enforced(migrated)
