"""What every message sent to Telegram shares (parse mode and previews are the application's Defaults):
which refusals mean "send it again as plain text", that plain text, and how long a flood wait asks to pause."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest
from telegram.ext import ExtBot
from telegram.warnings import PTBUserWarning

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


# post_message and edit_markup call their endpoints by name on purpose; PTB would warn on every call.
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.(sendMessage|editMessageReplyMarkup)'", category=PTBUserWarning
)


async def post_message(
    bot: ExtBot[Any],
    chat_id: int,
    text: str,
    *,
    markup: InlineKeyboardMarkup | None = None,
    reply: ReplyParameters | None = None,
    plain: bool = False,
) -> None:
    """sendMessage as `bot.send_message` sends it (the application's parse mode and preview defaults, its
    rate limiter and errors), without building a Message from Telegram's echo of it: no reply reads that
    echo, and parsing it (the quoted post included) was a sixth of the event loop's time under load."""
    defaults = bot.defaults
    params: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text,
        "parse_mode": None if plain or defaults is None else defaults.parse_mode,
        "link_preview_options": defaults.link_preview_options if defaults is not None else None,
        "reply_markup": markup,
        "reply_parameters": reply,
    }
    await bot.do_api_request("sendMessage", api_kwargs=params)


async def edit_markup(bot: Bot, query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    """Replace (None: remove) the buttons of the message a press came from, as
    `query.edit_message_reply_markup` does, without parsing Telegram's echo of the message (post_message)."""
    params: dict[str, Any] = {"reply_markup": markup}
    if query.message is not None:
        params.update(chat_id=query.message.chat.id, message_id=query.message.message_id)
    else:
        params["inline_message_id"] = query.inline_message_id
    await bot.do_api_request("editMessageReplyMarkup", api_kwargs=params)


def retry_seconds(retry_after: dt.timedelta | float) -> float:
    """RetryAfter.retry_after in seconds (a timedelta or a number, depending on PTB's settings)."""
    return retry_after.total_seconds() if isinstance(retry_after, dt.timedelta) else float(retry_after)
