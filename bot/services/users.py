"""Users: language, role and notification preferences, as small named queries."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.db.dialects import per_dialect
from bot.db.models import User
from bot.rendering.i18n import pick_language

ROLES = ("user", "moderator", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}

# Two first messages of one user handled at once both find no row: the second insert must not fail.
_INSERT_ONCE = per_dialect(lambda insert: insert(User).on_conflict_do_nothing(index_elements=["telegram_id"]))


def get_user(session: Session, telegram_id: int) -> User | None:
    return session.get(User, telegram_id)


def ensure_user(session: Session, telegram_id: int, *, admin_ids: Collection[int]) -> User:
    """The user's row, created on first contact (admins from FACTBOT_ADMIN_IDS start as admins)."""
    user = session.get(User, telegram_id)
    if user is None:
        values = {
            "telegram_id": telegram_id,
            "language": None,
            "role": "admin" if telegram_id in admin_ids else "user",
            "notifications": True,
            "blocked": False,
        }
        session.execute(_INSERT_ONCE[session.get_bind().dialect.name].values(**values))
        user = session.get(User, telegram_id)
        assert user is not None  # inserted now, or by the concurrent first message that won
    if telegram_id in admin_ids and user.role != "admin":
        user.role = "admin"
    if user.blocked:  # they wrote to us again, so they unblocked the bot
        user.blocked = False
    return user


def language_of(user: User | None, language_code: str | None) -> str:
    """The remembered language, else one picked from Telegram's language_code."""
    if user is not None and user.language:
        return user.language
    return pick_language(language_code)


def role_of(session: Session, telegram_id: int, admin_ids: Collection[int]) -> str:
    if telegram_id in admin_ids:
        return "admin"
    user = session.get(User, telegram_id)
    return user.role if user else "user"


def has_role(session: Session, telegram_id: int, needed: str, admin_ids: Collection[int]) -> bool:
    """Server-side role check: admins can do what moderators can."""
    return ROLE_RANK[role_of(session, telegram_id, admin_ids)] >= ROLE_RANK[needed]


def set_role(session: Session, telegram_id: int, role: str) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    user = session.get(User, telegram_id)
    if user is None:
        user = User(telegram_id=telegram_id, role=role, notifications=True, blocked=False)
        session.add(user)
    user.role = role
    return user


def team(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.role != "user").order_by(User.role, User.telegram_id)))


# Users this process marked as having blocked the bot. Their next message must clear the flag: the
# language cache means ensure_user (which clears it on first contact) does not run for them again.
_blocked_here: set[int] = set()


def blocked_in_this_process(telegram_id: int) -> bool:
    return telegram_id in _blocked_here


def note_blocked(telegram_id: int) -> None:
    _blocked_here.add(telegram_id)


def note_reachable(telegram_id: int) -> None:
    """After mark_reachable was committed."""
    _blocked_here.discard(telegram_id)


def mark_blocked(session: Session, telegram_id: int) -> None:
    """The user blocked the bot: stop sending them follow-ups."""
    note_blocked(telegram_id)
    user = session.get(User, telegram_id)
    if user is not None:
        user.blocked = True


def mark_reachable(session: Session, telegram_id: int) -> None:
    """The user wrote to the bot or let it back in: follow-ups reach them again."""
    session.execute(
        update(User)
        .where(User.telegram_id == telegram_id, User.blocked.is_(True))
        .values(blocked=False)
        .execution_options(synchronize_session=False)
    )
