"""Matching in a process of its own, so the event loop's core is left to Telegram and the database.

Matching is pure CPU (a few milliseconds a post) and Python runs one thread at a time: on the event
loop it holds every other update back while it runs. The worker is forked from the running bot after
the index is built, so it starts with the same index at no cost (the pages are shared until written),
and every KB change the loop applies to its own matcher is sent to it in order, ahead of the checks
that follow. If the worker dies, checks are matched on the loop until a new one is forked from the
loop's (current) index.

The loop talks to the worker over a socket pair read by the loop itself (an asyncio protocol): no
thread in between, because under a busy loop a helper thread waits up to the interpreter's switch
interval (5 ms) for its turn, at each hop.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import itertools
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from multiprocessing.process import BaseProcess
from typing import Any

from bot.services import semantic
from knowledge.matcher import Match, Matcher
from knowledge.schema import Claim

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # prctl(2): the signal the worker gets when its parent dies
RESTART_AFTER = 30.0  # seconds on the loop's matcher after the worker died, before forking a new one
START_TIMEOUT = 60.0
MATCH_TIMEOUT = 20.0  # seconds for one post (they take milliseconds): longer means the worker is stuck
HEADER = 4  # bytes of a frame's length; a frame is one pickled message
# A worker already holding this many posts matches the next by its words alone: the semantic channel
# triples a check's CPU, and when posts arrive faster than the workers encode them, queueing for it would
# cost every user seconds (on a machine half as fast, 150 updates/s waited 5-9 s at p99).
SHED_PENDING = 2
WORKER_NICE = 10  # the workers' scheduling priority below the event loop's (and the database server's)

# What crosses the socket for one match: the claim by id (both sides hold the same claims).
MatchRow = tuple[str, float, str, str, str, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class KbChange:
    """One KB change for a matcher: claims to drop, claims to (re)index and the exact keys to hold."""

    removals: tuple[str, ...]
    upserts: tuple[Claim, ...]
    dropped_keys: tuple[str, ...]
    exact: tuple[tuple[str, str], ...]


def apply_change(matcher: Matcher, change: KbChange) -> None:
    """Apply a KB change to a matcher (the loop's and the worker's copies take the same steps)."""
    for claim_id in change.removals:  # pruned, retired or unpublished
        matcher.remove(claim_id)
    for claim in change.upserts:
        matcher.upsert(claim)
    for key in change.dropped_keys:
        matcher.remove_exact_key(key)
    for key, claim_id in change.exact:
        matcher.add_exact_key(key, claim_id)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def available() -> bool:
    """Whether a worker can be forked here and has a core of its own to run on."""
    return "fork" in multiprocessing.get_all_start_methods() and _cores() > 1


def _frame(message: object) -> bytes:
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(HEADER, "big") + data


# --- the worker ----------------------------------------------------------------------------------


def _match(
    matcher: Matcher,
    text: str,
    urls: tuple[str, ...],
    keys: tuple[str, ...],
    limit: int,
    posted: date | None,
    semantic: bool = True,
) -> tuple[list[MatchRow], float]:
    started = time.perf_counter()
    found = matcher.match(text, urls=urls, exact_keys=keys, limit=limit, posted=posted, semantic=semantic)
    latency = (time.perf_counter() - started) * 1000
    return [(m.claim_id, m.score, m.strength, m.fragment, m.reason, m.agreed, m.figures) for m in found], latency


def _adopt(parent: int, matcher: Matcher) -> None:
    """The worker's start: let go of what it inherited besides the matcher."""
    # What the worker inherited belongs to the parent: frozen, the collector never finalises it here (a
    # pooled database connection's finaliser would talk to the parent's server session) nor writes to it.
    gc.freeze()
    # Signals: the parent's event loop woke on them through a pipe both now hold; the parent stops the
    # worker on Ctrl-C, a SIGTERM ends it, and so does the parent's death (Linux).
    # They were blocked across the fork (_blocked_signals), so none reached the parent's handlers from here.
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _FORK_SIGNALS)
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if matcher.semantic is not None:  # one worker per core: numpy's BLAS threads would only compete
        semantic.limit_blas(1)
    # The event loop (every update, the database, Telegram) goes first on a busy machine; a worker behind
    # sheds its load instead (SHED_PENDING).
    os.nice(WORKER_NICE)
    if os.getppid() != parent:  # it died before the request above could take effect
        os._exit(0)


