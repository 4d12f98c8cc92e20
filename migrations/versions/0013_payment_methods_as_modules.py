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

from cart.migration_support import check_foreign_keys as _check_foreign_keys
from cart.migration_support import foreign_keys_off as _foreign_keys_off


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


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
