"""A running factbot Application wired to the in-process fake Bot API, on a test database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from telegram import Update
from telegram.ext import Application

from bot.db import session_scope
from bot.db.models import Submission, User
from bot.services.runtime import Runtime
from bot.settings import load_settings
from factbot_testing import fake_telegram as tgf
from factbot_testing.fake_telegram import Call, FakeTelegram, callback, collect_errors, command, private_text
from handlers.app import build_application
from handlers.moderation import make_persistence
from knowledge.schema import Claim, Source, Variant

ADMIN_ID = 1000
USER_ID = 2001
OTHER_USER_ID = 2002
MOD_ID = 3000
KURSK = "kursk-no-foreign-help"
# A post the bundled KB answers with a strong "false" card.
FALSE_CLAIM_RU = "Россия освобождает Курскую область собственными силами, без какой-либо иностранной помощи"
# A claim the bundled KB does not have, as moderators add it in the moderation and persistence tests.
NEW_CLAIM = "Зеленский купил две яхты за 75 миллионов долларов на деньги западной помощи"
# A claim far from every bundled one, for tests of KB changes reaching a running bot.
MOON = Claim(
    id="test-moon-green-cheese",
    claim="A leaked NASA memo admits that the Moon is made entirely of green cheese.",
    verdict="false",
    summary="There is no such memo; lunar samples are rock.",
    lang="en",
    sources=(Source(title="Lunar sample compendium", publisher="NASA"),),
    variants=(Variant(text="Утёкшая записка НАСА признаёт, что Луна целиком состоит из зелёного сыра", lang="ru"),),
)
NEW_SUMMARY = "The story was planted on a fake news site; the yacht builder says both yachts are still for sale."


@dataclass
class Harness:
    app: Application  # type: ignore[type-arg]
    fake: FakeTelegram
    runtime: Runtime
    errors: list[BaseException] = field(default_factory=list)

    async def send(self, payload: dict[str, Any]) -> list[Call]:
        """Process one update and return the Bot API calls it caused."""
        before = len(self.fake.calls)
        await self.app.process_update(Update.de_json(payload, self.app.bot))
        return self.fake.calls[before:]

    async def press(
        self,
        call: Call,
        button_text_or_index: str | int,
        *,
        user_id: int | None = None,
        original: dict[str, Any] | None = None,
    ) -> list[Call]:
        """Press a button of the keyboard the bot sent in `call` (as the user it was sent to, by default)."""
        rows = call.params["reply_markup"]["inline_keyboard"]
        buttons = [b for row in rows for b in row]
        if isinstance(button_text_or_index, int):
            button = buttons[button_text_or_index]
        else:
            button = next(b for b in buttons if button_text_or_index in b["text"])
        chat_id = call.params["chat_id"]
        extra: dict[str, Any] = {}
        if original is not None:
            extra["reply_to_message"] = original["message"]
        message_id = call.result["message_id"] if isinstance(call.result, dict) else 1
        payload = callback(
            user_id or int(chat_id), button["callback_data"], message_id=message_id, chat_id=int(chat_id), **extra
        )
        return await self.send(payload)

    def texts(self, calls: list[Call]) -> list[str]:
        return [c.params.get("text", "") for c in calls if c.method == "sendMessage"]


def settings_for(db_url: str, **extra: str) -> Any:
    env: Mapping[str, str] = {
        "DATABASE_URL": db_url,
        "TELEGRAM_BOT_TOKEN": "123:TEST",
        "FACTBOT_SECRET": "test-secret",
        "FACTBOT_ADMIN_IDS": str(ADMIN_ID),
        "FACTBOT_SEMANTIC": "off",  # on in tests/test_semantic_channel.py
        **extra,
    }
    return load_settings(env, dotenv=None)


def make_harness(db_url: str, *, rate_limiter: bool = False, persistent: bool = False, **extra: str) -> Harness:
    """An Application on the fake Bot API; without AIORateLimiter unless a test is about it, and with the
    database persistence (as `factbot run` builds it) when `persistent`."""
    runtime = Runtime.start(settings_for(db_url, **extra))
    fake = FakeTelegram()
    app = build_application(
        runtime,
        request=fake,
        get_updates_request=FakeTelegram(),
        updater=False,
        rate_limiter=rate_limiter,
        persistence=make_persistence(runtime.sessions) if persistent else None,
    )
    harness = Harness(app=app, fake=fake, runtime=runtime)
    harness.errors = collect_errors(app)
    return harness


def add_moderator(h: Harness, user_id: int = MOD_ID) -> None:
    with session_scope(h.runtime.sessions) as s:
        s.add(User(telegram_id=user_id, role="moderator", notifications=True, blocked=False))


def owner(params: dict[str, Any]) -> dict[str, Any]:
    """A getChatMember answer: the asking user owns the group."""
    user = {"id": int(params["user_id"]), "is_bot": False, "first_name": "Owner"}
    return {"status": "creator", "user": user, "is_anonymous": False}


# --- reading what the bot sent -------------------------------------------------------------------------


def sends(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "sendMessage"]


def texts(calls: list[Call]) -> list[str]:
    return [c.params["text"] for c in sends(calls)]


def last_with_buttons(calls: list[Call]) -> Call:
    return [c for c in sends(calls) if c.params.get("reply_markup")][-1]


def labels(call: Call) -> list[str]:
    return [b["text"] for row in call.params["reply_markup"]["inline_keyboard"] for b in row]


def alerts(calls: list[Call]) -> list[str]:
    return [c.params.get("text") or "" for c in calls if c.method == "answerCallbackQuery"]


async def say(h: Harness, user_id: int, text: str) -> list[Call]:
    return await h.send(private_text(user_id, text))


async def cmd(h: Harness, user_id: int, name: str, args: str = "", **extra: Any) -> list[Call]:
    return await h.send(command(user_id, name, args, **extra))


async def submit_post(
    h: Harness,
    user_id: int,
    text: str,
    *,
    message_id: int = 77,
    channel_id: int = -1001112223334,
    photo: str | None = None,
) -> int:
    """A user forwards a channel post the bot cannot answer and sends it to the moderators."""
    if photo is not None and not text:
        post = tgf.forwarded_from_channel(
            user_id,
            "",
            channel_id=channel_id,
            channel_message_id=message_id,
            channel_username="rumours",
            channel_title="Rumours <daily>",
        )
        del post["message"]["text"]
        post["message"]["photo"] = tgf._photo_sizes(photo)
    else:
        post = tgf.forwarded_from_channel(
            user_id,
            text,
            channel_id=channel_id,
            channel_message_id=message_id,
            channel_username="rumours",
            channel_title="Rumours <daily>",
        )
    reply = last_with_buttons(await h.send(post))
    assert labels(reply) == ["Send to moderators"]
    await h.press(reply, "Send to moderators", original=post)
    with session_scope(h.runtime.sessions) as s:
        return max(s.scalars(select(Submission.id).where(Submission.user_id == user_id)))
