"""受注一覧's 購入金額 range search counts its 件HIT from an index (shop, status, total,
受注日) instead of reading every order of the status.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 14:00:00

"""
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_orders_shop_status_total", "orders",
                    ["shop_id", "status", "total", "created_at"])


def downgrade():
    op.drop_index("ix_orders_shop_status_total", table_name="orders")
