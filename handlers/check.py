"""Checking what users send: text, forwarded posts, captions, media, edits."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

from telegram import (
    Message,
    MessageEntity,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
)

from bot.db import run_db
from bot.rendering import render
from bot.services.checks import (
    CheckOutcome,
    CheckRequest,
    ForwardOrigin,
    record_check,
    record_check_pg,
)
from bot.services.runtime import Runtime
from handlers import keyboards
from handlers.common import chat_type, language_for, reply_html
from handlers.context import BotContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Extracted:
    """What a message gives us to check."""

    text: str
    input_kind: str
    origin: ForwardOrigin | None
    urls: tuple[str, ...]
    file_unique_id: str | None
    posted: dt.date | None = None  # a forwarded post's original date


def forward_origin(message: Message) -> ForwardOrigin | None:
    origin = message.forward_origin
    if isinstance(origin, MessageOriginChannel):
        return ForwardOrigin(
            kind="channel",
            chat_id=origin.chat.id,
            username=origin.chat.username,
            title=origin.chat.title,
            message_id=origin.message_id,
        )
    if isinstance(origin, MessageOriginChat):
        chat = origin.sender_chat
        return ForwardOrigin(kind="chat", chat_id=chat.id, username=chat.username, title=chat.title)
    if isinstance(origin, MessageOriginUser):
        return ForwardOrigin(kind="user")  # a private person: we keep nothing that identifies them
    if isinstance(origin, MessageOriginHiddenUser):
        return ForwardOrigin(kind="hidden_user")
    return None


def media_file_id(message: Message) -> str | None:
    """file_unique_id is stable across forwards: the same photo is the same key for everyone."""
    if message.photo:
        return message.photo[-1].file_unique_id
    for media in (
        message.video,
        message.animation,
        message.document,
        message.audio,
        message.voice,
        message.video_note,
        message.sticker,
    ):
        if media is not None:
            return media.file_unique_id
    return None


def extract(message: Message, *, group: bool = False) -> Extracted:
    text = message.text or message.caption or ""
    urls: list[str] = []
    entities = message.parse_entities([MessageEntity.URL, MessageEntity.TEXT_LINK]) if message.text else {}
    if message.caption:
        entities = message.parse_caption_entities([MessageEntity.URL, MessageEntity.TEXT_LINK])
    for entity, value in entities.items():
        urls.append(entity.url if entity.type == MessageEntity.TEXT_LINK and entity.url else value)
    origin = forward_origin(message)
    if group:
        kind = "group"
    elif origin is not None:
        kind = "forward"
    elif message.caption:
        kind = "caption"
    else:
        kind = "text"
    posted = message.forward_origin.date.date() if message.forward_origin is not None else None
    return Extracted(
        text=text,
        input_kind=kind,
        origin=origin,
        urls=tuple(urls),
        file_unique_id=media_file_id(message),
        posted=posted,
    )


def typed_text(message: Message, text: str, *, group: bool) -> Extracted:
    """What a user typed after /check or a mention: the text alone, no forward, media or date of the message."""
    return replace(extract(message, group=group), text=text, origin=None, file_unique_id=None, posted=None)


def loggable_origin(origin: ForwardOrigin | None) -> ForwardOrigin | None:
    """Only channels and groups are logged as origins: a forwarded private person stays anonymous."""
    return origin if origin is not None and origin.kind in ("channel", "chat") else None


async def match_and_log(runtime: Runtime, request: CheckRequest) -> CheckOutcome:
    """Match (in the matching process, or on the loop), then log the check: on the loop through psycopg's
    asyncio connection on PostgreSQL, in the database thread on SQLite."""
    outcome = await runtime.match(request)
    secret, store_text = runtime.secret, runtime.settings.store_check_text
    if runtime.pg is not None:
        await record_check_pg(runtime.pg, runtime.engine, request, outcome, secret=secret, store_text=store_text)
    else:
        await run_db(record_check, runtime.engine, request, outcome, secret=secret, store_text=store_text)
    return outcome


async def perform_check(runtime: Runtime, extracted: Extracted, *, user_id: int, chat: str, lang: str) -> CheckOutcome:
    """Check what a message gave, with its media and forwarded post as exact keys."""
    keys = [f"file:{extracted.file_unique_id}"] if extracted.file_unique_id else []
    origin = extracted.origin
    if origin is not None and origin.post_key:
        keys.append(origin.post_key)
    request = CheckRequest(
        text=extracted.text,
        user_id=user_id,
        chat_type=chat,
        language=lang,
        input_kind=extracted.input_kind if extracted.text.strip() else "media",
        origin=loggable_origin(origin),
        urls=extracted.urls,
        exact_keys=tuple(keys),
        posted=extracted.posted,
    )
    return await match_and_log(runtime, request)


def reputation_html(runtime: Runtime, origin: ForwardOrigin | None, lang: str) -> str | None:
    found = runtime.index.reputation().lookup(origin)
    return render.reputation_note(found[0], found[1], lang) if found else None


async def send_outcome(
    update: Update, context: BotContext, outcome: CheckOutcome, extracted: Extracted, lang: str
) -> None:
    """The three replies: verdict cards, 'this may be related to', or an honest 'nothing yet'."""
    runtime = context.runtime
    user = update.effective_user
    user_id = user.id if user else 0
    note = reputation_html(runtime, extracted.origin, lang)
    if outcome.strong:
        messages = render.strong_cards(outcome.strong, lang, note=note)
        for i, text in enumerate(messages):
            last = i == len(messages) - 1
            markup = keyboards.feedback(runtime.secret, user_id, outcome.check_id, lang) if last else None
            await reply_html(update, context, text, markup, quote=i == 0)
        return
    if outcome.matches:
        markup = keyboards.possible(runtime.secret, user_id, outcome.check_id, outcome.matches, lang)
        await reply_html(update, context, render.possible_intro(lang, note=note), markup)
        return
    if not extracted.text.strip():
        text = render.message_html(lang, "media.no_text") + ("\n\n" + note if note else "")
    else:
        text = render.no_match(lang, note=note)
    await reply_html(
        update, context, text, keyboards.send_to_moderators(runtime.secret, user_id, outcome.check_id, lang)
    )


async def check_private(update: Update, context: BotContext) -> None:
    """Check anything sent in a private chat: text, forwards, captions, media, edits."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    lang = await language_for(context, user)
    extracted = extract(message)
    nothing = not extracted.text.strip() and extracted.file_unique_id is None and extracted.origin is None
    if nothing and message.poll is None:
        await reply_html(update, context, render.message_html(lang, "empty"))
        return
    await answer_check(update, context, extracted, lang)


async def answer_check(
    update: Update, context: BotContext, extracted: Extracted, lang: str, *, tell_limited: bool = True
) -> None:
    """Rate-limit, check and reply: the path every asked-for check takes (private, /check, mention)."""
    user = update.effective_user
    if user is None:
        return
    runtime = context.runtime
    if not runtime.limiter.allow(user.id):
        if tell_limited:
            await reply_html(update, context, render.message_html(lang, "rate_limited"))
        return
    outcome = await perform_check(runtime, extracted, user_id=user.id, chat=chat_type(update), lang=lang)
    await send_outcome(update, context, outcome, extracted, lang)
