"""python-telegram-bot persistence in the database: conversations and user/chat/bot data as JSON rows.

Rows live in the ``ptb_persistence`` table (:class:`bot.db.models.PersistenceRow`): ``kind`` says what a
row holds ("user_data", "chat_data", "bot_data", "callback_data", or "conv:<handler name>") and ``key``
which user, chat or conversation. Everything stored must be JSON-serialisable: drafts are plain dicts.

By default only ``user_data`` and conversations are stored (``bot_data`` holds the live runtime), and
``user_keys`` narrows ``user_data`` further to the keys worth keeping across a restart (a moderator's
draft), so the bot keeps no row at all for the people who only check posts.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Collection, MutableMapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from telegram.ext import BasePersistence, PersistenceInput

from bot.db import in_session_thread
from bot.db.models import PersistenceRow

log = logging.getLogger(__name__)

USER_DATA = "user_data"
CHAT_DATA = "chat_data"
BOT_DATA = "bot_data"
CALLBACK_DATA = "callback_data"
CONVERSATION_PREFIX = "conv:"
KIND_CHARS = 32

DEFAULT_STORE = PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False)

_Data = dict[Any, Any]
# The shapes PTB uses (telegram.ext._utils.types), spelled out to avoid importing a private module.
ConversationKey = tuple[int | str, ...]
ConversationDict = MutableMapping[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]


def _dump(data: Any) -> str:
    """Canonical JSON (raises TypeError with a clear message when something is not serialisable)."""
    try:
        return json.dumps(data, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"persisted bot data must be JSON-serialisable: {exc}") from exc


class DatabasePersistence(BasePersistence[_Data, _Data, _Data]):
    """A :class:`telegram.ext.BasePersistence` writing through to the factbot database.

    Each update is written at once (no batching), and unchanged data is not written again.
    ``user_keys``: when given, only these keys of each user's ``user_data`` are stored (and restored).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        store_data: PersistenceInput | None = None,
        update_interval: float = 60,
        user_keys: Collection[str] | None = None,
    ) -> None:
        super().__init__(store_data=store_data or DEFAULT_STORE, update_interval=update_interval)
        self.sessions = sessions
        self.user_keys = frozenset(user_keys) if user_keys is not None else None
        self._written: dict[tuple[str, str], str] = {}  # what the database holds, as canonical JSON
        self._writing = asyncio.Lock()

    # --- rows -------------------------------------------------------------------------------------

    @staticmethod
    def _rows(session: Session, kind: str) -> dict[str, Any]:
        rows = session.scalars(select(PersistenceRow).where(PersistenceRow.kind == kind)).all()
        return {row.key: row.data for row in rows}

    async def _load(self, kind: str) -> dict[str, Any]:
        loaded = await in_session_thread(self.sessions, lambda session: self._rows(session, kind))
        for key, data in loaded.items():
            self._written[(kind, key)] = _dump(data)
        return loaded

    @staticmethod
    def _store(session: Session, kind: str, key: str, payload: str | None) -> None:
        if payload is None:
            session.execute(delete(PersistenceRow).where(PersistenceRow.kind == kind, PersistenceRow.key == key))
            return
        row = session.get(PersistenceRow, (kind, key))
        if row is None:
            session.add(PersistenceRow(kind=kind, key=key, data=json.loads(payload)))
        else:
            row.data = json.loads(payload)

    async def _write(self, kind: str, key: str, data: Any) -> None:
        """Store `data` under (kind, key); None or an empty mapping deletes the row. The JSON is taken on the
        event loop (the data may change right after) and written in a database thread, one write at a time
        so a later state is never overwritten by an earlier one."""
        empty = data is None or (isinstance(data, dict) and not data)
        payload = None if empty else _dump(data)
        async with self._writing:
            if self._written.get((kind, key)) == payload:
                return
            await in_session_thread(self.sessions, lambda session: self._store(session, kind, key, payload))
            if payload is None:
                self._written.pop((kind, key), None)
            else:
                self._written[(kind, key)] = payload

    def _user_view(self, data: _Data) -> _Data:
        if self.user_keys is None:
            return data
        return {k: v for k, v in data.items() if k in self.user_keys}

    @staticmethod
    def _conversation_kind(name: str) -> str:
        kind = CONVERSATION_PREFIX + name
        if len(kind) > KIND_CHARS:
            raise ValueError(f"conversation name too long for persistence: {name!r}")
        return kind

    # --- user, chat and bot data --------------------------------------------------------------------

    async def get_user_data(self) -> dict[int, _Data]:
        return {int(key): self._user_view(data) for key, data in (await self._load(USER_DATA)).items()}

    async def get_chat_data(self) -> dict[int, _Data]:
        return {int(key): data for key, data in (await self._load(CHAT_DATA)).items()}

    async def get_bot_data(self) -> _Data:
        stored = (await self._load(BOT_DATA)).get("")
        return dict(stored) if isinstance(stored, dict) else {}

    async def update_user_data(self, user_id: int, data: _Data) -> None:
        await self._write(USER_DATA, str(user_id), self._user_view(data))

    async def update_chat_data(self, chat_id: int, data: _Data) -> None:
        await self._write(CHAT_DATA, str(chat_id), data)

    async def update_bot_data(self, data: _Data) -> None:
        await self._write(BOT_DATA, "", data)

    async def drop_user_data(self, user_id: int) -> None:
        await self._write(USER_DATA, str(user_id), None)

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._write(CHAT_DATA, str(chat_id), None)

    async def refresh_user_data(self, user_id: int, user_data: _Data) -> None:
        """Nothing to do: this process writes through and holds the current data."""

    async def refresh_chat_data(self, chat_id: int, chat_data: _Data) -> None:
        """Nothing to do: this process writes through and holds the current data."""

    async def refresh_bot_data(self, bot_data: _Data) -> None:
        """Nothing to do: this process writes through and holds the current data."""

    # --- callback data (only with arbitrary_callback_data and store_data.callback_data) ------------------

    async def get_callback_data(self) -> CDCData | None:
        stored = (await self._load(CALLBACK_DATA)).get("")
        if not isinstance(stored, list) or len(stored) != 2:
            return None
        entries, mapping = stored
        return [(str(e[0]), float(e[1]), dict(e[2])) for e in entries], dict(mapping)

    async def update_callback_data(self, data: CDCData) -> None:
        entries, mapping = data
        await self._write(CALLBACK_DATA, "", [[list(e) for e in entries], mapping])

    # --- conversations ---------------------------------------------------------------------------------

    async def get_conversations(self, name: str) -> ConversationDict:
        out: ConversationDict = {}
        for key, state in (await self._load(self._conversation_kind(name))).items():
            out[tuple(json.loads(key))] = state
        return out

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        await self._write(self._conversation_kind(name), json.dumps(list(key)), new_state)

    async def flush(self) -> None:
        """Nothing is buffered: every update was written when it was made."""
