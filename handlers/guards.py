"""What runs before every handler: noticing that a user can be reached again, and the per-user
budget of commands and button presses (a "slow down" once a minute, then silence)."""

from __future__ import annotations

import asyncio
import logging

from telegram import ChatMember, Message, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.rendering import render
from bot.rendering.i18n import t
from bot.services import users
from handlers import common
from handlers.common import answer_callback, in_db, language_for, reply_html
from handlers.context import BotApplication, BotContext

log = logging.getLogger(__name__)

PRESENCE_GROUP = -2
THROTTLE_GROUP = -1


async def _set_blocked(context: BotContext, user_id: int, blocked: bool) -> None:
    mark = users.mark_blocked if blocked else users.mark_reachable
    await in_db(context, lambda session: mark(session, user_id))
    if not blocked:
        users.note_reachable(user_id)


async def note_presence(update: Update, context: BotContext) -> None:
    """A user who writes to the bot in private, or lets it back in, gets follow-ups again; one who
    blocks it (my_chat_member "kicked") does not. Only users this process marked blocked cost a write;
    others were cleared by their first contact (users.ensure_user)."""
    member = update.my_chat_member
    try:
        if member is not None:
            if member.chat.type == ChatType.PRIVATE:
                status = member.new_chat_member.status
                if status in (ChatMember.MEMBER, ChatMember.BANNED):
                    await _set_blocked(context, member.from_user.id, status == ChatMember.BANNED)
            return
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or chat.type != ChatType.PRIVATE:
            return
        if not users.blocked_in_this_process(user.id):
            return
        try:  # bounded like the language lookup: a locked database must not hold the reply up
            await asyncio.wait_for(_set_blocked(context, user.id, False), common.LANGUAGE_WAIT_SECONDS)
        except TimeoutError:
            return  # the write still runs in its database thread
    except Exception:  # never keep the update from its handler
        log.exception("could not record that a user can be reached")


def _is_command(message: Message | None) -> bool:
    return message is not None and bool(message.text) and (message.text or "").startswith("/")


async def throttle(update: Update, context: BotContext) -> None:
    """Commands and button presses beyond ACTIONS_PER_MINUTE per user stop here."""
    user = update.effective_user
    query = update.callback_query
    # An edited command runs again (command handlers take edited messages too), so it counts as well.
    if user is None or (query is None and not _is_command(update.message or update.edited_message)):
        return
    verdict = context.runtime.actions.check(user.id)
    if verdict == "allow":
        return
    if verdict == "warn":
        text = t(await language_for(context, user), "rate_limited")
        if query is not None:
            await answer_callback(update, text, alert=True)
        else:
            await reply_html(update, context, render.esc(text))
    raise ApplicationHandlerStop


def register(app: BotApplication) -> None:
    app.add_handler(TypeHandler(Update, note_presence), group=PRESENCE_GROUP)
    app.add_handler(TypeHandler(Update, throttle), group=THROTTLE_GROUP)
