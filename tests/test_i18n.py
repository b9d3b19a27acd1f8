"""Catalog plural forms: CLDR categories from Babel, every count pluralised, read right for tricky numbers."""

from __future__ import annotations

import json
import re

import pytest

from bot.rendering.i18n import LANGUAGES, catalog, language_name, plural_categories, t

NUMBERS = (0, 1, 2, 5, 11, 21, 22, 25)
# Placeholders that count something: they may only appear in plural forms chosen by them.
COUNTS = {"count", "false", "groups", "requests", "days", "minutes", "limit"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_count_in_every_catalog_has_the_cldr_plural_forms(lang: str) -> None:
    counted: list[str] = []
    for key, message in catalog(lang).items():
        if isinstance(message, str):
            assert not COUNTS & set(re.findall(r"{(\w+)}", message)), (lang, key)
            continue
        counted.append(key)
        by = message["by"]
        assert by in COUNTS, (lang, key)
        assert set(message) - {"by"} == plural_categories(lang), (lang, key)
        for form in (v for k, v in message.items() if k != "by"):
            assert "{" + by + "}" in form, (lang, key, form)
    assert len(counted) >= 10


def test_cldr_categories_come_from_babel() -> None:
    assert plural_categories("en") == {"one", "other"}
    assert plural_categories("uk") == plural_categories("ru") == {"one", "few", "many", "other"}


EXPECTED = {
    ("uk", "card.more_sources"): [
        "…і ще 0 джерел", "…і ще 1 джерело", "…і ще 2 джерела", "…і ще 5 джерел",
        "…і ще 11 джерел", "…і ще 21 джерело", "…і ще 22 джерела", "…і ще 25 джерел",
    ],
    ("ru", "card.more_sources"): [
        "…и ещё 0 источников", "…и ещё 1 источник", "…и ещё 2 источника", "…и ещё 5 источников",
        "…и ещё 11 источников", "…и ещё 21 источник", "…и ещё 22 источника", "…и ещё 25 источников",
    ],
    ("en", "card.more_sources"): [
        "…and 0 more sources", "…and 1 more source", "…and 2 more sources", "…and 5 more sources",
        "…and 11 more sources", "…and 21 more sources", "…and 22 more sources", "…and 25 more sources",
    ],
}  # fmt: skip


@pytest.mark.parametrize(("lang", "key"), sorted(EXPECTED))
def test_counts_read_right_for_tricky_numbers(lang: str, key: str) -> None:
    assert [t(lang, key, count=n) for n in NUMBERS] == EXPECTED[(lang, key)]


def test_a_message_with_two_counts_agrees_with_each() -> None:
    ru = [t("ru", "reputation", count=n, false=n) for n in (1, 2, 5, 21)]
    assert ru == [
        "Этот канал распространил 1 утверждение из нашей базы знаний (1 ложное).",
        "Этот канал распространил 2 утверждения из нашей базы знаний (2 ложных).",
        "Этот канал распространил 5 утверждений из нашей базы знаний (5 ложных).",
        "Этот канал распространил 21 утверждение из нашей базы знаний (21 ложное).",
    ]
    uk = [t("uk", "mod.queue.header", groups=g, requests=r) for g, r in ((1, 22), (11, 21), (3, 0))]
    assert uk == [
        "Очікують: 1 допис, 22 запити. Спершу найзапитуваніші:",
        "Очікують: 11 дописів, 21 запит. Спершу найзапитуваніші:",
        "Очікують: 3 дописи, 0 запитів. Спершу найзапитуваніші:",
    ]
    assert t("en", "mod.queue.header", groups=1, requests=2) == "Pending: 1 post, 2 requests. Most requested first:"


def test_every_message_renders_in_every_language_for_every_number() -> None:
    names = {name for name in re.findall(r"{(\w+)}", json.dumps(catalog("en"), ensure_ascii=False))}
    for lang in LANGUAGES:
        for key in catalog(lang):
            for number in NUMBERS:
                values = dict.fromkeys(names, "x") | dict.fromkeys(COUNTS, number)
                text = t(lang, key, **values)
                assert "{" not in text and "}" not in text, (lang, key, text)


def test_language_names_come_from_cldr() -> None:
    assert language_name("en", "uk") == "англійська"
    assert language_name("uk", "ru") == "украинский"
    assert language_name("ru", "en") == "Russian"
    assert language_name("xx", "en") == "xx"
