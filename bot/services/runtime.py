"""What a running factbot holds: settings, the database and the live matching index."""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import check_writable, in_session_thread, make_engine, make_sessionmaker, session_scope, upgrade
from bot.db.models import ClaimRow, Meta
from bot.db.pgasync import AsyncPostgres
from bot.errors import KnowledgeBaseInvalid
from bot.services import kb_store, match_process, semantic
from bot.services.checks import CheckOutcome, CheckRequest, match_request
from bot.services.match_process import KbChange, MatchProcess, apply_change
from bot.services.ratelimit import Once, RateLimiter, Throttle
from bot.services.reputation import ReputationIndex
from bot.settings import Settings
from knowledge.loader import load
from knowledge.matcher import Matcher
from knowledge.schema import Claim

log = logging.getLogger(__name__)

AUTOCHECKS_PER_MEMBER = 10  # a group member's messages auto-check looks at per minute
REPEAT_WINDOW = 600.0  # seconds: auto-check answers the same post in the same group once in this window


def seed_if_empty(factory: sessionmaker[Session], settings: Settings) -> int:
    """On first start with an empty database, import the bundled KB (and FACTBOT_KB_DIR)."""
    with session_scope(factory) as session:
        if session.scalar(select(ClaimRow.id).limit(1)) is not None:
            return 0
        result = load(kb_store.kb_dirs(settings))
        if result.errors:
            raise KnowledgeBaseInvalid("\n".join(result.errors))
        report = kb_store.import_claims(session, result.claims, actor="seed")
        log.info("seeded the empty database with %d claims", len(report.created))
        return len(report.created)


def stored_secret(
    session: Session, key: str = "secret", make: Callable[[], str] = lambda: secrets.token_hex(32)
) -> str:
    """Without FACTBOT_SECRET (or WEBHOOK_SECRET), a random secret generated once and kept in the database."""
    meta = session.get(Meta, key)
    if meta is None:
        meta = Meta(key=key, value=make())
        session.add(meta)
        session.flush()
    return meta.value


def _stamps(session: Session) -> dict[str, tuple[object, str]]:
    """Every claim's (modified_at, status): which entries changed since the index last looked."""
    rows = session.execute(select(ClaimRow.id, ClaimRow.modified_at, ClaimRow.status))
    return {claim_id: (modified, status) for claim_id, modified, status in rows}


@dataclass(frozen=True)
class IndexChanges:
    """KB changes read from the database, to be applied to the matcher where it is used (the event loop)."""

    version: int
    stamps: dict[str, tuple[object, str]]
    upserts: list[Claim]
    removals: list[str]
    exact: dict[str, str]


