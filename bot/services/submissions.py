"""Submissions: posts the bot could not answer, queued for moderators."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from bot.db.dialects import per_dialect
from bot.db.models import PENDING_ONLY, Submission
from bot.services.checks import ForwardOrigin
from bot.services.keys import text_hash
from knowledge.normalize import normalize

INSERT_ATTEMPTS = 3  # a lost race reads the winner's row next round; a third covers one resolved in between
# As the outbox's _INSERT_ONCE: on either database a concurrent press's pending row makes the insert a no-op
# (the partial unique index uq_submissions_pending_user_group), and the press reads that row instead.
_INSERT_PENDING = per_dialect(
    lambda insert: insert(Submission)
    .on_conflict_do_nothing(index_elements=["user_id", "group_key"], index_where=sql_text(PENDING_ONLY))
    .returning(Submission.id)
)


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
    at once in two threads (or processes) may both find none; the second insert is a no-op on the index, and it
    returns the row the first one stored."""
    key = group_key(text, origin, file_unique_id)
    values = {
        "user_id": user_id,
        "check_id": check_id,
        "language": language,
        "text": text,
        "group_key": key,
        "origin_chat_id": origin.chat_id if origin else None,
        "origin_message_id": origin.message_id if origin else None,
        "origin_username": origin.username if origin else None,
        "origin_title": origin.title if origin else None,
        "file_unique_id": file_unique_id,
        "status": "pending",
    }
    statement = _INSERT_PENDING[session.get_bind().dialect.name].values(**values)
    for _attempt in range(INSERT_ATTEMPTS):
        existing = _pending(session, user_id, key)
        if existing is not None:
            return existing, False
        new_id = session.execute(statement).scalar()
        if new_id is not None:
            row = session.get(Submission, new_id)
            assert row is not None
            return row, True
        # A concurrent press stored it first (the insert waited for it): the next round reads it; if a moderator
        # resolved it in between, that round inserts again.
    raise RuntimeError(f"submission {key!r} of user {user_id} neither stored nor found")


def _pending(session: Session, user_id: int, key: str) -> Submission | None:
    return session.scalars(
        select(Submission).where(
            Submission.user_id == user_id, Submission.group_key == key, Submission.status == "pending"
        )
    ).first()
