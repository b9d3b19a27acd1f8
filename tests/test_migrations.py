"""The Alembic migrations: they build exactly the models' schema, and upgrade old data safely."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, insert, select, text

from bot.db import make_engine, upgrade
from bot.db.engine import _alembic_config
from bot.db.models import Base, CheckLog, Feedback, utcnow

SCHEMA = "factbot_migration_test"


@pytest.fixture
def fresh_engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty, unmigrated database on the same backend as `db_url` (PostgreSQL: its own schema)."""
    if db_url.startswith("sqlite"):
        engine = make_engine(f"sqlite:///{(tmp_path / 'fresh.sqlite3').as_posix()}")
        yield engine
        engine.dispose()
        return
    admin = make_engine(db_url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    engine = make_engine(db_url, connect_args={"options": f"-c search_path={SCHEMA}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()


def test_migrations_build_exactly_the_models_schema(fresh_engine: Engine) -> None:
    assert upgrade(fresh_engine) is True
    with fresh_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert upgrade(fresh_engine) is False  # already at head


def test_unique_vote_migration_keeps_each_checks_latest_vote(fresh_engine: Engine) -> None:
    command.upgrade(_alembic_config(fresh_engine), "0002")
    checks, feedback = CheckLog.__table__, Feedback.__table__
    with fresh_engine.begin() as conn:
        base = {"created_at": utcnow(), "user_key": "k", "chat_type": "private", "input_kind": "text"}
        common = {**base, "text_hash": "h", "text_len": 1, "matches": [], "result": "none", "latency_ms": 1.0}
        first, second = (conn.execute(insert(checks).returning(checks.c.id), common).scalar_one() for _ in range(2))
        for check_id, value in ((first, "up"), (first, "up"), (second, "down"), (first, "down")):
            conn.execute(insert(feedback), {"check_id": check_id, "value": value, "created_at": utcnow()})
    upgrade(fresh_engine)
    with fresh_engine.connect() as conn:
        rows = conn.execute(select(feedback.c.check_id, feedback.c.value).order_by(feedback.c.id)).all()
        assert [tuple(r) for r in rows] == [(second, "down"), (first, "down")]
        assert conn.scalar(select(func.count()).select_from(checks)) == 2
