"""Reliability: Telegram faults, database faults and hostile input, through the real handlers."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from bot.db import make_engine, make_sessionmaker, session_scope, upgrade
from bot.db.engine import SQLITE_BUSY_TIMEOUT_MS
from bot.db.models import CheckLog, Feedback, Submission, User
from bot.rendering import render
from bot.rendering.i18n import t
from factbot_testing import fake_telegram as tgf
from tests.harness import ADMIN_ID, FALSE_CLAIM_RU, USER_ID, Harness, make_harness

UNRELATED = "Рецепт борща: свёкла, капуста, картофель, морковь и лук, варить два часа"


def sent(calls: list[tgf.Call], method: str = "sendMessage", *, ok: bool = True) -> list[tgf.Call]:
    return [c for c in calls if c.method == method and c.failed != ok]


def count(h: Harness, model: Any) -> int:
    with session_scope(h.runtime.sessions) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


# --- Telegram faults ---------------------------------------------------------------------------


async def test_retry_after_is_waited_out_and_retried_once_by_the_rate_limiter(db_url: str) -> None:
    h = make_harness(db_url, rate_limiter=True)
    async with h.app:
        h.fake.fail_next("sendMessage", tgf.retry_after(0.05))
        calls = await h.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU))
    assert len(sent(calls, ok=False)) == 1  # AIORateLimiter waited and retried; nothing stacked on top
    (card,) = sent(calls)
    assert card.params["text"].startswith("❌")


async def test_timeouts_and_network_errors_are_retried_with_backoff(tg: Harness) -> None:
    tg.fake.fail_next("sendMessage", tgf.timeout())
    tg.fake.fail_next("sendMessage", tgf.network_error())
    calls = await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU))
    assert len(sent(calls, ok=False)) == 2
    assert sent(calls)[0].params["text"].startswith("❌")


async def test_persistent_network_failure_is_logged_not_fatal(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    h = make_harness(db_url)
    async with h.app:
        h.fake.fail_next("sendMessage", tgf.network_error(), times=10)
        with caplog.at_level(logging.WARNING):
            await h.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU))
        assert "retrying" in caplog.text
        assert any(
            r.levelno == logging.ERROR and "error while handling update" in r.getMessage() for r in caplog.records
        )
        # the bot keeps running: the next update is answered
        h.fake.reset()  # the network is back
        calls = await h.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU))
        assert sent(calls)[-1].params["text"].startswith("❌")
        assert count(h, CheckLog) == 2
    h.runtime.close()


async def test_forbidden_marks_the_user_and_does_not_retry(tg: Harness) -> None:
    await tg.send(tgf.command(USER_ID, "/start"))
    tg.fake.block_chat(USER_ID)
    calls = await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU))
    assert len([c for c in calls if c.method == "sendMessage"]) == 1
    with session_scope(tg.runtime.sessions) as s:
        assert s.get(User, USER_ID).blocked is True  # type: ignore[union-attr]


@pytest.mark.parametrize("error", ["Bad Request: message is too long", "Bad Request: can't parse entities: bad tag"])
async def test_bad_request_falls_back_to_plain_text(tg: Harness, error: str) -> None:
    tg.fake.fail_next("sendMessage", tgf.bad_request(error))
    calls = await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU))
    (fallback,) = sent(calls)
    assert fallback.params.get("parse_mode") is None
    assert fallback.params["text"].startswith("❌ False")
    assert "<b>" not in fallback.params["text"] and len(fallback.params["text"]) <= 4096


async def test_error_handler_tells_user_and_alerts_admins_once_a_minute(
    tg: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("matcher exploded")

    monkeypatch.setattr(tg.runtime.index.matcher, "match", broken)
    tg.errors.clear()
    first = await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU))
    second = await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU))
    for calls in (first, second):
        to_user = [c for c in sent(calls) if c.params["chat_id"] == USER_ID]
        assert [c.params["text"] for c in to_user] == ["Sorry, something went wrong on our side. Please try again."]
        assert all("Traceback" not in c.params["text"] and "exploded" not in c.params["text"] for c in sent(calls))
    alerts = [c for c in sent(first + second) if c.params["chat_id"] == ADMIN_ID]
    assert len(alerts) == 1 and "RuntimeError" in alerts[0].params["text"]
    assert len(tg.errors) == 2
    tg.errors.clear()


# --- database faults ---------------------------------------------------------------------------


async def test_failed_log_write_still_answers(tg: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.services.checks

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(bot.services.checks, "check_row", fail)  # both the thread's and PostgreSQL's loop path
    (card,) = sent(await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU)))
    assert card.params["text"].startswith("❌")
    assert "reply_markup" not in card.params or card.params["reply_markup"] is None  # no check to attach feedback to


async def test_failed_feedback_and_submission_tell_the_user_to_retry(
    tg: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.callbacks

    (card,) = sent(await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU)))
    original = tgf.private_text(USER_ID, UNRELATED)
    (offer,) = sent(await tg.send(original))

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(handlers.callbacks, "record_vote", fail)
    monkeypatch.setattr(handlers.callbacks, "submit", fail)
    answers = [c for c in await tg.press(card, "👍") if c.method == "answerCallbackQuery"]
    assert answers[0].params["text"] == "Sorry, we could not save that. Please try again."
    answers = [
        c for c in await tg.press(offer, "Send to moderators", original=original) if c.method == "answerCallbackQuery"
    ]
    assert answers[0].params["text"] == "Sorry, we could not save your request. Please try again in a minute."
    assert count(tg, Feedback) == 0 and count(tg, Submission) == 0
    monkeypatch.undo()
    await tg.press(card, "👍")
    await tg.press(offer, "Send to moderators", original=original)
    assert count(tg, Feedback) == 1 and count(tg, Submission) == 1


def test_sqlite_concurrent_writers_wait_instead_of_failing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{(tmp_path / 'busy.sqlite3').as_posix()}")
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        # Writers wait for each other, but boundedly: a few seconds, then an error the user is told about.
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
        assert 1000 <= SQLITE_BUSY_TIMEOUT_MS <= 5000
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(40):
                with session_scope(sessions) as s:
                    s.add(
                        CheckLog(
                            user_key=f"u{n}",
                            chat_type="private",
                            input_kind="text",
                            text=str(i),
                            text_len=1,
                            matches=[],
                            result="none",
                            latency_ms=1.0,
                        )
                    )
        except BaseException as exc:
            errors.append(exc)

    # One connection holds the write lock until every writer has sent its first INSERT (and so is waiting
    # on the lock); the writers must wait for it, not fail.
    waiting: set[int] = set()
    arrived = threading.Condition()

    @event.listens_for(engine, "before_cursor_execute")
    def _inserting(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO checks"):
            with arrived:
                waiting.add(threading.get_ident())
                arrived.notify_all()

    holder = engine.raw_connection()
    holder.execute("BEGIN IMMEDIATE")  # type: ignore[attr-defined]
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    with arrived:
        assert arrived.wait_for(lambda: len(waiting) == len(threads), timeout=60)
    holder.rollback()
    holder.close()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with session_scope(sessions) as s:
        assert s.scalar(select(func.count()).select_from(CheckLog)) == 240
    engine.dispose()


def test_dropped_postgresql_connection_is_replaced(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with session_scope(sessions) as s:
        s.execute(text("SELECT 1"))
    killer = make_engine(db_url)
    with killer.begin() as conn:  # drop every other connection of this database, as a failover would
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    with session_scope(sessions) as s:  # pool_pre_ping notices the dead connection and reconnects
        assert s.execute(text("SELECT 1")).scalar() == 1
    killer.dispose()
    engine.dispose()


# --- hostile input -------------------------------------------------------------------------------

HOSTILE = [
    "x" * 4096,
    "\x00\x01\x02 NUL and control \x07\x1b characters \x00",
    "\u200b\u200c\u200d\u2066\u202eright-to-left\u202c\u2069 zero-width",
    "🔥" * 400,
    "<b>not bold</b> <a href='javascript:alert(1)'>x</a> & *bold* _it_ `code` [link](http://x) ||spoiler||",
    "Mixed sсript: Кyрск Sudzhа Zelenskiy купил yachts 67,150 67.150 67 150",
    "😀 " * 100 + FALSE_CLAIM_RU,
    "\n\n\n" + " " * 1000 + ".",
]


async def test_hostile_texts_get_a_clear_answer(tg: Harness) -> None:
    """Each gets one of the bot's ordinary answers (a card, "may be related", "nothing yet", or how to use
    it), as valid HTML, and never the apology for an error."""
    ordinary = (
        *render.BADGES.values(),
        render.esc(t("en", "possible.intro")),
        render.esc(t("en", "none.intro")),
        render.esc(t("en", "empty")),
    )
    for payload in HOSTILE:
        calls = await tg.send(tgf.private_text(USER_ID, payload))
        replies = [c for c in sent(calls) if c.params["chat_id"] == USER_ID]
        assert replies, repr(payload[:40])
        first = replies[0].params["text"]
        assert first.startswith(ordinary), (payload[:40], first[:80])
        for reply in replies:
            assert reply.params.get("parse_mode") == "HTML"  # our HTML was accepted: no plain-text fallback
            assert len(reply.params["text"]) <= 4096
            assert t("en", "error.generic") not in reply.params["text"] and "Traceback" not in reply.params["text"]
    assert tg.errors == []
    # The known claim behind the emoji wall is recognised as such.
    wall = [c for c in sent(await tg.send(tgf.private_text(USER_ID, HOSTILE[6]))) if c.params["chat_id"] == USER_ID]
    assert wall[0].params["text"].startswith(render.BADGES["false"])


async def test_commands_with_missing_or_wrong_arguments(tg: Harness) -> None:
    for name, args in (("/notifications", ""), ("/notifications", "sideways"), ("/check", ""), ("/language", "xx")):
        replies = sent(await tg.send(tgf.command(USER_ID, name, args=args)))
        assert replies and all(r.params["text"] for r in replies), name
    assert tg.errors == []


async def test_no_raw_user_id_or_secret_in_logs(tg: Harness, caplog: pytest.LogCaptureFixture) -> None:
    secret_user = 987654321
    # Our own code at DEBUG, libraries at the level production logs them (LOG_LEVEL=DEBUG keeps the
    # Bot API client at INFO: its debug lines carry chat ids and texts).
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="handlers")
    caplog.set_level(logging.DEBUG, logger="knowledge")
    await tg.send(tgf.private_text(secret_user, FALSE_CLAIM_RU))
    await tg.send(tgf.command(secret_user, "/stats"))
    tg.fake.block_chat(secret_user)
    await tg.send(tgf.private_text(secret_user, UNRELATED))
    assert str(secret_user) not in caplog.text
    assert "test-secret" not in caplog.text
    assert "123:TEST" not in caplog.text


def test_a_write_is_retried_once_after_an_operational_error(sessions: Any) -> None:
    from sqlalchemy.exc import OperationalError

    from bot.db import in_session

    attempts: list[int] = []

    def work(session: Any) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("INSERT ...", {}, Exception("server closed the connection unexpectedly"))
        session.add(
            CheckLog(
                user_key="k",
                chat_type="private",
                input_kind="text",
                text_len=0,
                matches=[],
                result="none",
                latency_ms=0.0,
            )
        )
        return 7

    assert in_session(sessions, work) == 7 and len(attempts) == 2
    attempts.clear()

    def always(session: Any) -> int:
        attempts.append(1)
        raise OperationalError("INSERT ...", {}, Exception("database is locked"))

    with pytest.raises(OperationalError):
        in_session(sessions, always)
    assert len(attempts) == 2  # one retry, not a loop
    with session_scope(sessions) as s:
        assert s.scalar(select(func.count()).select_from(CheckLog)) == 1


async def test_check_log_survives_killed_postgresql_connections(tg: Harness) -> None:
    """On PostgreSQL the check log is written on the event loop through pooled psycopg connections: when
    the server drops them (a failover, a restart), the next check is still answered and logged."""
    if tg.runtime.pg is None:
        pytest.skip("PostgreSQL only")
    (first,) = sent(await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU)))
    with tg.runtime.engine.begin() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    (second,) = sent(await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU)))
    buttons = [first.params["reply_markup"], second.params["reply_markup"]]
    assert all(b and b["inline_keyboard"] for b in buttons)  # each card offers feedback on its logged check
    with session_scope(tg.runtime.sessions) as s:
        assert s.scalar(select(func.count()).select_from(CheckLog)) == 2
