"""Follow-ups through a database outbox: "you asked about this" when a submission is resolved, and
"updated" notices when a published verdict is corrected.

Enqueueing happens in the caller's transaction (the moderation change and its notices commit together).
This module holds the rows and their states; sending them through Telegram is handlers.delivery, which runs
from a repeating job (and at once after a moderation action, via `kick`).

Guarantees
- Exactly one row per notice: every row has a unique `dedupe_key`, inserted with ON CONFLICT DO NOTHING,
  so calling an enqueue function twice (or from two processes at once) creates nothing new.
- Never sent twice: a worker claims one row at a time with `UPDATE outbox SET status='sending' ...
  WHERE id=:id AND status='pending'`, commits, and only sends when that UPDATE changed exactly one row.
  On PostgreSQL a concurrent claim of the same row blocks on the row lock, then re-checks
  `status='pending'` and updates nothing; on SQLite writers are serialised. Several processes (and the
  repeating job racing `kick` in one process) can therefore share one outbox.
- Never lost: transient failures (RetryAfter, TimedOut, NetworkError, other Telegram errors) put the
  row back to 'pending' with exponential backoff; after MAX_ATTEMPTS it becomes 'failed' and is kept
  (and logged), so an operator can look at it and `requeue_failed` it.
- A crash between the claim and recording the outcome leaves a row in 'sending' whose message may or
  may not have reached the user. Such a row (its lease, `next_attempt_at`, expired) is marked 'failed'
  with an explicit "outcome unknown" error and NOT retried: for this one-request window we choose
  at-most-once, because a duplicate follow-up is visible spam while the row stays in the database for an
  operator to requeue. The window is one HTTP request per crashed worker, as rows are claimed one by one.
- The one remaining duplicate window is Telegram's: a TimedOut raised after Telegram accepted the message
  (a read timeout) is retried as asked by the design, so the user could see it twice. Connection errors
  and pool timeouts, by far the common case, never reached Telegram.

Statuses: pending -> sending -> sent | skipped | failed (or back to pending for a retry).
'skipped' rows are kept on purpose: a user with notifications off or who blocked the bot gets a
'skipped' row (last_error says why) instead of no row, so the decision is recorded and the dedupe key is
taken — turning notifications on later does not replay stale notices.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.db.dialects import per_dialect
from bot.db.models import CardDelivery, ClaimRow, Outbox, Submission, User, utcnow
from bot.rendering.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from bot.rendering.render import TELEGRAM_LIMIT, card, esc
from bot.services import kb_store, users
from bot.services.checks import record_deliveries
from knowledge.schema import Claim

log = logging.getLogger(__name__)

KIND_RESOLVED = "resolved"
KIND_UPDATED = "updated"
MAX_ATTEMPTS = 8
RETRY_BASE_SECONDS = 30.0  # 30 s, 1, 2, 4, 8, 16, 32 min... capped below
RETRY_MAX_SECONDS = 3600.0
SENDING_LEASE = dt.timedelta(minutes=15)  # longer than any single send, rate-limiter waits included
INTERRUPTED = "interrupted while sending (outcome unknown); not retried to avoid a duplicate"


# --- enqueue ------------------------------------------------------------------------------------


# On either database a concurrent duplicate is simply not inserted.
_INSERT_ONCE = per_dialect(
    lambda insert: insert(Outbox).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Outbox.id)
)


def _insert_once(session: Session, values: dict[str, Any]) -> bool:
    """Insert one outbox row unless its dedupe_key exists (also against a concurrent insert)."""
    statement = _INSERT_ONCE[session.get_bind().dialect.name].values(**values)
    return session.execute(statement).first() is not None


def _enqueue(
    session: Session, *, user: User | None, user_id: int, kind: str, payload: dict[str, Any], dedupe_key: str
) -> bool:
    """One notice; True when a new *pending* row was created (opted-out users get a 'skipped' row)."""
    reason = _opt_out_reason(user)
    values: dict[str, Any] = {
        "user_id": user_id,
        "kind": kind,
        "payload": payload,
        "dedupe_key": dedupe_key,
        "status": "skipped" if reason else "pending",
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "last_error": reason,
    }
    created = _insert_once(session, values)
    return created and reason is None


def _opt_out_reason(user: User | None) -> str | None:
    if user is None:  # never wrote to us through a handler that records users: defaults apply
        return None
    if user.blocked:
        return "the user blocked the bot"
    if not user.notifications:
        return "notifications are off"
    return None


def enqueue_submission_resolved(session: Session, *, group_key: str) -> int:
    """Queue a follow-up for every resolved submission of a queue item; returns the notices to send.

    One row per submission (dedupe_key ``resolved:<submission id>``). A user who sent the same post
    several times gets one notice per distinct outcome (their earliest submission carries it). Users with
    notifications off or who blocked the bot get a 'skipped' row, which is not counted. Idempotent.
    A 'not_checkable' submission without a reason is still resolved (the reason shows as "—").
    """
    session.flush()
    resolved = session.scalars(
        select(Submission)
        .where(
            Submission.group_key == group_key,
            or_(
                and_(Submission.status == "linked", Submission.claim_id.is_not(None)),
                Submission.status == "not_checkable",
            ),
        )
        .order_by(Submission.id)
    ).all()
    if not resolved:
        return 0
    people = {
        u.telegram_id: u
        for u in session.scalars(select(User).where(User.telegram_id.in_({s.user_id for s in resolved})))
    }
    seen: set[tuple[int, str, str]] = set()
    created = 0
    for sub in resolved:
        outcome = "linked" if sub.status == "linked" else "not_checkable"
        detail = (sub.claim_id or "") if outcome == "linked" else (sub.reason or "")
        if (sub.user_id, outcome, detail) in seen:
            continue
        seen.add((sub.user_id, outcome, detail))
        user = people.get(sub.user_id)
        payload: dict[str, Any] = {
            "submission_id": sub.id,
            "group_key": group_key,
            "outcome": outcome,
            "asked_on": sub.created_at.date().isoformat(),
            "lang": sub.language or (user.language if user else None) or DEFAULT_LANGUAGE,
        }
        if outcome == "linked":
            payload["claim_id"] = sub.claim_id
        else:
            payload["reason"] = sub.reason or ""
        if _enqueue(
            session,
            user=user,
            user_id=sub.user_id,
            kind=KIND_RESOLVED,
            payload=payload,
            dedupe_key=f"resolved:{sub.id}",
        ):
            created += 1
    return created


def _correction_marker(row: ClaimRow) -> str:
    """Identifies one version of the claim: modification time plus a hash of what the notice is about."""
    digest = hashlib.sha256(f"{row.verdict}\n{row.summary}".encode()).hexdigest()[:10]
    return f"{row.modified_at.isoformat(timespec='seconds')}:{digest}"


def enqueue_claim_updated(session: Session, *, claim_id: str, within_days: int = 30) -> int:
    """Queue an "updated" notice for everyone who got this claim's card in the last `within_days` days.

    The dedupe key carries the claim's version (``updated:<claim>:<user>:<modified_at>:<hash>``): the same
    correction is notified once, a later one again. Returns the notices to send (opted-out users get a
    'skipped' row, not counted). Call it after the change is applied (flushed or not) in the same session.
    A retired or missing claim notifies nobody.
    """
    session.flush()
    row = session.get(ClaimRow, claim_id)
    if row is None or row.status != "published":
        return 0
    marker = _correction_marker(row)
    cutoff = utcnow() - dt.timedelta(days=within_days)
    recipients = session.execute(
        select(CardDelivery.user_id, User)
        .outerjoin(User, User.telegram_id == CardDelivery.user_id)
        .where(CardDelivery.claim_id == claim_id, CardDelivery.last_sent_at >= cutoff)
        .order_by(CardDelivery.user_id)
    ).all()
    created = 0
    for user_id, user in recipients:
        payload = {"claim_id": claim_id, "version": marker, "lang": (user.language if user else None)}
        if _enqueue(
            session,
            user=user,
            user_id=user_id,
            kind=KIND_UPDATED,
            payload=payload,
            dedupe_key=f"updated:{claim_id}:{user_id}:{marker}",
        ):
            created += 1
    return created


def requeue_failed(session: Session, ids: Sequence[int] | None = None) -> int:
    """Operator's tool: put 'failed' rows (all, or these ids) back to 'pending' with fresh attempts."""
    stmt = update(Outbox).where(Outbox.status == "failed")
    if ids is not None:
        stmt = stmt.where(Outbox.id.in_(list(ids)))
    result = session.execute(
        stmt.values(status="pending", attempts=0, next_attempt_at=utcnow()).execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount)


