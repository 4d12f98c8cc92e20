"""Bulk runs record when their execution started, so a run whose process stopped is resumed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 23:10:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("bulk_runs") as batch:
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("bulk_runs") as batch:
        batch.drop_column("started_at")
