"""コンビニ決済, ATM決済 and 銀行ネット決済: their settings per shop, each order's application,
and the order statuses 入金待ち and 入金済み.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 18:10:00

"""
import sqlalchemy as sa
from alembic import op

from cart.migration_support import check_foreign_keys, foreign_keys_off


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('pending_payment', 'new', 'completed', 'cancelled')"
NEW_STATUSES = ("status IN ('pending_payment', 'new', 'awaiting_payment', 'paid', "
                "'completed', 'cancelled')")


def upgrade():
    foreign_keys_off()  # SQLite rebuilds orders, which other tables reference
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_orders_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_orders_status'), sa.text(NEW_STATUSES))
    check_foreign_keys()
    op.create_table(
        'deferred_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=20), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('connection_type', sa.String(length=3), nullable=False),
        sa.Column('stores', sa.String(length=80), nullable=False),
        sa.Column('shop_name', sa.String(length=40), nullable=False),
        sa.Column('shop_name_kana', sa.String(length=60), nullable=False),
        sa.Column('copyright', sa.String(length=100), nullable=False),
        sa.Column('free_memo', sa.String(length=200), nullable=False),
        sa.Column('reminder_days', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.CheckConstraint('days > 0', name=op.f('ck_deferred_settings_days_positive')),
        sa.CheckConstraint('reminder_days >= 0',
                           name=op.f('ck_deferred_settings_reminder_days_not_negative')),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'],
                                name=op.f('fk_deferred_settings_shop_id_shops')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deferred_settings')),
        sa.UniqueConstraint('shop_id', 'method', name='uq_deferred_settings_shop_method'),
    )
    with op.batch_alter_table('deferred_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deferred_settings_shop_id'), ['shop_id'],
                              unique=False)
    op.create_table(
        'deferred_payments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=43), nullable=False),
        sa.Column('stage', sa.String(length=10), nullable=False),
        sa.Column('store', sa.String(length=10), nullable=False),
        sa.Column('lines', sa.Text(), nullable=False),
        sa.Column('handover_url', sa.Text(), nullable=False),
        sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
        sa.Column('code', sa.String(length=10), nullable=False),
        sa.Column('message', sa.String(length=300), nullable=False),
        sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("stage IN ('applying', 'applied', 'failed', 'unknown')",
                           name=op.f('ck_deferred_payments_stage')),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_deferred_payments_order_id_orders')),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'],
                                name=op.f('fk_deferred_payments_shop_id_shops')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deferred_payments')),
        sa.UniqueConstraint('key', name=op.f('uq_deferred_payments_key')),
        sa.UniqueConstraint('order_id', name='uq_deferred_payments_order'),
    )
    with op.batch_alter_table('deferred_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deferred_payments_deadline'), ['deadline'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_deferred_payments_shop_id'), ['shop_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('deferred_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deferred_payments_shop_id'))
        batch_op.drop_index(batch_op.f('ix_deferred_payments_deadline'))
    op.drop_table('deferred_payments')
    with op.batch_alter_table('deferred_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deferred_settings_shop_id'))
    op.drop_table('deferred_settings')
    foreign_keys_off()
    op.execute("UPDATE orders SET status = 'new' WHERE status IN ('awaiting_payment', 'paid')")
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_orders_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_orders_status'), sa.text(OLD_STATUSES))
    check_foreign_keys()
