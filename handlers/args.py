"""Numbers in command arguments: ASCII digits only, within bounds (str.isdigit also accepts '²' and '٣')."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]+")
_LONG = 18  # digits; anything longer is beyond every bound here (and int() refuses past 4,300)
MAX_TELEGRAM_ID = 2**53 - 1  # Telegram ids have at most 52 significant bits


def parse_count(raw: str, *, minimum: int, maximum: int) -> int | None:
    """A whole number written in ASCII digits, clamped to [minimum, maximum]; None when it is not one."""
    if not _DIGITS.fullmatch(raw):
        return None
    if len(raw.lstrip("0")) > _LONG:
        return maximum
    return min(max(int(raw), minimum), maximum)


def parse_user_id(raw: str) -> int | None:
    """A Telegram user id (positive, ASCII digits, within Telegram's range), or None."""
    if not _DIGITS.fullmatch(raw) or len(raw.lstrip("0")) > _LONG:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_TELEGRAM_ID else None


def optional_count(args: list[str], *, default: int, maximum: int) -> int | None:
    """The one optional [N] of /queue and /logs: `default` without it, None when the arguments are not that."""
    if not args:
        return default
    return parse_count(args[0], minimum=1, maximum=maximum) if len(args) == 1 else None
