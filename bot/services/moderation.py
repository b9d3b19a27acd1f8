"""Moderation services: drafts, creating, editing and retiring claims, and working the submission queue.

Plain functions taking a Session; the caller commits (one transaction per moderator action) and then
refreshes the live index. Every change to a claim writes an AuditLog row and bumps the KB version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.models import AuditLog, ClaimRow, ExactKey, Submission, utcnow
from bot.services import kb_store, outbox
from knowledge.loader import validate_entry
from knowledge.matcher import Matcher
from knowledge.schema import ID_RE, LANG_RE, Claim, Variant, claim_id_from_text, free_id

DRAFT_ID = "draft"
CLAIM_CHARS = 1000
SUMMARY_CHARS = 3000
SOURCE_TITLE_CHARS = 300
VARIANT_CHARS = 2000
REASON_CHARS = 1000
UPDATED_NOTICE_DAYS = 30
DONE_WORDS = frozenset({"done", "готово", "/done"})
SKIP_WORDS = frozenset({"skip", "пропустити", "пропустить", "/skip"})


class ModerationError(Exception):
    """A moderator action that cannot be done as asked (the message names why)."""


class UnknownClaim(ModerationError):
    """No (published) claim with this id."""


class ClaimConflict(ModerationError):
    """The claim was changed by someone else since the moderator started editing it."""


class AlreadyResolved(ModerationError):
    """The queue item has no pending submission left (another moderator resolved it)."""


class InvalidSource(ModerationError):
    """A source line without a title or with a link that is not http(s). `reason`: no_title | bad_url."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def actor_for(user_id: int) -> str:
    return f"tg:{user_id}"


def today() -> dt.date:
    return utcnow().date()


# --- drafts (plain JSON dicts in the claim's YAML shape, so they survive a restart) ----------------


def new_draft(claim_text: str = "") -> dict[str, Any]:
    """An empty claim draft, in the shape of kb_store.claim_json."""
    return {"id": DRAFT_ID, "claim": claim_text, "lang": "en", "verdict": "", "summary": "", "sources": []}


def draft_to_claim(draft: dict[str, Any]) -> tuple[Claim | None, list[str]]:
    """Validate a draft the way the YAML loader validates an entry; errors without the entry prefix."""
    data = {k: v for k, v in draft.items() if v not in ("", None, [])}
    data.setdefault("id", DRAFT_ID)
    claim, errors = validate_entry(data, name="draft", position=1)
    return claim, [e.split(": ", 2)[-1] for e in errors]


def parse_source(text: str) -> dict[str, str]:
    """'title | url' (the url optional) as a source mapping; raises InvalidSource."""
    title, _, url = text.rpartition("|") if "|" in text else (text, "", "")
    title, url = title.strip(), url.strip()
    if not url and _is_url(title):
        raise InvalidSource("no_title")
    if url and not _is_url(url):
        raise InvalidSource("bad_url")
    if not title:
        raise InvalidSource("no_title")
    if len(title) > SOURCE_TITLE_CHARS:
        title = title[: SOURCE_TITLE_CHARS - 1].rstrip() + "…"
    return {"title": title, "url": url} if url else {"title": title}


def _is_url(text: str) -> bool:
    if " " in text:
        return False
    parsed = urlparse(text)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def valid_lang(code: str) -> bool:
    return bool(LANG_RE.match(code))


def variant_texts(draft: dict[str, Any]) -> list[str]:
    out = []
    for item in draft.get("variants") or []:
        out.append(item["text"] if isinstance(item, dict) else str(item))
    return out


# --- ids --------------------------------------------------------------------------------------------


def unique_claim_id(session: Session, base: str) -> str:
    """`base`, or base-2, base-3, ... when taken."""
    return free_id(base, set(session.scalars(select(ClaimRow.id).where(ClaimRow.id.like(f"{base}%")))))


# --- claims -------------------------------------------------------------------------------------------


def create_claim(session: Session, claim: Claim, *, actor: str) -> ClaimRow:
    """Publish a new claim under a unique slug of its text; audited; the KB version is bumped."""
    claim_id = unique_claim_id(session, claim_id_from_text(claim.claim))
    claim = dataclasses.replace(claim, id=claim_id, published=claim.published or today(), location=None)
    row = ClaimRow(id=claim_id, status="published")
    kb_store.apply_claim(row, claim)
    session.add(row)
    kb_store.audit(
        session, actor=actor, claim_id=claim_id, action="create", before=None, after=kb_store.claim_json(claim)
    )
    kb_store.bump_kb_version(session)
    session.flush()
    return row


def published_row(session: Session, claim_id: str) -> ClaimRow:
    row = kb_store.get_claim_row(session, claim_id)
    if row is None or row.status != "published":
        raise UnknownClaim(claim_id)
    return row


@dataclass
class UpdateResult:
    fields: list[str]
    notices: int = 0  # "updated" notices queued for people who received the card


