"""Submissions: posts the bot could not answer, queued for moderators."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.models import Submission
from bot.services.checks import ForwardOrigin
from bot.services.keys import text_hash
from knowledge.normalize import normalize

INSERT_ATTEMPTS = 3  # a lost race reads the winner's row next round; a third covers one resolved in between


def group_key(text: str, origin: ForwardOrigin | None, file_unique_id: str | None) -> str:
    """The same post sent by many people is one queue item: by post id, else media id, else its text."""
    if origin is not None and origin.post_key:
        return origin.post_key
    if file_unique_id:
        return f"file:{file_unique_id}"
    return "text:" + text_hash(normalize(text))[:40]


def submit(
    session: Session,
    *,
    user_id: int,
    text: str,
    language: str,
    origin: ForwardOrigin | None = None,
    file_unique_id: str | None = None,
    check_id: int | None = None,
) -> tuple[Submission, bool]:
    """Queue a post for moderators; returns (submission, created). A repeat by the same user is not doubled.

    The database holds it: a unique index allows one pending row per (user_id, group_key). Two presses handled
    at once in two threads (or processes) may both find none and both insert; the second insert fails on the
    index inside a SAVEPOINT, which undoes only that insert, and returns the row the first one stored."""
    key = group_key(text, origin, file_unique_id)
    for attempt in range(1, INSERT_ATTEMPTS + 1):
        existing = _pending(session, user_id, key)
        if existing is not None:
            return existing, False
        row = Submission(
            user_id=user_id,
            check_id=check_id,
            language=language,
            text=text,
            group_key=key,
            origin_chat_id=origin.chat_id if origin else None,
            origin_message_id=origin.message_id if origin else None,
            origin_username=origin.username if origin else None,
            origin_title=origin.title if origin else None,
            file_unique_id=file_unique_id,
            status="pending",
        )
        _open_transaction(session)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            # A concurrent press stored it first: the next round reads it (committed, as the insert waited for
            # it); if a moderator resolved it in between, that round inserts again.
            if attempt == INSERT_ATTEMPTS:
                raise
            continue
        return row, True
    raise AssertionError("unreachable")


def _pending(session: Session, user_id: int, key: str) -> Submission | None:
    return session.scalars(
        select(Submission).where(
            Submission.user_id == user_id, Submission.group_key == key, Submission.status == "pending"
        )
    ).first()


def _open_transaction(session: Session) -> None:
    """Make sure the database transaction is open before a SAVEPOINT. The sqlite3 module begins one only
    before a write, and a SAVEPOINT outside a transaction starts one: its RELEASE would then commit the
    insert on its own, before (and whatever becomes of) the caller's unit of work. PostgreSQL needs nothing."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    dbapi_connection = connection.connection.dbapi_connection
    if not getattr(dbapi_connection, "in_transaction", True):
        connection.exec_driver_sql("BEGIN")
