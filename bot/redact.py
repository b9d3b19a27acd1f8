"""Log records without what the privacy promise hides: raw user ids and message texts.

Statements are logged without their parameters (engines use hide_parameters=True), but an exception's
own text can still carry values: a driver's "Key (telegram_id)=(...)" detail, a quoted input in a
ValueError. Every record's exception text (and exception arguments) is redacted when the record is made,
so every handler, file or test capture alike, sees the same redacted text.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

LONG_NUMBER = re.compile(r"(?<![\w.])-?\d{5,}(?![\w.])")  # Telegram user and chat ids; not line numbers
QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|«[^»\n]*»")
NUMBER_MARK = "<number>"
QUOTED_MARK = "'…'"

_installed = False


def redact(text: str) -> str:
    """The text with long numbers and quoted values replaced. Traceback lines that show source code
    (indented) keep their quotes: they are the program's text, not the user's."""
    lines = []
    for line in text.splitlines():
        line = LONG_NUMBER.sub(NUMBER_MARK, line)
        if not line.startswith("  "):
            line = QUOTED.sub(QUOTED_MARK, line)
        lines.append(line)
    return "\n".join(lines)


def _redacted_args(args: Any) -> Any:
    if isinstance(args, tuple):
        return tuple(redact(str(a)) if isinstance(a, BaseException) else a for a in args)
    return args


def install() -> None:
    """Redact every log record's exception text from now on (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        record.args = _redacted_args(record.args)
        return record

    logging.setLogRecordFactory(factory)
