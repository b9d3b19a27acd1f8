"""Shared by the moderator and admin handlers: the server-side role check, replies and signed buttons."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.rendering import render
from bot.rendering.i18n import t
from bot.services import users
from bot.services.keys import user_key
from handlers import delivery, keyboards
from handlers.buttons import Button
from handlers.common import answer_callback, in_db, language_for, reply_html, send_html
from handlers.context import BotContext

log = logging.getLogger(__name__)

R = TypeVar("R")
Handler = Callable[[Update, BotContext], Coroutine[Any, Any, R]]


def user_id_of(update: Update) -> int:
    user = update.effective_user
    return user.id if user is not None else 0


async def say(update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Send plain text (escaped) to the chat of the update."""
    chat = update.effective_chat
    if chat is not None:
        await send_html(context, chat.id, render.esc(text), markup=markup, user_id=user_id_of(update))


async def say_key(update: Update, context: BotContext, key: str, **values: object) -> None:
    await say(update, context, t(await language_for(context, update.effective_user), key, **values))


def signed_button(
    context: BotContext, user_id: int, label: str, button: Button, *parts: object
) -> InlineKeyboardButton:
    return keyboards.signed(context.runtime.secret, user_id, label, button, *parts)


async def has_role(context: BotContext, user_id: int, role: str) -> bool:
    admin_ids = context.runtime.settings.admin_ids
    return await in_db(context, lambda session: users.has_role(session, user_id, role, admin_ids))


async def require(update: Update, context: BotContext, role: str, *, action: str) -> bool:
    """The server-side role check: False after telling the user "not allowed" and logging the attempt."""
    user = update.effective_user
    if user is not None and await has_role(context, user.id, role):
        return True
    who = user_key(context.runtime.secret, user.id)[:12] if user is not None else "unknown"
    log.warning("refused %s (needs %s) for user %s", action, role, who)
    text = t(await language_for(context, update.effective_user), "not_allowed")
    if update.callback_query is not None:
        await answer_callback(update, text, alert=True)
    else:
        await reply_html(update, context, render.esc(text))
    return False


def requires(role: str) -> Callable[[Handler[R]], Handler[R | None]]:
    """A handler only `role` may run: the role is checked on the server at every call; anyone else is told
    "not allowed", the attempt is logged (see `require`) and the handler returns None."""

    def wrap(handler: Handler[R]) -> Handler[R | None]:
        @functools.wraps(handler)
        async def run(update: Update, context: BotContext) -> R | None:
            if await require(update, context, role, action=handler.__name__):
                return await handler(update, context)
            return None

        return run

    return wrap


async def kick_outbox(context: BotContext) -> None:
    """Deliver queued follow-ups now (the outbox also retries later on its own)."""
    try:
        await delivery.kick(context.application)
    except Exception:
        log.exception("could not start delivering follow-ups")


async def refresh_index_now(context: BotContext) -> None:
    """After a moderator's change: the matcher sees it from the next check on."""
    try:
        await context.runtime.refresh_index_in_thread()
    except Exception:
        log.exception("could not refresh the index after a moderator change")
