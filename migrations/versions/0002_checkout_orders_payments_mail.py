"""Checkout: shop settings, delivery and payment methods, orders, payments, notices, outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:53:11.336256

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('delivery_methods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('fee', sa.Integer(), nullable=False),
    sa.Column('fee_undetermined', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_delivery_methods_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_methods'))
    )
    with op.batch_alter_table('delivery_methods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_methods_shop_id'), ['shop_id'], unique=False)

    op.create_table('payment_methods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('configured', sa.Boolean(), nullable=False),
    sa.Column('hide_under', sa.Integer(), nullable=True),
    sa.Column('hide_from', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('note_on_payment_page', sa.Boolean(), nullable=False),
    sa.Column('note_in_thanks_mail', sa.Boolean(), nullable=False),
    sa.Column('banner', sa.String(length=10), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('paidy', 'bank_transfer', 'cod')", name=op.f('ck_payment_methods_kind')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_payment_methods_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_methods')),
    sa.UniqueConstraint('shop_id', 'kind', name='uq_payment_methods_shop_kind')
    )
    with op.batch_alter_table('payment_methods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_methods_shop_id'), ['shop_id'], unique=False)

    op.create_table('shop_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cart_type', sa.String(length=8), nullable=False),
    sa.Column('mobile_visible', sa.Boolean(), nullable=False),
    sa.Column('mobile_required', sa.Boolean(), nullable=False),
    sa.Column('shop_email', sa.String(length=254), nullable=False),
    sa.Column('thanks_mail_subject', sa.String(length=200), nullable=False),
    sa.Column('conversion_tag', sa.Text(), nullable=False),
    sa.Column('pending_cancel_days', sa.Integer(), nullable=False),
    sa.Column('order_seq', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("cart_type IN ('zero', 'three')", name=op.f('ck_shop_settings_cart_type')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shop_settings_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_settings')),
    sa.UniqueConstraint('shop_id', name='uq_shop_settings_shop')
    )
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shop_settings_shop_id'), ['shop_id'], unique=False)

    op.create_table('delivery_payment_methods',
    sa.Column('delivery_method_id', sa.Integer(), nullable=False),
    sa.Column('payment_method_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_method_id'], ['delivery_methods.id'], name=op.f('fk_delivery_payment_methods_delivery_method_id_delivery_methods'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_method_id'], ['payment_methods.id'], name=op.f('fk_delivery_payment_methods_payment_method_id_payment_methods'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('delivery_method_id', 'payment_method_id', name=op.f('pk_delivery_payment_methods'))
    )
    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=25), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('cart_type', sa.String(length=8), nullable=False),
    sa.Column('capture_mode', sa.String(length=12), nullable=False),
    sa.Column('buyer_name', sa.String(length=100), nullable=False),
    sa.Column('buyer_kana', sa.String(length=100), nullable=False),
    sa.Column('zip_code', sa.String(length=8), nullable=False),
    sa.Column('prefecture', sa.String(length=10), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('street', sa.String(length=100), nullable=False),
    sa.Column('building', sa.String(length=100), nullable=False),
    sa.Column('tel', sa.String(length=20), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('delivery_method_id', sa.Integer(), nullable=True),
    sa.Column('delivery_name', sa.String(length=100), nullable=False),
    sa.Column('payment_method_id', sa.Integer(), nullable=True),
    sa.Column('payment_kind', sa.String(length=20), nullable=False),
    sa.Column('payment_name', sa.String(length=100), nullable=False),
    sa.Column('items_total', sa.Integer(), nullable=False),
    sa.Column('shipping_fee', sa.Integer(), nullable=False),
    sa.Column('target10', sa.Integer(), nullable=False),
    sa.Column('target8', sa.Integer(), nullable=False),
    sa.Column('tax10', sa.Integer(), nullable=False),
    sa.Column('tax8', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('stock_reserved', sa.Boolean(), nullable=False),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending_payment', 'new', 'completed', 'cancelled')", name=op.f('ck_orders_status')),
    sa.CheckConstraint('total >= 0', name=op.f('ck_orders_total_not_negative')),
    sa.ForeignKeyConstraint(['delivery_method_id'], ['delivery_methods.id'], name=op.f('fk_orders_delivery_method_id_delivery_methods')),
    sa.ForeignKeyConstraint(['payment_method_id'], ['payment_methods.id'], name=op.f('fk_orders_payment_method_id_payment_methods')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_orders_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('shop_id', 'number', name='uq_orders_shop_number')
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_shop_created', ['shop_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_shop_id'), ['shop_id'], unique=False)

    op.create_table('order_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_history_order_id_orders')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_order_history_shop_id_shops')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_order_history_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_history'))
    )
    with op.batch_alter_table('order_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_history_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_history_shop_id'), ['shop_id'], unique=False)

    op.create_table('order_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('tax_rate', sa.Integer(), nullable=False),
    sa.Column('subtotal', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_order_items_quantity_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_items_order_id_orders')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_order_items_product_id_products')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_order_items_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_items'))
    )
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_items_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_items_shop_id'), ['shop_id'], unique=False)

    op.create_table('outbox_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('to_addr', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_outbox_mails_order_id_orders')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_outbox_mails_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_mails'))
    )
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_mails_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_mails_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_mails_shop_id'), ['shop_id'], unique=False)

    op.create_table('payment_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_notice_id', sa.String(length=20), nullable=False),
    sa.Column('payment_id', sa.String(length=18), nullable=False),
    sa.Column('trading_id', sa.String(length=25), nullable=False),
    sa.Column('payment_status', sa.String(length=2), nullable=False),
    sa.Column('payment_amount', sa.Integer(), nullable=True),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payment_notices_order_id_orders')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_payment_notices_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_notices')),
    sa.UniqueConstraint('shop_id', 'payment_notice_id', name='uq_payment_notices_shop_notice')
    )
    with op.batch_alter_table('payment_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_notices_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_notices_shop_id'), ['shop_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('paidy_payment_id', sa.String(length=64), nullable=False),
    sa.Column('paygent_payment_id', sa.String(length=18), nullable=False),
    sa.Column('status', sa.String(length=2), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('authorized_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payments_order_id_orders')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_payments_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('order_id', name='uq_payments_order'),
    sa.UniqueConstraint('paidy_payment_id', name='uq_payments_paidy_payment_id')
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_paygent_payment_id'), ['paygent_payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_shop_id'), ['shop_id'], unique=False)

    with op.batch_alter_table('paygent_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capture_mode', sa.String(length=12), nullable=False, server_default='auth'))
        batch_op.add_column(sa.Column('logo_path', sa.String(length=200), nullable=False, server_default=''))




def downgrade():

    with op.batch_alter_table('paygent_accounts', schema=None) as batch_op:
        batch_op.drop_column('logo_path')
        batch_op.drop_column('capture_mode')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_shop_id'))
        batch_op.drop_index(batch_op.f('ix_payments_paygent_payment_id'))

    op.drop_table('payments')
    with op.batch_alter_table('payment_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_notices_shop_id'))
        batch_op.drop_index(batch_op.f('ix_payment_notices_order_id'))

    op.drop_table('payment_notices')
    with op.batch_alter_table('outbox_mails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_mails_shop_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_mails_order_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_mails_created_at'))

    op.drop_table('outbox_mails')
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_items_shop_id'))
        batch_op.drop_index(batch_op.f('ix_order_items_order_id'))

    op.drop_table('order_items')
    with op.batch_alter_table('order_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_history_shop_id'))
        batch_op.drop_index(batch_op.f('ix_order_history_order_id'))

    op.drop_table('order_history')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_shop_id'))
        batch_op.drop_index('ix_orders_shop_created')

    op.drop_table('orders')
    op.drop_table('delivery_payment_methods')
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shop_settings_shop_id'))

    op.drop_table('shop_settings')
    with op.batch_alter_table('payment_methods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_methods_shop_id'))

    op.drop_table('payment_methods')
    with op.batch_alter_table('delivery_methods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_methods_shop_id'))

    op.drop_table('delivery_methods')