def update_claim(
    session: Session,
    claim_id: str,
    new: Claim,
    *,
    actor: str,
    expected: dict[str, Any] | None = None,
) -> UpdateResult:
    """Save an edited claim. `expected` is the claim as the moderator loaded it (claim_json): when the
    database holds something else now, nothing is saved (ClaimConflict). A changed verdict or summary of
    a published claim queues "updated" notices in the same transaction."""
    row = kb_store.get_claim_row(session, claim_id)
    if row is None:
        raise UnknownClaim(claim_id)
    current = kb_store.row_to_claim(row)
    before = kb_store.claim_json(current)
    if expected is not None and before != expected:
        raise ClaimConflict(claim_id)
    new = dataclasses.replace(new, id=claim_id, location=None)
    if kb_store.claim_json(dataclasses.replace(new, updated=current.updated)) == before:
        return UpdateResult(fields=[])
    new = dataclasses.replace(new, updated=today())
    kb_store.apply_claim(row, new)
    entry = kb_store.audit(
        session, actor=actor, claim_id=claim_id, action="update", before=before, after=kb_store.claim_json(new)
    )
    notices = 0
    if row.status == "published" and {"verdict", "summary"} & set(entry.fields):
        notices = outbox.enqueue_claim_updated(session, claim_id=claim_id, within_days=UPDATED_NOTICE_DAYS)
    kb_store.bump_kb_version(session)
    session.flush()
    return UpdateResult(fields=list(entry.fields), notices=notices)


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _with_variants(claim: Claim, texts: Sequence[str]) -> tuple[Claim, list[str]]:
    """The claim with the texts it does not already have (as its wording or a variant) added."""
    known = [claim.claim, *(v.text for v in claim.variants)]
    added: list[str] = []
    for text in texts:
        text = text.strip()
        if text and not any(_same_text(text, k) for k in known):
            known.append(text)
            added.append(text)
    if not added:
        return claim, []
    return dataclasses.replace(claim, variants=claim.variants + tuple(Variant(text=t) for t in added)), added


def add_variant(session: Session, claim_id: str, text: str, *, actor: str) -> bool:
    """Add a wording to a claim; False when it already has it."""
    row = kb_store.get_claim_row(session, claim_id)
    if row is None:
        raise UnknownClaim(claim_id)
    current = kb_store.row_to_claim(row)
    new, added = _with_variants(current, [text])
    if not added:
        return False
    kb_store.apply_claim(row, new)
    kb_store.audit(
        session,
        actor=actor,
        claim_id=claim_id,
        action="update",
        before=kb_store.claim_json(current),
        after=kb_store.claim_json(new),
    )
    kb_store.bump_kb_version(session)
    session.flush()
    return True


def retire_claim(session: Session, claim_id: str, *, actor: str) -> bool:
    """No longer matched, kept with its history; False when already retired."""
    row = kb_store.get_claim_row(session, claim_id)
    if row is None:
        raise UnknownClaim(claim_id)
    if row.status == "retired":
        return False
    row.status = "retired"
    row.modified_at = utcnow()
    snapshot = kb_store.claim_json(kb_store.row_to_claim(row))
    entry = kb_store.audit(session, actor=actor, claim_id=claim_id, action="retire", before=snapshot, after=snapshot)
    entry.fields = ["status"]
    kb_store.bump_kb_version(session)
    session.flush()
    return True


@dataclass(frozen=True)
class HistoryEntry:
    """One audited change of a claim."""

    created_at: dt.datetime
    actor: str
    action: str
    fields: list[str]


