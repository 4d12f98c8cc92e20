"""Staff sessions and sign-in throttling.

Staff can be disabled and carry a session version (raised on logout, a password change and
disabling, it ends every session of the account); sign-in counters replace the failure log.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:50:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False,
                                   server_default="1"))

    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    with op.batch_alter_table("login_throttle") as batch:
        batch.create_index(batch.f("ix_login_throttle_last_at"), ["last_at"], unique=False)

    with op.batch_alter_table("login_failures") as batch:
        batch.drop_index(batch.f("ix_login_failures_ip"))
        batch.drop_index(batch.f("ix_login_failures_email"))
    op.drop_table("login_failures")


def downgrade():
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures") as batch:
        batch.create_index(batch.f("ix_login_failures_email"), ["email"], unique=False)
        batch.create_index(batch.f("ix_login_failures_ip"), ["ip"], unique=False)

    with op.batch_alter_table("login_throttle") as batch:
        batch.drop_index(batch.f("ix_login_throttle_last_at"))
    op.drop_table("login_throttle")

    with op.batch_alter_table("staff") as batch:
        batch.drop_column("session_version")
        batch.drop_column("active")
