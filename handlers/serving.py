"""`factbot run`'s life: start the Application, replay what a killed process left, then poll or
serve the webhook until SIGINT/SIGTERM, and stop letting in-flight updates finish."""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram.error import NetworkError
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot.services.runtime import Runtime
from handlers.inbox import Inbox
from handlers.polling import poll
from handlers.webhook import start_webhook

log = logging.getLogger(__name__)

# Telegram failing for a moment (502, a dropped connection) while the bot starts is waited out this many
# times, doubling the pause from 1 s; a failure that lasts is the caller's one-line error.
START_ATTEMPTS = 4


async def initialize(app: Application, stop: asyncio.Event) -> None:
    """app.initialize() (it asks Telegram who the bot is), retried on passing network failures."""
    pause = 1.0
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            await app.initialize()
            return
        except NetworkError as exc:
            if attempt == START_ATTEMPTS or stop.is_set():
                raise
            log.warning("the Bot API failed at start (%s); trying again in %.0f s", type(exc).__name__, pause)
        try:
            await asyncio.wait_for(stop.wait(), timeout=pause)
        except TimeoutError:
            pass
        pause *= 2


async def serve(app: Application, runtime: Runtime) -> None:
    """Run until a stop signal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server: HTTPServer | None = None
    inbox = Inbox(app, runtime.engine)
    await initialize(app, stop)
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        await inbox.replay()
        if runtime.settings.webhook_url:
            server = await start_webhook(app, inbox, runtime)
            await stop.wait()
        else:
            await app.bot.delete_webhook(drop_pending_updates=False)  # getUpdates is refused while one is set
            await poll(app, inbox, stop)
    finally:
        # First take no more updates: one taken while the Application stops would not be waited for.
        inbox.close()
        if server is not None:
            server.stop()
        if app.running:
            await app.stop()  # waits for the updates being handled
            if app.post_stop is not None:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
