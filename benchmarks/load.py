"""Load benchmark: the full Application, many simulated users, a 14k-entry KB, SQLite and PostgreSQL.

    python -m benchmarks.load [--db sqlite|postgresql|both] [--users 200] [--updates 5000]
                              [--concurrency 64] [--rate 300 400] [--mode closed|open|both] [--repeat 1]
                              [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
                              [--rate-limiter off|aio] [--profile FILE]

What runs: the CheckThat! 2022 claims (14,231, loaded with ``benchmarks.checkthat.load_kb``) plus the
bundled Kursk KB, imported with ``bot.services.kb_store.import_claims`` into a fresh database (a SQLite file in
a temp dir; on PostgreSQL the database ``factbot_load``, dropped and recreated, or a schema of that
name when CREATE DATABASE is not allowed). ``Runtime.start`` builds the live index from it and
``handlers.app.build_application`` the full Application, with ``concurrent_updates=8`` as ``run_bot``
uses and the in-process fake Bot API (tests/fake_telegram.py) as its transport. The Application is
started (update fetcher + job queue, like ``run_polling`` minus the network) and updates are put
into ``app.update_queue``.

The mix, from ``--users`` private users and a few groups: forwards from channels (CheckThat! tweets,
Kursk posts — some from a channel the KB knows, for the reputation note — and unknown posts; some
as photos with captions), plain texts, photos with and without captions, commands (/start, /help,
/about), button presses on the cards the bot really sent (👍/👎, "send to moderators" with the user's
post as reply_to_message, picking a "possible" match; the signed callback_data comes from the fake's
recorded sendMessage reply_markup), a few forged presses, and group traffic (chatter in groups with
auto-check on and off, ``/check`` as a reply).

Two ways to drive it:
- ``closed``: at most ``--concurrency`` updates in flight (fed but not finished); measures the
  throughput ceiling. By Little's law the feed-to-finish latency is then about
  concurrency / throughput, so it says little about latency at a given load.
- ``open``: Poisson arrivals at each ``--rate`` in turn (updates/s), whatever the bot's speed (how
  a viral post arrives); the latency here is what a user would see at that load. A rate is
  "sustained" when the median run kept up (>= 97 % of the offered rate: 5,000 Poisson arrivals
  vary by about 1.4 %) with p99 <= 100 ms. The target (issue 7) is met on a backend when a rate of
  300/s or more is sustained with every invariant holding; 400/s shows the headroom. With the semantic
  channel on (``--semantic``, default: as the bot's default) the target is issue 11's: 150/s with
  p99 <= 250 ms. Each run also prints the share of checks the matching processes matched by their
  words alone, shedding load (``match_process.SHED_PENDING``).

Garbage collection: a full (gen-2) collection walks every tracked object and stops the loop while
it does. With the index over 14k claims tracked that is ~125 ms (timed in-process after
``Runtime.start`` and printed; it grows with the KB), so ``handlers.app.post_init`` freezes the
startup heap (``gc.freeze``), as ``run_bot`` does. Each run reports the full collections it saw and
the longest; ``--experiment no-gc-freeze`` runs without the freeze.

Warm-up (``--warmup``, default 3 s): before each measured run, that long of the same mix at the offered
rate, excluded from the figures: first contacts, lazily built caches, new database connections and the
copy-on-write page faults after the matching workers' fork. The target is sustained load; until the
eighth session the warm-up was 20 updates one at a time, and at 300/s most of the slowest 1 % of a run's
replies then fell in its first second. The warm-up's own p99 is printed and written beside each run ("cold
start"), so the price of a restart under load stays visible.

Latency per update: "e2e" = from feeding (before ``Update.de_json``, as the updater or webhook does)
to the end of ``Application.process_update`` (all handlers and error handlers done); "handling" =
``process_update`` alone (after PTB's concurrency gate), timed by wrapping ``app.process_update``.

Invariants, per run (printed, and pass/fail with counts in the JSON):
- answered exactly once: every Bot API call is attributed to the update whose handler made it (a
  contextvar set in the wrapped process_update); per kind the calls must be exactly:
  message checks (forward, text, caption, photo) -> only sendMessage, exactly one of them replying
  to the update's message (strong results with several claims add unquoted cards: at most one per
  strong claim); commands -> one sendMessage; 👍/👎 -> one answerCallbackQuery + one
  editMessageReplyMarkup; send to moderators -> one answerCallbackQuery + one editMessageReplyMarkup
  + one sendMessage; pick a possible match -> one answerCallbackQuery + one sendMessage; forged
  press -> one answerCallbackQuery; group chatter -> nothing, or one card (auto-check groups);
  group /check -> like a message check. No Bot API call may fail.
- every check logged exactly once: the new ``checks`` rows equal, as a multiset of
  (user_key, text_hash, input_kind), the check updates (group chatter counts iff it was answered),
  and every check id shown on a button is distinct.
- feedback: one ``feedback`` row per 👍/👎 press, on the pressed check.
- submissions: one pending row per distinct (user, post) pressed, none doubled.
- no exceptions: no error handler call, no WARNING/ERROR log record.

``--rate-limiter off`` (default): ``rate_limiter=False``. AIORateLimiter throttles sending to
Telegram's flood limits (~30 messages/s overall): with it this benchmark would measure the throttle,
not the bot. The fake transport never raises RetryAfter, so nothing else changes. ``aio`` runs with
it for comparison. The per-user check limit (``FACTBOT_RATE_LIMIT``, 20/min), the per-group answer
limit (``FACTBOT_GROUP_RATE_LIMIT``) and the per-user command and press limit
(``FACTBOT_ACTION_LIMIT``) are raised to 10,000:
``--users`` users sending ``--updates`` updates in seconds compress what many more real users would
send, and a rate-limited check is not logged (it would only blur the invariant).

With ``--write``, writes benchmarks/results/load.json (or ``--out``); ``--profile FILE`` writes the profile.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import cProfile
import csv
import gc
import io
import json
import logging
import os
import platform
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from telegram import Update

from benchmarks.checkthat import DEFAULT_DATA, RESULTS, load_kb
from benchmarks.quality import CACHE
from benchmarks.speed import EMOJI, FOOTERS, HASHTAGS
from bot.db import make_engine, make_sessionmaker, session_scope, upgrade
from bot.db.models import ChatSetting, CheckLog, Feedback, Submission
from bot.services import kb_store
from bot.services.checks import ForwardOrigin
from bot.services.keys import text_hash, user_key
from bot.services.runtime import Runtime
from bot.services.submissions import group_key
from bot.settings import load_settings
from factbot_testing.fake_telegram import (
    FakeTelegram,
    callback,
    collect_errors,
    command,
    forwarded_from_channel,
    group_command,
    group_text,
    photo,
    private_text,
)
from handlers.app import build_application
from handlers.serving import stop_application
from knowledge.loader import bundled_dir, load
from knowledge.schema import Claim

PRODUCTION_CONCURRENT_UPDATES = 8  # handlers/app.py run_bot
WARMUP_SECONDS = 3.0  # --warmup: this long of the mix at the offered rate before each measured run
WARMUP_MIN_UPDATES = 20
WARMUP_CLOSED_RATE = 300.0  # closed mode has no rate: its warm-up is this many updates a second, as many in flight
TARGET_RATE = 300.0  # updates/s in one process (issue 7)
TARGET_P99_MS = 100.0
# With the semantic channel on (issue 11): a check costs the encoder's time as well.
SEMANTIC_TARGET_RATE = 150.0
SEMANTIC_TARGET_P99_MS = 250.0


def targets(semantic: bool) -> tuple[float, float]:
    """(updates/s, p99 ms) a backend must sustain: issue 7's, or issue 11's with the semantic channel."""
    return (SEMANTIC_TARGET_RATE, SEMANTIC_TARGET_P99_MS) if semantic else (TARGET_RATE, TARGET_P99_MS)
SUSTAIN_SHARE = 0.97
SEMANTIC_DATA = CACHE / "load-data"  # the KB's vectors, kept between runs (FACTBOT_DATA_DIR)
FREEZE = gc.freeze  # --experiment no-gc-freeze stubs gc.freeze; the pause measurement still needs it
SECRET = "load-test-secret"
ADMIN_ID = 999_999  # not a simulated user: an admin alert would show up as an unattributed call
USER_BASE = 5_000_000
GROUP_BASE = -1_009_000_000_000
KNOWN_CHANNEL = "AVC Group"  # a channel the Kursk KB names as an origin (reputation note)
CHECK_KINDS = ("forward", "forward_photo", "text", "photo_caption", "photo_only", "group_check")
CALLBACK_KINDS = ("fb_up", "fb_down", "sub", "pick", "forged")

# Share of each kind in the mix (button presses fall back to a forward while no card is waiting).
MIX: dict[str, float] = {
    "forward": 0.27,
    "forward_photo": 0.05,
    "text": 0.13,
    "photo_caption": 0.05,
    "photo_only": 0.02,
    "cmd_start": 0.03,
    "cmd_help": 0.02,
    "cmd_about": 0.02,
    "fb_up": 0.12,
    "fb_down": 0.04,
    "sub": 0.07,
    "pick": 0.03,
    "forged": 0.01,
    "group_chatter": 0.10,
    "group_check": 0.04,
}

UNKNOWN_SENTENCES = [
    "Сегодня в городе прошёл фестиваль уличной еды, организаторы насчитали {n} гостей.",
    "Погода на выходные: до +{n} градусов, без осадков, ветер слабый.",
    "Our subscribers asked about the new bus timetable: route {n} now runs every 12 minutes.",
    "Уважаемые читатели, канал переходит на новый формат: дайджест выходит в {n}:00.",
    "Local football club wins {n}-1 in a friendly match against the visitors.",
    "У нас новый партнёр — сеть кофеен, промокод на скидку {n}% в описании.",
    "Сьогодні в Києві відкрили нову виставку сучасного мистецтва, вхід вільний до {n} травня.",
    "The library extends opening hours to {n} pm on weekdays starting next month.",
]
SHORT_TEXTS = ["правда?", "is this true?", "это фейк?", "hi", "👍", "что скажете про это"]
COMMANDS = {"cmd_start": "/start", "cmd_help": "/help", "cmd_about": "/about"}

CURRENT_UPDATE: contextvars.ContextVar[int | None] = contextvars.ContextVar("current_update", default=None)


# ---------------------------------------------------------------------------------------------
# Transport: the fake Bot API, with every call attributed to the update that made it
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Sent:
    method: str
    failed: bool
    reply_to: int | None
    markup: Any
    result_id: int | None
    text: str


class AttributingTelegram(FakeTelegram):
    """FakeTelegram keeping, per update id, the calls its handlers made (and time spent here)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(record=True, **kwargs)
        self.by_update: dict[int, list[Sent]] = defaultdict(list)
        self.unattributed: Counter[str] = Counter()
        self.seconds = 0.0

    async def do_request(self, url: str, method: str, request_data: Any = None, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        answer = await super().do_request(url, method, request_data, *args, **kwargs)
        # latency=0: no await between the parent's append and its return, so calls[-1] is ours.
        call = self.calls.pop() if self.calls else None
        self.seconds += time.perf_counter() - started
        if call is None:
            return answer
        uid = CURRENT_UPDATE.get()
        if uid is None:
            self.unattributed[call.method] += 1
            return answer
        reply = call.params.get("reply_parameters")
        result = call.result if isinstance(call.result, dict) else {}
        self.by_update[uid].append(
            Sent(
                method=call.method,
                failed=call.failed,
                reply_to=reply.get("message_id") if isinstance(reply, dict) else None,
                markup=call.params.get("reply_markup"),
                result_id=result.get("message_id"),
                text=str(call.params.get("text", "")),
            )
        )
        return answer


class SqlCounter:
    """SQL statements and pool checkouts (each one a pre-ping on PostgreSQL), per update."""

    def __init__(self) -> None:
        self.statements: Counter[int] = Counter()
        self.checkouts: Counter[int] = Counter()

    def attach(self, runtime: Runtime) -> None:
        from sqlalchemy import event

        def on_execute(*_a: Any, **_k: Any) -> None:
            uid = CURRENT_UPDATE.get()
            if uid is not None:
                self.statements[uid] += 1

        def on_checkout(*_a: Any, **_k: Any) -> None:
            uid = CURRENT_UPDATE.get()
            if uid is not None:
                self.checkouts[uid] += 1

        event.listen(runtime.engine, "before_cursor_execute", on_execute)
        event.listen(runtime.engine.pool, "checkout", on_checkout)

    def per_kind(self, fed: dict[int, Fed]) -> dict[str, dict[str, float]]:
        by: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for uid, f in fed.items():
            by[f.kind].append((self.statements.get(uid, 0), self.checkouts.get(uid, 0)))
        out = {
            k: {
                "statements": round(statistics.mean(a for a, _ in v), 2),
                "checkouts": round(statistics.mean(b for _, b in v), 2),
            }
            for k, v in sorted(by.items())
        }
        total = [x for v in by.values() for x in v]
        out["all"] = {
            "statements": round(statistics.mean(a for a, _ in total), 2),
            "checkouts": round(statistics.mean(b for _, b in total), 2),
        }
        return out


sql_counter = SqlCounter()


class CountingLogHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: Counter[str] = Counter()  # ERROR and above
        self.warnings: Counter[str] = Counter()
        self.samples: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        target = self.records if record.levelno >= logging.ERROR else self.warnings
        target[f"{record.levelname} {record.name}"] += 1
        if len(self.samples) < 5:
            self.samples.append(f"{record.levelname} {record.name}: {record.getMessage()[:200]}")


# ---------------------------------------------------------------------------------------------
# Content
# ---------------------------------------------------------------------------------------------


def load_posts(data: Path) -> list[str]:
    """CheckThat! tweets from every split: realistic short posts about claims in the KB."""
    posts: list[str] = []
    csv.field_size_limit(10**9)
    for split in ("train", "dev", "devtest", "test"):
        path = data / f"queries_{split}.tsv"
        if not path.exists():
            continue
        with open(path, encoding="utf-8", newline="") as f:
            rows = csv.reader(f, delimiter="\t")
            next(rows)
            posts += [r[1] for r in rows if len(r) >= 2 and r[1].strip()]
    return posts


@dataclass
class Content:
    tweets: list[str]
    kursk: list[Claim]
    rng: random.Random

    def channel_post(self, known: bool) -> str:
        rng = self.rng
        if not known:
            return self.unknown()
        if rng.random() < 0.3 and self.kursk:
            c = rng.choice(self.kursk)
            texts = [v.text for v in c.variants] + [c.claim]
            body = rng.choice(texts)
        else:
            body = rng.choice(self.tweets)
        parts = [rng.choice(EMOJI) + " " + body]
        if rng.random() < 0.5:
            parts.append(rng.choice(HASHTAGS))
        if rng.random() < 0.6:
            parts.append(rng.choice(FOOTERS))
        return "\n\n".join(parts)[:4000]

    def unknown(self) -> str:
        rng = self.rng
        k = rng.randint(1, 3)
        text = " ".join(rng.choice(UNKNOWN_SENTENCES).format(n=rng.randint(2, 99)) for _ in range(k))
        if rng.random() < 0.4:
            text += "\n" + rng.choice(FOOTERS)
        return text

    def plain(self) -> str:
        r = self.rng.random()
        if r < 0.15:
            return self.rng.choice(SHORT_TEXTS)
        if r < 0.6:
            return self.channel_post(True)
        return self.unknown()


# ---------------------------------------------------------------------------------------------
# One run
# ---------------------------------------------------------------------------------------------


@dataclass
class Card:
    """A message the bot sent with buttons, still waiting for a press."""

    user_id: int
    chat_id: int
    message_id: int
    buttons: list[dict[str, Any]]
    original: dict[str, Any]  # the user's message this card answered


@dataclass
class Fed:
    kind: str
    payload: dict[str, Any]
    user_id: int
    message_id: int | None
    t_fed: float = 0.0
    t_start: float = 0.0
    t_end: float = 0.0
    pressed: str | None = None  # callback: the payload pressed
    expect_text: str | None = None  # check kinds: the text that will be logged
    expect_input_kind: str | None = None
    submit_key: tuple[int, str] | None = None


def worker_checks(runtime: Runtime) -> tuple[int, int]:
    """Checks sent to the matching processes so far, and how many of them were matched by their words
    alone to shed load."""
    process = runtime.index.replica
    return (process.checks, process.words_only) if process is not None else (0, 0)


def worker_cpu(runtime: Runtime) -> float:
    """CPU seconds the matching processes have used so far (0 without them, or off Linux)."""
    process = runtime.index.replica
    total = 0.0
    for pid in process.pids if process is not None else []:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return total


def worker_memory_mb(runtime: Runtime) -> dict[str, float]:
    """The matching processes' memory (Linux): resident, and what they no longer share with the bot."""
    process = runtime.index.replica
    rss = private = 0
    for pid in process.pids if process is not None else []:
        try:
            lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        fields = {line.split(":")[0]: int(line.split()[1]) for line in lines[1:] if line.endswith("kB")}
        rss += fields.get("Rss", 0)
        private += fields.get("Private_Dirty", 0) + fields.get("Private_Clean", 0)
    return {"rss_mb": round(rss / 1024, 1), "private_mb": round(private / 1024, 1)} if rss else {}


@dataclass
class RunResult:
    mode: str
    updates: int
    seconds: float
    e2e_ms: list[float]
    handling_ms: list[float]
    kinds: Counter[str]
    invariants: dict[str, Any]
    transport_seconds: float
    offered_rate: float | None = None
    profile: str | None = None
    cpu_seconds: float = 0.0
    worker_cpu_seconds: float = 0.0  # the matching processes', when they run (FACTBOT_MATCH_PROCESS)
    worker_checks: int = 0  # checks the matching processes matched
    words_only_checks: int = 0  # of them, by their words alone to shed load (match_process.SHED_PENDING)
    worker_memory: dict[str, float] = field(default_factory=dict)
    loadavg: float = 0.0
    sql_per_update: dict[str, dict[str, float]] = field(default_factory=dict)
    gc_full_pauses_ms: list[float] = field(default_factory=list)
    warmup_updates: int = 0
    warmup_p99_ms: float = 0.0  # the warm-up's own tail: a cold start, not sustained load

    def summary(self) -> dict[str, Any]:
        e2e = np.asarray(self.e2e_ms)
        hnd = np.asarray(self.handling_ms)
        out: dict[str, Any] = {
            "mode": self.mode,
            "updates": self.updates,
            "seconds": round(self.seconds, 3),
            "updates_per_s": round(self.updates / self.seconds, 1),
            "p50_ms": round(float(np.percentile(e2e, 50)), 2),
            "p95_ms": round(float(np.percentile(e2e, 95)), 2),
            "p99_ms": round(float(np.percentile(e2e, 99)), 2),
            "max_ms": round(float(e2e.max()), 2),
            "handling_p50_ms": round(float(np.percentile(hnd, 50)), 2),
            "handling_p95_ms": round(float(np.percentile(hnd, 95)), 2),
            "handling_p99_ms": round(float(np.percentile(hnd, 99)), 2),
            "fake_transport_share": round(self.transport_seconds / self.seconds, 3),
            # CPU of this process per update (bot + load generator + fake); with other work on the
            # machine (loadavg), updates / cpu_seconds is the capacity of one free core.
            "cpu_ms_per_update": round(1000 * self.cpu_seconds / self.updates, 3),
            "updates_per_cpu_s": round(self.updates / self.cpu_seconds, 1) if self.cpu_seconds else None,
            "worker_cpu_ms_per_update": round(1000 * self.worker_cpu_seconds / self.updates, 3),
            "worker_checks": self.worker_checks,
            "words_only_checks_%": (
                round(100 * self.words_only_checks / self.worker_checks, 1) if self.worker_checks else None
            ),
            "worker_memory_mb": self.worker_memory,
            "loadavg_1m_at_start": round(self.loadavg, 2),
            # Full (gen-2) collections during the run: each one stops the event loop.
            "gc_full_collections": len(self.gc_full_pauses_ms),
            "gc_full_max_pause_ms": round(max(self.gc_full_pauses_ms, default=0.0), 1),
            "warmup_updates": self.warmup_updates,
            "warmup_p99_ms": round(self.warmup_p99_ms, 2),
            "kinds": dict(sorted(self.kinds.items())),
            "sql_per_update": self.sql_per_update,
            "invariants": self.invariants,
        }
        if self.offered_rate is not None:
            out["offered_rate"] = self.offered_rate
        return out


class FullCollections:
    """Times every gen-2 garbage collection while installed (``with FullCollections() as gc_pauses:``)."""

    def __init__(self) -> None:
        self.pauses_ms: list[float] = []
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses_ms.append((time.perf_counter() - self._started) * 1000)

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)


