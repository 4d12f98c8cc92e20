"""What revisions that rebuild SQLite tables share (SQLite alters a table by copying it)."""
from alembic import op
from sqlalchemy import event


def foreign_keys_off() -> None:
    """SQLite alters these tables by rebuilding them, and dropping the old copy of a table
    that other rows reference fails while foreign keys are enforced (payment_attempts →
    payments) or deletes those rows (delivery_payment_methods → payment_methods, ON DELETE
    CASCADE). Enforcement is off for the rebuild: SQLite takes the pragma only outside a
    transaction, which is where each revision starts; it is on again when the connection
    goes back to its pool (the revision's transaction has ended by then)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        return
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("foreign keys could not be turned off: a transaction is open")
    rebuilt = bind.connection.dbapi_connection

    def enforce_again(dbapi_connection, _record):
        if dbapi_connection is rebuilt:
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

    event.listen(bind.engine.pool, "checkin", enforce_again)


def check_foreign_keys() -> None:
    """The rebuilt tables keep their ids, so every reference still holds; SQLite checks."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"references broken by the table rebuild: {broken}")
