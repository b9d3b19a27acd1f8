"""Feedback on verdict cards, stored with the check it belongs to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import CheckLog, Feedback, utcnow

VALUES = ("up", "down")
REASONS = ("wrong_claim", "outdated", "other")


def record_feedback(
    session: Session, check: CheckLog, *, value: str, reason: str | None = None, claim_id: str | None = None
) -> Feedback:
    """Store the vote on a check: one row per check holding the latest vote, so a repeated press (or a
    redelivered update after a crash) never counts twice. The check row mirrors it for statistics."""
    if value not in VALUES or (reason is not None and reason not in REASONS):
        raise ValueError(f"bad feedback {value!r}/{reason!r}")
    if claim_id is None and check.matches:
        claim_id = check.matches[0].get("claim_id")
    row = session.scalars(select(Feedback).where(Feedback.check_id == check.id)).first()
    if row is None:
        row = Feedback(check_id=check.id, claim_id=claim_id, value=value, reason=reason)
        session.add(row)
    else:
        row.value, row.reason, row.claim_id, row.created_at = value, reason, claim_id, utcnow()
    check.feedback = value
    check.feedback_reason = reason
    session.flush()
    return row