class LoadRun:
    def __init__(
        self,
        runtime: Runtime,
        content: Content,
        *,
        users: int,
        groups: list[tuple[int, bool]],
        rate_limiter: bool,
        seed: int,
    ) -> None:
        self.runtime = runtime
        self.content = content
        self.rng = random.Random(seed)
        self.users = [USER_BASE + i for i in range(users)]
        self.langs = {u: self.rng.choice(["en", "ru", "uk", "en", "ru"]) for u in self.users}
        self.groups = groups
        self.fake = AttributingTelegram()
        extra: dict[str, Any] = {}
        self.persistence = production_persistence(runtime)
        if self.persistence is not None:
            extra["persistence"] = self.persistence
        self.app = build_application(
            runtime,
            request=self.fake,
            get_updates_request=FakeTelegram(record=False),
            updater=False,
            rate_limiter=rate_limiter,
            concurrent_updates=PRODUCTION_CONCURRENT_UPDATES,
            **extra,
        )
        self.errors = collect_errors(self.app)
        self.fed: dict[int, Fed] = {}
        self.cards: dict[str, list[Card]] = {"fb": [], "sub": [], "pc": []}
        self.waiters: dict[int, asyncio.Future[None]] = {}
        self.posts_by_user: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.channel_msg = self.rng.randint(1, 10**6) * 1000
        self.viral: list[tuple[str, int]] = []  # (text, channel message id): posts many users forward
        inner = self.app.process_update

        async def timed(update: object) -> None:
            uid = update.update_id if isinstance(update, Update) else None
            token = CURRENT_UPDATE.set(uid)
            rec = self.fed.get(uid) if uid is not None else None
            if rec is not None:
                rec.t_start = time.perf_counter()
            try:
                await inner(update)
            finally:
                CURRENT_UPDATE.reset(token)
                if rec is not None:
                    rec.t_end = time.perf_counter()
                    waiter = self.waiters.pop(uid, None) if uid is not None else None
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)

        self.app.process_update = timed  # type: ignore[method-assign]

    # -- building updates ----------------------------------------------------------------------

    def _pick_kind(self) -> str:
        kinds = list(MIX)
        kind = self.rng.choices(kinds, weights=[MIX[k] for k in kinds])[0]
        pools = {"fb_up": "fb", "fb_down": "fb", "sub": "sub", "pick": "pc", "forged": "fb"}
        if kind in pools and not self.cards[pools[kind]]:
            return "forward"
        return kind

    def _take_card(self, pool: str) -> Card:
        cards = self.cards[pool]
        return cards.pop(self.rng.randrange(len(cards)))

    def _button(self, card: Card, prefix: str, payload_suffix: str = "") -> str:
        for b in card.buttons:
            data = str(b.get("callback_data", ""))
            if data.startswith(prefix) and data.rsplit(":", 1)[0].endswith(payload_suffix):
                return data
        raise LookupError(prefix + payload_suffix)

    def make(self) -> Fed:
        rng = self.rng
        kind = self._pick_kind()
        user = rng.choice(self.users)
        lang = self.langs[user]
        c = self.content
        if kind in ("forward", "forward_photo"):
            if self.viral and rng.random() < 0.25:
                text, mid = rng.choice(self.viral)
            else:
                known = rng.random() < 0.65
                text = c.channel_post(known)
                self.channel_msg += 1
                mid = self.channel_msg
                if rng.random() < 0.05:
                    self.viral.append((text, mid))
            kursk_channel = rng.random() < 0.15
            payload = forwarded_from_channel(
                user,
                text,
                channel_id=-1001500000000 - (7 if kursk_channel else rng.randint(0, 40)),
                channel_username=None if kursk_channel else f"news_channel_{rng.randint(0, 40)}",
                channel_title=KNOWN_CHANNEL if kursk_channel else "Some news channel",
                channel_message_id=mid,
                caption=kind == "forward_photo",
                language_code=lang,
                file_unique_id=f"AQADload{rng.randint(0, 10**9)}",
            )
            if kind == "forward_photo":
                payload["message"]["caption"] = payload["message"]["caption"][:1024]
            msg = payload["message"]
            fed = Fed(kind, payload, user, msg["message_id"])
            fed.expect_text = msg.get("text") or msg.get("caption") or ""
            fed.expect_input_kind = "forward"
        elif kind == "text":
            payload = private_text(user, c.plain(), language_code=lang)
            fed = Fed(kind, payload, user, payload["message"]["message_id"])
            fed.expect_text, fed.expect_input_kind = payload["message"]["text"], "text"
        elif kind in ("photo_caption", "photo_only"):
            cap = c.plain()[:1024] if kind == "photo_caption" else None
            payload = photo(user, caption=cap, file_unique_id=f"AQADpic{rng.randint(0, 10**9)}")
            payload["message"]["from"]["language_code"] = lang
            fed = Fed(kind, payload, user, payload["message"]["message_id"])
            fed.expect_text = cap or ""
            fed.expect_input_kind = "caption" if cap else "media"
        elif kind in COMMANDS:
            payload = command(user, COMMANDS[kind], language_code=lang)
            fed = Fed(kind, payload, user, payload["message"]["message_id"])
        elif kind in ("fb_up", "fb_down", "forged"):
            card = self._take_card("fb")
            data = self._button(card, "fb:", ":d" if kind == "fb_down" else ":u")
            presser = card.user_id
            if kind == "forged":  # someone else's button, or a tampered signature
                presser = rng.choice([u for u in self.users[:50] if u != card.user_id] or [card.user_id + 1])
                if rng.random() < 0.5:
                    presser = card.user_id
                    data = data[:-3] + ("abc" if not data.endswith("abc") else "abd")
            payload = callback(
                presser,
                data,
                message_id=card.message_id,
                chat_id=card.chat_id,
                language_code=self.langs.get(presser, "en"),
            )
            fed = Fed(kind, payload, presser, None, pressed=data.rsplit(":", 1)[0])
        elif kind == "sub":
            card = self._take_card("sub")
            data = self._button(card, "sub:")
            payload = callback(
                card.user_id,
                data,
                message_id=card.message_id,
                chat_id=card.chat_id,
                language_code=lang,
                reply_to_message=card.original,
            )
            fed = Fed(kind, payload, card.user_id, None, pressed=data.rsplit(":", 1)[0])
            fed.submit_key = (card.user_id, expected_group_key(card.original))
        elif kind == "pick":
            card = self._take_card("pc")
            data = self._button(card, "pc:")
            payload = callback(card.user_id, data, message_id=card.message_id, chat_id=card.chat_id, language_code=lang)
            fed = Fed(kind, payload, card.user_id, None, pressed=data.rsplit(":", 1)[0])
        elif kind == "group_chatter":
            chat_id, _auto = rng.choice(self.groups)
            text = c.channel_post(True) if rng.random() < 0.5 else c.unknown()
            payload = group_text(chat_id, user, text, language_code=lang)
            fed = Fed(kind, payload, user, payload["message"]["message_id"])
            fed.expect_text, fed.expect_input_kind = text, "group"
        elif kind == "group_check":
            chat_id, _auto = rng.choice(self.groups)
            target = group_text(chat_id, rng.choice(self.users), c.channel_post(rng.random() < 0.7))
            payload = group_command(chat_id, user, "/check", reply_to=target)
            payload["message"]["from"]["language_code"] = lang
            fed = Fed(kind, payload, user, payload["message"]["message_id"])
            fed.expect_text, fed.expect_input_kind = target["message"]["text"], "group"
        else:  # pragma: no cover
            raise ValueError(kind)
        self.fed[payload["update_id"]] = fed
        return fed

    def _collect_cards(self, uid: int, fed: Fed) -> None:
        """Cards with buttons that this update produced join the pools users press from."""
        if fed.kind not in CHECK_KINDS:
            return
        chat = fed.payload["message"]["chat"]["id"]
        for sent in self.fake.by_update.get(uid, []):
            if sent.method != "sendMessage" or not isinstance(sent.markup, dict) or sent.result_id is None:
                continue
            buttons = [b for row in sent.markup.get("inline_keyboard", []) for b in row]
            datas = [str(b.get("callback_data", "")) for b in buttons]
            card = Card(fed.user_id, chat, sent.result_id, buttons, fed.payload["message"])
            if chat < 0:
                continue  # group cards: nobody presses them here
            if any(d.startswith("fb:") for d in datas):
                self.cards["fb"].append(card)
            elif any(d.startswith("sub:") for d in datas):
                self.cards["sub"].append(card)
            elif any(d.startswith("pc:") for d in datas):
                self.cards["pc"].append(card)

    # -- feeding -----------------------------------------------------------------------------------

    async def _feed(self, fed: Fed) -> None:
        loop = asyncio.get_running_loop()
        uid = fed.payload["update_id"]
        waiter: asyncio.Future[None] = loop.create_future()
        self.waiters[uid] = waiter
        fed.t_fed = time.perf_counter()
        update = Update.de_json(fed.payload, self.app.bot)
        await self.app.update_queue.put(update)
        await waiter
        self._collect_cards(uid, fed)

    async def drive(self, n: int, *, concurrency: int, rate: float | None) -> float:
        tasks: set[asyncio.Task[None]] = set()
        sem = asyncio.Semaphore(concurrency)
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        next_at = loop.time()

        async def one(fed: Fed) -> None:
            try:
                await self._feed(fed)
            finally:
                sem.release()

        for _ in range(n):
            if rate:
                next_at += self.rng.expovariate(rate)
                delay = next_at - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            await sem.acquire()
            fed = self.make()
            task = asyncio.create_task(one(fed))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        while tasks:
            await asyncio.gather(*list(tasks))
        return time.perf_counter() - started