# --- rendering ----------------------------------------------------------------------------------


class _Skip(Exception):
    """The row should not be sent (opted out, claim gone): status 'skipped' with this reason."""


def _language(user: User | None, payload: dict[str, Any]) -> str:
    for lang in ((user.language if user else None), payload.get("lang")):
        if isinstance(lang, str) and lang in LANGUAGES:
            return lang
    return DEFAULT_LANGUAGE


def _with_card(note_html: str, claim: Claim, lang: str) -> str:
    text = f"{note_html}\n\n{card(claim, lang)}"
    if len(text) > TELEGRAM_LIMIT - 100:
        text = f"{note_html}\n\n{card(claim, lang, summary_chars=600)}"
    return text


def render_notice(session: Session, row: Outbox, user: User | None) -> str:
    """The message for one outbox row, as Telegram HTML in the user's language."""
    lang = _language(user, row.payload)
    payload = row.payload
    if row.kind == KIND_RESOLVED:
        asked_on = str(payload.get("asked_on", ""))
        if payload.get("outcome") == "not_checkable":
            reason = str(payload.get("reason") or "—")
            return "📬 " + esc(t(lang, "followup.not_checkable", date=asked_on, reason=reason))
        claim = _published_claim(session, str(payload.get("claim_id")))
        return _with_card("📬 <i>" + esc(t(lang, "followup.asked_on", date=asked_on)) + "</i>", claim, lang)
    if row.kind == KIND_UPDATED:
        claim = _published_claim(session, str(payload.get("claim_id")))
        return _with_card("🔄 <b>" + esc(t(lang, "followup.updated")) + "</b>", claim, lang)
    raise ValueError(f"unknown outbox kind {row.kind!r}")


