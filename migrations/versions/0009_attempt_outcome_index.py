"""The periodic round finds attempts still open (claimed or unknown) past the claim timeout.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 23:00:00

"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_payment_attempts_outcome_created", "payment_attempts",
                    ["outcome", "created_at"])


def downgrade():
    op.drop_index("ix_payment_attempts_outcome_created", table_name="payment_attempts")
