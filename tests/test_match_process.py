"""The matching process: checks are matched in a worker forked from the bot, KB changes reach it before
the checks that follow, and a worker that dies costs no check (the loop matches until a new one runs)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.db import session_scope
from bot.db.models import CheckLog, utcnow
from bot.services import kb_store, match_process
from bot.services.checks import CheckRequest
from bot.settings import SettingsError, load_settings
from knowledge.loader import bundled_dir, load
from knowledge.matcher import Match, Matcher
from tests.harness import FALSE_CLAIM_RU, KURSK, MOON, OTHER_USER_ID, USER_ID, Harness, make_harness, say, texts

pytestmark = pytest.mark.skipif(not match_process.available(), reason="needs fork and two cores")
WORKERS = 2


@pytest.fixture(autouse=True)
def _two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers whatever the machine (as on a 2-core one)."""
    monkeypatch.setattr(match_process, "worker_count", lambda: WORKERS)


@pytest.fixture
async def worker_bot(db_url: str) -> AsyncIterator[Harness]:
    """The bot with its matching processes started, as post_init starts them in `factbot run`."""
    harness = make_harness(db_url, FACTBOT_MATCH_PROCESS="on")
    async with harness.app:
        await harness.runtime.start_match_process()
        yield harness
    harness.runtime.close()
    assert harness.errors == [], f"handler errors: {harness.errors!r}"


def loop_cannot_match(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the fork, the loop's own matcher fails: an answer can only have come from a worker."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("matched on the event loop")

    monkeypatch.setattr(h.runtime.index.matcher, "match", refuse)


def worker_pids(h: Harness) -> set[int]:
    process = h.runtime.index.replica
    assert process is not None
    return set(process.pids)


async def worker_ids(h: Harness, text: str) -> list[list[str]]:
    """What each worker itself answers for `text`: claim ids, before the loop filters them."""
    process = h.runtime.index.replica
    assert process is not None
    out = []
    for worker in process._workers:
        ok, (rows, _latency) = await worker.link.send("match", text, (), (), 5, None)
        assert ok
        out.append([row[0] for row in rows])
    return out


def kill_and_wait(pids: set[int]) -> None:
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.01)


