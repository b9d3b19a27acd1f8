"""The handlers' typed context (PTB's ContextTypes): `context.runtime` instead of a string key in bot_data."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackContext, ContextTypes, Defaults, ExtBot

from bot.services.runtime import Runtime


@dataclass
class BotData:
    """What the handlers of one Application share (kept in memory, never persisted)."""

    runtime: Runtime | None = None
    persist_now: set[int] = field(default_factory=set)  # moderators whose conversation changed in this update
    error_alerts: dict[str, float] = field(default_factory=dict)  # error kind -> when admins were last told
    embedding: asyncio.Task[None] | None = None  # the semantic channel's background encoding, if running


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """CallbackContext with the application's runtime (settings, database, live KB index)."""

    @property
    def runtime(self) -> Runtime:
        runtime = self.bot_data.runtime
        if runtime is None:
            raise RuntimeError("the Application was built without a runtime (use handlers.app.build_application)")
        return runtime


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)

# Every message is Telegram HTML without link previews unless a call says otherwise (the plain-text fallbacks).
DEFAULTS = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))

BotApplication = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
Schedule = Callable[[BotApplication], None]
