"""Order name and kana prefix searches use their indexes on PostgreSQL in any collation.

A plain btree serves ``LIKE 'x%'`` only under the C collation; ``varchar_pattern_ops``
serves it under every collation. SQLite is unchanged.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 09:30:00

"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

INDEXES = (("ix_orders_shop_name", "buyer_name"), ("ix_orders_shop_kana", "buyer_kana"))


def _rebuild(pattern_ops: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column in INDEXES:
        op.drop_index(name, table_name="orders")
        op.create_index(name, "orders", ["shop_id", column],
                        postgresql_ops={column: "varchar_pattern_ops"} if pattern_ops else {})


def upgrade():
    _rebuild(pattern_ops=True)


def downgrade():
    _rebuild(pattern_ops=False)
