"""The string catalogs: one JSON file per language in bot/rendering/locales, English as the fallback.

A message is a template string, or, when it counts something, a mapping of CLDR plural categories to
templates plus "by", the placeholder whose number chooses the category (Babel's CLDR rules decide:
Ukrainian 1, 21 -> one; 2, 22 -> few; 0, 5, 11, 25 -> many). A template may embed another message
as {@key}, rendered with the same values: that is how a message counts two things.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from babel import Locale

LANGUAGES: tuple[str, ...] = ("en", "uk", "ru")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "uk": "Українська", "ru": "Русский"}

Message = str | dict[str, str]
_EMBEDDED = re.compile(r"\{@([\w.]+)\}")


@cache
def catalog(lang: str) -> dict[str, Message]:
    """The messages of one language."""
    text = (resources.files("bot.rendering") / "locales" / f"{lang}.json").read_text(encoding="utf-8")
    data: dict[str, Message] = json.loads(text)
    return data


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def preload() -> None:
    """Read every catalog and CLDR locale now (a server does this at start, before freezing its heap)."""
    for lang in LANGUAGES:
        catalog(lang)
        plural_category(lang, 1)
        language_name("en", lang)


def plural_categories(lang: str) -> frozenset[str]:
    """The CLDR plural categories a counted message needs in `lang` ("other" always among them)."""
    return _locale(lang).plural_form.tags | {"other"}


def plural_category(lang: str, number: Any) -> str:
    """The CLDR plural category of `number` in `lang` ("one", "few", "many" or "other")."""
    return str(_locale(lang).plural_form(number))


def language_name(code: str, lang: str) -> str:
    """The name of language `code` in language `lang` (e.g. "англійська" for en in uk), else the code."""
    try:
        return str(_locale(lang).languages.get(code) or code)
    except (ValueError, TypeError):
        return code


def pick_language(code: str | None) -> str:
    """Map a Telegram language_code (e.g. 'uk', 'ru-RU', 'be') to a supported language."""
    if not code:
        return DEFAULT_LANGUAGE
    base = code.lower().replace("_", "-").split("-")[0]
    if base in LANGUAGES:
        return base
    if base in ("be", "kk", "ky", "tg", "uz", "hy", "az"):  # post-Soviet readers usually read Russian
        return "ru"
    return DEFAULT_LANGUAGE


def _template(language: str, key: str, values: dict[str, object]) -> str:
    message = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE)[key]
    if isinstance(message, str):
        return message
    number = values[message.get("by", "count")]
    return message.get(plural_category(language, number)) or message["other"]


def t(lang: str, key: str, **values: object) -> str:
    """One message in `lang` (English when missing), its plural form chosen and {placeholders} filled in."""
    language = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    template = _template(language, key, values)
    if "{@" in template:
        template = _EMBEDDED.sub(
            lambda m: t(language, m.group(1), **values).replace("{", "{{").replace("}", "}}"), template
        )
    return template.format(**values) if values else template
