"""The database: engine and sessions (engine), typed models (models), Alembic migrations (migrations/)."""

from bot.db.engine import (
    DatabaseUnavailable,
    check_connection,
    in_session,
    in_transaction,
    make_engine,
    make_sessionmaker,
    session_scope,
    table_names,
    upgrade,
)

__all__ = [
    "DatabaseUnavailable",
    "check_connection",
    "in_session",
    "in_transaction",
    "make_engine",
    "make_sessionmaker",
    "session_scope",
    "table_names",
    "upgrade",
]
