"""Long polling that acknowledges an update to Telegram only after storing it (handlers.inbox).

python-telegram-bot's own Updater parses a whole batch at once, so one update it cannot read made it
fetch the same batch forever; and it acknowledges a batch by asking for the next one before the
updates are handled, so a crash lost them. Here each update is parsed alone and the offset moves
past a batch only once the batch is stored."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from handlers.inbox import Inbox
from handlers.sending import retry_seconds

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds Telegram holds a getUpdates open when nothing is waiting
ERROR_PAUSE_MAX = 30.0
# 409 Conflict: another process is polling. For a while that is the previous process of a restart still
# finishing its long poll; only a conflict lasting this long means two processes really run at once.
CONFLICT_GRACE = 60.0


async def get_updates(app: Application, offset: int | None, timeout: int) -> list[Any]:
    """One getUpdates, as raw JSON: the library must not parse (and possibly choke on) the batch."""
    params: dict[str, Any] = {"timeout": timeout, "allowed_updates": Update.ALL_TYPES}
    if offset is not None:
        params["offset"] = offset
    result = await app.bot.do_api_request("getUpdates", api_kwargs=params, read_timeout=timeout + 10)
    return result if isinstance(result, list) else []


async def poll(app: Application, inbox: Inbox, stop: asyncio.Event) -> None:
    """Fetch, store, acknowledge, until `stop` is set; then acknowledge the last stored batch."""
    offset: int | None = None
    pause = 1.0
    conflict_since: float | None = None
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        fetch = asyncio.ensure_future(get_updates(app, offset, POLL_TIMEOUT))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetch.done():
            fetch.cancel()  # what it would have returned is not acknowledged: Telegram sends it again
            break
        try:
            highest = await inbox.accept(fetch.result())
        except InvalidToken:
            raise
        except Conflict:
            conflict_since = loop.time() if conflict_since is None else conflict_since
            if loop.time() - conflict_since >= CONFLICT_GRACE:
                raise
            log.warning("getUpdates: another process is receiving updates; retrying in %.0f s", pause)
            await _pause(stop, pause)
            pause = min(pause * 2, ERROR_PAUSE_MAX)
            continue
        except RetryAfter as exc:
            await _pause(stop, retry_seconds(exc.retry_after))
            continue
        except (NetworkError, TelegramError) as exc:
            log.warning("getUpdates failed (%s); retrying in %.0f s", type(exc).__name__, pause)
            await _pause(stop, pause)
            pause = min(pause * 2, ERROR_PAUSE_MAX)
            continue
        except Exception:
            log.exception("could not store received updates; fetching them again in %.0f s", pause)
            await _pause(stop, pause)
            pause = min(pause * 2, ERROR_PAUSE_MAX)
            continue
        pause = 1.0
        conflict_since = None
        if highest is not None:
            offset = highest + 1
    if offset is not None:
        try:  # acknowledge the last batch, so a restart does not see it again
            await get_updates(app, offset, 0)
        except TelegramError as exc:
            log.info("could not acknowledge the last updates (%s); they are recognised if sent again", exc)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
