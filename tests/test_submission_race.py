"""Sending a post to moderators under concurrent presses: one pending row per user and post, held by the
database (a partial unique index), whichever of two threads inserts first."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.db.models import Submission, utcnow
from bot.services import submissions
from bot.services.checks import ForwardOrigin
from bot.services.submissions import group_key, submit

USER, OTHER_USER = 5001, 5002
POST = ForwardOrigin(kind="channel", chat_id=-1001234567890, username="somechannel", title="Some channel", message_id=7)
TEXT = "A forwarded post the bot could not answer"
KEY = group_key(TEXT, POST, None)
WAIT_S = 20  # a thread that never arrives fails the test instead of hanging it


def press(session: Session, user_id: int = USER) -> tuple[Submission, bool]:
    return submit(session, user_id=user_id, text=TEXT, language="en", origin=POST)


def pending_rows(sessions: sessionmaker[Session], user_id: int = USER) -> list[Submission]:
    with session_scope(sessions) as session:
        return list(
            session.scalars(
                select(Submission)
                .where(Submission.user_id == user_id, Submission.group_key == KEY, Submission.status == "pending")
                .order_by(Submission.id)
            )
        )


def at_once(work: Callable[[], tuple[int, bool]], threads: int = 2) -> list[tuple[int, bool]]:
    """Run `work` in `threads` threads; their (submission id, created) results, or the first error raised."""
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(work())
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(WAIT_S * 2)
    assert not any(worker.is_alive() for worker in workers), "a press never finished"
    if errors:
        raise errors[0]
    return results


@contextmanager
def submission_inserts_meet(engine: Engine, parties: int = 2) -> Iterator[list[str]]:
    """Hold each thread's first INSERT into submissions until every thread has reached its own: all of them
    have then looked for a pending row and found none, so only the database can stop the second one.
    Yields the INSERT statements seen."""
    meet = threading.Barrier(parties, timeout=WAIT_S)
    seen: list[str] = []
    local = threading.local()

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO SUBMISSIONS"):
            seen.append(statement)
            if not getattr(local, "met", False):
                local.met = True
                meet.wait()

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_two_presses_at_once_store_one_pending_row(sessions: sessionmaker[Session]) -> None:
    start = threading.Barrier(2, timeout=WAIT_S)

    def one_press() -> tuple[int, bool]:
        with session_scope(sessions) as session:
            start.wait()
            row, created = press(session)
            return row.id, created

    results = at_once(one_press)
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0] == results[1][0]  # the press that did not create it got the row that was
    assert [row.id for row in pending_rows(sessions)] == [results[0][0]]


def test_a_press_that_loses_the_insert_race_returns_the_winners_row(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    def one_press() -> tuple[int, bool]:
        with session_scope(sessions) as session:
            row, created = press(session)
            return row.id, created

    with submission_inserts_meet(engine) as inserts:
        results = at_once(one_press)
    assert len(inserts) == 2  # both threads found nothing pending and tried to insert
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0] == results[1][0]
    stored = pending_rows(sessions)
    assert [row.id for row in stored] == [results[0][0]]
    assert (stored[0].text, stored[0].origin_chat_id, stored[0].origin_message_id) == (TEXT, POST.chat_id, 7)


def test_a_lost_insert_undoes_only_itself(sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    """The insert that meets the index does nothing, and nothing else: what the caller wrote before it in the
    same transaction still commits, and the row that won is returned."""
    looked = []

    def missed_once(session: Session, user_id: int, key: str) -> Submission | None:
        if not looked:  # the first look misses a row stored meanwhile, as a racing press's would
            looked.append(key)
            session.execute(insert(Submission).values(user_id=user_id, text="the winner", group_key=key))
            return None
        looked.append(key)
        return real(session, user_id, key)

    real = submissions._pending
    monkeypatch.setattr(submissions, "_pending", missed_once)
    with session_scope(sessions) as session:
        session.add(Submission(user_id=OTHER_USER, text="written before", group_key="text:before"))
        session.flush()
        row, created = press(session)
        assert (row.text, created) == ("the winner", False)
    assert looked == [KEY, KEY]
    assert [r.text for r in pending_rows(sessions)] == ["the winner"]
    with session_scope(sessions) as session:
        assert session.scalars(select(Submission.text).where(Submission.user_id == OTHER_USER)).all() == [
            "written before"
        ]


def test_a_rolled_back_caller_leaves_no_submission(sessions: sessionmaker[Session]) -> None:
    """The insert is part of the caller's transaction on both databases: nothing commits the row on its own."""
    session = sessions()
    try:
        _, created = press(session)
        assert created is True
        session.rollback()
    finally:
        session.close()
    assert pending_rows(sessions) == []


def test_one_pending_row_per_user_not_per_post_and_not_after_it_was_resolved(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        first, created = press(session)
        assert created is True
        assert press(session) == (first, False)
        other, created = press(session, OTHER_USER)
        assert created is True and other.id != first.id  # someone else's press of the same post
        first.status, first.claim_id, first.resolved_at = "linked", "some-claim", utcnow()
        session.flush()
        again, created = press(session)  # sent again after the answer: a new queue item
        assert created is True and again.id not in (first.id, other.id)
    assert [row.id for row in pending_rows(sessions)] == [again.id]