def _published_claim(session: Session, claim_id: str) -> Claim:
    row = kb_store.get_claim_row(session, claim_id)
    if row is None:
        raise _Skip(f"claim {claim_id} no longer exists")
    if row.status != "published":
        raise _Skip(f"claim {claim_id} is {row.status}")
    return kb_store.row_to_claim(row)


# --- delivery steps: the database side (handlers.delivery sends) --------------------------------


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS))


def fail_interrupted(sessions: sessionmaker[Session], now: dt.datetime) -> int:
    """Rows left 'sending' past their lease by a crashed worker: 'failed', kept, never resent."""
    with session_scope(sessions) as session:
        result = session.execute(
            update(Outbox)
            .where(Outbox.status == "sending", Outbox.next_attempt_at <= now)
            .values(status="failed", last_error=INTERRUPTED)
            .execution_options(synchronize_session=False)
        )
        count = int(cast(CursorResult[Any], result).rowcount)
    if count:
        log.error("outbox: %d follow-up(s) were interrupted while sending; marked failed (see last_error)", count)
    return count


def take_row(
    sessions: sessionmaker[Session], row_id: int, now: dt.datetime
) -> tuple[int, str, str | None] | str | None:
    """Take one due row for this worker and render it.

    Returns (user_id, html, claim id of the card) when this worker now owns the row, None when another
    worker took it, or a string: the status it got without sending ("skipped"/"failed", already recorded)."""
    with session_scope(sessions) as session:
        result = session.execute(
            update(Outbox)
            .where(Outbox.id == row_id, Outbox.status == "pending", Outbox.next_attempt_at <= now)
            .values(status="sending", next_attempt_at=now + SENDING_LEASE)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], result).rowcount != 1:
            return None
        row = session.get(Outbox, row_id)
        assert row is not None
        user = session.get(User, row.user_id)
        reason = _opt_out_reason(user)
        try:
            if reason is not None:
                raise _Skip(reason)
            html_text = render_notice(session, row, user)
            card_of = row.payload.get("claim_id")
            return row.user_id, html_text, card_of if isinstance(card_of, str) else None
        except _Skip as exc:
            row.status, row.last_error = "skipped", str(exc)
            return "skipped"
        except Exception as exc:
            log.exception("outbox: could not render follow-up %d", row_id)
            row.status, row.last_error = "failed", f"render: {exc!r}"[:1000]
            return "failed"


