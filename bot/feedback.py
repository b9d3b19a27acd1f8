"""Feedback on verdict cards, stored with the check it belongs to."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.models import CheckLog, Feedback

VALUES = ("up", "down")
REASONS = ("wrong_claim", "outdated", "other")


def record_feedback(
    session: Session, check: CheckLog, *, value: str, reason: str | None = None, claim_id: str | None = None
) -> Feedback:
    """Store one vote; the check row mirrors the latest vote for quick statistics."""
    if value not in VALUES or (reason is not None and reason not in REASONS):
        raise ValueError(f"bad feedback {value!r}/{reason!r}")
    if claim_id is None and check.matches:
        claim_id = check.matches[0].get("claim_id")
    row = Feedback(check_id=check.id, claim_id=claim_id, value=value, reason=reason)
    session.add(row)
    check.feedback = value
    check.feedback_reason = reason
    session.flush()
    return row
