"""images of a product.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 03:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'product_images',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('large_width', sa.Integer(), nullable=False),
        sa.Column('large_height', sa.Integer(), nullable=False),
        sa.Column('thumb_width', sa.Integer(), nullable=False),
        sa.Column('thumb_height', sa.Integer(), nullable=False),
        sa.Column('large_data', sa.LargeBinary(), nullable=False),
        sa.Column('thumb_data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                                name=op.f('fk_product_images_product_id_products'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'],
                                name=op.f('fk_product_images_shop_id_shops')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_product_images')),
    )
    with op.batch_alter_table('product_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_images_shop_id'), ['shop_id'],
                              unique=False)
        batch_op.create_index('ix_product_images_product_position',
                              ['product_id', 'position'], unique=False)


def downgrade():
    with op.batch_alter_table('product_images', schema=None) as batch_op:
        batch_op.drop_index('ix_product_images_product_position')
        batch_op.drop_index(batch_op.f('ix_product_images_shop_id'))
    op.drop_table('product_images')
