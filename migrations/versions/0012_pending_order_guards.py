"""決済処理中 orders remember their checkout and address, and when their stock was reserved;
the dashboard finds 要確認 orders by index.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 10:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("checkout_token", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("client_address", sa.String(length=45), nullable=False,
                                   server_default=""))
        batch.create_index("ix_orders_shop_checkout_token", ["shop_id", "checkout_token"])
        batch.create_index("ix_orders_shop_client_status",
                           ["shop_id", "client_address", "status"])
        batch.create_index("ix_orders_status_reserved", ["status", "reserved_at"])
        batch.create_index("ix_orders_shop_review", ["shop_id", "needs_review"])
    # Orders already holding stock count from now: their release is due a short while later.
    op.execute("UPDATE orders SET reserved_at = updated_at WHERE stock_reserved")


def downgrade():
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_shop_review")
        batch.drop_index("ix_orders_status_reserved")
        batch.drop_index("ix_orders_shop_client_status")
        batch.drop_index("ix_orders_shop_checkout_token")
        batch.drop_column("client_address")
        batch.drop_column("checkout_token")
        batch.drop_column("reserved_at")
