"""受注一覧's 外部決済注文番号 finds a payment by a 取引ID it had before (a partial refund or
金額変更 moves the payment to a new one): an index of payment_attempts on (shop_id,
paygent_payment_id), the 取引ID each operation was sent with.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 23:10:00

"""
from alembic import op


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_payment_attempts_shop_payment_id',
                              ['shop_id', 'paygent_payment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_attempts_shop_payment_id')
