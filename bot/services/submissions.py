"""Submissions: posts the bot could not answer, queued for moderators."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Submission
from bot.services.checks import ForwardOrigin
from bot.services.keys import text_hash
from knowledge.normalize import normalize


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
    """Queue a post for moderators; returns (submission, created). A repeat by the same user is not doubled."""
    key = group_key(text, origin, file_unique_id)
    existing = session.scalars(
        select(Submission).where(
            Submission.user_id == user_id, Submission.group_key == key, Submission.status == "pending"
        )
    ).first()
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
    session.add(row)
    session.flush()
    return row, True
