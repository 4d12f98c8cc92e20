"""Payment settings: 使用決済 flag, Paidy logo, server-side settings drafts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 05:11:11.139115

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('settings_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_settings_drafts_shop_id_shops')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_settings_drafts_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settings_drafts')),
    sa.UniqueConstraint('token', name=op.f('uq_settings_drafts_token'))
    )
    with op.batch_alter_table('settings_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settings_drafts_shop_id'), ['shop_id'], unique=False)

    with op.batch_alter_table('paygent_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_png', sa.LargeBinary(), nullable=True))
        batch_op.drop_column('logo_path')

    with op.batch_alter_table('payment_methods', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_use', sa.Boolean(), nullable=False, server_default=sa.true()))




def downgrade():

    with op.batch_alter_table('payment_methods', schema=None) as batch_op:
        batch_op.drop_column('in_use')

    with op.batch_alter_table('paygent_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_path', sa.VARCHAR(length=200), server_default=sa.text("('')"), nullable=False))
        batch_op.drop_column('logo_png')

    with op.batch_alter_table('settings_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settings_drafts_shop_id'))

    op.drop_table('settings_drafts')

