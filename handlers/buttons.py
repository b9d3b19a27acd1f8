"""Every callback-data prefix in one table. A button's data is `<prefix>:<parts...>`, then signed for the
user it is sent to (bot.services.keys); handlers are registered by the prefix they answer."""

from __future__ import annotations

import re
from enum import StrEnum


class Button(StrEnum):
    # the public's buttons
    FEEDBACK = "fb"  # fb:<check id>:u|d
    FEEDBACK_REASON = "fr"  # fr:<check id>:<reason code>
    PICK_POSSIBLE = "pc"  # pc:<check ref>:<index>
    NONE_OF_THESE = "pn"  # pn:<check ref>
    SUBMIT = "sub"  # sub:<check id, 0 when not logged>
    LANGUAGE = "lang"  # lang:<code>
    FORGET = "fm"  # fm:y|n
    # the moderators' conversation
    QUEUE_LINK = "mq:l"  # mq:l:<submission ref>
    QUEUE_NEW_CLAIM = "mq:n"
    QUEUE_NOT_CHECKABLE = "mq:x"
    USE_TEXT = "mu"  # mu:y
    VERDICT = "mv"  # mv:<verdict>
    LIST = "ms"  # ms:d (done) | ms:s (skip / keep)
    CLAIM_LANGUAGE = "mg"  # mg:<code> | mg:x
    PREVIEW = "mp"  # mp:p (publish) | mp:e (edit a field) | mp:c (cancel)
    FIELD = "mf"  # mf:<field code>
    LINK = "ml"  # ml:<index of the choice>


MODERATION = tuple(b for b in Button if b.value.startswith("m"))

# fr:<check id>:<code> -> the reason stored with a 👎 (bot.services.feedback.REASONS)
FEEDBACK_REASONS = {"w": "wrong_claim", "o": "outdated", "x": "other"}


def data(button: Button, *parts: object) -> str:
    """The unsigned callback data for a button."""
    return ":".join([button.value, *(str(p) for p in parts)])


def pattern(*buttons: Button) -> str:
    """A CallbackQueryHandler pattern matching the (signed) data of these buttons."""
    return "^(?:" + "|".join(re.escape(b.value) for b in buttons) + "):"


def is_(parts: list[str] | None, button: Button, *rest: str) -> bool:
    """The verified parts of a press are exactly this button (and these parts)."""
    return parts == [*button.value.split(":"), *rest]
