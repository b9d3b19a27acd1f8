"""The inbox of Telegram updates: stored before Telegram is told they arrived, marked when handled.

A process killed in between replays what it stored but did not handle; an update Telegram sends
again after a crash (it was never acknowledged) is recognised and not handled twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Engine, delete, select, update

from bot.db import engine as db_engine
from bot.db.dialects import DIALECT_INSERTS
from bot.db.models import InboxUpdate, utcnow

# Telegram sends an update again only if it was not acknowledged (polling: the last batch; webhook: a
# request that got no answer), so a handled update's id is needed for a short while only.
KEEP_HANDLED = dt.timedelta(hours=1)
STORE_WAIT_MS = 250


def store(engine: Engine, updates: Sequence[tuple[int, str]]) -> set[int]:
    """Store new updates (update_id, JSON); the ids among them to handle now: the new ones and
    those stored before but never handled. Already handled ones are left out.

    Waits at most STORE_WAIT_MS for a lock: every update passes here, so a database locked by someone
    else must not hold them all up (the caller handles them without storing them then)."""
    if not updates:
        return set()
    ids = [update_id for update_id, _ in updates]
    rows = [{"update_id": i, "payload": p, "received_at": utcnow()} for i, p in updates]
    postgres = engine.dialect.name == "postgresql"
    insert = DIALECT_INSERTS[engine.dialect.name]
    with engine.begin() as connection:
        if postgres:
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {STORE_WAIT_MS}")
        else:
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {STORE_WAIT_MS}")
        try:
            handled = set(
                connection.scalars(
                    select(InboxUpdate.update_id).where(
                        InboxUpdate.update_id.in_(ids), InboxUpdate.handled_at.is_not(None)
                    )
                )
            )
            connection.execute(insert(InboxUpdate).on_conflict_do_nothing(index_elements=["update_id"]), rows)
        finally:
            if not postgres:  # the pooled connection goes back with the engine's usual wait
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {db_engine.SQLITE_BUSY_TIMEOUT_MS}")
    return set(ids) - handled


def mark_handled(engine: Engine, update_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(InboxUpdate).where(InboxUpdate.update_id == update_id).values(handled_at=utcnow(), payload="")
        )


def unhandled(engine: Engine) -> list[tuple[int, str]]:
    """Stored updates never handled (a crash came first), oldest first."""
    query = select(InboxUpdate.update_id, InboxUpdate.payload).where(InboxUpdate.handled_at.is_(None))
    with engine.connect() as connection:
        return [(int(i), str(p)) for i, p in connection.execute(query.order_by(InboxUpdate.update_id))]


def prune(engine: Engine, *, now: dt.datetime | None = None) -> int:
    """Forget handled updates older than KEEP_HANDLED."""
    cutoff = (now or utcnow()) - KEEP_HANDLED
    with engine.begin() as connection:
        result = connection.execute(delete(InboxUpdate).where(InboxUpdate.handled_at < cutoff))
    return int(result.rowcount or 0)
