"""Blocking database work off the event loop, in worker threads shared by the process.

The Telegram front end is one asyncio loop; a query that waits on a lock (SQLite's busy timeout, a
PostgreSQL row lock) must not stop every other update. PostgreSQL work runs in DB_THREADS threads (the
engine's pool is larger, so a thread never waits for a connection). SQLite work runs in one thread: the
file takes one writer at a time anyway, and writers from several threads of one process would meet in
SQLite's busy handler, which sleeps in steps of milliseconds, where one thread simply runs them in turn.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.db.engine import session_scope

P = ParamSpec("P")
T = TypeVar("T")

DB_THREADS = 8
_SERVER_POOL = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="factbot-db")
_SQLITE_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="factbot-sqlite")


def _pool_for(target: Any) -> ThreadPoolExecutor:
    """SQLite's single thread when `target` (an engine or a sessionmaker) is on SQLite."""
    engine = target if isinstance(target, Engine) else None
    if isinstance(target, sessionmaker):
        bind = target.kw.get("bind")
        engine = bind if isinstance(bind, Engine) else None
    return _SQLITE_POOL if engine is not None and engine.dialect.name == "sqlite" else _SERVER_POOL


async def run_db(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `fn` in a database thread and wait for it without blocking the event loop. The first argument
    (an engine or a sessionmaker, as every database function here takes) chooses the thread."""
    loop = asyncio.get_running_loop()
    pool = _pool_for(args[0] if args else None)
    return await loop.run_in_executor(pool, functools.partial(fn, *args, **kwargs))


def _unit(factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    with session_scope(factory) as session:
        return work(session)


async def in_session_thread(factory: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """One unit of work (committed on success, rolled back on error) in a database thread."""
    return await run_db(_unit, factory, work)
