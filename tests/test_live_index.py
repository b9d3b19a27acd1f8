"""The live index across processes: two Runtimes (and two Applications) sharing one database see each
other's KB changes after refresh_index() — new, changed, retired, pruned claims and exact keys — without a
restart or a full rebuild."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bot.db import session_scope
from bot.db.models import ExactKey, VariantRow, utcnow
from bot.services import kb_store, moderation
from bot.services.runtime import Runtime
from bot.settings import load_settings
from factbot_testing import fake_telegram as tgf
from knowledge.loader import bundled_dir, load
from knowledge.matcher import Matcher
from tests.harness import MOON, USER_ID, make_harness

MARS_TEXT = "An ESA insider confirms that the planet Mars is hollow and inhabited by giant ants."


def runtime_for(db_url: str) -> Runtime:
    return Runtime.start(load_settings({"DATABASE_URL": db_url, "FACTBOT_SECRET": "s"}, dotenv=None))


@pytest.fixture
def two(db_url: str) -> Iterator[tuple[Runtime, Runtime]]:
    """Two "processes": separate engines, pools and indexes over one database."""
    first = runtime_for(db_url)
    second = runtime_for(db_url)  # the database is already seeded: nothing imported twice
    yield first, second
    first.close()
    second.close()


def strong_ids(matcher: Matcher, text: str) -> list[str]:
    return [m.claim.id for m in matcher.match(text) if m.strength == "strong"]


def any_ids(matcher: Matcher, text: str) -> list[str]:
    return [m.claim.id for m in matcher.match(text)]


def test_second_process_sees_new_changed_retired_and_pruned_claims(two: tuple[Runtime, Runtime]) -> None:
    writer, reader = two
    bundled = len(load([bundled_dir()]).claims)
    assert len(reader.index.matcher) == len(writer.index.matcher) == bundled
    assert reader.refresh_index() is False  # nothing changed yet

    with session_scope(writer.sessions) as s:  # new claim
        report = kb_store.import_claims(s, [MOON], actor="test")
        assert report.created == [MOON.id]
    assert strong_ids(reader.index.matcher, MOON.claim) == []
    matcher_before = reader.index.matcher
    assert reader.refresh_index() is True
    assert reader.index.matcher is matcher_before  # updated in place, not rebuilt
    assert strong_ids(reader.index.matcher, MOON.claim) == [MOON.id]
    assert MOON.id in strong_ids(reader.index.matcher, MOON.variants[0].text)
    assert reader.refresh_index() is False

    with session_scope(writer.sessions) as s:  # changed text and verdict, directly on the row
        row = kb_store.get_claim_row(s, MOON.id)
        assert row is not None
        row.claim, row.verdict, row.variants, row.modified_at = MARS_TEXT, "misleading", [], utcnow()
        kb_store.bump_kb_version(s)
    assert reader.refresh_index() is True
    assert strong_ids(reader.index.matcher, MARS_TEXT) == [MOON.id]
    assert MOON.id not in any_ids(reader.index.matcher, MOON.claim)
    updated = reader.index.matcher.get(MOON.id)
    assert updated is not None and updated.verdict == "misleading"

    with session_scope(writer.sessions) as s:  # retired: kept in the database, no longer matched
        row = kb_store.get_claim_row(s, MOON.id)
        assert row is not None
        row.status, row.modified_at = "retired", utcnow()
        kb_store.bump_kb_version(s)
    assert reader.refresh_index() is True
    assert MOON.id not in any_ids(reader.index.matcher, MARS_TEXT)
    assert MOON.id not in reader.index.matcher

    with session_scope(writer.sessions) as s:  # restored by an import, then pruned by another
        kb_store.import_claims(s, [MOON], actor="test", force=True)
    assert reader.refresh_index() is True
    assert strong_ids(reader.index.matcher, MOON.claim) == [MOON.id]
    with session_scope(writer.sessions) as s:
        others = [c for c in kb_store.published_claims(s) if c.id != "kursk-sudzha-recaptured"]
        assert kb_store.import_claims(s, others, actor="test", prune=True).pruned == ["kursk-sudzha-recaptured"]
    assert reader.refresh_index() is True
    assert "kursk-sudzha-recaptured" not in reader.index.matcher
    assert len(reader.index.matcher) == bundled  # the bundled KB, plus the moon claim, less the pruned one


def test_a_new_variant_is_seen_when_the_claim_row_is_stamped(two: tuple[Runtime, Runtime]) -> None:
    """Contract for every writer (e.g. /variant): a change to a claim's children must also set the claim's
    modified_at (apply_claim does) and bump the KB version; the index reloads entries by their row."""
    writer, reader = two
    wording = "Курское приграничье российская армия зачистила своими силами, никто со стороны не помогал"
    assert strong_ids(reader.index.matcher, wording) == []  # not known before the variant
    with session_scope(writer.sessions) as s:
        row = kb_store.get_claim_row(s, "kursk-no-foreign-help")
        assert row is not None
        row.variants.append(VariantRow(position=len(row.variants), text=wording, lang="ru"))
        row.modified_at = utcnow()
        kb_store.bump_kb_version(s)
    assert reader.refresh_index() is True
    assert strong_ids(reader.index.matcher, wording) == ["kursk-no-foreign-help"]


def test_second_process_sees_exact_keys(two: tuple[Runtime, Runtime]) -> None:
    writer, reader = two
    key = "tg:-1005550001:77"
    with session_scope(writer.sessions) as s:
        s.add(ExactKey(key=key, claim_id="kursk-no-foreign-help"))
        kb_store.bump_kb_version(s)
    assert reader.index.matcher.match("", exact_keys=[key]) == []
    assert reader.refresh_index() is True
    assert [m.claim.id for m in reader.index.matcher.match("", exact_keys=[key])] == ["kursk-no-foreign-help"]
    with session_scope(writer.sessions) as s:
        row = s.get(ExactKey, key)
        assert row is not None
        s.delete(row)
        kb_store.bump_kb_version(s)
    assert reader.refresh_index() is True
    assert reader.index.matcher.match("", exact_keys=[key]) == []


def test_a_change_committed_after_a_later_stamped_one_is_seen(two: tuple[Runtime, Runtime]) -> None:
    writer, reader = two
    slow = writer.sessions()  # e.g. a moderator's /edit: row changed, then audit + follow-ups, then commit
    try:
        row = kb_store.get_claim_row(slow, "kursk-no-foreign-help")
        assert row is not None
        kb_store.apply_claim(row, dataclasses.replace(kb_store.row_to_claim(row), claim=MARS_TEXT))
        # Meanwhile another moderator (or process) changes another claim and commits first.
        with session_scope(writer.sessions) as fast:
            fast_row = kb_store.get_claim_row(fast, "kursk-sudzha-recaptured")
            assert fast_row is not None
            fast_row.verdict, fast_row.modified_at = "disputed", utcnow() + dt.timedelta(milliseconds=5)
            kb_store.bump_kb_version(fast)
        assert reader.refresh_index() is True
        kb_store.bump_kb_version(slow)
        slow.commit()
    finally:
        slow.close()
    assert reader.refresh_index() is True
    assert strong_ids(reader.index.matcher, MARS_TEXT) == ["kursk-no-foreign-help"]


async def test_second_application_answers_with_a_claim_published_by_the_first(db_url: str) -> None:
    first, second = make_harness(db_url), make_harness(db_url)
    try:
        async with first.app, second.app:
            post = tgf.forwarded_from_channel(USER_ID, MOON.claim, channel_message_id=901)
            before = second.texts(await second.send(post))
            assert before and "Moon" not in before[0]  # not in the KB yet

            with session_scope(first.runtime.sessions) as s:  # published by a moderator on process 1
                kb_store.import_claims(s, [MOON], actor="tg:1000")
            first.runtime.refresh_index()
            assert second.runtime.refresh_index() is True  # what process 2's periodic job does
            after = second.texts(await second.send(post))
            assert after and "❌ <b>False</b>" in after[0] and "green cheese" in after[0]
        assert first.errors == [] and second.errors == []
    finally:
        first.runtime.close()
        second.runtime.close()


async def test_an_inline_query_sees_a_claim_published_elsewhere_within_a_second(db_url: str) -> None:
    first, second = make_harness(db_url), make_harness(db_url)
    try:
        async with second.app:
            with session_scope(first.runtime.sessions) as s:  # published by a moderator on process 1
                kb_store.import_claims(s, [MOON], actor="tg:1000")
            second.runtime._last_refresh -= 1.0  # a second has passed since process 2 last looked
            calls = await second.send(tgf.inline_query(USER_ID, MOON.claim))
            (answer,) = [c for c in calls if c.method == "answerInlineQuery"]
            assert answer.params["results"][0]["title"] == "❌ False"
        assert second.errors == []
    finally:
        first.runtime.close()
        second.runtime.close()


async def test_a_due_refresh_reads_the_database_off_the_event_loop(
    two: tuple[Runtime, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, reader = two
    with session_scope(writer.sessions) as s:
        kb_store.import_claims(s, [MOON], actor="test")
    loop_thread = threading.current_thread()
    reads: list[threading.Thread] = []
    real_version = kb_store.kb_version

    def recording_version(session: Any) -> int:
        reads.append(threading.current_thread())
        return real_version(session)

    monkeypatch.setattr(kb_store, "kb_version", recording_version)
    reader._last_refresh -= 1.0  # a second has passed since the reader last looked
    matcher = await reader.fresh_matcher()
    assert strong_ids(matcher, MOON.claim) == [MOON.id]
    assert reads and loop_thread not in reads


def test_changes_read_before_a_newer_refresh_are_not_applied_over_it(two: tuple[Runtime, Runtime]) -> None:
    writer, reader = two
    with session_scope(writer.sessions) as s:
        kb_store.import_claims(s, [MOON], actor="test")
    with session_scope(reader.sessions) as s:
        stale = reader.index.changes_since(s)
    assert stale is not None
    with session_scope(writer.sessions) as s:
        assert moderation.retire_claim(s, MOON.id, actor="test")
    assert reader.refresh_index() is True
    assert reader.index.apply(stale) is False  # older than what the index already reflects
    assert MOON.id not in strong_ids(reader.index.matcher, MOON.claim)  # still retired
