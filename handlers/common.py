"""What every handler needs: the runtime, the user's language, and sending that survives Telegram's faults."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from telegram import InlineKeyboardMarkup, ReplyParameters, Update, User
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut

from bot.db import in_session_thread
from bot.rendering.i18n import t
from bot.services import users
from bot.services.keys import verify
from handlers.context import BotContext
from handlers.sending import edit_markup, html_or_plain, post_message

log = logging.getLogger(__name__)
T = TypeVar("T")

NETWORK_RETRIES = 3
LANGUAGE_WAIT_SECONDS = 0.5  # a reply in Telegram's language beats a reply that waits on a lock


async def in_db(context: BotContext, work: Callable[[Session], T]) -> T:
    """One unit of work in a database thread: other updates keep being answered while it waits on a lock."""
    return await in_session_thread(context.runtime.sessions, work)


async def language_for(context: BotContext, user: User | None) -> str:
    """The user's language: remembered, else from Telegram's language_code (cached per process).

    First contact records the user; when the database does not answer within LANGUAGE_WAIT_SECONDS
    (locked, slow) the reply goes out in Telegram's language and the record is made when it can be."""
    if user is None:
        return "en"
    cached = context.user_data.get("lang") if context.user_data is not None else None
    if isinstance(cached, str):
        return cached
    admin_ids = context.runtime.settings.admin_ids

    def remember(session: Session) -> str:
        return users.language_of(users.ensure_user(session, user.id, admin_ids=admin_ids), user.language_code)

    try:
        lang = await asyncio.wait_for(in_db(context, remember), LANGUAGE_WAIT_SECONDS)
    except (TimeoutError, SQLAlchemyError) as exc:
        log.warning("no language from the database (%s); using Telegram's", type(exc).__name__)
        return users.language_of(None, user.language_code)
    if context.user_data is not None:
        context.user_data["lang"] = lang
    return lang


async def mark_blocked(context: BotContext, user_id: int) -> None:
    try:
        await in_db(context, lambda session: users.mark_blocked(session, user_id))
    except Exception:
        log.exception("could not mark a user as having blocked the bot")


async def with_retries(call: Callable[[], Awaitable[T]], *, what: str) -> T:
    """Retry timeouts and network errors with backoff. Flood waits (RetryAfter) are AIORateLimiter's to
    retry; BadRequest is a NetworkError in PTB but a refusal, so it is raised at once."""
    delay = 0.5
    for attempt in range(1, NETWORK_RETRIES + 1):
        try:
            return await call()
        except (TimedOut, NetworkError) as exc:
            if isinstance(exc, BadRequest) or attempt == NETWORK_RETRIES:
                raise
            log.warning("%s failed (%s), retrying in %.1fs", what, exc.__class__.__name__, delay)
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


async def send_html(
    context: BotContext,
    chat_id: int,
    html_text: str,
    *,
    reply_to: int | None = None,
    markup: InlineKeyboardMarkup | None = None,
    user_id: int | None = None,
) -> bool:
    """Send an HTML message; fall back to shorter plain text when Telegram rejects the markup or length.
    A user who blocked the bot is marked and skipped (False)."""
    reply = ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) if reply_to else None

    async def send(text: str, plain: bool) -> None:
        await with_retries(
            lambda: post_message(context.bot, chat_id, text, markup=markup, reply=reply, plain=plain),
            what="sendMessage",
        )

    try:
        await html_or_plain(send, html_text, what="a reply")
    except Forbidden:
        if user_id is not None:
            await mark_blocked(context, user_id)
        log.info("a user has blocked the bot; reply skipped")
        return False
    return True


async def reply_html(
    update: Update,
    context: BotContext,
    html_text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    quote: bool = True,
) -> bool:
    """Reply in the chat of the update, quoting the message it answers."""
    message = update.effective_message
    chat = update.effective_chat
    if chat is None:
        return False
    reply_to = message.message_id if (message is not None and quote) else None
    user_id = update.effective_user.id if update.effective_user else None
    return await send_html(context, chat.id, html_text, reply_to=reply_to, markup=markup, user_id=user_id)


async def answer_callback(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a button press (errors here must never fail the handler)."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text, show_alert=alert)
    except (BadRequest, NetworkError) as exc:
        log.info("answerCallbackQuery failed: %s", exc)


def verified_parts(update: Update, context: BotContext) -> list[str] | None:
    """A button's payload split at ":", if its signature holds for the user who pressed it."""
    query = update.callback_query
    if query is None:
        return None
    payload = verify(context.runtime.secret, query.from_user.id, query.data)
    return payload.split(":") if payload else None


async def expired(update: Update, context: BotContext) -> None:
    """Forged, foreign or stale buttons: tell the presser, change nothing."""
    await answer_callback(update, t(await language_for(context, update.effective_user), "button.expired"), alert=True)


async def drop_keyboard(update: Update) -> None:
    """Remove the buttons from the message a button press came from."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await edit_markup(query.get_bot(), query, None)
    except BadRequest as exc:  # already edited, or the message is too old to edit
        log.debug("could not remove a keyboard: %s", exc)


def command_args(context: BotContext) -> list[str]:
    return list(context.args or [])


def chat_type(update: Update) -> str:
    chat = update.effective_chat
    return chat.type if chat is not None else "private"


def data_of(context: BotContext) -> dict[str, Any]:
    data = context.user_data
    return data if data is not None else {}
