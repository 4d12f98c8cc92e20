"""Payments of any method: ``payments.method`` names the method's module and the Paidy
``pay_…`` id becomes the method's own ``reference`` (nullable, unique per method); payment
methods are no longer limited to three kinds by a CHECK (the method modules say which exist).
Existing payments were all Paidy's.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 11:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import event


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _foreign_keys_off() -> None:
    """SQLite alters these tables by rebuilding them, and dropping the old copy of a table
    that other rows reference fails while foreign keys are enforced (payment_attempts →
    payments) or deletes those rows (delivery_payment_methods → payment_methods, ON DELETE
    CASCADE). Enforcement is off for the rebuild: SQLite takes the pragma only outside a
    transaction, which is where each revision starts; it is on again when the connection
    goes back to its pool (the revision's transaction has ended by then)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        return
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("foreign keys could not be turned off: a transaction is open")
    rebuilt = bind.connection.dbapi_connection

    def enforce_again(dbapi_connection, _record):
        if dbapi_connection is rebuilt:
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

    event.listen(bind.engine.pool, "checkin", enforce_again)


def _check_foreign_keys() -> None:
    """The rebuilt tables keep their ids, so every reference still holds; SQLite checks."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"references broken by the table rebuild: {broken}")


def upgrade():
    _foreign_keys_off()
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("method", sa.String(length=20), nullable=False,
                                   server_default="paidy"))
        batch.alter_column("paidy_payment_id", new_column_name="reference",
                           existing_type=sa.String(length=64), nullable=True)
        batch.drop_constraint("uq_payments_paidy_payment_id", type_="unique")
    with op.batch_alter_table("payments") as batch:
        batch.alter_column("method", server_default=None, existing_type=sa.String(length=20),
                           existing_nullable=False)
        batch.create_unique_constraint("uq_payments_method_reference", ["method", "reference"])
    with op.batch_alter_table("payment_methods") as batch:
        batch.drop_constraint(op.f("ck_payment_methods_kind"), type_="check")
    _check_foreign_keys()


def downgrade():
    _foreign_keys_off()
    with op.batch_alter_table("payment_methods") as batch:
        batch.create_check_constraint("kind", "kind IN ('paidy', 'bank_transfer', 'cod')")
    op.execute("UPDATE payments SET reference = '' WHERE reference IS NULL")
    with op.batch_alter_table("payments") as batch:
        batch.drop_constraint("uq_payments_method_reference", type_="unique")
        batch.alter_column("reference", new_column_name="paidy_payment_id",
                           existing_type=sa.String(length=64), nullable=False)
        batch.drop_column("method")
    # A batch drops a constraint on a column it renames; the old one comes back after.
    with op.batch_alter_table("payments") as batch:
        batch.create_unique_constraint("uq_payments_paidy_payment_id", ["paidy_payment_id"])
    _check_foreign_keys()