_FORK_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _blocked_signals() -> Iterator[None]:
    """SIGINT and SIGTERM held back in the parent while it forks, so the child never runs the parent's
    handlers (they write to the event loop's wake-up pipe, which the child shares)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _FORK_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _read(sock: socket.socket, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = sock.recv(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _serve(sock: socket.socket, theirs: socket.socket, matcher: Matcher, parent: int) -> None:
    """The worker's loop: one message at a time, in order, each answered (rid, ok, value)."""
    theirs.close()
    _adopt(parent, matcher)
    handlers: dict[str, Callable[..., Any]] = {
        "ready": os.getpid,
        "match": lambda *args: _match(matcher, *args),
        "apply": lambda change: apply_change(matcher, change),
    }
    while (header := _read(sock, HEADER)) is not None:
        body = _read(sock, int.from_bytes(header, "big"))
        if body is None:
            return
        rid, kind, args = pickle.loads(body)
        try:
            reply = (rid, True, handlers[kind](*args))
        except Exception as exc:  # reported to the parent, which matches on the loop instead
            reply = (rid, False, f"{type(exc).__name__}: {exc}")
        sock.sendall(_frame(reply))


# --- the bot's side ------------------------------------------------------------------------------


class WorkerGone(Exception):
    """The worker stopped (or its socket closed) before answering."""


class _Link(asyncio.Protocol):
    """The loop's end of the socket: frames out, answers matched to their requests by id."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pending: dict[int, asyncio.Future[tuple[bool, Any]]] = {}
        self.ids = itertools.count(1)
        self.lost = False
        self._buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.loop = asyncio.get_running_loop()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= HEADER:
            end = HEADER + int.from_bytes(self._buffer[:HEADER], "big")
            if len(self._buffer) < end:
                return
            rid, ok, value = pickle.loads(self._buffer[HEADER:end])
            del self._buffer[:end]
            future = self.pending.pop(rid, None)
            if future is not None and not future.done():
                future.set_result((ok, value))

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        for future in self.pending.values():
            if not future.done():
                future.set_exception(WorkerGone())
        self.pending.clear()

    def send(self, kind: str, *args: object) -> asyncio.Future[tuple[bool, Any]]:
        if self.lost or self.transport is None:
            raise WorkerGone()
        rid = next(self.ids)
        future: asyncio.Future[tuple[bool, Any]] = asyncio.get_running_loop().create_future()
        self.pending[rid] = future
        self.transport.write(_frame((rid, kind, args)))
        return future


@dataclass
class _Worker:
    """One forked worker and the loop's end of its socket."""

    process: BaseProcess
    sock: socket.socket
    link: _Link
    pid: int = 0

    def stop(self) -> None:
        self.process.terminate()  # first: a worker writing to a closed socket would print a traceback
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        if self.link.transport is not None:
            try:
                self.link.transport.abort()
            except RuntimeError:  # its event loop is already closed
                pass
        self.sock.close()


def worker_count() -> int:
    """Workers for FACTBOT_MATCH_PROCESS=on|auto: one per core, up to four (a burst of checks is matched
    in parallel; the event loop needs little of a core once matching is off it)."""
    return max(1, min(_cores(), 4))


