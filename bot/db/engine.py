"""Engine, sessions and migrations. SQLite runs with WAL and a busy timeout; PostgreSQL pings its pool.

Every wait on the database is bounded (SQLite's busy timeout, PostgreSQL's lock and statement timeouts),
so a locked or stuck database turns into an error a caller can report instead of a request that hangs.
Logged statements never carry their parameters (user ids, message texts): hide_parameters=True."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 3_000
PG_CONNECT_TIMEOUT_S = 10
PG_LOCK_TIMEOUT_MS = 3_000
PG_STATEMENT_TIMEOUT_MS = 30_000  # a long CLI import still fits; a stuck query does not hold a thread forever


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or opened; the message says which and why."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the pragmas and pool options this application relies on."""
    parsed = make_url(url)
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
    if parsed.get_backend_name() == "postgresql" and "options" not in connect_args:
        connect_args["options"] = pg_options(url)
    return create_engine(url, connect_args=connect_args, **kwargs)


def pg_options(url: str) -> str:
    """PostgreSQL's connection options: the lock and statement timeouts, added to any options the URL
    carries (e.g. a search_path), which a connection's own options would replace."""
    from_url = make_url(url).query.get("options")
    timeouts = f"-c lock_timeout={PG_LOCK_TIMEOUT_MS} -c statement_timeout={PG_STATEMENT_TIMEOUT_MS}"
    return f"{from_url} {timeouts}" if isinstance(from_url, str) else timeouts


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _retrying(attempts: int, unit: Callable[[], T]) -> T:
    """Run one unit of work, again if the database dropped the connection or stayed locked past the
    busy timeout (the pool has replaced a dead connection by the retry)."""
    for attempt in range(1, attempts + 1):
        try:
            return unit()
        except OperationalError as exc:
            if attempt == attempts:
                raise
            log.warning("database error (%s); retrying once", type(exc.orig).__name__ if exc.orig else "unknown")
            time.sleep(0.05)
    raise AssertionError("unreachable")


def in_session(factory: sessionmaker[Session], work: Callable[[Session], T], *, attempts: int = 2) -> T:
    """Run `work` in its own ORM unit of work, with one retry on a dropped or locked database."""

    def unit() -> T:
        with session_scope(factory) as session:
            return work(session)

    return _retrying(attempts, unit)


def in_transaction(engine: Engine, work: Callable[[Connection], T], *, attempts: int = 2) -> T:
    """Like in_session, on a bare Core connection: for the per-check writes, where the ORM's unit of
    work is pure overhead."""

    def unit() -> T:
        with engine.begin() as connection:
            return work(connection)

    return _retrying(attempts, unit)


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def _unavailable(engine: Engine, what: str, exc: DBAPIError) -> DatabaseUnavailable:
    """One line: `what` with the URL (password hidden), then the driver's first line of the reason."""
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    url = engine.url.render_as_string(hide_password=True)
    return DatabaseUnavailable(f"{what.format(url=url)}: {reason}")


def check_connection(engine: Engine) -> None:
    """Fail fast with a clear message when the database cannot be reached."""
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        raise _unavailable(engine, "cannot connect to the database {url}", exc) from None


WRITE_PROBE_KEY = "factbot:write-probe"


def check_writable(engine: Engine) -> None:
    """Fail fast with one clear line when the database can be read but not written (a read-only file,
    mount or role): otherwise the bot would start and fail every new user's first write. The probe row is
    rolled back, so nothing is left behind and concurrent starts do not collide."""
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            try:
                connection.execute(text("INSERT INTO meta (key, value) VALUES (:key, '')"), {"key": WRITE_PROBE_KEY})
            finally:
                transaction.rollback()
    except DBAPIError as exc:
        raise _unavailable(engine, "the database {url} is not writable", exc) from None


def upgrade(engine: Engine) -> bool:
    """Bring the schema up to date; returns True when a migration ran."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    check_connection(engine)
    config = _alembic_config(engine)
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return False
    log.info("migrating database from %s to %s", current, head)
    try:
        command.upgrade(config, "head")
    except DBAPIError as exc:
        raise _unavailable(engine, "cannot migrate the database {url}", exc) from None
    return True


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()
