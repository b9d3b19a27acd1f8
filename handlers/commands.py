"""Commands for everyone: /start, /help, /language, /about, /privacy, /notifications, /forget_me."""

from __future__ import annotations

from sqlalchemy.orm import Session
from telegram import Update

from bot.rendering import render
from bot.rendering.i18n import t
from bot.services import kb_store, users
from handlers import keyboards
from handlers.common import chat_type, command_args, in_db, language_for, reply_html
from handlers.context import BotContext


async def start(update: Update, context: BotContext) -> None:
    """What the bot does, how to forward, one line on privacy."""
    lang = await language_for(context, update.effective_user)
    await reply_html(update, context, render.message_html(lang, "start"), quote=False)


async def help_command(update: Update, context: BotContext) -> None:
    """How to use the bot; in private, moderators and admins also get their own commands."""
    user = update.effective_user
    lang = await language_for(context, user)
    parts = [t(lang, "help")]
    if user is not None and chat_type(update) == "private":
        runtime = context.runtime
        role = await in_db(context, lambda session: users.role_of(session, user.id, runtime.settings.admin_ids))
        if role in ("moderator", "admin"):
            parts.append(t(lang, "help.moderator"))
        if role == "admin":
            parts.append(t(lang, "help.admin"))
    await reply_html(update, context, render.esc("\n\n".join(parts)), quote=False)


async def language(update: Update, context: BotContext) -> None:
    """Offer the three languages as buttons."""
    user = update.effective_user
    if user is None:
        return
    lang = await language_for(context, user)
    markup = keyboards.languages(context.runtime.secret, user.id)
    await reply_html(update, context, render.message_html(lang, "language.choose"), markup, quote=False)


async def about(update: Update, context: BotContext) -> None:
    """Knowledge-base size, last update, and how verdicts are decided."""
    lang = await language_for(context, update.effective_user)
    count, updated = await in_db(
        context, lambda session: (kb_store.count_claims(session), kb_store.last_modified(session))
    )
    when = updated.strftime("%Y-%m-%d") if updated else t(lang, "about.never")
    await reply_html(update, context, render.message_html(lang, "about", count=count, updated=when), quote=False)


async def privacy(update: Update, context: BotContext) -> None:
    """What is stored, for how long, and /forget_me."""
    lang = await language_for(context, update.effective_user)
    days = context.runtime.settings.retention_days
    await reply_html(update, context, render.message_html(lang, "privacy", days=days), quote=False)


async def notifications(update: Update, context: BotContext) -> None:
    """/notifications on|off: follow-ups when moderators answer or correct a verdict."""
    user = update.effective_user
    if user is None:
        return
    lang = await language_for(context, user)
    args = [a.lower() for a in command_args(context)]
    if args not in (["on"], ["off"]):
        await reply_html(update, context, render.message_html(lang, "notifications.usage"))
        return
    runtime = context.runtime

    def set_notifications(session: Session) -> None:
        users.ensure_user(session, user.id, admin_ids=runtime.settings.admin_ids).notifications = args == ["on"]

    await in_db(context, set_notifications)
    await reply_html(update, context, render.message_html(lang, f"notifications.{args[0]}"))


async def forget_me(update: Update, context: BotContext) -> None:
    """Ask for confirmation before erasing the user's data."""
    user = update.effective_user
    if user is None:
        return
    lang = await language_for(context, user)
    markup = keyboards.forget_confirm(context.runtime.secret, user.id, lang)
    await reply_html(update, context, render.message_html(lang, "forget.confirm"), markup)


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command we don't know: point to /help instead of checking it as a claim."""
    lang = await language_for(context, update.effective_user)
    await reply_html(update, context, render.message_html(lang, "help"))
