"""The inbox of received updates, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

from sqlalchemy import Engine, func, select

from bot.db.models import CheckLog, utcnow
from bot.services import inbox
from factbot_testing import fake_telegram as tgf
from handlers.inbox import Inbox
from tests.harness import USER_ID, Harness

UNKNOWN = "В Калуге открылся новый зоопарк, вход для детей бесплатный"


def test_stored_updates_are_handled_once_and_replayed_until_then(engine: Engine) -> None:
    assert inbox.store(engine, [(10, '{"update_id": 10}'), (11, '{"update_id": 11}')]) == {10, 11}
    inbox.mark_handled(engine, 10)
    assert inbox.unhandled(engine) == [(11, '{"update_id": 11}')]  # what a restart replays
    # Telegram sends the batch again (it was never acknowledged): the handled one is left out.
    assert inbox.store(engine, [(10, '{"update_id": 10}'), (11, '{"update_id": 11}'), (12, "{}")]) == {11, 12}
    assert [i for i, _ in inbox.unhandled(engine)] == [11, 12]
    inbox.mark_handled(engine, 11)
    inbox.mark_handled(engine, 12)
    assert inbox.unhandled(engine) == []
    assert inbox.store(engine, []) == set()


def test_handled_updates_are_pruned_after_a_while(engine: Engine) -> None:
    inbox.store(engine, [(20, "{}"), (21, "{}")])
    inbox.mark_handled(engine, 20)
    assert inbox.prune(engine) == 0
    assert inbox.prune(engine, now=utcnow() + inbox.KEEP_HANDLED + dt.timedelta(seconds=1)) == 1
    assert [i for i, _ in inbox.unhandled(engine)] == [21]  # never handled: kept however old
    assert inbox.store(engine, [(20, "{}")]) == {20}


async def test_an_update_delivered_twice_at_once_is_answered_once(tg: Harness) -> None:
    """Telegram may deliver one update twice (a webhook retry racing the first request, or the same id
    twice in one batch): while the first copy is being stored, the second must not be started too."""
    box = Inbox(tg.app, tg.runtime.engine)
    first = tgf.private_text(USER_ID, UNKNOWN)
    again = tgf.private_text(USER_ID, UNKNOWN + " (a second text under the same id)")
    again["update_id"] = first["update_id"]
    await tg.app.start()
    try:
        await asyncio.gather(box.accept([first, again]), box.accept([again]), box.accept([first]))
    finally:
        await tg.app.stop()  # waits for every update it started
    answers = [c for c in tg.fake.calls_of("sendMessage") if c.params["chat_id"] == USER_ID]
    assert len(answers) == 1, [c.params["text"][:40] for c in answers]
    assert inbox.unhandled(tg.runtime.engine) == []
    assert box.active == set()


async def test_an_emoji_cut_in_half_does_not_hold_up_its_batch(tg: Harness) -> None:
    """JSON may carry a lone UTF-16 surrogate (an emoji cut in half, "\\ud83d"), which no database takes
    as text: the batch it came in is stored and answered anyway, the broken character replaced."""
    box = Inbox(tg.app, tg.runtime.engine)
    broken = json.loads(json.dumps(tgf.private_text(USER_ID, "half an emoji \ud83d: " + UNKNOWN)))
    normal = tgf.private_text(USER_ID + 1, UNKNOWN)
    await tg.app.start()
    try:
        assert await box.accept([broken, normal]) == normal["update_id"]
    finally:
        await tg.app.stop()
    answered = sorted(c.params["chat_id"] for c in tg.fake.calls_of("sendMessage"))
    assert answered == [USER_ID, USER_ID + 1]
    assert inbox.unhandled(tg.runtime.engine) == []


async def test_a_nul_character_is_stored_and_checked_like_any_text(tg: Harness) -> None:
    """PostgreSQL takes no NUL in text: a post with one was answered without its check log row (so without
    feedback or "send to moderators"). The inbox replaces it, as every character no database takes."""
    box = Inbox(tg.app, tg.runtime.engine)
    await tg.app.start()
    try:
        await box.accept([tgf.private_text(USER_ID, "NUL \x00 inside: " + UNKNOWN)])
    finally:
        await tg.app.stop()
    (reply,) = tg.fake.calls_of("sendMessage")
    buttons = [b["text"] for row in reply.params["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["Send to moderators"]
    with tg.runtime.engine.connect() as connection:
        logged = connection.execute(select(func.count()).select_from(CheckLog)).scalar_one()
    assert logged == 1


async def test_an_update_nested_too_deeply_to_store_is_skipped_not_fatal_to_its_batch(tg: Harness) -> None:
    box = Inbox(tg.app, tg.runtime.engine)
    deep: dict[str, Any] = {"text": "NUL \x00"}
    for _ in range(990):  # json.loads reads it; cleaning and storing it would recurse past Python's limit
        deep = {"x": deep}
    odd = {"update_id": 10**6, "message_reaction_count": deep}
    normal = tgf.private_text(USER_ID, UNKNOWN)
    await tg.app.start()
    try:
        assert await box.accept([odd, normal]) == 10**6
    finally:
        await tg.app.stop()
    assert [c.params["chat_id"] for c in tg.fake.calls_of("sendMessage")] == [USER_ID]
