"""Inline keyboards. Every payload is short (prefixes in handlers.buttons) and signed for the user it was sent to."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.rendering.i18n import LANGUAGE_NAMES, t
from bot.rendering.render import possible_button_label
from bot.services.keys import sign
from handlers.buttons import Button, data
from knowledge.matcher import Match


def feedback(secret: str, user_id: int, check_id: int | None, lang: str) -> InlineKeyboardMarkup | None:
    if check_id is None:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "button.up"), callback_data=sign(secret, user_id, data(Button.FEEDBACK, check_id, "u"))
                ),
                InlineKeyboardButton(
                    t(lang, "button.down"), callback_data=sign(secret, user_id, data(Button.FEEDBACK, check_id, "d"))
                ),
            ]
        ]
    )


def feedback_reasons(secret: str, user_id: int, check_id: int, lang: str) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton(
            t(lang, f"button.{label}"),
            callback_data=sign(secret, user_id, data(Button.FEEDBACK_REASON, check_id, code)),
        )
        for code, label in (("w", "wrong_claim"), ("o", "outdated"), ("x", "other"))
    ]
    return InlineKeyboardMarkup([row])


def possible(
    secret: str, user_id: int, check_id: int | None, matches: Sequence[Match], lang: str
) -> InlineKeyboardMarkup:
    ref = check_id or 0
    rows = [
        [
            InlineKeyboardButton(
                possible_button_label(m), callback_data=sign(secret, user_id, data(Button.PICK_POSSIBLE, ref, i))
            )
        ]
        for i, m in enumerate(matches[:3])
    ]
    rows.append(
        [
            InlineKeyboardButton(
                t(lang, "possible.none"), callback_data=sign(secret, user_id, data(Button.NONE_OF_THESE, ref))
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


def send_to_moderators(secret: str, user_id: int, check_id: int | None, lang: str) -> InlineKeyboardMarkup:
    payload = data(Button.SUBMIT, check_id or 0)
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(lang, "button.send_to_moderators"), callback_data=sign(secret, user_id, payload))]]
    )


def languages(secret: str, user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(name, callback_data=sign(secret, user_id, data(Button.LANGUAGE, code)))
                for code, name in LANGUAGE_NAMES.items()
            ]
        ]
    )


def forget_confirm(secret: str, user_id: int, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "forget.yes"), callback_data=sign(secret, user_id, data(Button.FORGET, "y"))
                ),
                InlineKeyboardButton(
                    t(lang, "forget.no"), callback_data=sign(secret, user_id, data(Button.FORGET, "n"))
                ),
            ]
        ]
    )
