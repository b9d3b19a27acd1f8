"""Typed SQLAlchemy 2 models: one schema for SQLite and PostgreSQL (migrations in bot/db/migrations)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base; timestamps are naive UTC everywhere."""


class ClaimRow(Base):
    """A knowledge-base entry as the live bot sees it."""

    __tablename__ = "claims"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    claim: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8), default="en")
    verdict: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    # {lang: {"claim": ..., "summary": ...}}: always read and written whole with the entry, never queried.
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    published: Mapped[dt.date | None] = mapped_column(Date)
    updated: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="published")  # published | retired
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    modified_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Content hash as of the last `kb import`; differs from the current one when edited in the database since.
    imported_hash: Mapped[str | None] = mapped_column(String(64))

    variants: Mapped[list[VariantRow]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="VariantRow.position"
    )
    sources: Mapped[list[SourceRow]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="SourceRow.position"
    )
    origins: Mapped[list[OriginRow]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="OriginRow.position"
    )


class VariantRow(Base):
    __tablename__ = "claim_variants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(8))

    claim: Mapped[ClaimRow] = relationship(back_populates="variants")


class SourceRow(Base):
    __tablename__ = "claim_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    date: Mapped[dt.date | None] = mapped_column(Date)

    claim: Mapped[ClaimRow] = relationship(back_populates="sources")


class OriginRow(Base):
    __tablename__ = "claim_origins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32), default="other")
    url: Mapped[str | None] = mapped_column(Text)
    date: Mapped[dt.date | None] = mapped_column(Date)

    claim: Mapped[ClaimRow] = relationship(back_populates="origins")


class ExactKey(Base):
    """Exact lookups moderators add: a forwarded post (tg:<chat_id>:<message_id>) or media (file:<id>)."""

    __tablename__ = "exact_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"

    telegram_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(16), default="user")  # user | moderator | admin
    notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)  # the user blocked the bot
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ChatSetting(Base):
    """Per-group settings (auto-check)."""

    __tablename__ = "chat_settings"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    autocheck: Mapped[bool] = mapped_column(Boolean, default=False)


class CheckLog(Base):
    """One check: what was asked (pseudonymously), what matched, how fast."""

    __tablename__ = "checks"
    __table_args__ = (Index("ix_checks_created_at", "created_at"), Index("ix_checks_user_key", "user_key"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user_key: Mapped[str] = mapped_column(String(64))
    chat_type: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    input_kind: Mapped[str] = mapped_column(String(16))  # text | forward | caption | inline | group | cli
    origin_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    origin_username: Mapped[str | None] = mapped_column(String(64))
    origin_title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    text_hash: Mapped[str | None] = mapped_column(String(64))
    text_len: Mapped[int] = mapped_column(Integer, default=0)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    result: Mapped[str] = mapped_column(String(16))  # strong | possible | none
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    feedback: Mapped[str | None] = mapped_column(String(16))  # up | down
    feedback_reason: Mapped[str | None] = mapped_column(String(32))


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Unique: one row per check holds its latest vote (bot.services.feedback.record_vote upserts on it).
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"), index=True, unique=True)
    claim_id: Mapped[str | None] = mapped_column(String(120))
    value: Mapped[str] = mapped_column(String(16))  # up | down
    reason: Mapped[str | None] = mapped_column(String(32))  # wrong_claim | outdated | other
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# The rows the unique index on submissions covers; an ON CONFLICT clause must name the same predicate, literally.
PENDING_ONLY = "status = 'pending'"


class Submission(Base):
    """A post the bot could not answer, sent to moderators by a user."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_status_group", "status", "group_key"),
        # One pending queue item per user and post, held by the database: two concurrent presses of "send to
        # moderators" cannot both insert (bot.services.submissions.submit). Resolved rows are not limited.
        Index(
            "uq_submissions_pending_user_group",
            "user_id",
            "group_key",
            unique=True,
            sqlite_where=text(PENDING_ONLY),
            postgresql_where=text(PENDING_ONLY),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)  # needed to follow up
    check_id: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, default="")
    group_key: Mapped[str] = mapped_column(String(64))  # same post sent by many people -> one queue item
    origin_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    origin_message_id: Mapped[int | None] = mapped_column(BigInteger)
    origin_username: Mapped[str | None] = mapped_column(String(64))
    origin_title: Mapped[str | None] = mapped_column(Text)
    file_unique_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | linked | not_checkable
    claim_id: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[int | None] = mapped_column(BigInteger)


class AuditLog(Base):
    """Every change to the knowledge base: who, when, which fields, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))  # "tg:<user id>" or "cli"
    claim_id: Mapped[str] = mapped_column(String(120), index=True)
    action: Mapped[str] = mapped_column(String(16))  # create | update | retire | restore | delete
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Outbox(Base):
    """Follow-up messages to send; a unique key makes each one sent at most once."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("dedupe_key", name="uq_outbox_dedupe"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | skipped | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)


class CardDelivery(Base):
    """Who received which claim's card, and when: to send an "updated" notice when the verdict changes."""

    __tablename__ = "card_deliveries"
    __table_args__ = (Index("ix_card_deliveries_claim_sent", "claim_id", "last_sent_at"),)

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    claim_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_sent_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Meta(Base):
    """Small key/value state: the KB version other processes watch, generated secrets."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class PersistenceRow(Base):
    """python-telegram-bot persistence (conversations, user/chat data), as JSON."""

    __tablename__ = "ptb_persistence"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[Any] = mapped_column(JSON)


class InboxUpdate(Base):
    """A Telegram update, stored before Telegram is told it arrived and marked once it is handled:
    a crash between the two replays it instead of losing it, and a redelivered one is not handled twice."""

    __tablename__ = "inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[str] = mapped_column(Text)  # the update's JSON, as Telegram sent it
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
