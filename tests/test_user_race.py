"""A user's first contact under concurrent updates: two first messages handled at once both find no user row;
the second insert must not fail (it did on PostgreSQL under load, and the reply lost the user's language)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.db.models import User
from bot.services.users import ensure_user

NEW_USER, ADMIN = 6001, 6002
WAIT_S = 20  # a thread that never arrives fails the test instead of hanging it


def first_contacts_at_once(engine: Engine, sessions: sessionmaker[Session], user_id: int) -> list[str]:
    """Two threads run ensure_user for one new user, each held at its INSERT until both have reached theirs
    (so both looked and found no row); the (role, blocked) each got back."""
    meet = threading.Barrier(2, timeout=WAIT_S)
    local = threading.local()
    inserts: list[str] = []
    results: list[str] = []
    errors: list[BaseException] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO USERS") and not getattr(local, "met", False):
            local.met = True
            inserts.append(statement)
            meet.wait()

    def run() -> None:
        try:
            with session_scope(sessions) as session:
                results.append(ensure_user(session, user_id, admin_ids=(ADMIN,)).role)
        except BaseException as exc:
            errors.append(exc)

    event.listen(engine, "before_cursor_execute", before)
    try:
        workers = [threading.Thread(target=run) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(WAIT_S * 2)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert not any(worker.is_alive() for worker in workers), "a first contact never finished"
    if errors:
        raise errors[0]
    assert len(inserts) == 2  # both found no row and tried to insert
    return results


def test_two_first_messages_at_once_make_one_user(engine: Engine, sessions: sessionmaker[Session]) -> None:
    assert first_contacts_at_once(engine, sessions, NEW_USER) == ["user", "user"]
    with session_scope(sessions) as session:
        rows = session.scalars(select(User).where(User.telegram_id == NEW_USER)).all()
        assert [(u.role, u.notifications, u.blocked, u.created_at is not None) for u in rows] == [
            ("user", True, False, True)
        ]


def test_an_admin_first_contact_race_still_makes_an_admin(engine: Engine, sessions: sessionmaker[Session]) -> None:
    assert first_contacts_at_once(engine, sessions, ADMIN) == ["admin", "admin"]


def test_a_known_user_is_read_not_inserted(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        ensure_user(session, NEW_USER, admin_ids=()).language = "uk"
    with session_scope(sessions) as session:
        user = ensure_user(session, NEW_USER, admin_ids=())
        assert (user.language, user.role) == ("uk", "user")
