"""What a running factbot holds: settings, the database and the live matching index."""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import kb_store
from bot.db import make_engine, make_sessionmaker, session_scope, upgrade
from bot.errors import KnowledgeBaseInvalid
from bot.models import ClaimRow, Meta
from bot.ratelimit import RateLimiter
from bot.reputation import ReputationIndex
from bot.settings import Settings
from knowledge.loader import load
from knowledge.matcher import Matcher

log = logging.getLogger(__name__)


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


def stored_secret(session: Session) -> str:
    """Without FACTBOT_SECRET, a random secret generated once and kept in the database."""
    meta = session.get(Meta, "secret")
    if meta is None:
        meta = Meta(key="secret", value=secrets.token_hex(32))
        session.add(meta)
        session.flush()
    return meta.value


@dataclass
class LiveIndex:
    """The matcher over the published KB, refreshed incrementally when the KB version changes.

    Several processes may share one database: each compares the stored KB version with the one it
    built from and applies only the entries modified since, so nobody restarts or rebuilds everything.
    """

    matcher: Matcher
    version: int = 0
    seen_modified: object = None
    generation: int = 0  # bumped on every change this process applies (caches key on it)
    exact: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _reputation: tuple[int, ReputationIndex] | None = field(default=None, repr=False)

    def reputation(self) -> ReputationIndex:
        """Channel reputation over the live KB, rebuilt only when the KB changed."""
        if self._reputation is None or self._reputation[0] != self.generation:
            self._reputation = (self.generation, ReputationIndex.build(self.matcher.claims(), self.exact.items()))
        return self._reputation[1]

    @classmethod
    def build(cls, session: Session, settings: Settings) -> LiveIndex:
        kwargs = {}
        if settings.match_strong is not None:
            kwargs["strong"] = settings.match_strong
        if settings.match_possible is not None:
            kwargs["possible"] = settings.match_possible
        matcher = Matcher(kb_store.published_claims(session), **kwargs)
        exact = dict(kb_store.exact_keys(session))
        for key, claim_id in exact.items():
            matcher.add_exact_key(key, claim_id)
        return cls(
            matcher=matcher,
            version=kb_store.kb_version(session),
            seen_modified=kb_store.last_modified(session),
            exact=exact,
        )

    def refresh(self, session: Session) -> bool:
        """Apply KB changes made by any process since the last refresh; True when something changed."""
        version = kb_store.kb_version(session)
        if version == self.version:
            return False
        with self._lock:
            query = select(ClaimRow)
            if self.seen_modified is not None:
                query = query.where(ClaimRow.modified_at >= self.seen_modified)
            changed = session.scalars(query).all()
            for row in changed:
                if row.status == "published":
                    claim = kb_store.get_claim(session, row.id)
                    if claim is not None:
                        self.matcher.upsert(claim)
                else:
                    self.matcher.remove(row.id)
            live_ids = set(session.scalars(select(ClaimRow.id)))
            for claim in list(self.matcher.claims()):
                if claim.id not in live_ids:  # pruned
                    self.matcher.remove(claim.id)
            exact = dict(kb_store.exact_keys(session))
            for key in set(self.exact) - set(exact):
                self.matcher.remove_exact_key(key)
            for key, claim_id in exact.items():
                self.matcher.add_exact_key(key, claim_id)
            self.exact = exact
            self.seen_modified = kb_store.last_modified(session)
            self.version = version
            self.generation += 1
        return True


@dataclass
class Runtime:
    """Settings, database and live index, created once at start."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    index: LiveIndex
    secret: str
    limiter: RateLimiter

    @classmethod
    def start(cls, settings: Settings, *, seed: bool = True) -> Runtime:
        """Connect, migrate, seed an empty database and build the index."""
        engine = make_engine(settings.database_url)
        upgrade(engine)
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
        )

    def refresh_index(self) -> bool:
        """Pick up KB changes made by this or another process."""
        with session_scope(self.sessions) as session:
            return self.index.refresh(session)

    def close(self) -> None:
        self.engine.dispose()
