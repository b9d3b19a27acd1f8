"""Per-group settings: whether the bot answers strong false/misleading matches on its own (auto-check)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.db.models import ChatSetting


def autocheck_enabled(session: Session, chat_id: int) -> bool:
    row = session.get(ChatSetting, chat_id)
    return bool(row and row.autocheck)


def set_autocheck(session: Session, chat_id: int, enabled: bool) -> None:
    row = session.get(ChatSetting, chat_id)
    if row is None:
        session.add(ChatSetting(chat_id=chat_id, autocheck=enabled))
    else:
        row.autocheck = enabled
