"""The knowledge base in the database: conversion to and from schema Claims, import, export, audit."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.db.models import AuditLog, ClaimRow, ExactKey, Meta, OriginRow, SourceRow, VariantRow, utcnow
from bot.settings import Settings
from knowledge.loader import bundled_dir, claim_to_dict
from knowledge.schema import Claim, Origin, Source, Variant

KB_VERSION_KEY = "kb_version"


def kb_dirs(settings: Settings) -> list[Path]:
    """The default knowledge directories: the bundled KB plus FACTBOT_KB_DIR."""
    return [bundled_dir(), *settings.kb_dirs]


def claim_json(claim: Claim) -> dict[str, Any]:
    """The claim as a JSON-safe dict (dates as ISO strings): for hashes and audit rows."""
    return json.loads(json.dumps(claim_to_dict(claim), default=_json_default, ensure_ascii=False))


def _json_default(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def content_hash(claim: Claim) -> str:
    payload = json.dumps(claim_json(claim), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def row_to_claim(row: ClaimRow) -> Claim:
    return Claim(
        id=row.id,
        claim=row.claim,
        lang=row.lang,
        verdict=row.verdict,
        summary=row.summary,
        variants=tuple(Variant(text=v.text, lang=v.lang) for v in row.variants),
        keywords=tuple(row.keywords or ()),
        origins=tuple(Origin(name=o.name, kind=o.kind, url=o.url, date=o.date) for o in row.origins),
        sources=tuple(Source(title=s.title, publisher=s.publisher, url=s.url, date=s.date) for s in row.sources),
        tags=tuple(row.tags or ()),
        published=row.published,
        updated=row.updated,
    )


def apply_claim(row: ClaimRow, claim: Claim) -> None:
    """Write a schema Claim's fields onto a row (children replaced)."""
    row.claim = claim.claim
    row.lang = claim.lang
    row.verdict = claim.verdict
    row.summary = claim.summary
    row.keywords = list(claim.keywords)
    row.tags = list(claim.tags)
    row.published = claim.published
    row.updated = claim.updated
    row.variants = [VariantRow(position=i, text=v.text, lang=v.lang) for i, v in enumerate(claim.variants)]
    row.sources = [
        SourceRow(position=i, title=s.title, publisher=s.publisher, url=s.url, date=s.date)
        for i, s in enumerate(claim.sources)
    ]
    row.origins = [
        OriginRow(position=i, name=o.name, kind=o.kind, url=o.url, date=o.date) for i, o in enumerate(claim.origins)
    ]
    row.modified_at = utcnow()


def _with_children() -> Any:
    return (
        selectinload(ClaimRow.variants),
        selectinload(ClaimRow.sources),
        selectinload(ClaimRow.origins),
    )


def get_claim_row(session: Session, claim_id: str) -> ClaimRow | None:
    return session.scalars(select(ClaimRow).where(ClaimRow.id == claim_id).options(*_with_children())).first()


def get_claim(session: Session, claim_id: str) -> Claim | None:
    row = get_claim_row(session, claim_id)
    return row_to_claim(row) if row else None


IN_CHUNK = 500


def published_claims(session: Session, ids: Collection[str] | None = None) -> list[Claim]:
    """Every published claim, or those among `ids`, by id; one query per table, whatever the count."""
    query = select(ClaimRow).where(ClaimRow.status == "published").order_by(ClaimRow.id).options(*_with_children())
    if ids is None:
        return [row_to_claim(r) for r in session.scalars(query)]
    wanted = sorted(ids)
    out: list[Claim] = []
    for start in range(0, len(wanted), IN_CHUNK):  # bounded IN lists (SQLite caps bound parameters)
        chunk = wanted[start : start + IN_CHUNK]
        out += [row_to_claim(r) for r in session.scalars(query.where(ClaimRow.id.in_(chunk)))]
    return out


def all_claim_rows(session: Session) -> Sequence[ClaimRow]:
    return session.scalars(select(ClaimRow).order_by(ClaimRow.id).options(*_with_children())).all()


def count_claims(session: Session, *, status: str = "published") -> int:
    return session.scalar(select(func.count()).select_from(ClaimRow).where(ClaimRow.status == status)) or 0


def last_modified(session: Session) -> dt.datetime | None:
    return session.scalar(select(func.max(ClaimRow.modified_at)))


def exact_keys(session: Session) -> list[tuple[str, str]]:
    return [(k.key, k.claim_id) for k in session.scalars(select(ExactKey))]


def kb_version(session: Session) -> int:
    meta = session.get(Meta, KB_VERSION_KEY)
    return int(meta.value) if meta else 0


def bump_kb_version(session: Session) -> int:
    """Mark the KB as changed so every process sharing the database reloads what changed."""
    meta = session.get(Meta, KB_VERSION_KEY, with_for_update=True)
    if meta is None:
        meta = Meta(key=KB_VERSION_KEY, value="0")
        session.add(meta)
    meta.value = str(int(meta.value) + 1)
    return int(meta.value)


def audit(
    session: Session,
    *,
    actor: str,
    claim_id: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditLog:
    """Record one KB change with the fields that differ."""
    keys = set(before or {}) | set(after or {})
    changed = sorted(k for k in keys if (before or {}).get(k) != (after or {}).get(k))
    row = AuditLog(actor=actor, claim_id=claim_id, action=action, fields=changed, before=before, after=after)
    session.add(row)
    return row


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.pruned)


def import_claims(
    session: Session,
    claims: Iterable[Claim],
    *,
    actor: str = "cli",
    force: bool = False,
    prune: bool = False,
) -> ImportReport:
    """Upsert claims by id. An entry edited in the database since its last import is a conflict
    (left alone and reported) unless `force`. Nothing is deleted unless `prune`."""
    report = ImportReport()
    incoming = list(claims)
    rows = {row.id: row for row in all_claim_rows(session)}
    for claim in incoming:
        new_hash = content_hash(claim)
        row = rows.get(claim.id)
        if row is None:
            row = ClaimRow(id=claim.id, status="published", imported_hash=new_hash)
            apply_claim(row, claim)
            session.add(row)
            audit(session, actor=actor, claim_id=claim.id, action="create", before=None, after=claim_json(claim))
            report.created.append(claim.id)
            continue
        current = row_to_claim(row)
        current_hash = content_hash(current)
        if current_hash == new_hash and row.status == "published":
            if row.imported_hash != new_hash:
                row.imported_hash = new_hash
            report.unchanged.append(claim.id)
            continue
        # An entry created in Telegram was never imported (no hash): it counts as edited in the database.
        edited_since_import = row.imported_hash != current_hash
        if edited_since_import and not force:
            report.conflicts.append(claim.id)
            continue
        before = claim_json(current)
        apply_claim(row, claim)
        if row.status != "published":
            row.status = "published"
        row.imported_hash = new_hash
        audit(session, actor=actor, claim_id=claim.id, action="update", before=before, after=claim_json(claim))
        report.updated.append(claim.id)
    if prune:
        keep = {c.id for c in incoming}
        for claim_id, row in rows.items():
            if claim_id not in keep:
                audit(
                    session,
                    actor=actor,
                    claim_id=claim_id,
                    action="delete",
                    before=claim_json(row_to_claim(row)),
                    after=None,
                )
                session.delete(row)
                report.pruned.append(claim_id)
    if report.changed:
        bump_kb_version(session)
    session.flush()
    return report