def finish(sessions: sessionmaker[Session], row_id: int, **values: Any) -> None:
    with session_scope(sessions) as session:
        session.execute(
            update(Outbox)
            .where(Outbox.id == row_id, Outbox.status == "sending")
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def retry(sessions: sessionmaker[Session], row_id: int, now: dt.datetime, error: str, at_least: float = 0.0) -> str:
    """Back to 'pending' with backoff, or 'failed' after MAX_ATTEMPTS. Returns the new status."""
    with session_scope(sessions) as session:
        row = session.get(Outbox, row_id)
        if row is None or row.status != "sending":
            return "gone"
        row.attempts += 1
        row.last_error = error[:1000]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
            log.error("outbox: follow-up %d failed after %d attempts: %s", row_id, row.attempts, error)
            return "failed"
        row.status = "pending"
        delay = max(_backoff(row.attempts), dt.timedelta(seconds=at_least))
        row.next_attempt_at = now + delay
        return "pending"


def mark_blocked(sessions: sessionmaker[Session], row_id: int, user_id: int, error: str) -> int:
    """Forbidden: the user blocked the bot. Mark them, skip this row and their other pending rows."""
    users.note_blocked(user_id)
    with session_scope(sessions) as session:
        user = session.get(User, user_id)
        if user is None:
            session.add(User(telegram_id=user_id, blocked=True, notifications=True))
        else:
            user.blocked = True
        session.execute(
            update(Outbox)
            .where(Outbox.id == row_id, Outbox.status == "sending")
            .values(status="skipped", last_error=error)
            .execution_options(synchronize_session=False)
        )
        result = session.execute(
            update(Outbox)
            .where(Outbox.user_id == user_id, Outbox.status == "pending")
            .values(status="skipped", last_error="the user blocked the bot")
            .execution_options(synchronize_session=False)
        )
        return 1 + int(cast(CursorResult[Any], result).rowcount)


def remember_card(sessions: sessionmaker[Session], user_id: int, claim_id: str) -> None:
    """The follow-up carried the card: a later correction of it reaches this user too (best effort)."""
    try:
        with session_scope(sessions) as session:
            record_deliveries(session, user_id, [claim_id])
    except Exception:
        log.warning("outbox: could not record the card delivery to %s", claim_id, exc_info=True)


def due_ids(sessions: sessionmaker[Session], now: dt.datetime, limit: int) -> list[int]:
    """Ids of the rows due for delivery, oldest first."""
    with session_scope(sessions) as session:
        return list(
            session.scalars(
                select(Outbox.id)
                .where(Outbox.status == "pending", Outbox.next_attempt_at <= now)
                .order_by(Outbox.next_attempt_at, Outbox.id)
                .limit(limit)
            )
        )
