"""the expiry watch mail setting of a shop.

ショップ設定's 「オーソリ期限切れ間近のお知らせメール」 (on unless turned off), and the day each
shop was sent it: one row per shop and JST date, its unique key keeping the mail to one a day.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 03:20:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expiry_mail', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    op.create_table(
        'expiry_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sent_on', sa.Date(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('shop_id', 'sent_on', name='uq_expiry_notices_shop_day'),
    )
    with op.batch_alter_table('expiry_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expiry_notices_shop_id'), ['shop_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('expiry_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expiry_notices_shop_id'))
    op.drop_table('expiry_notices')
    # no table references shop_settings, so SQLite's rebuild of it needs no pragma
    with op.batch_alter_table('shop_settings', schema=None) as batch_op:
        batch_op.drop_column('expiry_mail')
