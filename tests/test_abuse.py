"""Abuse and recovery through the real Application and the fake Bot API: floods of commands, button
presses and group posts, and a user who blocks the bot and comes back."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from bot.db import session_scope
from bot.db.models import User
from factbot_testing import fake_telegram as tgf
from tests.harness import (
    FALSE_CLAIM_RU,
    KURSK,
    MOD_ID,
    USER_ID,
    Harness,
    cmd,
    last_with_buttons,
    owner,
    say,
    submit_post,
    texts,
)

GROUP = -100200300
SLOW_DOWN = "You are sending a lot of messages. Please wait a minute and try again."


def _sends(calls: list[tgf.Call], method: str = "sendMessage") -> list[tgf.Call]:
    return [c for c in calls if c.method == method]


async def test_a_hundred_commands_get_a_budget_and_one_slow_down(tg: Harness) -> None:
    replies: list[str] = []
    for _ in range(100):
        replies += [c.params["text"] for c in _sends(await tg.send(tgf.command(USER_ID, "/start")))]
    assert 10 <= len(replies) < 40, len(replies)
    assert replies.count(SLOW_DOWN) == 1 and replies[-1] == SLOW_DOWN
    # Someone else is not affected.
    assert len(_sends(await tg.send(tgf.command(USER_ID + 7, "/start")))) == 1


async def test_a_hundred_forged_presses_are_not_all_answered(tg: Harness) -> None:
    answers: list[tgf.Call] = []
    for n in range(100):
        answers += _sends(
            await tg.send(tgf.callback(USER_ID, f"fb:{n}:u:forged0000", message_id=5)), "answerCallbackQuery"
        )
    assert 10 <= len(answers) < 40, len(answers)
    assert [a.params.get("text") for a in answers].count(SLOW_DOWN) == 1


def _member(user: dict[str, Any], status: str) -> dict[str, Any]:
    return {"user": user, "status": status, **({"until_date": 0} if status == "kicked" else {})}


def _my_chat_member(user_id: int, old: str, new: str) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "U", "language_code": "en"}
    bot_user = {"id": 999, "is_bot": True, "first_name": "factbot", "username": "factbot_test_bot"}
    return {
        "update_id": 900_000 + user_id + (1 if new == "member" else 0),
        "my_chat_member": {
            "chat": {"id": user_id, "type": "private", "first_name": "U"},
            "from": user,
            "date": int(time.time()),
            "old_chat_member": _member(bot_user, old),
            "new_chat_member": _member(bot_user, new),
        },
    }


def _blocked(h: Harness, user_id: int) -> bool:
    with session_scope(h.runtime.sessions) as s:
        return bool(s.scalar(select(User.blocked).where(User.telegram_id == user_id)))


async def test_a_user_who_unblocks_the_bot_gets_follow_ups_again(bot: Harness) -> None:
    post = "Срочно! Наши источники: над водохранилищем ночью видели странные огни, власти молчат"
    await submit_post(bot, 5001, post, message_id=41)
    bot.fake.block_chat(5001)
    await say(bot, 5001, "ещё один пост")  # the reply fails with 403: the user is marked as blocked
    assert _blocked(bot, 5001)
    bot.fake.unblock_chat(5001)
    assert texts(await cmd(bot, 5001, "/start"))  # they are back, and write again
    assert not _blocked(bot, 5001)

    item = last_with_buttons(await cmd(bot, MOD_ID, "/queue"))
    await bot.press(item, "Link to a claim")
    by_id = last_with_buttons(await say(bot, MOD_ID, KURSK))
    before = len(bot.fake.calls)
    await bot.press(by_id, 0)
    followed = [c for c in _sends(bot.fake.calls[before:]) if c.params["chat_id"] == 5001]
    assert len(followed) == 1 and "You asked about this on" in followed[0].params["text"]

    # Blocking and unblocking as Telegram reports it (my_chat_member) moves the flag too.
    await bot.send(_my_chat_member(5001, "member", "kicked"))
    assert _blocked(bot, 5001)
    await bot.send(_my_chat_member(5001, "kicked", "member"))
    assert not _blocked(bot, 5001)


async def _autocheck_on(h: Harness) -> None:
    h.fake.respond("getChatMember", owner)
    (on,) = _sends(await h.send(tgf.group_command(GROUP, USER_ID, "/autocheck", args="on")))
    assert "Auto-check is on" in on.params["text"]


async def test_one_member_posting_a_claim_forty_times_gets_one_card(tg: Harness) -> None:
    await _autocheck_on(tg)
    cards = []
    for _ in range(40):
        cards += _sends(await tg.send(tgf.group_text(GROUP, 3004, FALSE_CLAIM_RU)))
    assert len(cards) == 1 and cards[0].params["text"].startswith("❌ <b>False</b>")
    # Others posting the same claim in the same group within the window: no second card either.
    assert _sends(await tg.send(tgf.group_text(GROUP, 3005, FALSE_CLAIM_RU))) == []
    # Another group is answered.
    assert len(_sends(await tg.send(tgf.group_text(GROUP - 1, 3004, FALSE_CLAIM_RU, mention_bot=True)))) == 1


async def test_asked_checks_in_one_group_stay_under_its_budget(tg: Harness) -> None:
    answered = 0
    for n in range(40):
        calls = await tg.send(tgf.group_text(GROUP, 3100 + n, FALSE_CLAIM_RU, mention_bot=True))
        answered += len(_sends(calls)) > 0
    assert answered == 20  # FACTBOT_GROUP_RATE_LIMIT's default, a minute
    assert len(_sends(await tg.send(tgf.private_text(USER_ID, FALSE_CLAIM_RU)))) >= 1


async def test_a_hundred_edits_of_a_command_get_the_same_budget(tg: Harness) -> None:
    """Editing a sent command runs it again (python-telegram-bot's command handlers take edited messages
    too): each edit counts against the same budget as a new command."""
    replies: list[str] = []
    for n in range(100):
        edit = tgf.edited_text(USER_ID, 7, "/start" + " " * (n % 2), entities=[_command_entity("/start")])
        replies += [c.params["text"] for c in _sends(await tg.send(edit))]
    assert len(replies) < 40, len(replies)
    assert replies.count(SLOW_DOWN) == 1 and replies[-1] == SLOW_DOWN


def _command_entity(text: str) -> dict[str, Any]:
    return {"type": "bot_command", "offset": 0, "length": len(text)}