def production_persistence(runtime: Runtime) -> Any:
    """The persistence run_bot uses (database-backed), when this version of the app has one."""
    import inspect

    if "persistence" not in inspect.signature(build_application).parameters:
        return None
    try:
        from handlers.moderation import make_persistence
    except ImportError:
        return None
    return make_persistence(runtime.sessions)


def expected_group_key(message: dict[str, Any]) -> str:
    origin = message.get("forward_origin")
    fo = None
    if origin and origin.get("type") == "channel":
        fo = ForwardOrigin(kind="channel", chat_id=origin["chat"]["id"], message_id=origin["message_id"])
    photos = message.get("photo")
    file_id = photos[-1]["file_unique_id"] if photos else None
    return group_key(message.get("text") or message.get("caption") or "", fo, file_id)


# ---------------------------------------------------------------------------------------------
# Invariants
# ---------------------------------------------------------------------------------------------


@dataclass
class Baseline:
    check_id: int
    feedback_id: int
    submission_id: int
    pending: set[tuple[int, str]] = field(default_factory=set)


def baseline(runtime: Runtime) -> Baseline:
    with session_scope(runtime.sessions) as s:
        return Baseline(
            check_id=s.scalar(select(func.coalesce(func.max(CheckLog.id), 0))) or 0,
            feedback_id=s.scalar(select(func.coalesce(func.max(Feedback.id), 0))) or 0,
            submission_id=s.scalar(select(func.coalesce(func.max(Submission.id), 0))) or 0,
            pending={
                (u, k)
                for u, k in s.execute(
                    select(Submission.user_id, Submission.group_key).where(Submission.status == "pending")
                )
            },
        )