def claim_history(session: Session, claim_id: str, *, limit: int = 20) -> list[HistoryEntry]:
    """Audit rows of a claim, newest first."""
    query = (
        select(AuditLog)
        .where(AuditLog.claim_id == claim_id)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    return [
        HistoryEntry(created_at=row.created_at, actor=row.actor, action=row.action, fields=list(row.fields or []))
        for row in session.scalars(query)
    ]


def search_claims(matcher: Matcher, text: str, *, limit: int = 5) -> list[Claim]:
    """Published claims for a moderator's search: an exact id first, then the matcher's best."""
    text = text.strip()
    found: dict[str, Claim] = {}
    if ID_RE.match(text.lower()):
        claim = matcher.get(text.lower())
        if claim is not None:
            found[claim.id] = claim
    for match in matcher.match(text, limit=limit):
        found.setdefault(match.claim.id, match.claim)
    if len(found) < limit:
        for claim_id, *_ in matcher.candidates(text):
            candidate = matcher.get(claim_id)
            if candidate is not None:
                found.setdefault(candidate.id, candidate)
            if len(found) >= limit:
                break
    return list(found.values())[:limit]


# --- the queue ---------------------------------------------------------------------------------------


@dataclass
class QueueItem:
    """One queue entry: every pending submission of the same post."""

    group_key: str
    count: int
    submission_id: int  # the oldest pending submission, used to refer to the group in buttons
    first_at: dt.datetime
    text: str
    origin_title: str | None
    origin_username: str | None
    has_media: bool


@dataclass
class Queue:
    items: list[QueueItem]
    groups: int
    requests: int


def pending_queue(session: Session, *, limit: int = 5) -> Queue:
    """Pending submissions grouped by post, most requested first (then the oldest first)."""
    count = func.count(Submission.id)
    first_at = func.min(Submission.created_at)
    rows = session.execute(
        select(Submission.group_key, count, func.min(Submission.id), first_at)
        .where(Submission.status == "pending")
        .group_by(Submission.group_key)
        .order_by(count.desc(), first_at, Submission.group_key)
    ).all()
    items: list[QueueItem] = []
    for key, n, first_id, first in rows[:limit]:
        subs = pending_in_group(session, key)
        text = next((s.text for s in subs if s.text.strip()), "")
        origin = next((s for s in subs if s.origin_title or s.origin_username), None)
        items.append(
            QueueItem(
                group_key=key,
                count=int(n),
                submission_id=int(first_id),
                first_at=first,
                text=text,
                origin_title=origin.origin_title if origin else None,
                origin_username=origin.origin_username if origin else None,
                has_media=any(s.file_unique_id for s in subs),
            )
        )
    return Queue(items=items, groups=len(rows), requests=sum(int(r[1]) for r in rows))


def pending_in_group(session: Session, group_key: str, *, lock: bool = False) -> list[Submission]:
    query = (
        select(Submission)
        .where(Submission.group_key == group_key, Submission.status == "pending")
        .order_by(Submission.id)
    )
    if lock:
        query = query.with_for_update()
    return list(session.scalars(query))


def group_key_of(session: Session, submission_id: int) -> str:
    """The group a queue button refers to; AlreadyResolved when the submission is gone."""
    sub = session.get(Submission, submission_id)
    if sub is None:
        raise AlreadyResolved(str(submission_id))
    return sub.group_key


def group_of(session: Session, submission_id: int) -> tuple[str, list[Submission]]:
    """The group a queue button refers to and its pending submissions; AlreadyResolved when none."""
    key = group_key_of(session, submission_id)
    pending = pending_in_group(session, key)
    if not pending:
        raise AlreadyResolved(key)
    return key, pending


def exact_keys_of(subs: Sequence[Submission]) -> list[str]:
    """The exact lookups a group of submissions gives: the forwarded post and any media."""
    keys: list[str] = []
    for sub in subs:
        if sub.origin_chat_id is not None and sub.origin_message_id is not None:
            keys.append(f"tg:{sub.origin_chat_id}:{sub.origin_message_id}")
        if sub.file_unique_id:
            keys.append(f"file:{sub.file_unique_id}")
    return list(dict.fromkeys(keys))


@dataclass
class LinkResult:
    count: int
    variants_added: list[str]
    keys_added: list[str]
    notices: int


def _resolve(
    subs: Sequence[Submission],
    status: str,
    moderator_id: int,
    *,
    claim_id: str | None = None,
    reason: str | None = None,
) -> None:
    """Mark a group's pending submissions answered: linked to `claim_id`, or not checkable for `reason`."""
    now = utcnow()
    for sub in subs:
        sub.status = status
        if claim_id is not None:
            sub.claim_id = claim_id
        if reason is not None:
            sub.reason = reason
        sub.resolved_at = now
        sub.resolved_by = moderator_id


def link_group(session: Session, group_key: str, claim_id: str, *, moderator_id: int) -> LinkResult:
    """Answer every pending submission of a group with a published claim: their texts become variants,
    their post and media become exact keys, and the people who asked are queued a follow-up."""
    subs = pending_in_group(session, group_key, lock=True)
    if not subs:
        raise AlreadyResolved(group_key)
    row = published_row(session, claim_id)
    _resolve(subs, "linked", moderator_id, claim_id=claim_id)
    current = kb_store.row_to_claim(row)
    new, added = _with_variants(current, [s.text for s in subs])
    if added:
        kb_store.apply_claim(row, new)
    kb_store.audit(
        session,
        actor=actor_for(moderator_id),
        claim_id=claim_id,
        action="link",
        before=kb_store.claim_json(current),
        after=kb_store.claim_json(new),
    )
    keys_added = []
    for key in exact_keys_of(subs):
        if session.get(ExactKey, key) is None:
            session.add(ExactKey(key=key, claim_id=claim_id))
            keys_added.append(key)
    session.flush()
    notices = outbox.enqueue_submission_resolved(session, group_key=group_key)
    kb_store.bump_kb_version(session)
    session.flush()
    return LinkResult(count=len(subs), variants_added=added, keys_added=keys_added, notices=notices)


def close_group(session: Session, group_key: str, reason: str, *, moderator_id: int) -> int:
    """Close every pending submission of a group as not checkable, with the reason the users are told."""
    subs = pending_in_group(session, group_key, lock=True)
    if not subs:
        raise AlreadyResolved(group_key)
    _resolve(subs, "not_checkable", moderator_id, reason=reason)
    session.flush()
    outbox.enqueue_submission_resolved(session, group_key=group_key)
    return len(subs)
