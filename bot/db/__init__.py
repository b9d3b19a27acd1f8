"""The database: engine and sessions (engine), worker threads for async callers (threads), typed models
(models), Alembic migrations (migrations/)."""

from bot.db.engine import (
    DatabaseUnavailable,
    check_connection,
    check_writable,
    in_session,
    in_transaction,
    make_engine,
    make_sessionmaker,
    session_scope,
    table_names,
    upgrade,
)
from bot.db.threads import in_session_thread, run_db

__all__ = [
    "DatabaseUnavailable",
    "check_connection",
    "check_writable",
    "in_session",
    "in_session_thread",
    "in_transaction",
    "make_engine",
    "make_sessionmaker",
    "run_db",
    "session_scope",
    "table_names",
    "upgrade",
]
