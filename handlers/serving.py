"""`factbot run`'s life: start the Application, replay what a killed process left, then poll or
serve the webhook until SIGINT/SIGTERM, and stop letting in-flight updates finish."""

from __future__ import annotations

import asyncio
import signal

from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot.services.runtime import Runtime
from handlers.inbox import Inbox
from handlers.polling import poll
from handlers.startup import at_start
from handlers.webhook import start_webhook


async def stop_application(app: Application) -> None:
    """Stop the Application, its jobs first: PTB waits for the jobs running when it stops, then APScheduler's
    shutdown cancels any job that started meanwhile (an outbox kick, a periodic refresh) and logs that as the
    job's error. Paused, the scheduler starts none: the jobs waited for finish, the others run at next start."""
    if app.job_queue is not None and app.job_queue.scheduler.running:
        app.job_queue.scheduler.pause()
    await app.stop()  # waits for the updates being handled and the jobs running


async def serve(app: Application, runtime: Runtime) -> None:
    """Run until a stop signal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server: HTTPServer | None = None
    inbox = Inbox(app, runtime.engine)
    await at_start(app.initialize, "getMe", stop)
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        await inbox.replay()
        if runtime.settings.webhook_url:
            server = await start_webhook(app, inbox, runtime)
            await stop.wait()
        else:
            # getUpdates is refused while a webhook is set
            await at_start(lambda: app.bot.delete_webhook(drop_pending_updates=False), "deleteWebhook", stop)
            await poll(app, inbox, stop)
    finally:
        # First take no more updates: one taken while the Application stops would not be waited for.
        inbox.close()
        if server is not None:
            server.stop()
        if app.running:
            await stop_application(app)
            if app.post_stop is not None:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
