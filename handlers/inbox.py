"""Handing Telegram updates to the Application so that none is lost or handled twice.

Polling and the webhook both call `Inbox.accept` with the updates as Telegram sent them (JSON): each
is parsed on its own (one python-telegram-bot cannot read is logged once and skipped, never retried),
stored, and only then acknowledged to Telegram by the caller; it is handled concurrently through the
Application's update processor and marked handled at the end. At start `replay` handles what a
killed process stored but never finished. Delivery is at least once: an update whose handler had
already answered when the process died is answered again after the restart. When the database cannot
store a batch at once (locked, or down), the batch is handled from memory before `accept` returns, so
the caller still acknowledges it only once it is handled.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Any

from sqlalchemy import Engine
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot.db.threads import run_db
from bot.services import inbox

log = logging.getLogger(__name__)

PRUNE_EVERY = 60.0  # seconds
# Of the Application's concurrent updates, at most this many from groups and channels: replies there wait
# on Telegram's per-group limit, and a busy group must not hold every slot while private chats wait.
SHARED_CHAT_SLOTS = 2


class InboxClosed(RuntimeError):
    """The process is stopping: the update was not taken (Telegram sends it again)."""


def update_id_of(raw: object) -> int | None:
    """The update_id of a raw update, if it has a usable one."""
    if isinstance(raw, dict):
        value = raw.get("update_id")
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
            return value
    return None


# json.loads joins a valid surrogate pair into one character, so any surrogate left in a string is lone.
NOT_STORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The update as JSON text a database takes, and the update that text reads back as. Two characters
    are text in JSON but not in every database: a lone UTF-16 surrogate (an emoji cut in half) is no text
    in UTF-8, and PostgreSQL refuses NUL. Both become U+FFFD, so such an update neither fails its whole
    batch nor reaches a handler whose writes would fail."""
    payload = json.dumps(raw, ensure_ascii=False)
    try:
        payload.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        if "\\u0000" not in payload:  # json.dumps writes NUL as this escape
            return payload, raw
    clean = _clean(raw)
    return json.dumps(clean, ensure_ascii=False), clean


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return NOT_STORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    return value


class Inbox:
    """Stores, dispatches and marks the updates of one Application."""

    def __init__(self, app: Application, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.active: set[int] = set()  # handling now: a redelivery meanwhile is not started twice
        self.shared_chat_slots = asyncio.Semaphore(SHARED_CHAT_SLOTS)
        self.closed = False
        self._last_prune = 0.0

    def close(self) -> None:
        """Take no more updates: the Application is stopping and would not wait for their handling."""
        self.closed = True

    def parse(self, update_id: int, raw: dict[str, Any]) -> Update | None:
        """The Update, or None (logged once, without its content) when the library cannot read it."""
        try:
            return Update.de_json(raw, self.app.bot)
        except Exception as exc:  # any shape Telegram (or an emulator) sends that the library rejects
            log.warning("skipped update %d: python-telegram-bot cannot read it (%s)", update_id, type(exc).__name__)
            return None

    async def accept(self, raws: list[Any]) -> int | None:
        """Store and start handling a batch; the highest update_id seen (acknowledge past it), if any.
        Raises InboxClosed once the process is stopping."""
        if self.closed:
            raise InboxClosed
        highest: int | None = None
        batch: list[tuple[int, str, Update]] = []
        for raw in raws:
            update_id = update_id_of(raw)
            if update_id is None:
                log.warning("skipped an update without a valid update_id")
                continue
            highest = update_id if highest is None else max(highest, update_id)
            if update_id in self.active:
                continue
            try:
                payload, raw = storable(raw)
            except RecursionError:  # nested deeper than any update Telegram sends
                log.warning("skipped update %d: nested too deeply to store", update_id)
                continue
            update = self.parse(update_id, raw)
            if update is not None:
                # Taken before the store awaits: a copy in this batch, or in a request racing this one
                # (a webhook retry), is skipped instead of being found "not handled yet" and started too.
                self.active.add(update_id)
                batch.append((update_id, payload, update))
        try:
            fresh = await run_db(inbox.store, self.engine, [(i, payload) for i, payload, _ in batch])
        except Exception as exc:
            if self.closed:
                self.active.difference_update(i for i, _, _ in batch)
                raise InboxClosed from exc
            # Locked or unreachable: handle the batch from memory, and only then let the caller
            # acknowledge it, so other users are answered meanwhile and a crash still gets it sent again.
            log.warning("could not store %d update(s) (%s); handling them first", len(batch), type(exc).__name__)
            handling = [self.dispatch(i, update, stored=False) for i, _, update in batch]
            await asyncio.gather(*handling, return_exceptions=True)
            return highest
        except BaseException:
            self.active.difference_update(i for i, _, _ in batch)
            raise
        for update_id, _, update in batch:
            if update_id in fresh and not self.closed:
                self.dispatch(update_id, update)
            else:  # handled before, or the process began stopping during the store: the restart replays it
                self.active.discard(update_id)
        await self._prune_if_due()
        return highest

    def dispatch(self, update_id: int, update: Update, *, stored: bool = True) -> asyncio.Task[None]:
        self.active.add(update_id)
        return self.app.create_task(self._handle(update_id, update, stored), update=update, name=f"update {update_id}")

    async def _handle(self, update_id: int, update: Update, stored: bool = True) -> None:
        handled = False
        try:
            chat = update.effective_chat
            if chat is not None and chat.type != ChatType.PRIVATE:
                async with self.shared_chat_slots:  # taken before a processor slot, so waiting holds none
                    await self.app.update_processor.process_update(update, self.app.process_update(update))
            else:
                await self.app.update_processor.process_update(update, self.app.process_update(update))
            handled = True
        except asyncio.CancelledError:
            raise  # cut short by the process stopping: left unhandled, so the restart replays it
        except Exception:  # the Application's error handler has already dealt with the handler's own errors
            handled = True
            raise
        finally:
            if handled and stored:
                try:
                    await run_db(inbox.mark_handled, self.engine, update_id)
                except Exception as exc:  # a locked or lost database: expected, and what it costs is known
                    log.warning(
                        "could not mark update %d handled (%s); it may be answered again after a restart",
                        update_id,
                        type(exc).__name__,
                    )
            self.active.discard(update_id)

    async def replay(self) -> int:
        """Handle what was stored but never handled (the process died first); how many."""
        pending = await run_db(inbox.unhandled, self.engine)
        for update_id, payload in pending:
            update = self.parse(update_id, json.loads(payload))
            if update is None:
                await run_db(inbox.mark_handled, self.engine, update_id)
            else:
                self.dispatch(update_id, update)
        if pending:
            log.info("replaying %d update(s) received but not handled before the last stop", len(pending))
        return len(pending)

    async def _prune_if_due(self) -> None:
        now = time.monotonic()
        if now - self._last_prune >= PRUNE_EVERY:
            self._last_prune = now
            try:
                await run_db(inbox.prune, self.engine)
            except Exception:
                log.exception("could not prune the inbox")
