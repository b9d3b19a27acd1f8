"""The database failing under the bot: a lock held by another process, injected write faults, a read-only
file. Other users keep getting answers, the user whose write failed is told to try again, the logs keep
ids and texts out, and a database that cannot take writes stops `factbot run` with one line."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from bot.cli import main
from bot.db import engine as db_engine
from bot.db import in_session_thread, make_sessionmaker, session_scope
from bot.db.models import User
from bot.rendering.i18n import t
from bot.rendering.render import esc
from factbot_testing import fake_telegram as tgf
from handlers import common
from tests.harness import Harness, make_harness

WRITER_ID = 5550001234  # Telegram ids are long: the log redaction is for ids like these
NEWCOMER_ID = 5550005678
SECRET_TEXT = "Тайный маркер: Суджа освобождена силами 1099-го полка"


def texts_to(calls: list[tgf.Call], chat_id: int) -> list[str]:
    return [c.params["text"] for c in calls if c.method == "sendMessage" and c.params["chat_id"] == chat_id]


async def test_a_locked_database_leaves_others_answered_and_tells_the_writer_to_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lock outlasts the 1 s bound below, so a handler that waited for it on the event loop would make
    # the newcomer's /start miss that bound.
    monkeypatch.setattr(db_engine, "SQLITE_BUSY_TIMEOUT_MS", 1500)
    monkeypatch.setattr(common, "LANGUAGE_WAIT_SECONDS", 0.2)
    path = tmp_path / "locked.sqlite3"
    h = make_harness(f"sqlite:///{path.as_posix()}")
    async with h.app:
        await h.send(tgf.private_text(WRITER_ID, "hello"))  # the writer is known, their language cached
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        try:
            writer = asyncio.create_task(h.send(tgf.command(WRITER_ID, "/notifications", "off")))
            async with asyncio.timeout(1.0):  # a correctness bound: the loop is not waiting on the lock
                answered = await h.send(tgf.command(NEWCOMER_ID, "/start"))
            assert not writer.done()  # the writer is still waiting for the lock meanwhile
            refused = await writer
        finally:
            holder.rollback()
            holder.close()
        assert texts_to(answered, NEWCOMER_ID) == [esc(t("en", "start"))]
        assert texts_to(refused, WRITER_ID) == [esc(t("en", "error.busy"))]
        assert [type(e).__name__ for e in h.errors] == ["OperationalError"]

        retried = await h.send(tgf.command(WRITER_ID, "/notifications", "off"))  # the lock is gone
        assert texts_to(retried, WRITER_ID) == [esc(t("en", "notifications.off"))]
    with session_scope(h.runtime.sessions) as session:
        writer_row = session.get(User, WRITER_ID)
        assert writer_row is not None and writer_row.notifications is False
    h.runtime.close()


def _inject_write_faults(db_url: str) -> None:
    """Every insert into the check log and every user update fails inside the database."""
    engine = create_engine(db_url)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            for table, event in (("checks", "INSERT"), ("users", "UPDATE")):
                connection.execute(
                    text(
                        f"CREATE TRIGGER fault_{table} BEFORE {event} ON {table} "
                        "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
                    )
                )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION injected_fault() RETURNS trigger AS $$ "
                    "BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql"
                )
            )
            for table, event in (("checks", "INSERT"), ("users", "UPDATE")):
                connection.execute(
                    text(
                        f"CREATE TRIGGER fault_{table} BEFORE {event} ON {table} "
                        "FOR EACH ROW EXECUTE FUNCTION injected_fault()"
                    )
                )
    engine.dispose()


async def _check_and_write_under_faults(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> tuple[list[tgf.Call], list[tgf.Call]]:
    # As in production: INFO (the default LOG_LEVEL) for the libraries, whose DEBUG lines are kept off
    # even when LOG_LEVEL=DEBUG (bot.settings.configure_logging), and everything from our code.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="handlers")
    checked = await h.send(tgf.private_text(WRITER_ID, SECRET_TEXT))
    refused = await h.send(tgf.command(WRITER_ID, "/notifications", "off"))
    return checked, refused


def _remove_write_faults(db_url: str) -> None:
    """The test databases are shared by the whole run: leave them as they were."""
    engine = create_engine(db_url)
    with engine.begin() as connection:
        for table in ("checks", "users"):
            on_table = "" if engine.dialect.name == "sqlite" else f" ON {table}"
            connection.execute(text(f"DROP TRIGGER IF EXISTS fault_{table}{on_table}"))
        if engine.dialect.name != "sqlite":
            connection.execute(text("DROP FUNCTION IF EXISTS injected_fault()"))
    engine.dispose()


async def test_database_faults_leave_no_ids_or_texts_in_the_logs(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    h = make_harness(db_url)
    async with h.app:
        await h.send(tgf.private_text(WRITER_ID, "hello"))
        _inject_write_faults(db_url)
        try:
            checked, refused = await _check_and_write_under_faults(h, caplog)
        finally:
            _remove_write_faults(db_url)
    h.runtime.close()
    assert texts_to(checked, WRITER_ID)  # the check is answered although its log row could not be written
    # An injected fault is not a lock: no "busy, try again", but the user is still answered.
    assert texts_to(refused, WRITER_ID) == [esc(t("en", "error.generic"))]
    logged = caplog.text
    # The faults were logged, with their tracebacks ...
    assert "could not write the check log" in logged and "injected fault" in logged
    assert "error while handling update" in logged and "Traceback" in logged
    # ... and nothing that identifies the user or what they sent.
    for secret in (str(WRITER_ID), SECRET_TEXT, "Тайный маркер", "1099"):
        assert secret not in logged


def test_run_refuses_a_database_it_cannot_write_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ro.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path.as_posix()}")
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///file:{path.as_posix()}?mode=ro&uri=true")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:TEST")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")  # never reached
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("factbot: the database") and "is not writable: attempt to write a readonly database" in err
    engine = create_engine(f"sqlite:///{path.as_posix()}")
    with engine.connect() as connection:  # the probe left nothing behind
        assert connection.execute(text("SELECT count(*) FROM meta WHERE key LIKE 'factbot:%'")).scalar() == 0
        assert connection.execute(select(User.telegram_id)).first() is None
    engine.dispose()


async def test_database_work_runs_off_the_event_loop_sqlite_in_one_thread(db_url: str) -> None:
    """SQLite units run one after another in one thread (the file takes one writer at a time, and writers
    in several threads would meet in SQLite's sleeping busy handler); PostgreSQL's in a pool."""
    engine = db_engine.make_engine(db_url)
    sessions = make_sessionmaker(engine)
    names = await asyncio.gather(
        *(in_session_thread(sessions, lambda _session: threading.current_thread().name) for _ in range(16))
    )
    engine.dispose()
    assert threading.current_thread().name not in names
    prefix = "factbot-sqlite" if db_url.startswith("sqlite") else "factbot-db"
    assert {name.rsplit("_", 1)[0] for name in names} == {prefix}
    if db_url.startswith("sqlite"):
        assert len(set(names)) == 1


def test_every_database_wait_is_bounded(db_url: str) -> None:
    """SQLite's busy timeout, PostgreSQL's lock and statement timeouts; options in the URL are kept."""
    if db_url.startswith("sqlite"):
        engine = db_engine.make_engine(db_url)
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == db_engine.SQLITE_BUSY_TIMEOUT_MS
        engine.dispose()
        return
    separator = "&" if "?" in db_url else "?"
    engine = db_engine.make_engine(f"{db_url}{separator}options=-c%20application_name%3Dfactbot-test")
    with engine.connect() as connection:
        shown = [connection.execute(text(f"SHOW {name}")).scalar() for name in ("lock_timeout", "statement_timeout")]
        assert shown == [f"{db_engine.PG_LOCK_TIMEOUT_MS // 1000}s", f"{db_engine.PG_STATEMENT_TIMEOUT_MS // 1000}s"]
        assert connection.execute(text("SHOW application_name")).scalar() == "factbot-test"
    engine.dispose()