async def test_checks_are_matched_in_the_worker(worker_bot: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    pids = worker_pids(worker_bot)
    assert len(pids) == WORKERS and os.getpid() not in pids and all(alive(pid) for pid in pids)
    loop_cannot_match(worker_bot, monkeypatch)
    replies = texts(await say(worker_bot, USER_ID, FALSE_CLAIM_RU))
    assert len(replies) == 1 and "❌" in replies[0]
    with session_scope(worker_bot.runtime.sessions) as s:  # logged as on the loop path, with its match
        rows = s.scalars(select(CheckLog)).all()
    assert [(r.result, [m["claim_id"] for m in r.matches][:1]) for r in rows] == [("strong", [KURSK])]


def bot_slow_on(db_url: str, monkeypatch: pytest.MonkeyPatch, seconds: float) -> Harness:
    """A bot whose matcher takes `seconds` over the post "slow", set before the workers are forked (so
    they have it too)."""
    harness = make_harness(db_url, FACTBOT_MATCH_PROCESS="on")
    matcher = harness.runtime.index.matcher
    real = matcher.match

    def slow(text: str, **kwargs: Any) -> Any:
        if text == "slow":
            time.sleep(seconds)
        return real(text, **kwargs)

    monkeypatch.setattr(matcher, "match", slow)
    return harness


async def test_a_slow_post_does_not_hold_up_the_next_check(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With two workers, a check sent while another post is still being matched goes to the idle one."""
    harness = bot_slow_on(db_url, monkeypatch, 10)
    async with harness.app:
        await harness.runtime.start_match_process()
        slow_check = asyncio.create_task(say(harness, OTHER_USER_ID, "slow"))
        await asyncio.sleep(0.2)  # the slow post is with one worker
        started = time.monotonic()
        replies = texts(await say(harness, USER_ID, FALSE_CLAIM_RU))
        assert time.monotonic() - started < 8 and not slow_check.done()
        assert len(replies) == 1 and "❌" in replies[0]
        slow_calls = await slow_check  # its calls and the other check's: the other user got theirs first
        assert [c.params["chat_id"] for c in slow_calls if c.method == "sendMessage"] == [USER_ID, OTHER_USER_ID]
    harness.runtime.close()
    assert harness.errors == []


async def test_kb_changes_reach_the_worker_before_the_next_check(
    worker_bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = worker_bot.runtime
    before = texts(await say(worker_bot, USER_ID, MOON.claim))
    assert len(before) == 1 and "green cheese" not in before[0]
    with session_scope(runtime.sessions) as s:  # published by another process sharing the database
        assert kb_store.import_claims(s, [MOON], actor="test").created == [MOON.id]
        row = kb_store.get_claim_row(s, KURSK)
        assert row is not None
        row.status, row.modified_at = "retired", utcnow()
        kb_store.bump_kb_version(s)
    assert await runtime.refresh_index_in_thread() is True
    loop_cannot_match(worker_bot, monkeypatch)
    new = texts(await say(worker_bot, USER_ID, MOON.claim))
    assert len(new) == 1 and "green cheese" in new[0] and "❌" in new[0]
    retired = texts(await say(worker_bot, USER_ID, FALSE_CLAIM_RU))
    assert len(retired) == 1 and "❌" not in retired[0]
    # Asked directly (the loop also drops claims it no longer has from a worker's answer):
    assert [
        KURSK not in ids and MOON.id in ids for ids in await worker_ids(worker_bot, FALSE_CLAIM_RU + " " + MOON.claim)
    ] == [True] * WORKERS


async def test_a_killed_worker_costs_no_check_and_is_replaced(
    worker_bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = worker_bot.runtime
    first = worker_pids(worker_bot)
    kill_and_wait(first)
    replies = texts(await say(worker_bot, USER_ID, FALSE_CLAIM_RU))  # matched on the loop meanwhile
    assert len(replies) == 1 and "❌" in replies[0]
    assert not worker_pids(worker_bot) - first  # not replaced before RESTART_AFTER
    with session_scope(runtime.sessions) as s:  # a KB change while no worker runs
        kb_store.import_claims(s, [MOON], actor="test")
    assert await runtime.refresh_index_in_thread() is True

    monkeypatch.setattr(match_process, "RESTART_AFTER", 0.0)
    await say(worker_bot, USER_ID, "xyzzy")  # the next check forks new workers from the loop's index
    second = worker_pids(worker_bot)
    assert len(second) == WORKERS and not second & (first | {os.getpid()})
    loop_cannot_match(worker_bot, monkeypatch)
    new = texts(await say(worker_bot, USER_ID, MOON.claim))
    assert len(new) == 1 and "green cheese" in new[0] and "❌" in new[0]


async def test_a_change_applied_off_the_loop_replaces_the_worker(
    worker_bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A blocking refresh in another thread cannot write to the loop's socket: the next check forks a
    worker from the loop's (changed) matcher instead."""
    runtime = worker_bot.runtime
    first = worker_pids(worker_bot)
    with session_scope(runtime.sessions) as s:
        kb_store.import_claims(s, [MOON], actor="test")
    assert await asyncio.to_thread(runtime.refresh_index) is True
    await say(worker_bot, USER_ID, "xyzzy")  # the next check forks new workers from the loop's index
    loop_cannot_match(worker_bot, monkeypatch)
    new = texts(await say(worker_bot, USER_ID, MOON.claim))
    assert len(new) == 1 and "green cheese" in new[0] and "❌" in new[0]
    assert not worker_pids(worker_bot) & first and not any(alive(pid) for pid in first)


async def test_a_stuck_worker_is_replaced_and_its_user_answered(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A post the worker cannot finish gets an honest "nothing yet" after MATCH_TIMEOUT (the loop does not
    take over a match that would stop everyone), and the next check goes to a new worker."""
    harness = bot_slow_on(db_url, monkeypatch, 30)
    monkeypatch.setattr(match_process, "MATCH_TIMEOUT", 0.5)
    async with harness.app:
        await harness.runtime.start_match_process()
        first = worker_pids(harness)
        started = time.monotonic()
        stuck = texts(await say(harness, USER_ID, "slow"))
        assert time.monotonic() - started < 5
        stuck_pid = (first - worker_pids(harness)).pop()  # the one that had the post was dropped
        assert not alive(stuck_pid)
        assert len(stuck) == 1 and stuck[0] == texts(await say(harness, OTHER_USER_ID, "xyzzy"))[0]
        replies = texts(await say(harness, USER_ID, FALSE_CLAIM_RU))
        assert len(replies) == 1 and "❌" in replies[0]
        now = worker_pids(harness)
        assert len(now) == WORKERS and stuck_pid not in now and os.getpid() not in now
    harness.runtime.close()
    assert harness.errors == []


async def test_a_kb_change_during_a_fork_reaches_the_new_worker(
    worker_bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker forked before a KB change that lands while it starts (the change goes to the workers already
    listed) is replaced by one forked after it."""
    runtime = worker_bot.runtime
    process = runtime.index.replica
    assert process is not None
    with session_scope(runtime.sessions) as s:
        kb_store.import_claims(s, [MOON], actor="test")
    real_fork = process._fork
    forks = 0

    async def fork_then_change() -> Any:
        nonlocal forks
        forks += 1
        worker = await real_fork()
        if forks == 1:  # the change lands after this worker was forked, before it is listed
            assert await runtime.refresh_index_in_thread() is True
        return worker

    monkeypatch.setattr(process, "_fork", fork_then_change)
    kill_and_wait({process.pids[0]})
    monkeypatch.setattr(match_process, "RESTART_AFTER", 0.0)
    await say(worker_bot, USER_ID, "xyzzy")  # sees the dead worker, drops it, forks a new one
    await say(worker_bot, USER_ID, "xyzzy")
    assert forks >= 2 and len(process.pids) == WORKERS
    assert [MOON.id in ids for ids in await worker_ids(worker_bot, MOON.claim)] == [True] * WORKERS


async def test_checks_during_a_restart_fork_no_extra_workers_and_none_after_close(
    worker_bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = worker_bot.runtime
    process = runtime.index.replica
    assert process is not None
    with session_scope(runtime.sessions) as s:
        kb_store.import_claims(s, [MOON], actor="test")
    assert await asyncio.to_thread(runtime.refresh_index) is True  # off the loop: every worker is replaced
    replies = await asyncio.gather(*(say(worker_bot, USER_ID + n, MOON.claim) for n in range(5)))
    assert all(any("green cheese" in text for text in texts(calls)) for calls in replies)
    assert len(process.pids) == WORKERS
    assert sorted(p.pid for p in multiprocessing.active_children()) == sorted(process.pids)
    runtime.stop_match_process()
    assert await process.match(MOON.claim, urls=(), keys=(), limit=5, posted=None) is None  # no worker answers
    outcome = await runtime.match(CheckRequest(MOON.claim, USER_ID, "private", "en", "text"))
    assert [m.claim_id for m in outcome.matches][:1] == [MOON.id]  # matched on the loop
    assert multiprocessing.active_children() == []


async def test_the_worker_stops_with_the_bot(db_url: str) -> None:
    harness = make_harness(db_url, FACTBOT_MATCH_PROCESS="on")
    async with harness.app:
        await harness.runtime.start_match_process()
        pids = worker_pids(harness)
    harness.runtime.close()
    assert harness.runtime.index.replica is None
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


async def test_off_matches_on_the_loop(db_url: str) -> None:
    harness = make_harness(db_url, FACTBOT_MATCH_PROCESS="off")
    async with harness.app:
        await harness.runtime.start_match_process()
        assert harness.runtime.index.replica is None
        replies = texts(await say(harness, USER_ID, FALSE_CLAIM_RU))
        assert len(replies) == 1 and "❌" in replies[0]
    harness.runtime.close()


def test_the_setting_is_checked() -> None:
    assert load_settings({}, dotenv=None).match_process == "auto"
    assert load_settings({"FACTBOT_MATCH_PROCESS": " OFF "}, dotenv=None).match_process == "off"
    with pytest.raises(SettingsError, match="FACTBOT_MATCH_PROCESS"):
        load_settings({"FACTBOT_MATCH_PROCESS": "yes"}, dotenv=None)


async def test_a_worker_posts_behind_matches_the_next_by_its_words() -> None:
    """Past SHED_PENDING posts waiting for the worker, the next is matched without the semantic channel."""
    claims = load([bundled_dir()]).claims
    matcher = Matcher(claims)
    claim = claims[0]
    matcher.semantic = object()  # type: ignore[assignment]  # an attached channel; the match below answers alone

    def flagging(text: str, **kwargs: Any) -> list[Match]:
        """Sleeps on "slow" posts; the score says whether the channel was allowed."""
        if text.startswith("slow"):
            time.sleep(0.5)
        return [Match(claim, 90.0 if kwargs["semantic"] else 10.0, "possible", text)]

    matcher.match = flagging  # type: ignore[method-assign]
    process = match_process.MatchProcess(matcher, workers=1)
    await process.start()
    try:
        posts = [f"slow {i}" for i in range(match_process.SHED_PENDING)] + ["post"]
        answers = await asyncio.gather(*(process.match(t, urls=(), keys=(), limit=5, posted=None) for t in posts))
        scores = [answer[0][0].score if answer else None for answer in answers]
        assert scores == [90.0] * match_process.SHED_PENDING + [10.0]
        assert (process.checks, process.words_only) == (len(posts), 1)
        again = await process.match("post", urls=(), keys=(), limit=5, posted=None)
        assert again is not None and again[0][0].score == 90.0  # the worker caught up: the channel again
    finally:
        process.close()


WORKER_OWNER = """
import asyncio, sys, time
from bot.services.match_process import MatchProcess
from knowledge.matcher import Matcher
from knowledge.loader import bundled_dir, load
matcher = Matcher(load([bundled_dir()]).claims)
real = matcher.match
def busy(text, **kwargs):
    if text == "slow":
        time.sleep(600)  # busy: it will not notice its socket close, only the parent-death signal ends it
    return real(text, **kwargs)
matcher.match = busy
process = MatchProcess(matcher)
async def main():
    await process.start()
    asyncio.ensure_future(process.match("slow", urls=(), keys=(), limit=5, posted=None))
    await asyncio.sleep(0.5)
    print(process.pids[0], flush=True)
    await asyncio.sleep(600)
asyncio.run(main())
"""


def alive(pid: int) -> bool:
    """Running, not a zombie nobody has reaped yet."""
    try:
        status = open(f"/proc/{pid}/status").read()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_the_worker_dies_with_a_killed_bot() -> None:
    owner = subprocess.Popen([sys.executable, "-c", WORKER_OWNER], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        pid = int(owner.stdout.readline())
        assert alive(pid)
    finally:
        owner.kill()
        owner.wait()
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)
