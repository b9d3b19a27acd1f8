"""Feedback on verdict cards, stored with the check it belongs to."""

from __future__ import annotations

from sqlalchemy import Connection, Table, bindparam, update

from bot.db.dialects import per_dialect
from bot.db.models import CheckLog, Feedback, utcnow

VALUES = ("up", "down")
REASONS = ("wrong_claim", "outdated", "other")

# Built once: a vote is two statements on a hot path (one update in six under load), where the ORM's
# load-then-flush took four statements and most of the handler's time.
_CHECKS: Table = CheckLog.__table__  # type: ignore[assignment]
_FEEDBACK: Table = Feedback.__table__  # type: ignore[assignment]
_MARK_CHECK = (
    update(_CHECKS)
    .where(_CHECKS.c.id == bindparam("b_check_id"), _CHECKS.c.user_key == bindparam("b_owner"))
    .values(feedback=bindparam("b_value"), feedback_reason=bindparam("b_reason"))
    .returning(_CHECKS.c.matches)
)
_VOTE_UPSERTS = per_dialect(
    lambda insert: (vote := insert(_FEEDBACK)).on_conflict_do_update(
        index_elements=["check_id"],
        set_={column: vote.excluded[column] for column in ("claim_id", "value", "reason", "created_at")},
    )
)


def record_vote(
    connection: Connection,
    check_id: int,
    owner_key: str,
    *,
    value: str,
    reason: str | None = None,
    claim_id: str | None = None,
) -> bool:
    """Store a vote on the check `owner_key` made; False when there is no such check of theirs.

    One row per check holds the latest vote (a unique check_id), so a repeated press, a redelivered
    update after a crash or two processes racing never count twice. The check row mirrors the vote
    for statistics. Run it in one transaction."""
    if value not in VALUES or (reason is not None and reason not in REASONS):
        raise ValueError(f"bad feedback {value!r}/{reason!r}")
    matches = connection.execute(
        _MARK_CHECK, {"b_check_id": check_id, "b_owner": owner_key, "b_value": value, "b_reason": reason}
    ).scalar_one_or_none()
    if matches is None:
        return False
    if claim_id is None and matches:
        claim_id = matches[0].get("claim_id")
    connection.execute(
        _VOTE_UPSERTS[connection.dialect.name],
        {"check_id": check_id, "claim_id": claim_id, "value": value, "reason": reason, "created_at": utcnow()},
    )
    return True
