"""The dashboard's 売上集計 reads a shop's payments by the day they were authorised or
captured and its refunds by the day they finished: indexes on payments (shop_id,
authorized_at), (shop_id, captured_at) and payment_attempts (shop_id, finished_at), so a big
shop's 30 days are found without reading its whole history.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 04:10:00

"""
from alembic import op


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_shop_authorized', ['shop_id', 'authorized_at'],
                              unique=False)
        batch_op.create_index('ix_payments_shop_captured', ['shop_id', 'captured_at'],
                              unique=False)
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_payment_attempts_shop_finished', ['shop_id', 'finished_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_attempts_shop_finished')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_shop_captured')
        batch_op.drop_index('ix_payments_shop_authorized')
