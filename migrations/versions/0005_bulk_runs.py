"""Bulk capture runs and their per-order results.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 05:36:33.345459

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('bulk_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('succeeded', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_bulk_runs_shop_id_shops')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_bulk_runs_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_runs')),
    sa.UniqueConstraint('shop_id', 'token', name='uq_bulk_runs_shop_token')
    )
    with op.batch_alter_table('bulk_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulk_runs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulk_runs_shop_id'), ['shop_id'], unique=False)

    op.create_table('bulk_run_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_bulk_run_items_order_id_orders')),
    sa.ForeignKeyConstraint(['run_id'], ['bulk_runs.id'], name=op.f('fk_bulk_run_items_run_id_bulk_runs')),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_bulk_run_items_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_run_items'))
    )
    with op.batch_alter_table('bulk_run_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulk_run_items_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bulk_run_items_shop_id'), ['shop_id'], unique=False)




def downgrade():

    with op.batch_alter_table('bulk_run_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulk_run_items_shop_id'))
        batch_op.drop_index(batch_op.f('ix_bulk_run_items_run_id'))

    op.drop_table('bulk_run_items')
    with op.batch_alter_table('bulk_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulk_runs_shop_id'))
        batch_op.drop_index(batch_op.f('ix_bulk_runs_created_at'))

    op.drop_table('bulk_runs')