@dataclass
class LiveIndex:
    """The matcher over the published KB, refreshed incrementally when the KB version changes.

    Several processes may share one database: each compares the stored KB version with the one it
    built from and applies only the entries modified since, so nobody restarts or rebuilds everything.
    """

    matcher: Matcher
    version: int = 0
    # claim id -> (modified_at, status) as of the last build/refresh: what this index reflects.
    stamps: dict[str, tuple[object, str]] = field(default_factory=dict)
    exact: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # The matching process's copy of the matcher, kept in step by apply() (None: matching on the loop).
    replica: MatchProcess | None = field(default=None, repr=False)
    _reputation: tuple[int, ReputationIndex] | None = field(default=None, repr=False)

    def reputation(self) -> ReputationIndex:
        """Channel reputation over the live KB, rebuilt only when the KB changed."""
        if self._reputation is None or self._reputation[0] != self.version:
            self._reputation = (self.version, ReputationIndex.build(self.matcher.claims(), self.exact.items()))
        return self._reputation[1]

    @classmethod
    def build(cls, session: Session, settings: Settings) -> LiveIndex:
        version = kb_store.kb_version(session)  # read first: a change committed after it bumps past it
        stamps = _stamps(session)  # before the claims: a newer claim than its stamp is only re-read
        matcher = Matcher(kb_store.published_claims(session), **settings.matcher_options)
        exact = dict(kb_store.exact_keys(session))
        for key, claim_id in exact.items():
            matcher.add_exact_key(key, claim_id)
        return cls(matcher=matcher, version=version, stamps=stamps, exact=exact)

    def changes_since(self, session: Session) -> IndexChanges | None:
        """What changed in the KB since this index was built or refreshed (database reads only), or None."""
        version = kb_store.kb_version(session)
        if version == self.version:
            return None
        stamps = _stamps(session)
        changed = [claim_id for claim_id, stamp in stamps.items() if self.stamps.get(claim_id) != stamp]
        published = kb_store.published_claims(session, [i for i in changed if stamps[i][1] == "published"])
        published_ids = {c.id for c in published}
        return IndexChanges(
            version=version,
            stamps=stamps,
            upserts=published,
            removals=[*(self.stamps.keys() - stamps.keys()), *(i for i in changed if i not in published_ids)],
            exact=dict(kb_store.exact_keys(session)),
        )

    def apply(self, changes: IndexChanges) -> bool:
        """Apply changes read by `changes_since` (no database); False when a newer refresh got there first.
        The matching process, if there is one, gets the same change after the loop's matcher."""
        with self._lock:
            if changes.version <= self.version:
                return False
            change = KbChange(
                removals=tuple(changes.removals),
                upserts=tuple(changes.upserts),
                dropped_keys=tuple(set(self.exact) - set(changes.exact)),
                exact=tuple(changes.exact.items()),
            )
            apply_change(self.matcher, change)
            if self.replica is not None:
                self.replica.apply(change)
            self.exact = changes.exact
            self.stamps = changes.stamps
            self.version = changes.version
        return True

    def refresh(self, session: Session) -> bool:
        """Apply KB changes made by any process since the last refresh; True when something changed."""
        changes = self.changes_since(session)
        return changes is not None and self.apply(changes)


class _Stopped(Exception):
    """A background encoding stopped because the bot is shutting down."""


