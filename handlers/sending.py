"""What every message sent to Telegram shares (parse mode and previews are the application's Defaults):
which refusals mean "send it again as plain text", that plain text, and how long a flood wait asks to pause."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import BadRequest

from bot.rendering.render import TELEGRAM_LIMIT, shorten, to_plain

log = logging.getLogger(__name__)
T = TypeVar("T")


def is_markup_problem(exc: BadRequest) -> bool:
    """Telegram refused the HTML or its length; the same content as plain text will go through."""
    text = exc.message.lower()
    return "parse entities" in text or "can't parse" in text or "too long" in text


def plain_fallback(html_text: str) -> str:
    """The HTML as plain text, short enough to send (room left for Telegram's own counting)."""
    return shorten(to_plain(html_text), TELEGRAM_LIMIT - 96)


async def html_or_plain(send: Callable[[str, bool], Awaitable[T]], html_text: str, *, what: str) -> T:
    """`send(text, plain)` the HTML; when Telegram refuses its markup or length, once more as plain text."""
    try:
        return await send(html_text, False)
    except BadRequest as exc:
        if not is_markup_problem(exc):
            raise
        log.warning("Telegram refused %s (%s); sending plain text instead", what, exc.message)
        return await send(plain_fallback(html_text), True)


def retry_seconds(retry_after: dt.timedelta | float) -> float:
    """RetryAfter.retry_after in seconds (a timedelta or a number, depending on PTB's settings)."""
    return retry_after.total_seconds() if isinstance(retry_after, dt.timedelta) else float(retry_after)
