"""特定商取引法に基づく表記 and プライバシーポリシー pages of a shop.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 03:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

SHORT = (('seller', 200), ('manager', 100), ('address', 300), ('phone', 30),
         ('phone_hours', 200), ('email', 254), ('website', 300))
LONG = ('price', 'extra_charges', 'order_method', 'payment_methods', 'payment_timing',
        'delivery_timing', 'returns', 'return_shipping', 'other', 'privacy_policy')


def upgrade():
    op.create_table(
        'shop_pages',
        sa.Column('id', sa.Integer(), nullable=False),
        *[sa.Column(name, sa.String(length=length), nullable=False) for name, length in SHORT],
        *[sa.Column(name, sa.Text(), nullable=False) for name in LONG],
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'],
                                name=op.f('fk_shop_pages_shop_id_shops')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_pages')),
        sa.UniqueConstraint('shop_id', name='uq_shop_pages_shop'),
    )
    with op.batch_alter_table('shop_pages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shop_pages_shop_id'), ['shop_id'], unique=False)


def downgrade():
    with op.batch_alter_table('shop_pages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shop_pages_shop_id'))
    op.drop_table('shop_pages')