@dataclass
class Runtime:
    """Settings, database and live index, created once at start."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    index: LiveIndex
    secret: str
    # From the settings: checks per user, commands and button presses per user, answers per group.
    limiter: RateLimiter
    actions: Throttle
    group_answers: RateLimiter
    # Auto-checks per group member, and identical posts per group (answered once a window).
    member_autochecks: RateLimiter = field(default_factory=lambda: RateLimiter(AUTOCHECKS_PER_MEMBER, 60.0))
    repeated_posts: Once = field(default_factory=lambda: Once(REPEAT_WINDOW))
    _last_refresh: float = field(default_factory=time.monotonic, repr=False)
    _stop_embedding: threading.Event = field(default_factory=threading.Event, repr=False)
    # The per-check writes on PostgreSQL, on the event loop (None on SQLite: its work stays in its thread).
    pg: AsyncPostgres | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.pg = AsyncPostgres.for_url(self.engine.url.render_as_string(hide_password=False))

    @classmethod
    def start(cls, settings: Settings, *, seed: bool = True) -> Runtime:
        """Connect, migrate, check the database takes writes, seed it when empty and build the index."""
        engine = make_engine(settings.database_url)
        upgrade(engine)
        check_writable(engine)
        sessions = make_sessionmaker(engine)
        if seed:
            seed_if_empty(sessions, settings)
        with session_scope(sessions) as session:
            index = LiveIndex.build(session, settings)
            secret = settings.secret or stored_secret(session)
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            index=index,
            secret=secret,
            limiter=RateLimiter(settings.rate_limit_per_minute, 60.0),
            group_answers=RateLimiter(settings.group_rate_limit_per_minute, 60.0),
            actions=Throttle(settings.action_limit_per_minute, 60.0),
        )

    def refresh_index(self) -> bool:
        """Pick up KB changes made by this or another process (blocking: for the CLI and tests)."""
        with session_scope(self.sessions) as session:
            changed = self.index.refresh(session)
        self._last_refresh = time.monotonic()
        return changed

    async def refresh_index_in_thread(self) -> bool:
        """Like refresh_index, with the database reads in a database thread and the matcher changed here,
        so a locked or slow database does not stop the event loop and the matcher is never changed while
        the loop matches with it."""
        self._last_refresh = time.monotonic()
        changes = await in_session_thread(self.sessions, self.index.changes_since)
        return changes is not None and self.index.apply(changes)

    async def fresh_matcher(self, interval: float = 1.0) -> Matcher:
        """The matcher to answer a check with: the KB as of at most `interval` seconds ago, so a claim
        published by another process sharing the database is matched within a second."""
        if time.monotonic() - self._last_refresh >= interval:
            try:
                await self.refresh_index_in_thread()
            except Exception:
                log.exception("could not refresh the knowledge-base index; matching with the current one")
        return self.index.matcher

    def matcher(self) -> Matcher:
        """The matcher as of the last refresh."""
        return self.index.matcher

    async def match(self, request: CheckRequest, *, limit: int = 5) -> CheckOutcome:
        """Match a request against the KB as of at most a second ago, in the matching process if one runs."""
        matcher = await self.fresh_matcher()
        process = self.index.replica
        found = None
        if process is not None:
            found = await process.match(
                request.text, urls=request.urls, keys=request.exact_keys, limit=limit, posted=request.posted
            )
        if found is None:  # no worker (or none answered): on the loop
            return match_request(matcher, request, limit=limit)
        return CheckOutcome.of(*found)

    async def start_match_process(self) -> None:
        """Fork the matching process (FACTBOT_MATCH_PROCESS), once the index is built and the heap settled."""
        wanted = self.settings.match_process
        if self.index.replica is not None or wanted == "off" or (wanted == "auto" and not match_process.available()):
            return
        process = MatchProcess(self.index.matcher, match_process.worker_count())
        try:
            await process.start()
        except Exception:
            log.exception("could not start the matching processes; matching on the event loop")
            process.close()
            return
        self.index.replica = process

    @property
    def semantic_enabled(self) -> bool:
        """Whether FACTBOT_SEMANTIC wants the semantic channel (and its encoder is installed)."""
        return semantic.enabled(self.settings)

    def start_semantic(self, *, encode: bool, threads: int = 0, progress: semantic.Progress | None = None) -> bool:
        """Attach the semantic channel (FACTBOT_SEMANTIC) to the matcher; with `encode` False only if every
        claim's texts have stored vectors. True when the matcher now has it."""
        if self.index.matcher.semantic is not None:
            return True
        if not semantic.enabled(self.settings):
            return False
        return semantic.attach(self.settings, self.index.matcher, encode=encode, threads=threads, progress=progress)

    async def embed_in_background(self) -> None:
        """Encode the claims' missing vectors in a thread while the bot matches lexically, then attach the
        channel (with the KB changes made meanwhile) and give the matching workers a copy of it."""
        claims = list(self.index.matcher.claims())
        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            if self._stop_embedding.is_set():
                raise _Stopped
            log.info("semantic channel: %d of %d texts encoded", done, total)

        try:
            index = await asyncio.to_thread(
                semantic.index_for, self.settings, claims, threads=1, progress=progress
            )
        except _Stopped:
            return
        except Exception:
            log.exception("could not encode the KB for the semantic channel; matching lexically")
            return
        if index is None or self._stop_embedding.is_set():
            return
        index.warm_up()
        self.index.matcher.attach_semantic(index)
        log.info("semantic channel on: %d claims encoded in %.0f s", len(claims), time.monotonic() - started)
        if self.index.replica is not None:
            self.stop_match_process()
            await self.start_match_process()

    def stop_match_process(self) -> None:
        process, self.index.replica = self.index.replica, None
        if process is not None:
            process.close()

    def stop_embedding(self) -> None:
        """Stop a background encoding at its next batch (the bot is shutting down)."""
        self._stop_embedding.set()

    def close(self) -> None:
        self.stop_embedding()
        self.stop_match_process()
        self.engine.dispose()
