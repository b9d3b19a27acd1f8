"""Building and running the Telegram Application (long polling, or a webhook when WEBHOOK_URL is set)."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, BasePersistence
from telegram.request import BaseRequest

from bot import redact
from bot.errors import TelegramUnavailable
from bot.rendering.i18n import LANGUAGES, t
from bot.rendering.i18n import preload as preload_i18n
from bot.services.runtime import Runtime
from bot.settings import Settings
from handlers.context import CONTEXT_TYPES, DEFAULTS, BotContext
from handlers.moderation import make_persistence
from handlers.registry import JOBS, register
from handlers.serving import serve

log = logging.getLogger(__name__)

INDEX_REFRESH_SECONDS = 5.0
PRIVATE_COMMANDS = ("start", "help", "language", "about", "privacy", "notifications", "forget_me")


def file_base_url(api_base_url: str) -> str:
    """Telegram serves files from /file/bot<token>; a self-hosted server mirrors that layout."""
    base = api_base_url.rstrip("/")
    return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"


async def set_commands(app: Application) -> None:
    """The command menu in each language."""
    for lang in LANGUAGES:
        code = None if lang == "en" else lang
        commands = [BotCommand(name, t(lang, f"cmd.{name}")) for name in PRIVATE_COMMANDS]
        group_commands = [BotCommand("check", t(lang, "cmd.check")), BotCommand("help", t(lang, "cmd.help"))]
        await app.bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats(), language_code=code)
        await app.bot.set_my_commands(group_commands, scope=BotCommandScopeAllGroupChats(), language_code=code)


async def refresh_index(context: BotContext) -> None:
    """Pick up KB changes made by other processes sharing the database."""
    runtime = context.runtime
    try:
        if await runtime.refresh_index_in_thread():
            log.info("knowledge base reloaded (version %d)", runtime.index.version)
    except Exception:
        log.exception("could not refresh the knowledge-base index")


async def post_init(app: Application) -> None:
    """Startup work: the command menu, the periodic jobs, then settle the heap."""
    try:
        await set_commands(app)
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc)
    if app.job_queue is not None:
        app.job_queue.run_repeating(refresh_index, interval=INDEX_REFRESH_SECONDS, first=INDEX_REFRESH_SECONDS)
        for schedule in JOBS:
            schedule(app)
    # Read now what would otherwise be read on first use and kept for the process's life (every
    # entry's facts, the typo lookup's map, the CLDR locale data), so that it is part of the heap frozen below.
    runtime: Runtime = app.bot_data.runtime
    runtime.index.matcher.warm_up()
    # The semantic channel now if the KB's vectors are stored, so the workers forked below share it;
    # otherwise lexical matching until they are encoded in the background.
    encode_later = False
    try:
        encode_later = not runtime.start_semantic(encode=False, threads=1) and runtime.semantic_enabled
    except Exception:  # a broken model or store must not keep the bot from answering
        log.exception("could not start the semantic channel; matching lexically")
    preload_i18n()
    # The index over a large KB leaves ~380k long-lived tracked objects (14k claims): a full collection
    # walks them all and stalls the event loop for 150-190 ms, while every update in flight waits.
    # Frozen objects are skipped by the collector; what handling allocates is collected as usual.
    gc.collect()
    gc.freeze()
    # Forked now, the matching process shares the settled heap with the loop (until either writes to it).
    await runtime.start_match_process()
    if encode_later:
        app.bot_data.embedding = asyncio.create_task(runtime.embed_in_background())


async def post_shutdown(app: Application) -> None:
    """Close the PostgreSQL connections the loop opened; hand the startup heap back to the collector
    (several Applications may run in one process)."""
    runtime: Runtime = app.bot_data.runtime
    runtime.stop_embedding()
    if app.bot_data.embedding is not None:
        app.bot_data.embedding.cancel()
    runtime.stop_match_process()
    if runtime.pg is not None:
        await runtime.pg.close()
    gc.unfreeze()


def build_application(
    runtime: Runtime,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    updater: bool = True,
    rate_limiter: bool = True,
    concurrent_updates: bool | int = False,
    persistence: BasePersistence[Any, Any, Any] | None = None,
) -> Application:
    """The Application with every handler; tests pass an in-process fake transport as `request`."""
    redact.install()
    settings = runtime.settings
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        Application.builder()
        .token(settings.telegram_bot_token or "0:unset")
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_base_url(settings.telegram_api_base_url))
        .context_types(CONTEXT_TYPES)
        .defaults(DEFAULTS)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .concurrent_updates(concurrent_updates)
    )
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    if not updater:
        builder = builder.updater(None)
    if persistence is not None:  # conversations and drafts that survive a restart (handlers.persistence)
        builder = builder.persistence(persistence)
    app = builder.build()
    app.bot_data.runtime = runtime
    register(app)
    return app


def run_bot(settings: Settings) -> None:
    """`factbot run`: start the runtime, then poll or serve the webhook until SIGINT/SIGTERM."""
    settings.require_token()
    runtime = Runtime.start(settings)
    app = build_application(
        runtime, updater=False, concurrent_updates=8, persistence=make_persistence(runtime.sessions)
    )
    try:
        log.info(f"starting the webhook on port {settings.port}" if settings.webhook_url else "starting long polling")
        asyncio.run(serve(app, runtime))
    except InvalidToken:
        raise TelegramUnavailable("TELEGRAM_BOT_TOKEN was rejected by the Bot API; check it with @BotFather") from None
    except Conflict:
        raise TelegramUnavailable("another process is already receiving this bot's updates") from None
    except NetworkError as exc:
        raise TelegramUnavailable(
            f"cannot reach the Telegram Bot API at {settings.telegram_api_base_url}: {exc.message}"
        ) from None
    finally:
        runtime.close()