class MatchProcess:
    """Forked workers holding copies of the matcher; each check goes to the least busy one (by its words
    alone when even that one is SHED_PENDING posts behind), and KB changes go to all of them, in order."""

    def __init__(self, matcher: Matcher, workers: int = 1) -> None:
        self._matcher = matcher
        self.size = workers
        self._workers: list[_Worker] = []
        self._died_at: float | None = None
        self._out_of_step = False  # a KB change failed in a worker, or was applied off the loop
        self._changes = 0  # KB changes applied so far: a worker forked before the latest one lacks it
        self._starting = asyncio.Lock()
        self._closed = False
        self.checks = 0  # checks sent to the workers
        self.words_only = 0  # of them, matched without the semantic channel to shed load (SHED_PENDING)

    @property
    def pids(self) -> list[int]:
        return [w.pid for w in self._workers]

    async def start(self) -> None:
        """Fork the missing workers now (from the loop's matcher as it is) and wait until they answer; one
        start at a time. A worker that a KB change overtook while it started (it was forked before the
        change, and the change went only to the workers already listed) is replaced."""
        async with self._starting:
            attempts = 0
            while len(self._workers) < self.size and not self._closed:
                seen = self._changes
                worker = await self._fork()
                if self._closed or (self._changes != seen and attempts < 3):
                    attempts += 1
                    worker.stop()
                    continue
                if self._changes != seen:  # changes keep coming: let the next check fork a current one
                    self._out_of_step = True
                self._workers.append(worker)
            self._died_at = None

    async def _fork(self) -> _Worker:
        ours, theirs = socket.socketpair()
        process = multiprocessing.get_context("fork").Process(
            target=_serve, args=(theirs, ours, self._matcher, os.getpid()), name="factbot-matcher", daemon=True
        )
        with _blocked_signals():
            process.start()
        theirs.close()
        worker: _Worker | None = None
        try:
            _, link = await asyncio.get_running_loop().create_unix_connection(_Link, sock=ours)
            worker = _Worker(process, ours, link)
            _ok, worker.pid = await asyncio.wait_for(link.send("ready"), START_TIMEOUT)
        except BaseException:
            if worker is not None:
                worker.stop()
            else:
                process.kill()
                process.join()
                ours.close()
            raise
        log.info("matching in worker process %d", worker.pid)
        return worker

    def _drop(self, worker: _Worker, *, restart_now: bool) -> None:
        if worker not in self._workers:
            return  # already dropped (by a timeout, or by another check that saw it gone)
        self._workers.remove(worker)
        worker.stop()
        self._died_at = time.monotonic() - (RESTART_AFTER if restart_now else 0.0)

    async def _usable(self) -> list[_Worker]:
        if self._closed:
            return []
        if self._out_of_step:  # their copies of the KB are behind: fork current ones now
            self._out_of_step = False
            for worker in list(self._workers):
                self._drop(worker, restart_now=True)
            self._died_at = time.monotonic() - RESTART_AFTER
        for worker in [w for w in self._workers if w.link.lost]:
            log.error("a matching process stopped; the others (or the event loop) match until a new one starts")
            self._drop(worker, restart_now=False)
        if (
            len(self._workers) < self.size
            and not self._starting.locked()  # another check is starting them: use what runs meanwhile
            and (self._died_at is None or time.monotonic() - self._died_at >= RESTART_AFTER)
        ):
            try:
                await self.start()
            except Exception:
                log.exception("could not start a new matching process")
                self._died_at = time.monotonic()
        return self._workers

    async def match(
        self, text: str, *, urls: Iterable[str], keys: Iterable[str], limit: int, posted: date | None
    ) -> tuple[list[Match], float] | None:
        """The matches for a post and the matcher's time in ms; None when no worker answered (the caller
        matches on the loop)."""
        workers = await self._usable()
        if workers:
            worker = min(workers, key=lambda w: len(w.link.pending))
            shed = self._matcher.semantic is not None and len(worker.link.pending) >= SHED_PENDING
            self.checks += 1
            self.words_only += shed
            try:
                sent = worker.link.send("match", text, tuple(urls), tuple(keys), limit, posted, not shed)
                ok, value = await asyncio.wait_for(sent, MATCH_TIMEOUT)
            except WorkerGone:
                log.error("a matching process stopped; the others (or the event loop) match until a new one starts")
                self._drop(worker, restart_now=False)
            except TimeoutError:
                # Matched on the loop, this post would stop every other update as long: no answer for it
                # (the user is told nothing is known yet), and a fresh worker for the next check.
                log.error("a matching process took over %.0f s for one post; replacing it", MATCH_TIMEOUT)
                self._drop(worker, restart_now=True)
                return [], MATCH_TIMEOUT * 1000
            else:
                if ok:
                    rows, latency = value
                    return self._matches(rows), latency
                log.error("the matching process could not match a post: %s", value)
        return None

    def _matches(self, rows: list[MatchRow]) -> list[Match]:
        out = []
        for claim_id, score, strength, fragment, reason, agreed, figures in rows:
            claim = self._matcher.get(claim_id)
            if claim is not None:  # None: retired here while the worker matched
                out.append(Match(claim, score, strength, fragment, reason, agreed, figures))
        return out

    def apply(self, change: KbChange) -> None:
        """Send a KB change the loop's matcher has just taken (on the loop): checks sent after it see it."""
        self._changes += 1
        for worker in self._workers:
            if worker.link.lost:
                continue  # a new worker is forked from the loop's matcher, which already has it
            try:
                on_loop = asyncio.get_running_loop() is worker.link.loop
            except RuntimeError:
                on_loop = False
            if not on_loop:  # applied outside the loop (a blocking refresh): replace the workers instead
                self._out_of_step = True
                return
            worker.link.send("apply", change).add_done_callback(self._applied)

    def _applied(self, future: asyncio.Future[tuple[bool, Any]]) -> None:
        if future.exception() is not None:
            return  # the worker is gone: noticed on the next check
        ok, value = future.result()
        if not ok:
            log.error("a matching process could not apply a KB change: %s", value)
            self._out_of_step = True

    def close(self) -> None:
        """Stop the workers; none is started after this (a check still in flight matches on the loop)."""
        self._closed = True
        workers, self._workers, self._died_at = self._workers, [], None
        for worker in workers:
            worker.stop()
