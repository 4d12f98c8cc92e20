"""The notice log's 照合できない通知 tab and the dashboard's count read notices by outcome.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 22:10:00

"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_payment_notices_shop_outcome", "payment_notices",
                    ["shop_id", "outcome"])


def downgrade():
    op.drop_index("ix_payment_notices_shop_outcome", table_name="payment_notices")
