"""The Alembic revisions build exactly the schema the models describe (SQLite and PostgreSQL)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from cart.extensions import db


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_name_prefix_search_uses_its_index_on_postgresql(app):
    if db.engine.dialect.name != "postgresql":
        return
    definition = db.session.scalar(text(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_orders_shop_name'"))
    assert "varchar_pattern_ops" in definition
