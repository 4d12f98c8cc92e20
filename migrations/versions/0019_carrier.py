"""携帯キャリア決済: the shop's carrier settings, and each payment's variant (its carrier).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 18:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    # a plain ALTER TABLE … ADD COLUMN (no table rebuild on SQLite); the default fills the
    # payments that exist, none of which has a variant
    op.add_column('payments', sa.Column('variant', sa.String(length=10), nullable=False,
                                        server_default=''))
    op.create_table(
        'carrier_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('carriers', sa.String(length=40), nullable=False),
        sa.Column('sales_mode', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("sales_mode IN ('auth', 'capture')",
                           name=op.f('ck_carrier_settings_sales_mode')),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'],
                                name=op.f('fk_carrier_settings_shop_id_shops')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_carrier_settings')),
        sa.UniqueConstraint('shop_id', name='uq_carrier_settings_shop'),
    )
    with op.batch_alter_table('carrier_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carrier_settings_shop_id'), ['shop_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('carrier_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_carrier_settings_shop_id'))
    op.drop_table('carrier_settings')
    from cart.migration_support import check_foreign_keys, foreign_keys_off
    foreign_keys_off()  # SQLite drops a column by rebuilding the table others reference
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('variant')
    check_foreign_keys()
