"""Every handler and job of the Application, in one list, in the order they are tried."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers import admin, callbacks, check, commands, delivery, errors, group, guards, inline, moderation, team
from handlers.buttons import Button, pattern
from handlers.context import BotApplication, Schedule

# Repeating jobs, started by post_init when the job queue runs.
JOBS: tuple[Schedule, ...] = (delivery.schedule, admin.schedule_retention)


def handlers(*, persistent: bool) -> list[BaseHandler[Update, Any, Any]]:
    """In order: the first handler that matches an update handles it. Commands and the moderators'
    conversation come before the buttons, and the catch-all check comes last."""
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    return [
        # everyone
        CommandHandler("start", commands.start),
        CommandHandler("help", commands.help_command),
        CommandHandler("language", commands.language, filters=private),
        CommandHandler("about", commands.about),
        CommandHandler("privacy", commands.privacy),
        CommandHandler("notifications", commands.notifications, filters=private),
        CommandHandler("forget_me", commands.forget_me, filters=private),
        CommandHandler("check", group.check_command),
        CommandHandler("autocheck", group.autocheck, filters=groups),
        # admins
        CommandHandler("stats", admin.stats_command),
        CommandHandler("logs", admin.logs_command),
        CommandHandler("export", admin.export_command),
        # moderators: the conversation first, so an open task sees the team commands before they run
        moderation.conversation(persistent=persistent),
        CommandHandler("cancel", moderation.on_cancel, filters=private),
        CommandHandler("grant", team.grant),  # also in a team group, replying to the person
        CommandHandler("revoke", team.revoke),
        CommandHandler("team", team.team, filters=private),
        CommandHandler("variant", team.variant, filters=private),
        CommandHandler("retire", team.retire, filters=private),
        CommandHandler("claim", team.show_claim, filters=private),
        CommandHandler("history", team.history, filters=private),
        CommandHandler("queue", team.queue, filters=private),
        # the public's buttons
        CallbackQueryHandler(callbacks.on_feedback, pattern=pattern(Button.FEEDBACK, Button.FEEDBACK_REASON)),
        CallbackQueryHandler(callbacks.on_pick_possible, pattern=pattern(Button.PICK_POSSIBLE)),
        CallbackQueryHandler(callbacks.on_none_of_these, pattern=pattern(Button.NONE_OF_THESE)),
        CallbackQueryHandler(callbacks.on_submit, pattern=pattern(Button.SUBMIT)),
        CallbackQueryHandler(callbacks.on_language, pattern=pattern(Button.LANGUAGE)),
        CallbackQueryHandler(callbacks.on_forget, pattern=pattern(Button.FORGET)),
        CallbackQueryHandler(callbacks.on_unknown_button),
        # inline mode, then messages: unknown commands, and the check
        InlineQueryHandler(inline.inline_query),
        MessageHandler(private & filters.COMMAND, commands.unknown_command),
        MessageHandler(private & ~filters.COMMAND, check.check_private),
        MessageHandler(groups & ~filters.COMMAND, group.group_message),
    ]


def register(app: BotApplication) -> None:
    """Register every handler, the moderators' persistence step after them, and the error handler."""
    guards.register(app)
    app.add_handlers(handlers(persistent=app.persistence is not None))
    app.add_handler(TypeHandler(Update, moderation.persist_now), group=moderation.AFTER_GROUP)
    app.add_error_handler(errors.on_error)