def check_invariants(run: LoadRun, base: Baseline, log_counter: CountingLogHandler) -> dict[str, Any]:
    secret = run.runtime.secret
    fake = run.fake
    bad_answers: Counter[str] = Counter()
    examples: list[str] = []
    expected_checks: Counter[tuple[str, str, str]] = Counter()
    shown_check_ids: Counter[int] = Counter()
    fb_expected: Counter[tuple[int, str]] = Counter()
    sub_pairs: set[tuple[int, str]] = set()
    failed_calls = 0
    unfinished = 0
    extra_cards = 0
    answered_group_chatter = 0

    def bad(kind: str, uid: int, why: str, sent: list[Sent]) -> None:
        bad_answers[kind] += 1
        if len(examples) < 8:
            examples.append(f"update {uid} ({kind}): {why}: {[s.method for s in sent]}")

    for uid, fed in run.fed.items():
        sent = fake.by_update.get(uid, [])
        if not fed.t_end:
            unfinished += 1
        failed_calls += sum(1 for s in sent if s.failed)
        methods = Counter(s.method for s in sent)
        k = fed.kind
        for s in sent:
            if isinstance(s.markup, dict):
                ids = {
                    int(b["callback_data"].split(":")[1])
                    for row in s.markup.get("inline_keyboard", [])
                    for b in row
                    if b.get("callback_data", "").split(":")[0] in ("fb", "sub", "pc", "pn")
                    and b["callback_data"].split(":")[1].isdigit()
                }
                if k in CHECK_KINDS or k == "group_chatter":
                    for i in ids:
                        shown_check_ids[i] += 1
        if k in CHECK_KINDS or (k == "group_chatter" and sent):
            if k == "group_chatter":
                answered_group_chatter += 1
            quoted = sum(1 for s in sent if s.method == "sendMessage" and s.reply_to == fed.message_id)
            if set(methods) != {"sendMessage"} or quoted != 1:
                bad(k, uid, f"{quoted} quoted replies", sent)
            extra_cards += methods["sendMessage"] - 1
            expected_checks[
                (user_key(secret, fed.user_id), text_hash(fed.expect_text or ""), fed.expect_input_kind or "")
            ] += 1
        elif k == "group_chatter":
            pass  # silence is the designed answer in a group
        elif k in COMMANDS:
            if methods != Counter({"sendMessage": 1}):
                bad(k, uid, "want 1 sendMessage", sent)
        elif k in ("fb_up", "fb_down"):
            if methods != Counter({"answerCallbackQuery": 1, "editMessageReplyMarkup": 1}):
                bad(k, uid, "want answerCallbackQuery + editMessageReplyMarkup", sent)
            _, cid, vote = (fed.pressed or "::").split(":")
            fb_expected[(int(cid), "up" if vote == "u" else "down")] += 1
        elif k == "sub":
            want = Counter({"answerCallbackQuery": 1, "editMessageReplyMarkup": 1, "sendMessage": 1})
            if methods != want:
                bad(k, uid, "want answerCallbackQuery + editMessageReplyMarkup + sendMessage", sent)
            if fed.submit_key:
                sub_pairs.add(fed.submit_key)
        elif k == "pick":
            if methods != Counter({"answerCallbackQuery": 1, "sendMessage": 1}):
                bad(k, uid, "want answerCallbackQuery + sendMessage", sent)
        elif k == "forged":
            if methods != Counter({"answerCallbackQuery": 1}):
                bad(k, uid, "want 1 answerCallbackQuery", sent)

    with session_scope(run.runtime.sessions) as s:
        rows = s.execute(
            select(CheckLog.user_key, CheckLog.text_hash, CheckLog.input_kind).where(CheckLog.id > base.check_id)
        ).all()
        logged: Counter[tuple[str, str, str]] = Counter((r[0], r[1], r[2]) for r in rows)
        fb_rows = s.execute(select(Feedback.check_id, Feedback.value).where(Feedback.id > base.feedback_id)).all()
        fb_got: Counter[tuple[int, str]] = Counter((r[0], r[1]) for r in fb_rows)
        sub_rows = s.execute(
            select(Submission.user_id, Submission.group_key).where(Submission.status == "pending")
        ).all()
        sub_count: Counter[tuple[int, str]] = Counter((r[0], r[1]) for r in sub_rows)
        new_subs = s.scalar(select(func.count()).select_from(Submission).where(Submission.id > base.submission_id))
    missing_checks = sum((expected_checks - logged).values())
    extra_checks = sum((logged - expected_checks).values())
    dup_shown = sum(1 for n in shown_check_ids.values() if n > 1)
    sub_expected_new = {p for p in sub_pairs if p not in base.pending}
    sub_missing = sum(1 for p in sub_pairs if sub_count.get(p, 0) == 0)
    sub_doubled = sum(1 for p in sub_pairs if sub_count.get(p, 0) > 1)
    inv: dict[str, Any] = {
        "answered_exactly_once": {
            "pass": not bad_answers and failed_calls == 0 and unfinished == 0 and not fake.unattributed,
            "wrong_answers": dict(bad_answers),
            "failed_bot_api_calls": failed_calls,
            "unfinished_updates": unfinished,
            "unattributed_calls": dict(fake.unattributed),
            "extra_unquoted_cards": extra_cards,
            "group_chatter_answered": answered_group_chatter,
            "examples": examples,
        },
        "checks_logged_exactly_once": {
            "pass": missing_checks == 0 and extra_checks == 0 and dup_shown == 0,
            "expected": sum(expected_checks.values()),
            "rows": len(rows),
            "missing": missing_checks,
            "extra": extra_checks,
            "check_ids_shown_twice": dup_shown,
        },
        "feedback_stored_once": {
            "pass": fb_got == fb_expected,
            "presses": sum(fb_expected.values()),
            "rows": len(fb_rows),
        },
        "submissions_stored_once": {
            "pass": sub_missing == 0 and sub_doubled == 0 and new_subs == len(sub_expected_new),
            "presses": sum(1 for f in run.fed.values() if f.kind == "sub"),
            "distinct_posts": len(sub_pairs),
            "new_rows": new_subs,
            "expected_new_rows": len(sub_expected_new),
            "missing": sub_missing,
            "doubled": sub_doubled,
        },
        "no_exceptions": {
            "pass": not run.errors and not log_counter.records,
            "error_handler_calls": len(run.errors),
            "errors": sorted({type(e).__name__ for e in run.errors}),
            "error_logs": dict(log_counter.records),
            "log_samples": list(log_counter.samples),
        },
        # Not exceptions, but worth seeing: e.g. APScheduler "Run time of job ... was missed" means
        # the event loop was too busy to run the index-refresh job on time.
        "warnings": dict(log_counter.warnings),
    }
    inv["all_pass"] = all(v["pass"] for v in inv.values() if isinstance(v, dict) and "pass" in v)
    return inv


