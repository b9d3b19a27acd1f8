"""The check service: match a text, log the check, and say what kind of reply it deserves."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ClauseElement, Connection, Engine, Table, bindparam, select
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.orm import Session

from bot.db import in_transaction
from bot.db.dialects import per_dialect
from bot.db.models import CardDelivery, CheckLog, utcnow
from bot.db.pgasync import AsyncPostgres
from bot.db.threads import run_db
from bot.services.keys import text_hash, user_key
from knowledge.matcher import Match, Matcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForwardOrigin:
    """Where a forwarded post came from (what Telegram's forward_origin tells)."""

    kind: str  # channel | chat | user | hidden_user
    chat_id: int | None = None
    username: str | None = None
    title: str | None = None
    message_id: int | None = None

    @property
    def post_key(self) -> str | None:
        """The exact key of this very post, when Telegram identifies it."""
        if self.chat_id is not None and self.message_id is not None:
            return f"tg:{self.chat_id}:{self.message_id}"
        return None


@dataclass(frozen=True)
class CheckRequest:
    text: str
    user_id: int
    chat_type: str
    language: str
    input_kind: str
    origin: ForwardOrigin | None = None
    urls: tuple[str, ...] = ()
    exact_keys: tuple[str, ...] = ()
    posted: dt.date | None = None  # when the post was first published (a forward's original date)


@dataclass
class CheckOutcome:
    matches: list[Match]
    latency_ms: float
    check_id: int | None = None  # None when the log could not be written
    strong: list[Match] = field(default_factory=list)

    @classmethod
    def of(cls, matches: list[Match], latency_ms: float) -> CheckOutcome:
        return cls(matches=matches, latency_ms=latency_ms, strong=[m for m in matches if m.strength == "strong"])

    @property
    def result(self) -> str:
        if self.strong:
            return "strong"
        return "possible" if self.matches else "none"


def match_request(matcher: Matcher, request: CheckRequest, *, limit: int = 5) -> CheckOutcome:
    """Run the matcher for a request (no I/O)."""
    started = time.perf_counter()
    matches = matcher.match(
        request.text, urls=request.urls, exact_keys=request.exact_keys, limit=limit, posted=request.posted
    )
    return CheckOutcome.of(matches, (time.perf_counter() - started) * 1000)


def log_matches(matches: list[Match]) -> list[dict[str, Any]]:
    """What the check log keeps of each match: id, score and strength (the claim text is in the KB)."""
    return [{"claim_id": m.claim_id, "score": round(float(m.score), 1), "strength": m.strength} for m in matches]


# Built once: a check is logged on every update, and building the statement per call (with its values
# coerced by the ORM) cost more than executing it.
_CHECKS: Table = CheckLog.__table__  # type: ignore[assignment]
_DELIVERIES: Table = CardDelivery.__table__  # type: ignore[assignment]
_CHECK_INSERT = _CHECKS.insert().returning(_CHECKS.c.id)
_DELIVERY_UPSERTS = per_dialect(
    lambda insert: (delivery := insert(_DELIVERIES)).on_conflict_do_update(
        index_elements=["user_id", "claim_id"], set_={"last_sent_at": delivery.excluded.last_sent_at}
    )
)


def log_check(
    connection: Connection | Session, request: CheckRequest, outcome: CheckOutcome, *, secret: str, store_text: bool
) -> int:
    """Write one check-log row and return its id."""
    row = check_row(request, outcome, secret=secret, store_text=store_text)
    if isinstance(connection, Session):
        connection = connection.connection()
    return int(connection.execute(_CHECK_INSERT, row).scalar_one())


def check_row(request: CheckRequest, outcome: CheckOutcome, *, secret: str, store_text: bool) -> dict[str, Any]:
    """The check-log row's values (the user as a keyed hash; the text only if the settings keep texts)."""
    origin = request.origin
    return {
        "created_at": utcnow(),
        "user_key": user_key(secret, request.user_id),
        "chat_type": request.chat_type,
        "language": request.language,
        "input_kind": request.input_kind,
        "origin_chat_id": origin.chat_id if origin else None,
        "origin_username": origin.username if origin else None,
        "origin_title": origin.title if origin else None,
        "text": request.text if store_text else None,
        "text_hash": text_hash(request.text),
        "text_len": len(request.text),
        "matches": log_matches(outcome.matches),
        "result": outcome.result,
        "latency_ms": round(outcome.latency_ms, 3),
        "feedback": None,
        "feedback_reason": None,
    }


def record_deliveries(connection: Connection | Session, user_id: int, claim_ids: list[str]) -> None:
    """Remember who got which card, so a later correction of the verdict can reach them (one upsert)."""
    if not claim_ids:
        return
    if isinstance(connection, Session):
        connection = connection.connection()
    connection.execute(_DELIVERY_UPSERTS[connection.dialect.name], delivery_rows(user_id, claim_ids))


def delivery_rows(user_id: int, claim_ids: list[str]) -> list[dict[str, Any]]:
    """The card-delivery rows of one user's cards (each claim once)."""
    now = utcnow()
    return [{"user_id": user_id, "claim_id": c, "last_sent_at": now} for c in dict.fromkeys(claim_ids)]


def delivered_claims(request: CheckRequest, outcome: CheckOutcome) -> list[str]:
    """The claims whose verdict card a check sent its user (an inline answer is sent to no one yet)."""
    return [m.claim_id for m in outcome.strong] if request.input_kind != "inline" else []


def record_check(
    engine: Engine, request: CheckRequest, outcome: CheckOutcome, *, secret: str, store_text: bool
) -> None:
    """Log a matched check (setting outcome.check_id) and the cards it delivered; blocking, so async callers
    run it in a database thread. A failure is logged and leaves check_id None: the user still gets the answer."""

    def write(connection: Connection) -> int:
        check_id = log_check(connection, request, outcome, secret=secret, store_text=store_text)
        record_deliveries(connection, request.user_id, delivered_claims(request, outcome))
        return check_id

    try:
        outcome.check_id = in_transaction(engine, write)
    except Exception:
        log.exception("could not write the check log; answering anyway")


async def record_check_pg(
    pg: AsyncPostgres, engine: Engine, request: CheckRequest, outcome: CheckOutcome, *, secret: str, store_text: bool
) -> None:
    """record_check for PostgreSQL on the event loop (bot.db.pgasync says why): the same rows,
    in one statement compiled by SQLAlchemy. If that fails (a killed backend, say), record_check in a
    database thread tries again with its own retry, so the check is logged whenever the database can take it."""
    claim_ids = list(dict.fromkeys(delivered_claims(request, outcome)))
    try:
        row = check_row(request, outcome, secret=secret, store_text=store_text)
        params = dict(row, matches=json.dumps(row["matches"]))
        if claim_ids:
            params.update(d_user=request.user_id, d_at=utcnow())
            params.update({f"d_claim_{i}": claim_id for i, claim_id in enumerate(claim_ids)})
        got = await pg.fetch_one(_pg_check_sql(tuple(row), len(claim_ids)), params)
        assert got is not None and isinstance(got[0], int)
        outcome.check_id = got[0]
    except Exception as exc:
        log.warning("could not write the check log on the event loop (%s); using a database thread", type(exc).__name__)
        await run_db(record_check, engine, request, outcome, secret=secret, store_text=store_text)


@functools.cache
def _pg_check_sql(keys: tuple[str, ...], deliveries: int) -> str:
    """The check-log insert and, in a data-modifying WITH, its card deliveries: one statement, so one round
    trip without BEGIN and COMMIT (bot.db.pgasync says why), in psycopg's SQL with %(name)s parameters."""
    logged = _CHECKS.insert().values({k: bindparam(k, type_=_CHECKS.c[k].type) for k in keys})
    if not deliveries:
        return _pg_sql(logged.returning(_CHECKS.c.id))
    cte = logged.returning(_CHECKS.c.id).cte("logged")
    column = _DELIVERIES.c
    upsert = _DELIVERY_UPSERTS["postgresql"].values(
        [
            {
                "user_id": bindparam("d_user", type_=column.user_id.type),
                "claim_id": bindparam(f"d_claim_{i}", type_=column.claim_id.type),
                "last_sent_at": bindparam("d_at", type_=column.last_sent_at.type),
            }
            for i in range(deliveries)
        ]
    )
    return _pg_sql(select(cte.c.id).add_cte(upsert.cte("delivered")))


def _pg_sql(statement: ClauseElement) -> str:
    """A Core statement as psycopg's SQL for PostgreSQL, with %(name)s parameters."""
    return str(statement.compile(dialect=psycopg_dialect()))


def owned_check(connection: Connection | Session, check_id: int, owner_key: str) -> tuple[list[Any], str | None] | None:
    """(matches, text) of a check the user with `owner_key` made, or None: the columns a button press
    needs, without loading the whole row into the ORM."""
    row = connection.execute(
        select(_CHECKS.c.matches, _CHECKS.c.text).where(_CHECKS.c.id == check_id, _CHECKS.c.user_key == owner_key)
    ).first()
    return (list(row[0] or []), row[1]) if row is not None else None
