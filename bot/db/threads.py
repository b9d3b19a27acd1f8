"""Blocking database work off the event loop: a small pool of worker threads shared by the process.

The Telegram front end is one asyncio loop; a query that waits on a lock (SQLite's busy timeout, a
PostgreSQL row lock) must not stop every other update. DB_THREADS bounds how many units of work run at
once (the engine's pool is larger, so a thread never waits for a connection).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bot.db.engine import session_scope

P = ParamSpec("P")
T = TypeVar("T")

DB_THREADS = 8
_POOL = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="factbot-db")


async def run_db(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `fn` in a database thread and wait for it without blocking the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, functools.partial(fn, *args, **kwargs))


def _unit(factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    with session_scope(factory) as session:
        return work(session)


async def in_session_thread(factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """One unit of work (committed on success, rolled back on error) in a database thread."""
    return await run_db(_unit, factory, work)