# ---------------------------------------------------------------------------------------------
# Backends
# ---------------------------------------------------------------------------------------------


def prepare_postgres(pg_url: str) -> tuple[str, str]:
    """A fresh database factbot_load (or, failing that, a fresh schema of that name in pg_url's)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(pg_url)
    conninfo = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "user": url.username or "postgres",
        "dbname": url.database or "postgres",
    }
    if url.password:
        conninfo["password"] = url.password
    try:
        with psycopg.connect(**conninfo, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS factbot_load WITH (FORCE)")
            conn.execute("CREATE DATABASE factbot_load")
        return url.set(database="factbot_load").render_as_string(hide_password=False), "database factbot_load"
    except psycopg.Error as exc:
        logging.getLogger(__name__).warning("CREATE DATABASE failed (%s); using a schema", exc)
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS factbot_load CASCADE")
        conn.execute("CREATE SCHEMA factbot_load")
    query = dict(url.query)
    query["options"] = "-csearch_path=factbot_load"
    return url.set(query=query).render_as_string(hide_password=False), f"schema factbot_load in {url.database}"


def install_match_cache(runtime: Runtime, size: int = 4096) -> None:
    """Experiment: memoise match_request per (index version, text, urls, exact keys), as a proposed
    change to bot/services/checks.py would; a viral post forwarded by many users is then matched once."""
    from collections import OrderedDict

    import bot.services.checks as checks_module
    import handlers.check as check_module
    import handlers.group as group_module
    import handlers.inline as inline_module

    original = checks_module.match_request
    cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    def cached(matcher: Any, request: Any, *, limit: int = 5) -> Any:
        key = (runtime.index.version, request.text, request.urls, request.exact_keys, limit)
        hit = cache.get(key)
        if hit is not None:
            cache.move_to_end(key)
            return checks_module.CheckOutcome(matches=hit.matches, latency_ms=0.0, strong=hit.strong)
        outcome = original(matcher, request, limit=limit)
        cache[key] = outcome
        if len(cache) > size:
            cache.popitem(last=False)
        return checks_module.CheckOutcome(matches=outcome.matches, latency_ms=outcome.latency_ms, strong=outcome.strong)

    for module in (checks_module, check_module, group_module, inline_module):  # each calls it by its own name
        module.match_request = cached  # type: ignore[attr-defined]


def import_kb(db_url: str, claims: list[Claim]) -> float:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        t0 = time.perf_counter()
        with session_scope(sessions) as s:
            report = kb_store.import_claims(s, claims, actor="load-benchmark")
        if len(report.created) != len(claims):
            raise RuntimeError(f"imported {len(report.created)} of {len(claims)} claims")
        return time.perf_counter() - t0
    finally:
        engine.dispose()


async def one_run(
    runtime: Runtime,
    content: Content,
    args: argparse.Namespace,
    *,
    mode: str,
    rate: float | None,
    seed: int,
    groups: list[tuple[int, bool]],
    log_counter: CountingLogHandler,
    profile: bool,
) -> RunResult:
    base = baseline(runtime)
    run = LoadRun(runtime, content, users=args.users, groups=groups, rate_limiter=args.rate_limiter == "aio", seed=seed)
    app = run.app
    prof = cProfile.Profile() if profile else None
    async with app:
        if app.post_init:
            await app.post_init(app)  # as run_polling does: command menu + jobs
        await app.start()
        # Warm up outside the measurement: first contacts, lazily built caches, new database connections and
        # the copy-on-write faults after the matching workers' fork. Sustained load is what the target is
        # about; the warm-up's own tail is reported beside it ("cold start").
        warm_n = max(WARMUP_MIN_UPDATES, round(args.warmup * (rate or WARMUP_CLOSED_RATE)))
        warm_concurrency = args.concurrency if mode == "closed" else 100_000
        await run.drive(warm_n, concurrency=warm_concurrency, rate=rate)
        cold = [(f.t_end - f.t_fed) * 1000 for f in run.fed.values() if f.t_end]
        cold_p99 = float(np.percentile(np.asarray(cold), 99)) if cold else 0.0
        run.fed.clear()
        run.fake.by_update.clear()
        run.fake.unattributed.clear()  # getMe and setMyCommands at start belong to no update
        sql_counter.statements.clear()
        sql_counter.checkouts.clear()
        base = baseline(runtime)
        log_counter.records.clear()
        log_counter.warnings.clear()
        log_counter.samples.clear()
        if prof:
            prof.enable()
        concurrency = args.concurrency if mode == "closed" else 100_000
        cpu0, load0, worker0 = time.process_time(), os.getloadavg()[0], worker_cpu(runtime)
        sent0, shed0 = worker_checks(runtime)
        with FullCollections() as full_collections:
            seconds = await run.drive(args.updates, concurrency=concurrency, rate=rate)
        cpu = time.process_time() - cpu0
        worker = worker_cpu(runtime) - worker0
        sent1, shed1 = worker_checks(runtime)
        worker_memory = worker_memory_mb(runtime)
        if prof:
            prof.disable()
        await stop_application(app)  # as `factbot run` stops
    if app.post_shutdown:
        await app.post_shutdown(app)  # as run_polling does after shutdown
    inv = check_invariants(run, base, log_counter)
    done = [f for f in run.fed.values() if f.t_end]
    profile_text = None
    if prof:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(45)
        buf.write("\n\n==== by own time ====\n")
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(35)
        profile_text = buf.getvalue()
    sql = sql_counter.per_kind(run.fed)
    return RunResult(
        sql_per_update=sql,
        mode=mode,
        updates=len(run.fed),
        seconds=seconds,
        e2e_ms=[(f.t_end - f.t_fed) * 1000 for f in done],
        handling_ms=[(f.t_end - f.t_start) * 1000 for f in done],
        kinds=Counter(f.kind for f in run.fed.values()),
        invariants=inv,
        transport_seconds=run.fake.seconds,
        offered_rate=rate,
        profile=profile_text,
        cpu_seconds=cpu,
        worker_cpu_seconds=worker,
        worker_checks=sent1 - sent0,
        words_only_checks=shed1 - shed0,
        worker_memory=worker_memory,
        loadavg=load0,
        gc_full_pauses_ms=full_collections.pauses_ms,
        warmup_updates=warm_n,
        warmup_p99_ms=cold_p99,
    )


def bench_backend(
    name: str,
    db_url: str,
    where: str,
    claims: list[Claim],
    content: Content,
    args: argparse.Namespace,
    log_counter: CountingLogHandler,
) -> dict[str, Any]:
    print(f"\n== {name}: {where}", flush=True)
    import_s = import_kb(db_url, claims)
    print(f"imported {len(claims)} claims in {import_s:.1f} s", flush=True)
    settings = load_settings(
        {
            "DATABASE_URL": db_url,
            "TELEGRAM_BOT_TOKEN": "123:LOAD",
            "FACTBOT_SECRET": SECRET,
            "FACTBOT_ADMIN_IDS": str(ADMIN_ID),
            "FACTBOT_RATE_LIMIT": "10000",
            "FACTBOT_GROUP_RATE_LIMIT": "10000",
            "FACTBOT_ACTION_LIMIT": "10000",
            "FACTBOT_SEMANTIC": args.semantic,
            "FACTBOT_DATA_DIR": str(SEMANTIC_DATA),
        },
        dotenv=None,
    )
    t0 = time.perf_counter()
    if args.experiment == "no-pre-ping":  # measure a proposed change without editing bot/db.py
        import bot.services.runtime as runtime_module

        runtime_module.make_engine = lambda url, **kw: make_engine(url, pool_pre_ping=False, **kw)  # type: ignore
    runtime = Runtime.start(settings, seed=False)
    sql_counter.attach(runtime)
    if args.experiment == "match-cache":
        install_match_cache(runtime)
    start_s = time.perf_counter() - t0
    print(f"Runtime.start (index over {len(runtime.index.matcher)} claims) {start_s:.1f} s", flush=True)
    if runtime.semantic_enabled:  # as after `factbot kb embed`: the bot starts with the channel on
        t1 = time.perf_counter()
        runtime.start_semantic(encode=True, threads=1)
        print(f"semantic channel on ({time.perf_counter() - t1:.1f} s to load its vectors)", flush=True)
    pauses = full_collection_pauses()
    print(
        f"a full garbage collection stops the loop for {pauses['unfrozen_ms']:.0f} ms with the startup heap "
        f"tracked, {pauses['frozen_ms']:.2f} ms frozen as post_init leaves it (medians of 3)",
        flush=True,
    )
    groups = [(GROUP_BASE - i, i % 2 == 0) for i in range(10)]
    with session_scope(runtime.sessions) as s:
        for chat_id, auto in groups:
            s.merge(ChatSetting(chat_id=chat_id, autocheck=auto))
    # Each open-mode rate is its own entry: "open" for the first (the target, 300/s), "open@R" after.
    modes: list[tuple[str, str, float | None]] = []
    if args.mode in ("closed", "both"):
        modes.append(("closed", "closed", None))
    if args.mode in ("open", "both"):
        modes += [("open" if i == 0 else f"open@{r:g}", "open", r) for i, r in enumerate(args.rate)]
    out: dict[str, Any] = {
        "where": where,
        "semantic": runtime.index.matcher.semantic is not None,
        "import_seconds": round(import_s, 1),
        "runtime_start_seconds": round(start_s, 1),
        "full_collection": pauses,
        "modes": {},
    }
    try:
        for key, mode, rate in modes:
            runs: list[RunResult] = []
            for r in range(args.repeat):
                res = asyncio.run(
                    one_run(
                        runtime,
                        content,
                        args,
                        mode=mode,
                        rate=rate,
                        seed=args.seed + 7919 * r,
                        groups=groups,
                        log_counter=log_counter,
                        profile=bool(args.profile) and r == 0,
                    )
                )
                s = res.summary()
                inv = s["invariants"]
                print(
                    f"  {key} run {r + 1}: {s['updates']} updates in {s['seconds']:.1f} s = "
                    f"{s['updates_per_s']:.0f}/s; e2e p50/p95/p99 {s['p50_ms']:.1f}/{s['p95_ms']:.1f}/"
                    f"{s['p99_ms']:.1f} ms; handling p99 {s['handling_p99_ms']:.1f} ms; "
                    f"CPU {s['cpu_ms_per_update']:.2f} ms/update + {s['worker_cpu_ms_per_update']:.2f} in the "
                    f"matching processes (load {s['loadavg_1m_at_start']}); "
                    f"words only {s['words_only_checks_%']} % of {s['worker_checks']} checks; "
                    f"full GCs {s['gc_full_collections']} (max {s['gc_full_max_pause_ms']:.0f} ms); "
                    f"cold start (the {s['warmup_updates']} warm-up updates before) p99 {s['warmup_p99_ms']:.1f} ms; "
                    f"invariants {'PASS' if inv['all_pass'] else 'FAIL'}",
                    flush=True,
                )
                if res.profile and args.profile:
                    Path(args.profile).write_text(f"# {name} {key}\n" + res.profile)
                    print(f"  profile written to {args.profile}")
                runs.append(res)
            sums = [r.summary() for r in runs]
            med = {
                k: round(statistics.median(x[k] for x in sums), 2)
                for k in (
                    "updates_per_s",
                    "p50_ms",
                    "p95_ms",
                    "p99_ms",
                    "handling_p50_ms",
                    "handling_p95_ms",
                    "handling_p99_ms",
                    "fake_transport_share",
                    "seconds",
                    "cpu_ms_per_update",
                    "worker_cpu_ms_per_update",
                    "updates_per_cpu_s",
                    "loadavg_1m_at_start",
                )
            }
            med["updates"] = sums[0]["updates"]
            med["invariants_pass"] = all(x["invariants"]["all_pass"] for x in sums)
            entry: dict[str, Any] = {"median": med, "runs": sums}
            if rate is not None:
                entry["offered_rate"] = rate
                # Sustained: kept up with the arrivals (Poisson: +-1.4 % over 5,000) within the latency target.
                p99_target = targets(out["semantic"])[1]
                med["sustained"] = med["updates_per_s"] >= SUSTAIN_SHARE * rate and med["p99_ms"] <= p99_target
            out["modes"][key] = entry
    finally:
        runtime.close()
    return out


def full_collection_pauses(repeat: int = 3) -> dict[str, float]:
    """How long one full collection takes with the index tracked, then frozen (same process, same heap)."""

    def timed() -> float:
        started = time.perf_counter()
        gc.collect()
        return (time.perf_counter() - started) * 1000

    unfrozen = statistics.median(timed() for _ in range(repeat))
    FREEZE()
    try:
        frozen = statistics.median(timed() for _ in range(repeat))
    finally:
        gc.unfreeze()
    return {
        "unfrozen_ms": round(unfrozen, 1),
        "frozen_ms": round(frozen, 2),
        "tracked_objects": len(gc.get_objects()),
    }


def target_met(backend: dict[str, Any]) -> bool | None:
    """Met when an open run at an offered rate >= the target was sustained with all invariants holding."""
    opens = [m for m in backend["modes"].values() if "offered_rate" in m]
    if not opens:
        return None
    rate = targets(bool(backend.get("semantic")))[0]
    return any(m["offered_rate"] >= rate and m["median"]["sustained"] and m["median"]["invariants_pass"] for m in opens)


def print_table(results: dict[str, Any], args: argparse.Namespace) -> None:
    print(
        "\n| backend | mode | updates | s | updates/s | p50 ms | p95 ms | p99 ms | handling p99 ms "
        "| CPU ms/update (+ matching processes) | invariants | sustained |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for backend, r in results.items():
        for mode, m in r["modes"].items():
            med = m["median"]
            closed = f"closed ({args.concurrency} in flight)"
            label = closed if mode == "closed" else f"open ({m['offered_rate']:g}/s offered)"
            print(
                f"| {backend} | {label} | {med['updates']} | {med['seconds']:.1f} | {med['updates_per_s']:.0f} "
                f"| {med['p50_ms']:.1f} | {med['p95_ms']:.1f} | {med['p99_ms']:.1f} | "
                f"{med['handling_p99_ms']:.1f} | {med['cpu_ms_per_update']:.2f} "
                f"(+ {med['worker_cpu_ms_per_update']:.2f}) | "
                f"{'PASS' if med['invariants_pass'] else 'FAIL'} | "
                f"{'' if 'sustained' not in med else 'yes' if med['sustained'] else 'NO'} |"
            )
    for backend, r in results.items():
        met = target_met(r)
        if met is not None:
            rate, p99 = targets(bool(r.get("semantic")))
            channel = "semantic channel on" if r.get("semantic") else "semantic channel off"
            print(
                f"target ({rate:g} updates/s, p99 <= {p99:g} ms, invariants; {channel}) on {backend}: "
                f"{'MET' if met else 'NOT MET'}"
            )
    print("\nInvariants (last run of each, and every run where one failed):")
    for backend, r in results.items():
        for mode, m in r["modes"].items():
            runs = m["runs"]
            for i, run in enumerate(runs):
                if i == len(runs) - 1 or not run["invariants"]["all_pass"]:
                    _print_invariants(f"{backend}/{mode} run {i + 1}", run)


def _print_invariants(label: str, run: dict[str, Any]) -> None:
    """One run's invariants, with the examples of what failed."""
    inv = run["invariants"]
    a, c = inv["answered_exactly_once"], inv["checks_logged_exactly_once"]
    f, s, e = inv["feedback_stored_once"], inv["submissions_stored_once"], inv["no_exceptions"]
    print(
        f"  {label}: answered once {'PASS' if a['pass'] else 'FAIL'} "
        f"(wrong {sum(a['wrong_answers'].values())}, failed calls {a['failed_bot_api_calls']}, "
        f"unattributed {sum(a['unattributed_calls'].values())}, extra cards {a['extra_unquoted_cards']}); "
        f"checks {'PASS' if c['pass'] else 'FAIL'} ({c['rows']} rows / {c['expected']} expected, "
        f"missing {c['missing']}, extra {c['extra']}); "
        f"feedback {'PASS' if f['pass'] else 'FAIL'} ({f['rows']}/{f['presses']}); "
        f"submissions {'PASS' if s['pass'] else 'FAIL'} ({s['new_rows']} new / {s['expected_new_rows']} "
        f"expected, {s['presses']} presses, doubled {s['doubled']}); "
        f"exceptions {'PASS' if e['pass'] else 'FAIL'} ({e['error_handler_calls']} errors, "
        f"{sum(e['error_logs'].values())} error logs); warnings {inv['warnings'] or 0}"
    )
    sql = run["sql_per_update"]["all"]
    print(f"     SQL per update: {sql['statements']} statements, {sql['checkouts']} pool checkouts")
    for ex in a["examples"] + e["log_samples"]:
        print("     ", ex)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="factbot load benchmark (full Application, fake Bot API)")
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--updates", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=64, help="closed mode: updates in flight")
    ap.add_argument(
        "--warmup",
        type=float,
        default=WARMUP_SECONDS,
        help="seconds of the mix at the offered rate before each measured run, reported apart (at least 20 updates)",
    )
    ap.add_argument(
        "--rate",
        type=float,
        nargs="+",
        default=[TARGET_RATE, 400.0],
        help="open mode: offered updates/s (Poisson); one open run set per rate",
    )
    ap.add_argument("--mode", choices=("closed", "open", "both"), default="both")
    ap.add_argument("--repeat", type=int, default=1, help="runs per backend and mode (medians reported)")
    ap.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--rate-limiter", choices=("off", "aio"), default="off")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--semantic", choices=("auto", "on", "off"), default="auto", help="FACTBOT_SEMANTIC (default: the default)"
    )
    ap.add_argument("--profile", default="", help="cProfile the first run of each mode, write the stats here")
    ap.add_argument("--write", action="store_true", help="write the results as JSON (to --out)")
    ap.add_argument("--out", type=Path, default=RESULTS / "load.json", help="with --write: where the JSON goes")
    ap.add_argument(
        "--experiment",
        choices=("none", "no-pre-ping", "match-cache", "no-gc-freeze"),
        default="none",
        help="measure a proposed change: no-pre-ping (engine without pool_pre_ping), "
        "match-cache (memoised match_request), no-gc-freeze (the startup heap left to the collector)",
    )
    args = ap.parse_args(argv)
    if args.experiment == "no-gc-freeze":  # the baseline before post_init froze the startup heap
        gc.freeze = lambda: None

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    log_counter = CountingLogHandler()
    logging.getLogger().addHandler(log_counter)

    claims = load_kb(args.data)
    bundled = load([bundled_dir()])
    claims += bundled.claims
    content = Content(tweets=load_posts(args.data), kursk=list(bundled.claims), rng=random.Random(args.seed))
    print(
        f"KB: {len(claims)} claims ({len(bundled.claims)} bundled); {len(content.tweets)} tweets as posts; "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )

    results: dict[str, Any] = {}
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory(prefix="factbot-load-") as tmp:
        for backend in backends:
            if backend == "sqlite":
                url, where = f"sqlite:///{tmp}/load.sqlite3", "SQLite file in a temp dir (WAL)"
            else:
                url, where = prepare_postgres(args.pg_url)
            results[backend] = bench_backend(backend, url, where, claims, content, args, log_counter)

    print_table(results, args)
    doc = {
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
        },
        "settings": {
            "users": args.users,
            "updates": args.updates,
            "concurrency": args.concurrency,
            "rate": args.rate,
            "repeat": args.repeat,
            "concurrent_updates": PRODUCTION_CONCURRENT_UPDATES,
            "persistence": "as run_bot (handlers.moderation.make_persistence)"
            if "persistence" in __import__("inspect").signature(build_application).parameters
            else "none",
            "rate_limiter": "AIORateLimiter" if args.rate_limiter == "aio" else "off",
            "experiment": args.experiment,
            "kb_entries": len(claims),
            "mix": MIX,
            "target": {"updates_per_s": TARGET_RATE, "p99_ms": TARGET_P99_MS},
            "target_semantic": {"updates_per_s": SEMANTIC_TARGET_RATE, "p99_ms": SEMANTIC_TARGET_P99_MS},
        },
        "backends": results,
    }
    if args.write:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(doc, indent=2, ensure_ascii=False))
        print(f"wrote {args.out}")
    ok = all(m["median"]["invariants_pass"] for r in results.values() for m in r["modes"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
