"""What a running factbot holds: settings, the database and the live matching index."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import kb_store
from bot.db import make_engine, make_sessionmaker, session_scope, upgrade
from bot.errors import KnowledgeBaseInvalid
from bot.models import ClaimRow
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


@dataclass
class LiveIndex:
    """The matcher over the published KB, refreshed incrementally when the KB version changes.

    Several processes may share one database: each compares the stored KB version with the one it
    built from and applies only the entries modified since, so nobody restarts or rebuilds everything.
    """

    matcher: Matcher
    version: int = 0
    seen_modified: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def build(cls, session: Session, settings: Settings) -> LiveIndex:
        kwargs = {}
        if settings.match_strong is not None:
            kwargs["strong"] = settings.match_strong
        if settings.match_possible is not None:
            kwargs["possible"] = settings.match_possible
        matcher = Matcher(kb_store.published_claims(session), **kwargs)
        for key, claim_id in kb_store.exact_keys(session):
            matcher.add_exact_key(key, claim_id)
        return cls(matcher=matcher, version=kb_store.kb_version(session), seen_modified=kb_store.last_modified(session))

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
            for key, claim_id in kb_store.exact_keys(session):
                self.matcher.add_exact_key(key, claim_id)
            self.seen_modified = kb_store.last_modified(session)
            self.version = version
        return True


@dataclass
class Runtime:
    """Settings, database and live index, created once at start."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    index: LiveIndex

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
        return cls(settings=settings, engine=engine, sessions=sessions, index=index)

    def close(self) -> None:
        self.engine.dispose()
