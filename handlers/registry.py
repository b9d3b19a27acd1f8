"""All handlers, registered in one place in explicit order."""

from __future__ import annotations

from collections.abc import Callable

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, InlineQueryHandler, MessageHandler, filters

from handlers import admin, callbacks, check, commands, errors, group, inline, moderation, team


def register(app: Application) -> None:
    """Register every handler. Order matters: commands and conversations before the catch-all check."""
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS

    app.add_handler(CommandHandler("start", commands.start))
    app.add_handler(CommandHandler("help", commands.help_command))
    app.add_handler(CommandHandler("language", commands.language, filters=private))
    app.add_handler(CommandHandler("about", commands.about))
    app.add_handler(CommandHandler("privacy", commands.privacy))
    app.add_handler(CommandHandler("notifications", commands.notifications, filters=private))
    app.add_handler(CommandHandler("forget_me", commands.forget_me, filters=private))
    app.add_handler(CommandHandler("check", group.check_command))
    app.add_handler(CommandHandler("autocheck", group.autocheck, filters=groups))

    for extra in _extensions():
        extra(app)

    app.add_handler(CallbackQueryHandler(callbacks.on_feedback, pattern=r"^f[br]:"))
    app.add_handler(CallbackQueryHandler(callbacks.on_pick_possible, pattern=r"^pc:"))
    app.add_handler(CallbackQueryHandler(callbacks.on_none_of_these, pattern=r"^pn:"))
    app.add_handler(CallbackQueryHandler(callbacks.on_submit, pattern=r"^sub:"))
    app.add_handler(CallbackQueryHandler(callbacks.on_language, pattern=r"^lang:"))
    app.add_handler(CallbackQueryHandler(callbacks.on_forget, pattern=r"^fm:"))
    app.add_handler(CallbackQueryHandler(callbacks.on_unknown_button))

    app.add_handler(InlineQueryHandler(inline.inline_query))

    app.add_handler(MessageHandler(private & filters.COMMAND, commands.unknown_command))
    app.add_handler(MessageHandler(private & ~filters.COMMAND, check.check_private))
    app.add_handler(MessageHandler(groups & ~filters.COMMAND, group.group_message))

    app.add_error_handler(errors.on_error)


def _extensions() -> list[Callable[[Application], None]]:
    """Admin, moderator and team handlers register themselves here, before the public buttons and the check."""
    return [admin.register, moderation.register, team.register]
