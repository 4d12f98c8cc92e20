"""会員: members per shop, their お届け先, and the member an order belongs to.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 22:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('kana', sa.String(length=100), nullable=False),
        sa.Column('zip_code', sa.String(length=8), nullable=False),
        sa.Column('prefecture', sa.String(length=10), nullable=False),
        sa.Column('city', sa.String(length=100), nullable=False),
        sa.Column('street', sa.String(length=100), nullable=False),
        sa.Column('building', sa.String(length=100), nullable=False),
        sa.Column('tel', sa.String(length=20), nullable=False),
        sa.Column('mobile', sa.String(length=20), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'),
        sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_members_shop_id_shops')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
        sa.UniqueConstraint('shop_id', 'email', name='uq_members_shop_email'),
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_shop_id'), ['shop_id'], unique=False)
        batch_op.create_index('ix_members_shop_name', ['shop_id', 'name'], unique=False)
        batch_op.create_index('ix_members_shop_kana', ['shop_id', 'kana'], unique=False)
        batch_op.create_index('ix_members_shop_tel', ['shop_id', 'tel'], unique=False)

    op.create_table(
        'member_addresses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('kana', sa.String(length=100), nullable=False),
        sa.Column('zip_code', sa.String(length=8), nullable=False),
        sa.Column('prefecture', sa.String(length=10), nullable=False),
        sa.Column('city', sa.String(length=100), nullable=False),
        sa.Column('street', sa.String(length=100), nullable=False),
        sa.Column('building', sa.String(length=100), nullable=False),
        sa.Column('tel', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_member_addresses_member_id_members')),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'],
                                name=op.f('fk_member_addresses_shop_id_shops')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_addresses')),
    )
    with op.batch_alter_table('member_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_addresses_member_id'), ['member_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_member_addresses_shop_id'), ['shop_id'],
                              unique=False)

    # orders.member_id: SQLite adds a column with its reference in place (ALTER TABLE … ADD
    # COLUMN … REFERENCES, allowed for a nullable column), so the orders table, however
    # large, is not rebuilt; other databases add the column and then the constraint.
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        op.execute('ALTER TABLE orders ADD COLUMN member_id INTEGER '
                   'CONSTRAINT fk_orders_member_id_members REFERENCES members (id)')
    else:
        op.add_column('orders', sa.Column('member_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_orders_member_id_members'), 'orders', 'members',
                              ['member_id'], ['id'])
    op.create_index(op.f('ix_orders_member_id'), 'orders', ['member_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_orders_member_id'), table_name='orders')
    from cart.migration_support import check_foreign_keys, foreign_keys_off
    foreign_keys_off()  # SQLite drops a column by rebuilding the table others reference
    with op.batch_alter_table('orders', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'sqlite':
            batch_op.drop_constraint(op.f('fk_orders_member_id_members'), type_='foreignkey')
        batch_op.drop_column('member_id')
    check_foreign_keys()
    with op.batch_alter_table('member_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_addresses_shop_id'))
        batch_op.drop_index(batch_op.f('ix_member_addresses_member_id'))
    op.drop_table('member_addresses')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_shop_tel')
        batch_op.drop_index('ix_members_shop_kana')
        batch_op.drop_index('ix_members_shop_name')
        batch_op.drop_index(batch_op.f('ix_members_shop_id'))
    op.drop_table('members')
