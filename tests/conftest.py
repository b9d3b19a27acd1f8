"""Shared fixtures: databases on SQLite and (when TEST_DATABASE_URL is set) PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine, make_sessionmaker, upgrade
from bot.db.models import Base

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
BACKENDS = ["sqlite", "postgresql"]


def _pg_url() -> str:
    from bot.settings import normalise_database_url

    return normalise_database_url(PG_URL)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's environment or .env, or writes outside its tmp dir."""
    for name in list(os.environ):
        if name.startswith(("FACTBOT_", "TELEGRAM_", "WEBHOOK_")) or name in ("DATABASE_URL", "PORT", "LOG_LEVEL"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FACTBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FACTBOT_SECRET", "test-secret")
    # The semantic channel loads a 30 MB model and encodes the KB into each test's own data dir: the tests
    # of the channel turn it on (tests/test_semantic_channel.py); the others match lexically.
    monkeypatch.setenv("FACTBOT_SEMANTIC", "off")


_engines: dict[str, Engine] = {}


def _engine_for(backend: str, tmp_root: Path) -> Engine:
    if backend not in _engines:
        if backend == "postgresql":
            engine = make_engine(_pg_url())
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            engine = make_engine(f"sqlite:///{(tmp_root / 'factbot-tests.sqlite3').as_posix()}")
        upgrade(engine)
        _engines[backend] = engine
    return _engines[backend]


def _wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database URL on each backend (PostgreSQL skips without TEST_DATABASE_URL)."""
    backend = request.param
    if backend == "postgresql" and not PG_URL:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1/test)")
    engine = _engine_for(backend, tmp_path_factory.getbasetemp())
    _wipe(engine)
    yield engine.url.render_as_string(hide_password=False)


@pytest.fixture
def engine(db_url: str) -> Engine:
    return _engines["postgresql" if db_url.startswith("postgresql") else "sqlite"]


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def use_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the application's DATABASE_URL at the test database."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for engine in _engines.values():
        engine.dispose()


@pytest.fixture
async def tg(db_url: str) -> Any:
    """The bot on the test database with the bundled KB, talking to the fake Bot API."""
    from tests.harness import make_harness

    harness = make_harness(db_url)
    async with harness.app:
        yield harness
    harness.runtime.close()
    assert harness.errors == [], f"handler errors: {harness.errors!r}"


@pytest.fixture
async def bot(db_url: str) -> Any:
    """The bot with persistence (as `factbot run` builds it), a moderator (MOD_ID) and the admin from
    FACTBOT_ADMIN_IDS."""
    from tests.harness import add_moderator, make_harness

    harness = make_harness(db_url, persistent=True)
    async with harness.app:
        add_moderator(harness)
        yield harness
    harness.runtime.close()
    assert harness.errors == [], f"handler errors: {harness.errors!r}"
