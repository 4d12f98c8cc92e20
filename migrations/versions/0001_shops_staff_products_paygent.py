"""Shops, staff, products, PAYGENT accounts and the payment log.

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 04:44:08.752330

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('shops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shops')),
    sa.UniqueConstraint('code', name=op.f('uq_shops_code'))
    )
    op.create_table('paygent_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('environment', sa.String(length=12), nullable=False),
    sa.Column('merchant_id', sa.String(length=9), nullable=False),
    sa.Column('connect_id', sa.String(length=32), nullable=False),
    sa.Column('connect_password', sa.Text(), nullable=False),
    sa.Column('notice_hash_key', sa.Text(), nullable=False),
    sa.Column('client_cert_pem', sa.Text(), nullable=True),
    sa.Column('ca_pem', sa.Text(), nullable=True),
    sa.Column('paidy_public_key', sa.String(length=100), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("environment IN ('sandbox', 'test', 'production')", name=op.f('ck_paygent_accounts_environment')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_paygent_accounts_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paygent_accounts')),
    sa.UniqueConstraint('shop_id', name='uq_paygent_accounts_shop')
    )
    with op.batch_alter_table('paygent_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paygent_accounts_shop_id'), ['shop_id'], unique=False)

    op.create_table('payment_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('telegram_kind', sa.String(length=3), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('elapsed_ms', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_payment_logs_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_logs'))
    )
    with op.batch_alter_table('payment_logs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_logs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_logs_shop_id'), ['shop_id'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('tax_rate', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(length=2000), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('price >= 0', name=op.f('ck_products_price_not_negative')),
    sa.CheckConstraint('stock >= 0', name=op.f('ck_products_stock_not_negative')),
    sa.CheckConstraint('tax_rate IN (8, 10)', name=op.f('ck_products_tax_rate')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_products_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('shop_id', 'code', name='uq_products_shop_code')
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_shop_id'), ['shop_id'], unique=False)

    op.create_table('staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('owner', 'staff')", name=op.f('ck_staff_role')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_staff_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_email'))
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_shop_id'), ['shop_id'], unique=False)




def downgrade():
    
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_shop_id'))

    op.drop_table('staff')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_shop_id'))

    op.drop_table('products')
    with op.batch_alter_table('payment_logs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_logs_shop_id'))
        batch_op.drop_index(batch_op.f('ix_payment_logs_created_at'))

    op.drop_table('payment_logs')
    with op.batch_alter_table('paygent_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paygent_accounts_shop_id'))

    op.drop_table('paygent_accounts')
    op.drop_table('shops')

