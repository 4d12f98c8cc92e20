"""Order management: payment attempts, adjustments, order timestamps, search indexes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 05:19:07.459176

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('payment_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=True),
    sa.Column('paygent_payment_id', sa.String(length=18), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('new_payment_id', sa.String(length=18), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payment_attempts_order_id_orders')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_attempts_payment_id_payments')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_payment_attempts_shop_id_shops')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_payment_attempts_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_attempts')),
    sa.UniqueConstraint('key', name=op.f('uq_payment_attempts_key'))
    )
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_attempts_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_attempts_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_attempts_shop_id'), ['shop_id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adjust_label', sa.String(length=50), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('adjust10', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('adjust8', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_orders_shop_email', ['shop_id', 'email'], unique=False)
        batch_op.create_index('ix_orders_shop_kana', ['shop_id', 'buyer_kana'], unique=False)
        batch_op.create_index('ix_orders_shop_mobile', ['shop_id', 'mobile'], unique=False)
        batch_op.create_index('ix_orders_shop_name', ['shop_id', 'buyer_name'], unique=False)
        batch_op.create_index('ix_orders_shop_status_created', ['shop_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_orders_shop_tel', ['shop_id', 'tel'], unique=False)

    with op.batch_alter_table('payment_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_payment_logs_order_id'), ['order_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_payment_logs_order_id_orders'), 'orders', ['order_id'], ['id'])

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('refunded', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('in_flight_attempt_id', sa.Integer(), nullable=True))




def downgrade():

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('in_flight_attempt_id')
        batch_op.drop_column('refunded')
        batch_op.drop_column('refunded_at')
        batch_op.drop_column('cancelled_at')

    with op.batch_alter_table('payment_logs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payment_logs_order_id_orders'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_payment_logs_order_id'))
        batch_op.drop_column('order_id')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_shop_tel')
        batch_op.drop_index('ix_orders_shop_status_created')
        batch_op.drop_index('ix_orders_shop_name')
        batch_op.drop_index('ix_orders_shop_mobile')
        batch_op.drop_index('ix_orders_shop_kana')
        batch_op.drop_index('ix_orders_shop_email')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('completed_at')
        batch_op.drop_column('version')
        batch_op.drop_column('adjust8')
        batch_op.drop_column('adjust10')
        batch_op.drop_column('adjust_label')

    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_attempts_shop_id'))
        batch_op.drop_index(batch_op.f('ix_payment_attempts_payment_id'))
        batch_op.drop_index(batch_op.f('ix_payment_attempts_order_id'))

    op.drop_table('payment_attempts')

