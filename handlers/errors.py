"""The global error handler: log with context, tell the user something went wrong, tell admins
(at most once a minute per kind of error). No traceback ever reaches a user."""

from __future__ import annotations

import html
import logging
import time

from sqlalchemy.exc import OperationalError
from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.rendering.i18n import t
from handlers.common import language_for
from handlers.context import BotContext

log = logging.getLogger(__name__)

ADMIN_ALERT_INTERVAL = 60.0


def _describe(update: object) -> str:
    """Where it happened, without user ids or texts."""
    if isinstance(update, Update):
        kind = next(
            (
                name
                for name in ("message", "edited_message", "callback_query", "inline_query")
                if getattr(update, name, None) is not None
            ),
            "other",
        )
        chat = update.effective_chat.type if update.effective_chat else "-"
        return f"update {update.update_id} ({kind}, chat type {chat})"
    return f"{type(update).__name__}"


async def on_error(update: object, context: BotContext) -> None:
    """Log the error with its context, apologise to the user, and alert admins (rate-limited)."""
    error = context.error
    kind = type(error).__name__ if error else "Unknown"
    where = _describe(update)
    log.error("error while handling %s: %s", where, kind, exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None and not isinstance(error, Forbidden):
        if update.effective_chat.type == "private":
            try:
                lang = await language_for(context, update.effective_user)
            except Exception:
                lang = "en"
            # The database was locked or too slow past its bounded wait: nothing was saved, and trying again
            # shortly usually works; anything else is our fault.
            key = "error.busy" if isinstance(error, OperationalError) else "error.generic"
            try:
                await context.bot.send_message(update.effective_chat.id, html.escape(t(lang, key)))
            except TelegramError:
                pass
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except TelegramError:
                pass
    await _alert_admins(context, kind, where)


async def _alert_admins(context: BotContext, kind: str, where: str) -> None:
    try:
        runtime = context.runtime
    except RuntimeError:  # an Application built without a runtime has no admins to tell
        return
    last = context.bot_data.error_alerts
    now = time.monotonic()
    if now - last.get(kind, -ADMIN_ALERT_INTERVAL) < ADMIN_ALERT_INTERVAL:
        return
    last[kind] = now
    text = f"⚠️ factbot error: <b>{html.escape(kind)}</b> while handling {html.escape(where)}. See the logs."
    for admin_id in runtime.settings.admin_ids:
        try:
            await context.bot.send_message(admin_id, text)
        except TelegramError as exc:
            log.warning("could not alert an admin: %s", exc)
