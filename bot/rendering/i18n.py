"""The string catalogs: one JSON file per language in bot/rendering/locales, English as the fallback."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

LANGUAGES: tuple[str, ...] = ("en", "uk", "ru")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "uk": "Українська", "ru": "Русский"}


@cache
def catalog(lang: str) -> dict[str, str]:
    """The strings of one language."""
    text = (resources.files("bot.rendering") / "locales" / f"{lang}.json").read_text(encoding="utf-8")
    data: dict[str, str] = json.loads(text)
    return data


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


def t(lang: str, key: str, **values: object) -> str:
    """One string in `lang` (English when missing), with {placeholders} filled in."""
    language = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    template = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE)[key]
    return template.format(**values) if values else template
