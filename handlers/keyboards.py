"""Inline keyboards. Every payload is short (prefixes in handlers.buttons) and signed for the user it was sent to."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.rendering.i18n import LANGUAGE_NAMES, t
from bot.rendering.render import possible_button_label
from bot.services.keys import sign
from handlers.buttons import FEEDBACK_REASONS, Button, data
from knowledge.matcher import Match


def signed(secret: str, user_id: int, label: str, button: Button, *parts: object) -> InlineKeyboardButton:
    """A button whose payload is signed for the one user it is sent to."""
    return InlineKeyboardButton(label, callback_data=sign(secret, user_id, data(button, *parts)))


def feedback(secret: str, user_id: int, check_id: int | None, lang: str) -> InlineKeyboardMarkup | None:
    if check_id is None:
        return None
    return InlineKeyboardMarkup(
        [
            [
                signed(secret, user_id, t(lang, "button.up"), Button.FEEDBACK, check_id, "u"),
                signed(secret, user_id, t(lang, "button.down"), Button.FEEDBACK, check_id, "d"),
            ]
        ]
    )


def feedback_reasons(secret: str, user_id: int, check_id: int, lang: str) -> InlineKeyboardMarkup:
    row = [
        signed(secret, user_id, t(lang, f"button.{reason}"), Button.FEEDBACK_REASON, check_id, code)
        for code, reason in FEEDBACK_REASONS.items()
    ]
    return InlineKeyboardMarkup([row])


def possible(
    secret: str, user_id: int, check_id: int | None, matches: Sequence[Match], lang: str
) -> InlineKeyboardMarkup:
    ref = check_id or 0
    rows = [
        [signed(secret, user_id, possible_button_label(m, lang), Button.PICK_POSSIBLE, ref, i)]
        for i, m in enumerate(matches[:3])
    ]
    rows.append([signed(secret, user_id, t(lang, "possible.none"), Button.NONE_OF_THESE, ref)])
    return InlineKeyboardMarkup(rows)


def send_to_moderators(secret: str, user_id: int, check_id: int | None, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[signed(secret, user_id, t(lang, "button.send_to_moderators"), Button.SUBMIT, check_id or 0)]]
    )


def languages(secret: str, user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[signed(secret, user_id, name, Button.LANGUAGE, code) for code, name in LANGUAGE_NAMES.items()]]
    )


def forget_confirm(secret: str, user_id: int, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                signed(secret, user_id, t(lang, "forget.yes"), Button.FORGET, "y"),
                signed(secret, user_id, t(lang, "forget.no"), Button.FORGET, "n"),
            ]
        ]
    )
