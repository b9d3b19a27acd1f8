"""The knowledge base in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.db.models import AuditLog, ClaimRow
from bot.services import kb_store
from knowledge.loader import bundled_dir, load


def bundled() -> list:  # type: ignore[type-arg]
    return load([bundled_dir()]).claims


def test_import_twice_changes_nothing_the_second_time(sessions: sessionmaker[Session]) -> None:
    claims = bundled()
    with session_scope(sessions) as s:
        first = kb_store.import_claims(s, claims)
    with session_scope(sessions) as s:
        second = kb_store.import_claims(s, claims)
        assert kb_store.published_claims(s) == sorted(claims, key=lambda c: c.id)
    assert len(first.created) == len(claims)
    assert (second.created, second.updated, len(second.unchanged)) == ([], [], len(claims))


def test_changed_entry_is_updated_and_audited(sessions: sessionmaker[Session]) -> None:
    claims = bundled()
    with session_scope(sessions) as s:
        kb_store.import_claims(s, claims)
        version = kb_store.kb_version(s)
    changed = dataclasses.replace(claims[0], summary="A corrected summary.")
    with session_scope(sessions) as s:
        report = kb_store.import_claims(s, [changed, *claims[1:]])
        assert report.updated == [changed.id]
        assert kb_store.get_claim(s, changed.id) == changed
        assert kb_store.kb_version(s) == version + 1
        row = s.scalars(select(AuditLog).where(AuditLog.action == "update")).one()
        assert row.fields == ["summary"]
        assert row.before is not None and row.after is not None
        assert row.after["summary"] == "A corrected summary."


def test_import_refuses_to_overwrite_an_entry_edited_in_the_database(sessions: sessionmaker[Session]) -> None:
    claims = bundled()
    with session_scope(sessions) as s:
        kb_store.import_claims(s, claims)
    with session_scope(sessions) as s:  # a moderator edits the entry in the database
        row = kb_store.get_claim_row(s, claims[0].id)
        assert row is not None
        row.summary = "Edited in Telegram."
    incoming = dataclasses.replace(claims[0], summary="Edited in git.")
    with session_scope(sessions) as s:
        report = kb_store.import_claims(s, [incoming])
        assert report.conflicts == [claims[0].id]
        assert s.get(ClaimRow, claims[0].id).summary == "Edited in Telegram."  # type: ignore[union-attr]
    with session_scope(sessions) as s:
        forced = kb_store.import_claims(s, [incoming], force=True)
        assert forced.updated == [claims[0].id]
        assert s.get(ClaimRow, claims[0].id).summary == "Edited in git."  # type: ignore[union-attr]


def test_prune_only_when_asked(sessions: sessionmaker[Session]) -> None:
    claims = bundled()
    with session_scope(sessions) as s:
        kb_store.import_claims(s, claims)
    with session_scope(sessions) as s:
        report = kb_store.import_claims(s, claims[1:])
        assert report.pruned == []
        assert kb_store.count_claims(s) == len(claims)
    with session_scope(sessions) as s:
        report = kb_store.import_claims(s, claims[1:], prune=True)
        assert report.pruned == [claims[0].id]
        assert kb_store.count_claims(s) == len(claims) - 1
