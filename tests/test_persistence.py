"""The database persistence: PTB data and conversations as JSON rows, and a /add that survives a restart."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import PersistenceInput

from bot.db import session_scope
from bot.db.models import ClaimRow, PersistenceRow
from bot.services import kb_store
from factbot_testing import fake_telegram as tgf
from handlers.persistence import DatabasePersistence
from tests.harness import (
    ADMIN_ID,
    NEW_CLAIM,
    NEW_SUMMARY,
    USER_ID,
    last_with_buttons,
    make_harness,
    say,
    sends,
    texts,
)

ALL = PersistenceInput(bot_data=True, chat_data=True, user_data=True, callback_data=True)


def rows(sessions: sessionmaker[Session]) -> dict[tuple[str, str], Any]:
    with session_scope(sessions) as s:
        return {(r.kind, r.key): r.data for r in s.scalars(select(PersistenceRow))}


async def test_round_trip_of_every_kind(sessions: sessionmaker[Session]) -> None:
    first = DatabasePersistence(sessions, store_data=ALL)
    await first.update_user_data(7, {"draft": {"claim": "Текст", "sources": [{"title": "A"}]}, "n": 1})
    await first.update_chat_data(-100, {"autocheck": True})
    await first.update_bot_data({"started": "yes"})
    await first.update_conversation("moderation", (7, 7), "mod.summary")
    await first.update_conversation("moderation", (8, 8), "mod.claim")
    await first.update_callback_data(([("uuid-1", 1.5, {"k": "v"})], {"q1": "uuid-1"}))

    second = DatabasePersistence(sessions, store_data=ALL)  # a new process reads what the first wrote
    assert await second.get_user_data() == {7: {"draft": {"claim": "Текст", "sources": [{"title": "A"}]}, "n": 1}}
    assert await second.get_chat_data() == {-100: {"autocheck": True}}
    assert await second.get_bot_data() == {"started": "yes"}
    assert await second.get_conversations("moderation") == {(7, 7): "mod.summary", (8, 8): "mod.claim"}
    assert await second.get_conversations("other") == {}
    assert await second.get_callback_data() == ([("uuid-1", 1.5, {"k": "v"})], {"q1": "uuid-1"})

    await second.update_conversation("moderation", (8, 8), None)  # the conversation ended
    await second.drop_user_data(7)
    await second.update_chat_data(-100, {})  # empty data keeps no row
    assert set(rows(sessions)) == {("bot_data", ""), ("callback_data", ""), ("conv:moderation", "[7, 7]")}
    await second.flush()


async def test_only_the_chosen_user_keys_are_stored(sessions: sessionmaker[Session]) -> None:
    persistence = DatabasePersistence(sessions, user_keys=("mod_draft",))
    assert persistence.store_data == PersistenceInput(
        bot_data=False, chat_data=False, user_data=True, callback_data=False
    )
    await persistence.update_user_data(USER_ID, {"lang": "uk"})  # a cache: nothing worth a row
    await persistence.update_user_data(ADMIN_ID, {"lang": "en", "mod_draft": {"mode": "add"}})
    assert rows(sessions) == {("user_data", str(ADMIN_ID)): {"mod_draft": {"mode": "add"}}}
    assert await DatabasePersistence(sessions, user_keys=("mod_draft",)).get_user_data() == {
        ADMIN_ID: {"mod_draft": {"mode": "add"}}
    }


async def test_unchanged_data_is_not_written_again(sessions: sessionmaker[Session]) -> None:
    persistence = DatabasePersistence(sessions)
    await persistence.update_user_data(1, {"a": 1})
    with session_scope(sessions) as s:  # someone removes the row behind its back
        s.query(PersistenceRow).delete()
    await persistence.update_user_data(1, {"a": 1})  # same data: no write
    assert rows(sessions) == {}
    await persistence.update_user_data(1, {"a": 2})
    assert rows(sessions) == {("user_data", "1"): {"a": 2}}


async def test_data_must_be_json(sessions: sessionmaker[Session]) -> None:
    persistence = DatabasePersistence(sessions)
    with pytest.raises(TypeError, match="JSON-serialisable"):
        await persistence.update_user_data(1, {"when": object()})
    with pytest.raises(ValueError, match="too long"):
        await persistence.update_conversation("x" * 40, (1, 1), "s")


async def test_add_conversation_survives_a_restart(db_url: str) -> None:
    """The process dies in the middle of /add (no clean shutdown); a new one continues the same draft."""
    first = make_harness(db_url, persistent=True)
    async with first.app:
        await first.send(tgf.command(ADMIN_ID, "/add"))
        verdicts = last_with_buttons(await say(first, ADMIN_ID, NEW_CLAIM))
        await first.press(verdicts, "Misleading")
        stored = rows(first.runtime.sessions)
        assert stored[("conv:moderation", f"[{ADMIN_ID}, {ADMIN_ID}]")] == "mod.summary"
        draft = stored[("user_data", str(ADMIN_ID))]["mod_draft"]
        assert draft["claim"]["claim"] == NEW_CLAIM and draft["claim"]["verdict"] == "misleading"

        second = make_harness(db_url, persistent=True)  # started while the first never shut down: a crash
        async with second.app:
            asked = await say(second, ADMIN_ID, NEW_SUMMARY)
            assert "Send the sources" in texts(asked)[0]
            await say(second, ADMIN_ID, "StopFake | https://www.stopfake.org/en/yachts/")
            await say(second, ADMIN_ID, "done")
            languages = last_with_buttons(await say(second, ADMIN_ID, "skip"))
            preview = await second.press(languages, "English")
            done = await second.press(last_with_buttons(preview), "Publish")
            assert texts(done)[-1].startswith("Published as zelenskii-kupil-dve-jahti")
            with session_scope(second.runtime.sessions) as s:
                (row,) = s.scalars(select(ClaimRow).where(ClaimRow.claim == NEW_CLAIM)).all()
                claim = kb_store.get_claim(s, row.id)
                assert claim is not None and (claim.verdict, claim.summary) == ("misleading", NEW_SUMMARY)
            assert rows(second.runtime.sessions) == {}  # the finished conversation left nothing behind
            # A stale button from before the restart has expired.
            assert sends(await second.press(verdicts, "False")) == []
        second.runtime.close()
        assert second.errors == []
    first.runtime.close()
    assert first.errors == []
