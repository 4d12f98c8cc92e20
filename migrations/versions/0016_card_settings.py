"""ペイジェント(クレジット決済): the card method's own settings, one row per shop.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 15:50:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'card_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('payment_classes', sa.String(length=40), nullable=False),
        sa.Column('security_code_required', sa.Boolean(), nullable=False),
        sa.Column('three_d_secure', sa.Boolean(), nullable=False),
        sa.Column('attempt_auth', sa.String(length=8), nullable=False),
        sa.Column('merchant_name', sa.String(length=40), nullable=False),
        sa.Column('tds_hash_key', sa.Text(), nullable=False),
        sa.Column('token_environment', sa.String(length=12), nullable=False),
        sa.Column('token_key', sa.Text(), nullable=False),
        sa.Column('sales_mode', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("attempt_auth IN ('none', 'normal', 'all')",
                           name=op.f('ck_card_settings_attempt_auth')),
        sa.CheckConstraint("token_environment IN ('test', 'production')",
                           name=op.f('ck_card_settings_token_environment')),
        sa.CheckConstraint("sales_mode IN ('auth', 'capture')",
                           name=op.f('ck_card_settings_sales_mode')),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'],
                                name=op.f('fk_card_settings_shop_id_shops')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_card_settings')),
        sa.UniqueConstraint('shop_id', name='uq_card_settings_shop'),
    )
    with op.batch_alter_table('card_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_settings_shop_id'), ['shop_id'], unique=False)


def downgrade():
    with op.batch_alter_table('card_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_settings_shop_id'))
    op.drop_table('card_settings')
