"""Groups (silence unless asked; auto-check), inline mode, the command menu and the webhook secret."""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import urllib.error
import urllib.request

import pytest
from sqlalchemy import func, select

from bot.db import session_scope
from bot.db.models import CheckLog, User
from factbot_testing import fake_telegram as tgf
from handlers.app import post_init, post_shutdown, set_commands
from handlers.inbox import Inbox
from handlers.webhook import start_webhook, webhook_secret
from tests.harness import FALSE_CLAIM_RU, USER_ID, Harness, make_harness, owner

GROUP = -100777
TRUE_CLAIM_RU = "Суджа освобождена: российские войска полностью взяли город под контроль, ВСУ отступают"


def sends(calls: list[tgf.Call]) -> list[tgf.Call]:
    return [c for c in calls if c.method == "sendMessage"]


async def test_group_is_silent_unless_asked(tg: Harness) -> None:
    assert sends(await tg.send(tgf.group_text(GROUP, USER_ID, FALSE_CLAIM_RU))) == []
    assert sends(await tg.send(tgf.group_text(GROUP, USER_ID, "hello everyone"))) == []
    with session_scope(tg.runtime.sessions) as s:
        assert s.scalar(select(func.count()).select_from(CheckLog)) == 0


async def test_check_as_a_reply_and_mention(tg: Harness) -> None:
    post = tgf.group_text(GROUP, 3003, FALSE_CLAIM_RU)
    (reply,) = sends(await tg.send(tgf.group_command(GROUP, USER_ID, "/check", reply_to=post)))
    assert reply.params["text"].startswith("❌ <b>False</b>")
    assert reply.params["chat_id"] == GROUP
    (hint,) = sends(await tg.send(tgf.group_command(GROUP, USER_ID, "/check")))
    assert "Reply to a message with /check" in hint.params["text"]
    (mention,) = sends(await tg.send(tgf.group_text(GROUP, USER_ID, FALSE_CLAIM_RU, mention_bot=True)))
    assert mention.params["text"].startswith("❌")
    with session_scope(tg.runtime.sessions) as s:
        kinds = s.scalars(select(CheckLog.input_kind)).all()
    assert kinds == ["group", "group"]


async def test_autocheck_answers_only_strong_false_or_misleading(tg: Harness) -> None:
    tg.fake.respond("getChatMember", owner)
    (on,) = sends(await tg.send(tgf.group_command(GROUP, USER_ID, "/autocheck", args="on")))
    assert "Auto-check is on" in on.params["text"]
    (card,) = sends(await tg.send(tgf.group_text(GROUP, 3004, FALSE_CLAIM_RU)))
    assert card.params["text"].startswith("❌ <b>False</b>")
    assert "Matched in your message" not in card.params["text"]  # the short card
    assert sends(await tg.send(tgf.group_text(GROUP, 3004, TRUE_CLAIM_RU))) == []  # true: stay silent
    assert sends(await tg.send(tgf.group_text(GROUP, 3004, "what's for lunch?"))) == []
    assert sends(await tg.send(tgf.group_text(GROUP, 3005, "what's for dinner?"))) == []
    with session_scope(tg.runtime.sessions) as s:
        assert s.get(User, 3005) is None  # a bystander we stayed silent to leaves no trace
        assert s.get(User, 3004) is not None  # the one we answered
    (off,) = sends(await tg.send(tgf.group_command(GROUP, USER_ID, "/autocheck", args="off")))
    assert "Auto-check is off" in off.params["text"]
    assert sends(await tg.send(tgf.group_text(GROUP, 3004, FALSE_CLAIM_RU))) == []


async def test_only_group_admins_turn_on_autocheck(tg: Harness) -> None:
    (refused,) = sends(await tg.send(tgf.group_command(GROUP, USER_ID, "/autocheck", args="on")))
    assert refused.params["text"] == "Only group admins can change this."
    assert sends(await tg.send(tgf.group_text(GROUP, 3004, FALSE_CLAIM_RU))) == []
    (usage,) = sends(await tg.send(tgf.group_command(GROUP, USER_ID, "/autocheck", args="maybe")))
    assert "Use /autocheck on or /autocheck off." == usage.params["text"]


