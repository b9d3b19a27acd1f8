"""Stopping the bot while its jobs run: PTB waits for the jobs running when it stops, then APScheduler's shutdown
cancels a job that started meanwhile and logs it as that job's error. `stop_application` starts none meanwhile."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest
from telegram.ext import Application

from handlers.context import BotContext
from handlers.serving import stop_application
from tests.harness import Harness


class Jobs:
    """A job that runs while the bot stops and, meanwhile, queues another (as an outbox kick from an update being
    handled is); what the late one did."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.late_runs: list[str] = []

    async def late_job(self, context: BotContext) -> None:
        self.late_runs.append("started")
        await asyncio.sleep(0.5)
        self.late_runs.append("finished")

    async def running_job(self, context: BotContext) -> None:
        self.started.set()
        await asyncio.sleep(0.1)
        assert context.job_queue is not None
        context.job_queue.run_once(self.late_job, 0, name="late")
        await asyncio.sleep(0.1)


async def stop_while_a_job_runs(tg: Harness, stop: Callable[[Application], Awaitable[None]]) -> Jobs:
    jobs = Jobs()
    assert tg.app.job_queue is not None
    await tg.app.start()
    tg.app.job_queue.run_once(jobs.running_job, 0, name="running")
    await asyncio.wait_for(jobs.started.wait(), 5)
    await stop(tg.app)
    await asyncio.sleep(0.05)  # what a cancelled job logs, it logs by now
    return jobs


async def test_a_job_queued_while_stopping_does_not_start_and_nothing_is_logged_as_an_error(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        jobs = await stop_while_a_job_runs(tg, stop_application)
    assert jobs.late_runs == []
    assert not tg.app.running
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_stopping_without_pausing_the_jobs_cancels_the_late_one_with_an_error(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    async def plain_stop(app: Application) -> None:
        await app.stop()

    with caplog.at_level(logging.INFO):
        jobs = await stop_while_a_job_runs(tg, plain_stop)
    assert jobs.late_runs == ["started"]  # cancelled by the shutdown: never finished
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all(r.name.startswith("apscheduler") for r in errors)
