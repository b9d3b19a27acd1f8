"""Bot API calls made while `factbot run` starts, retried when Telegram fails for a moment (a 502, a
dropped connection: a restart during a Telegram hiccup must not crash); a failure that lasts is raised."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import NetworkError

log = logging.getLogger(__name__)
T = TypeVar("T")

START_ATTEMPTS = 4  # pauses of 1, 2 and 4 s between them


async def at_start(step: Callable[[], Awaitable[T]], what: str, stop: asyncio.Event | None = None) -> T:
    """`step()`, tried up to START_ATTEMPTS times on network failures; not again once `stop` is set."""
    pause = 1.0
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            return await step()
        except NetworkError as exc:
            if attempt == START_ATTEMPTS or (stop is not None and stop.is_set()):
                raise
            log.warning("%s failed at start (%s); trying again in %.0f s", what, type(exc).__name__, pause)
        if stop is None:
            await asyncio.sleep(pause)
        else:
            try:
                await asyncio.wait_for(stop.wait(), timeout=pause)
            except TimeoutError:
                pass
        pause *= 2
    raise AssertionError("unreachable")