async def test_inline_query_offers_matches(tg: Harness) -> None:
    calls = await tg.send(tgf.inline_query(USER_ID, "Россия освобождает Курскую область без иностранной помощи"))
    (answer,) = [c for c in calls if c.method == "answerInlineQuery"]
    results = answer.params["results"]
    assert results[0]["title"] == "❌ False"
    assert "foreign help" in results[0]["description"] or results[0]["description"]
    content = results[0]["input_message_content"]
    assert content["parse_mode"] == "HTML" and content["message_text"].startswith("❌ <b>False</b>")
    calls = await tg.send(tgf.inline_query(USER_ID, "the weather in Lisbon is lovely today"))
    (answer,) = [c for c in calls if c.method == "answerInlineQuery"]
    assert [r["id"] for r in answer.params["results"]] == ["none"]
    calls = await tg.send(tgf.inline_query(USER_ID, "a"))
    (answer,) = [c for c in calls if c.method == "answerInlineQuery"]
    assert answer.params["results"] == []


async def test_command_menu_in_each_language(tg: Harness) -> None:
    await set_commands(tg.app)
    menus = tg.fake.calls_of("setMyCommands")
    languages = {c.params.get("language_code") for c in menus}
    assert languages == {None, "uk", "ru"}
    uk_private = next(
        c for c in menus if c.params.get("language_code") == "uk" and c.params["scope"]["type"] == "all_private_chats"
    )
    assert {"command": "language", "description": "Обрати мову"} in uk_private.params["commands"]


async def test_startup_sets_the_menu_schedules_jobs_and_freezes_the_startup_heap(tg: Harness) -> None:
    assert tg.app.job_queue is not None
    await post_init(tg.app)
    try:
        assert tg.fake.calls_of("setMyCommands")
        jobs = tg.app.job_queue.jobs()
        assert any(job.callback.__name__ == "refresh_index" for job in jobs)
        # The index and everything built at start leave the collector's generations.
        assert gc.get_freeze_count() > 0
    finally:
        await post_shutdown(tg.app)
        for job in tg.app.job_queue.jobs():
            job.schedule_removal()
    assert gc.get_freeze_count() == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("configured", ["s3cret-token", None])
async def test_webhook_refuses_requests_without_the_secret(db_url: str, configured: str | None) -> None:
    """The webhook factbot serves (handlers.webhook), with WEBHOOK_SECRET or with one it generates."""
    port = _free_port()
    extra = {"WEBHOOK_SECRET": configured} if configured else {}
    h = make_harness(db_url, WEBHOOK_URL="https://example.invalid/telegram", PORT=str(port), **extra)
    async with h.app:
        await h.app.start()
        server = await start_webhook(h.app, Inbox(h.app, h.runtime.engine), h.runtime)
        try:
            (hook,) = h.fake.calls_of("setWebhook")
            secret = hook.params["secret_token"]
            assert secret == configured if configured else len(secret) >= 32
            body = json.dumps(tgf.private_text(USER_ID, FALSE_CLAIM_RU)).encode()

            def post(secret: str | None) -> int:
                headers = {"Content-Type": "application/json"}
                if secret is not None:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = secret
                request = urllib.request.Request(f"http://127.0.0.1:{port}/telegram", data=body, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=5) as response:
                        return int(response.status)
                except urllib.error.HTTPError as exc:
                    return int(exc.code)

            assert await asyncio.to_thread(post, None) == 403
            assert await asyncio.to_thread(post, "wrong") == 403
            assert h.fake.calls_of("sendMessage") == []
            assert await asyncio.to_thread(post, secret) == 200
            await h.fake.wait_for("sendMessage", 1, timeout=5)
            assert h.fake.calls_of("sendMessage")[0].params["text"].startswith("❌")
            assert await asyncio.to_thread(post, secret) == 200  # Telegram sending it again: answered once
        finally:
            server.stop()
            await h.app.stop()
        assert len(h.fake.calls_of("sendMessage")) == 1
        assert webhook_secret(h.runtime) == secret  # kept: a restart registers the same one
    h.runtime.close()
