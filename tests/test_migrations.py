"""The Alembic migrations: they build exactly the models' schema, and upgrade old data safely."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from bot.db import make_engine, upgrade
from bot.db.engine import _alembic_config
from bot.db.models import Base, CheckLog, Feedback, Submission, utcnow

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


PENDING_INDEX = "uq_submissions_pending_user_group"


def _pending_index(engine: Engine) -> list[tuple[str, list[str | None], bool]]:
    return [
        (i["name"], i["column_names"], bool(i["unique"]))
        for i in inspect(engine).get_indexes("submissions")
        if i["name"] == PENDING_INDEX
    ]


def test_unique_pending_submission_migration_keeps_each_users_oldest_pending_row(fresh_engine: Engine) -> None:
    config = _alembic_config(fresh_engine)
    command.upgrade(config, "0005")
    submissions = Submission.__table__
    rows = [  # (user, post, status, kept)
        (1, "tg:-100:1", "pending", True),  # the oldest pending row of user 1 for the post
        (1, "tg:-100:1", "pending", False),  # a double press: the same queue item again
        (1, "tg:-100:1", "linked", True),  # resolved rows are history, whatever their number
        (1, "tg:-100:1", "linked", True),
        (2, "tg:-100:1", "pending", True),  # someone else sent the same post
        (1, "file:abc", "pending", True),  # another post of user 1
        (1, "tg:-100:1", "pending", False),
        (2, "tg:-100:1", "pending", False),
    ]
    with fresh_engine.begin() as conn:
        ids = [
            conn.execute(
                insert(submissions).returning(submissions.c.id),
                {"user_id": user, "group_key": key, "status": status, "text": "post", "created_at": utcnow()},
            ).scalar_one()
            for user, key, status, _ in rows
        ]
    assert _pending_index(fresh_engine) == []

    assert upgrade(fresh_engine) is True
    with fresh_engine.connect() as conn:
        left = conn.scalars(select(submissions.c.id).order_by(submissions.c.id)).all()
    assert left == [row_id for row_id, row in zip(ids, rows, strict=True) if row[3]]
    assert _pending_index(fresh_engine) == [(PENDING_INDEX, ["user_id", "group_key"], True)]
    pending_again = {"user_id": 1, "group_key": "tg:-100:1", "text": "post", "created_at": utcnow()}
    with pytest.raises(IntegrityError), fresh_engine.begin() as conn:
        conn.execute(insert(submissions), {**pending_again, "status": "pending"})
    with fresh_engine.begin() as conn:  # the index holds pending rows only
        conn.execute(insert(submissions), {**pending_again, "status": "not_checkable"})

    command.downgrade(config, "0005")
    assert _pending_index(fresh_engine) == []
    with fresh_engine.begin() as conn:  # without the index a second pending row goes in again
        conn.execute(insert(submissions), {**pending_again, "status": "pending"})
    assert upgrade(fresh_engine) is True  # and the upgrade, run again, resolves it again
    assert _pending_index(fresh_engine) == [(PENDING_INDEX, ["user_id", "group_key"], True)]
    with fresh_engine.connect() as conn:
        pending = conn.execute(
            select(submissions.c.user_id, submissions.c.group_key, func.count())
            .where(submissions.c.status == "pending")
            .group_by(submissions.c.user_id, submissions.c.group_key)
            .order_by(submissions.c.user_id, submissions.c.group_key)
        ).all()
    assert [tuple(r) for r in pending] == [(1, "file:abc", 1), (1, "tg:-100:1", 1), (2, "tg:-100:1", 1)]
