"""The inbox of received updates, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from bot.db.models import utcnow
from bot.services import inbox


def test_stored_updates_are_handled_once_and_replayed_until_then(engine: Engine) -> None:
    assert inbox.store(engine, [(10, '{"update_id": 10}'), (11, '{"update_id": 11}')]) == {10, 11}
    inbox.mark_handled(engine, 10)
    assert inbox.unhandled(engine) == [(11, '{"update_id": 11}')]  # what a restart replays
    # Telegram sends the batch again (it was never acknowledged): the handled one is left out.
    assert inbox.store(engine, [(10, '{"update_id": 10}'), (11, '{"update_id": 11}'), (12, "{}")]) == {11, 12}
    assert [i for i, _ in inbox.unhandled(engine)] == [11, 12]
    inbox.mark_handled(engine, 11)
    inbox.mark_handled(engine, 12)
    assert inbox.unhandled(engine) == []
    assert inbox.store(engine, []) == set()


def test_handled_updates_are_pruned_after_a_while(engine: Engine) -> None:
    inbox.store(engine, [(20, "{}"), (21, "{}")])
    inbox.mark_handled(engine, 20)
    assert inbox.prune(engine) == 0
    assert inbox.prune(engine, now=utcnow() + inbox.KEEP_HANDLED + dt.timedelta(seconds=1)) == 1
    assert [i for i, _ in inbox.unhandled(engine)] == [21]  # never handled: kept however old
    assert inbox.store(engine, [(20, "{}")]) == {20}
