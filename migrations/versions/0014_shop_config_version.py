"""Shops count the changes to their configuration (settings, payment methods, deliveries,
PAYGENT account), so a process can keep what it read of it until the count moves.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 13:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # a plain ADD COLUMN on every database (SQLite needs no table rebuild for it)
    op.add_column("shops", sa.Column("config_version", sa.Integer(), nullable=False,
                                     server_default="1"))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a plain column in place (3.35+); a rebuild of shops would have to
        # drop a table every shop-owned row references
        op.execute("ALTER TABLE shops DROP COLUMN config_version")
    else:
        op.drop_column("shops", "config_version")
