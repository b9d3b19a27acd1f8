"""Telegram delivery of the outbox's follow-ups (bot.services.outbox holds the rows and their states).

See bot.services.outbox for the guarantees: each row is taken by one worker, sent at most once, and
transient failures go back to 'pending' with backoff.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.db import run_db
from bot.db.models import utcnow
from bot.services import outbox
from handlers.context import BotApplication, BotContext, BotData
from handlers.sending import html_or_plain, retry_seconds

log = logging.getLogger(__name__)

DELIVERY_INTERVAL_SECONDS = 10.0
CONCURRENCY = 8  # sends in flight per run
JOB_NAME = "outbox-deliver"


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.skipped + self.retried + self.failed

    def count_retry(self, status: str) -> None:
        """A row sent back to 'pending', or 'failed' once it ran out of attempts."""
        self.retried += status == "pending"
        self.failed += status == "failed"


async def _send(bot: Bot, user_id: int, html_text: str) -> None:
    """HTML without previews (the application's Defaults); no retries here: the outbox retries the row."""

    async def send(text: str, plain: bool) -> None:
        if plain:
            await bot.send_message(user_id, text, parse_mode=None)
        else:
            await bot.send_message(user_id, text)

    await html_or_plain(send, html_text, what="a follow-up")


async def _deliver_one(
    bot: Bot, sessions: sessionmaker[Session], row_id: int, now: dt.datetime, report: DeliveryReport
) -> bool:
    """Claim, send and record one row; True when the run should stop claiming (flood wait, network down)."""
    taken = await run_db(outbox.take_row, sessions, row_id, now)
    if taken is None:
        return False  # another worker has it
    if isinstance(taken, str):
        report.skipped += taken == "skipped"
        report.failed += taken == "failed"
        return False
    user_id, html_text, card_of = taken
    try:
        await _send(bot, user_id, html_text)
    except Forbidden as exc:
        log.info("outbox: user has blocked the bot; follow-ups skipped")
        report.skipped += await run_db(outbox.mark_blocked, sessions, row_id, user_id, f"Forbidden: {exc.message}")
        return False
    except RetryAfter as exc:
        wait = retry_seconds(exc.retry_after)
        report.count_retry(await run_db(outbox.retry, sessions, row_id, now, f"RetryAfter: {wait:g}s", at_least=wait))
        return True  # flood control: the rest waits for the next run
    except BadRequest as exc:  # permanent (chat not found, ...): keep the row, do not retry
        log.warning("outbox: follow-up %d refused by Telegram: %s", row_id, exc.message)
        await run_db(outbox.finish, sessions, row_id, status="failed", last_error=f"BadRequest: {exc.message}"[:1000])
        report.failed += 1
        return False
    except TelegramError as exc:
        report.count_retry(await run_db(outbox.retry, sessions, row_id, now, f"{type(exc).__name__}: {exc.message}"))
        # A network failure (TimedOut included) stops the run: do not burn the other rows' attempts.
        return isinstance(exc, NetworkError)
    except Exception as exc:  # outcome unknown: at-most-once, keep it for an operator
        log.exception("outbox: unexpected error sending follow-up %d", row_id)
        await run_db(outbox.finish, sessions, row_id, status="failed", last_error=f"unexpected: {exc!r}"[:1000])
        report.failed += 1
        return False
    await run_db(outbox.finish, sessions, row_id, status="sent", last_error=None)
    report.sent += 1
    if card_of is not None:
        await run_db(outbox.remember_card, sessions, user_id, card_of)
    return False


async def deliver_pending(
    bot: Bot, sessions: sessionmaker[Session], *, limit: int = 50, now: dt.datetime | None = None
) -> DeliveryReport:
    """Send up to `limit` due follow-ups, each at most once; see the module docstring for the guarantees.

    CONCURRENCY sends are in flight at a time (the bot's AIORateLimiter keeps Telegram's limits). A flood
    wait or a network failure stops claiming further rows: the rest stay due for the next run."""
    now = now or utcnow()
    report = DeliveryReport()
    report.failed += await run_db(outbox.fail_interrupted, sessions, now)
    due = await run_db(outbox.due_ids, sessions, now, limit)
    queue = iter(due)
    stop = False

    async def worker() -> None:
        nonlocal stop
        for row_id in queue:  # shared iterator: each id goes to one worker
            if stop:
                return
            if await _deliver_one(bot, sessions, row_id, now, report):
                stop = True

    await asyncio.gather(*(worker() for _ in range(max(1, min(CONCURRENCY, len(due))))))
    if report.total:
        log.info("outbox: %s", report)
    return report


# --- scheduling ---------------------------------------------------------------------------------


async def _deliver_logged(bot: Bot, sessions: sessionmaker[Session]) -> None:
    """A delivery run whose errors are logged, never raised into the job queue or the handler that kicked it."""
    try:
        await deliver_pending(bot, sessions)
    except Exception:
        log.exception("outbox: delivery run failed")


async def _deliver_job(context: BotContext) -> None:
    await _deliver_logged(context.bot, context.runtime.sessions)


async def kick(app: Application[Any, Any, Any, Any, BotData, Any]) -> None:
    """Deliver now: as a one-off job when the job queue runs (the caller is not delayed), else inline."""
    job_queue = app.job_queue
    if job_queue is not None and job_queue.scheduler.running:
        job_queue.run_once(_deliver_job, 0, name=f"{JOB_NAME}-kick")
        return
    runtime = app.bot_data.runtime
    if runtime is not None:
        await _deliver_logged(app.bot, runtime.sessions)


def schedule(app: BotApplication) -> None:
    """Register the repeating delivery job (every DELIVERY_INTERVAL_SECONDS)."""
    if app.job_queue is None:
        log.warning("outbox: no job queue (install python-telegram-bot[job-queue]); follow-ups only on kick()")
        return
    app.job_queue.run_repeating(
        _deliver_job,
        interval=DELIVERY_INTERVAL_SECONDS,
        first=DELIVERY_INTERVAL_SECONDS,
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
