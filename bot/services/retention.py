"""Privacy: pseudonymous user keys, erasing old log texts, and forgetting a user (/forget_me)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.db.models import CheckLog, Feedback, Outbox, Submission, User, utcnow
from bot.services.keys import user_key

__all__ = ["erase_old_texts", "forget_user", "retention_cutoff", "user_key"]


def retention_cutoff(retention_days: int, now: dt.datetime | None = None) -> dt.datetime:
    """Texts logged before this moment are erased."""
    return (now or utcnow()) - dt.timedelta(days=retention_days)


def erase_old_texts(session: Session, *, retention_days: int, now: dt.datetime | None = None) -> int:
    """Set the text of checks older than `retention_days` to NULL; the hash, length and counts stay.

    Returns the number of rows whose text was erased (rows already without text are not counted).
    """
    cutoff = retention_cutoff(retention_days, now)
    statement = (
        update(CheckLog)
        .where(CheckLog.created_at < cutoff, CheckLog.text.is_not(None))
        .values(text=None)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(statement)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_user(session: Session, *, user_id: int, user_key: str) -> dict[str, int]:
    """Delete everything kept about one user: checks (by key) and their feedback, submissions, outbox, settings."""
    check_ids = select(CheckLog.id).where(CheckLog.user_key == user_key)
    statements = {
        "feedback": delete(Feedback).where(Feedback.check_id.in_(check_ids)),
        "checks": delete(CheckLog).where(CheckLog.user_key == user_key),
        "submissions": delete(Submission).where(Submission.user_id == user_id),
        "outbox": delete(Outbox).where(Outbox.user_id == user_id),
        "users": delete(User).where(User.telegram_id == user_id),
    }
    counts: dict[str, int] = {}
    for name, statement in statements.items():
        result = session.execute(statement.execution_options(synchronize_session=False))
        counts[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts
