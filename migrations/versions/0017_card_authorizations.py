"""Card payment attempts at checkout: the token until 020 has used it, the 3-D Secure step and
the claim that sends each telegram once.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 16:20:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'card_authorizations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=43), nullable=False),
        sa.Column('token_digest', sa.String(length=64), nullable=False),
        sa.Column('token', sa.Text(), nullable=False),
        sa.Column('payment_class', sa.String(length=8), nullable=False),
        sa.Column('split_count', sa.Integer(), nullable=True),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('masked_card', sa.String(length=24), nullable=False),
        sa.Column('tds_auth_id', sa.String(length=64), nullable=False),
        sa.Column('stage', sa.String(length=12), nullable=False),
        sa.Column('code', sa.String(length=10), nullable=False),
        sa.Column('message', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("stage IN ('secure', 'authorizing', 'authorized', 'declined', "
                           "'unknown')", name=op.f('ck_card_authorizations_stage')),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_card_authorizations_order_id_orders')),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'],
                                name=op.f('fk_card_authorizations_shop_id_shops')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_card_authorizations')),
        sa.UniqueConstraint('key', name=op.f('uq_card_authorizations_key')),
        sa.UniqueConstraint('token_digest', name=op.f('uq_card_authorizations_token_digest')),
    )
    with op.batch_alter_table('card_authorizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_authorizations_order_id'), ['order_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_card_authorizations_shop_id'), ['shop_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('card_authorizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_authorizations_shop_id'))
        batch_op.drop_index(batch_op.f('ix_card_authorizations_order_id'))
    op.drop_table('card_authorizations')
