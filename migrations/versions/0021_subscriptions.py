"""定期購入: members' stored cards, subscriptions with their items and history, the file
payment runs that authorise repeat orders, products' cycles, the card settings' お預かり and
有効性チェック, and the order status 決済失敗.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 22:30:00

"""
import sqlalchemy as sa
from alembic import op

from cart.migration_support import check_foreign_keys, foreign_keys_off


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

OLD_STATUSES = ("status IN ('pending_payment', 'new', 'awaiting_payment', 'paid', "
                "'completed', 'cancelled')")
NEW_STATUSES = ("status IN ('pending_payment', 'new', 'awaiting_payment', 'paid', "
                "'completed', 'cancelled', 'payment_failed')")


def _shop_owned(table: str) -> list:
    return [sa.Column('shop_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['shop_id'], ['shops.id'],
                                    name=op.f(f'fk_{table}_shop_id_shops'))]


def _index_shop(table: str, *more: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_shop_id'), ['shop_id'], unique=False)
        for column in more:
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def upgrade():
    foreign_keys_off()  # SQLite rebuilds orders (its status check), which others reference
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_orders_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_orders_status'), sa.text(NEW_STATUSES))
    check_foreign_keys()

    op.add_column('products', sa.Column('subscription_cycles', sa.String(length=40),
                                        nullable=False, server_default=''))
    op.add_column('card_settings', sa.Column('card_stock', sa.Boolean(), nullable=False,
                                             server_default=sa.true()))
    op.add_column('card_settings', sa.Column('card_validity_check', sa.Boolean(),
                                             nullable=False, server_default=sa.false()))
    op.add_column('card_settings', sa.Column('file_payment_mode', sa.String(length=6),
                                             nullable=False, server_default='auto'))
    with op.batch_alter_table('card_settings', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_card_settings_file_payment_mode'),
                                         sa.text("file_payment_mode IN ('auto', 'manual')"))

    op.create_table(
        'stored_cards',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('customer_card_id', sa.String(length=30), nullable=False),
        sa.Column('masked', sa.String(length=24), nullable=False),
        sa.Column('expiry', sa.String(length=5), nullable=False),
        sa.Column('brand', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        *_shop_owned('stored_cards'),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_stored_cards_member_id_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_cards')),
        sa.UniqueConstraint('shop_id', 'member_id', 'customer_card_id',
                            name='uq_stored_cards_member_card'),
    )
    _index_shop('stored_cards', 'member_id')

    op.create_table(
        'subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('cycle', sa.String(length=4), nullable=False),
        sa.Column('anchor_day', sa.Integer(), nullable=False),
        sa.Column('next_date', sa.Date(), nullable=False),
        sa.Column('skipped_date', sa.Date(), nullable=True),
        sa.Column('stored_card_id', sa.Integer(), nullable=True),
        sa.Column('delivery_method_id', sa.Integer(), nullable=True),
        sa.Column('payment_method_id', sa.Integer(), nullable=True),
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
        sa.Column('first_order_id', sa.Integer(), nullable=True),
        sa.Column('last_order_id', sa.Integer(), nullable=True),
        sa.Column('times', sa.Integer(), nullable=False),
        sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        *_shop_owned('subscriptions'),
        sa.CheckConstraint("status IN ('active', 'stopped')", name=op.f('ck_subscriptions_status')),
        sa.CheckConstraint('anchor_day BETWEEN 1 AND 31',
                           name=op.f('ck_subscriptions_anchor_day')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_subscriptions_member_id_members')),
        sa.ForeignKeyConstraint(['stored_card_id'], ['stored_cards.id'],
                                name=op.f('fk_subscriptions_stored_card_id_stored_cards')),
        sa.ForeignKeyConstraint(['delivery_method_id'], ['delivery_methods.id'],
                                name=op.f('fk_subscriptions_delivery_method_id_delivery_methods')),
        sa.ForeignKeyConstraint(['payment_method_id'], ['payment_methods.id'],
                                name=op.f('fk_subscriptions_payment_method_id_payment_methods')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    )
    _index_shop('subscriptions', 'member_id')
    op.create_index('ix_subscriptions_due', 'subscriptions', ['shop_id', 'status', 'next_date'],
                    unique=False)

    op.create_table(
        'subscription_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('unit_price', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('tax_rate', sa.Integer(), nullable=False),
        *_shop_owned('subscription_items'),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_subscription_items_quantity_positive')),
        sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'],
                                name=op.f('fk_subscription_items_subscription_id_subscriptions')),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                                name=op.f('fk_subscription_items_product_id_products')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription_items')),
    )
    _index_shop('subscription_items', 'subscription_id')

    op.create_table(
        'subscription_history',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        *_shop_owned('subscription_history'),
        sa.ForeignKeyConstraint(
            ['subscription_id'], ['subscriptions.id'],
            name=op.f('fk_subscription_history_subscription_id_subscriptions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription_history')),
    )
    _index_shop('subscription_history', 'subscription_id')

    op.create_table(
        'file_payment_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=3), nullable=False),
        sa.Column('mode', sa.String(length=6), nullable=False),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('file_name', sa.String(length=60), nullable=False),
        sa.Column('request_file', sa.LargeBinary(), nullable=False),
        sa.Column('result_file', sa.LargeBinary(), nullable=False),
        sa.Column('receipt', sa.String(length=30), nullable=False),
        sa.Column('records', sa.Integer(), nullable=False),
        sa.Column('ok_count', sa.Integer(), nullable=False),
        sa.Column('ng_count', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=10), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        *_shop_owned('file_payment_runs'),
        sa.CheckConstraint("state IN ('created', 'sending', 'sent', 'unknown', 'done', 'failed')",
                           name=op.f('ck_file_payment_runs_state')),
        sa.CheckConstraint("mode IN ('auto', 'manual')", name=op.f('ck_file_payment_runs_mode')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_file_payment_runs')),
        sa.UniqueConstraint('shop_id', 'due_date', 'kind', name='uq_file_payment_runs_due'),
    )
    _index_shop('file_payment_runs')

    op.create_table(
        'file_payment_run_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('trading_id', sa.String(length=25), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.String(length=20), nullable=False),
        sa.Column('previous_trading_id', sa.String(length=25), nullable=False),
        sa.Column('result', sa.String(length=2), nullable=False),
        sa.Column('payment_id', sa.String(length=20), nullable=False),
        sa.Column('code', sa.String(length=10), nullable=False),
        sa.Column('detail', sa.String(length=300), nullable=False),
        sa.Column('booked_at', sa.DateTime(timezone=True), nullable=True),
        *_shop_owned('file_payment_run_items'),
        sa.CheckConstraint("result IN ('', 'ok', 'ng')",
                           name=op.f('ck_file_payment_run_items_result')),
        sa.ForeignKeyConstraint(['run_id'], ['file_payment_runs.id'],
                                name=op.f('fk_file_payment_run_items_run_id_file_payment_runs')),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_file_payment_run_items_order_id_orders')),
        sa.ForeignKeyConstraint(
            ['subscription_id'], ['subscriptions.id'],
            name=op.f('fk_file_payment_run_items_subscription_id_subscriptions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_file_payment_run_items')),
        sa.UniqueConstraint('run_id', 'trading_id', name='uq_file_payment_run_items_trading'),
    )
    _index_shop('file_payment_run_items', 'run_id', 'order_id', 'subscription_id')

    # orders.subscription_id: added in place on SQLite (a nullable column with its reference)
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        op.execute('ALTER TABLE orders ADD COLUMN subscription_id INTEGER '
                   'CONSTRAINT fk_orders_subscription_id_subscriptions REFERENCES subscriptions (id)')
    else:
        op.add_column('orders', sa.Column('subscription_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_orders_subscription_id_subscriptions'), 'orders',
                              'subscriptions', ['subscription_id'], ['id'])
    op.create_index(op.f('ix_orders_subscription_id'), 'orders', ['subscription_id'],
                    unique=False)
    if bind.dialect.name == 'sqlite':
        op.execute('ALTER TABLE orders ADD COLUMN stored_card_id INTEGER '
                   'CONSTRAINT fk_orders_stored_card_id_stored_cards REFERENCES stored_cards (id)')
    else:
        op.add_column('orders', sa.Column('stored_card_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_orders_stored_card_id_stored_cards'), 'orders',
                              'stored_cards', ['stored_card_id'], ['id'])
    op.add_column('order_items', sa.Column('subscription_cycle', sa.String(length=4),
                                           nullable=False, server_default=''))
    if bind.dialect.name == 'sqlite':
        op.execute('ALTER TABLE card_authorizations ADD COLUMN stored_card_id INTEGER '
                   'CONSTRAINT fk_card_authorizations_stored_card_id_stored_cards '
                   'REFERENCES stored_cards (id)')
    else:
        op.add_column('card_authorizations', sa.Column('stored_card_id', sa.Integer(),
                                                       nullable=True))
        op.create_foreign_key(op.f('fk_card_authorizations_stored_card_id_stored_cards'),
                              'card_authorizations', 'stored_cards', ['stored_card_id'], ['id'])


def downgrade():
    foreign_keys_off()  # SQLite rebuilds orders and others; the pragma works only here, first
    with op.batch_alter_table('card_authorizations', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'sqlite':
            batch_op.drop_constraint(op.f('fk_card_authorizations_stored_card_id_stored_cards'),
                                     type_='foreignkey')
        batch_op.drop_column('stored_card_id')
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_column('subscription_cycle')
    op.drop_index(op.f('ix_orders_subscription_id'), table_name='orders')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'sqlite':
            batch_op.drop_constraint(op.f('fk_orders_subscription_id_subscriptions'),
                                     type_='foreignkey')
            batch_op.drop_constraint(op.f('fk_orders_stored_card_id_stored_cards'),
                                     type_='foreignkey')
        batch_op.drop_column('stored_card_id')
        batch_op.drop_column('subscription_id')
        batch_op.drop_constraint(batch_op.f('ck_orders_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_orders_status'), sa.text(OLD_STATUSES))
    check_foreign_keys()
    for table in ('file_payment_run_items', 'file_payment_runs', 'subscription_history',
                  'subscription_items', 'subscriptions', 'stored_cards'):
        op.drop_table(table)
    with op.batch_alter_table('card_settings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_card_settings_file_payment_mode'), type_='check')
        batch_op.drop_column('file_payment_mode')
        batch_op.drop_column('card_validity_check')
        batch_op.drop_column('card_stock')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('subscription_cycles')
