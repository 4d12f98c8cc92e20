"""the reconciliation of open payments with PAYGENT (094).

照合レポート: the last check of each open payment (ours as it was, PAYGENT's answer, whether they
differ or could not be had, when), one row per payment; and each shop's reconciliation state
(who runs it now, what its last run found).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 03:40:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reconcile_checks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('paygent_payment_id', sa.String(length=18), nullable=False),
        sa.Column('our_status', sa.String(length=2), nullable=False),
        sa.Column('our_amount', sa.Integer(), nullable=False),
        sa.Column('paygent_status', sa.String(length=2), nullable=False),
        sa.Column('paygent_amount', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=10), nullable=False),
        sa.Column('detail', sa.String(length=300), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
        sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], ),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('payment_id', name='uq_reconcile_checks_payment'),
    )
    with op.batch_alter_table('reconcile_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconcile_checks_shop_id'), ['shop_id'],
                              unique=False)
        batch_op.create_index('ix_reconcile_checks_shop_outcome',
                              ['shop_id', 'outcome', 'checked_at'], unique=False)
    op.create_table(
        'reconcile_states',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_token', sa.String(length=32), nullable=True),
        sa.Column('running_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_checked', sa.Integer(), nullable=False),
        sa.Column('last_differing', sa.Integer(), nullable=False),
        sa.Column('last_unchecked', sa.Integer(), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('shop_id', name='uq_reconcile_states_shop'),
    )
    with op.batch_alter_table('reconcile_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconcile_states_shop_id'), ['shop_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('reconcile_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconcile_states_shop_id'))
    op.drop_table('reconcile_states')
    with op.batch_alter_table('reconcile_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_reconcile_checks_shop_outcome')
        batch_op.drop_index(batch_op.f('ix_reconcile_checks_shop_id'))
    op.drop_table('reconcile_checks')
