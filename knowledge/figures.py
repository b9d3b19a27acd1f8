"""Figures and years written in a text, read from its normalised words (:mod:`knowledge.consistency`). Pure."""

from __future__ import annotations

import re

__all__ = ["figures_and_years"]

_MONTH_WORDS = frozenset(
    """january february march april may june july august september october november december jan feb mar apr
    jun jul aug sep sept oct nov dec января февраля марта апреля мая июня июля августа сентября октября ноября
    декабря січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня yanvarya
    fevralya marta aprelya maya iyunya iyulya avgusta sentyabrya oktyabrya noyabrya dekabrya sichnya lyutogo
    bereznya kvitnya travnya chervnya lypnya serpnya veresnya zhovtnya lystopada grudnya""".split()
)
_MULTIPLIERS = {
    **dict.fromkeys(
        """тыс тысяч тысячи тысяча тысячу тысячах тысячам тысячами тис тисяч тисячі тисяча тисячу
    тисячах тисячам тисячами thousand thousands k""".split(),
        1e3,
    ),
    **dict.fromkeys("hundred hundreds".split(), 1e2),
    **dict.fromkeys("млн mln million millions миллион миллиона миллионов мільйон мільйона мільйонів".split(), 1e6),
    **dict.fromkeys("млрд bn billion billions миллиард миллиарда миллиардов мільярд мільярда мільярдів".split(), 1e9),
    **dict.fromkeys(
        "trillion trillions трлн триллион триллиона триллионов трильйон трильйона трильйонів".split(), 1e12
    ),
}
_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")


def figures_and_years(words: list[str]) -> tuple[set[float], set[int]]:
    """The counts and amounts (times their multiplier: "120 тысяч" is 120,000) and the years among the
    normalised `words`; a day of a month is neither."""
    figures: set[float] = set()
    years: set[int] = set()
    for i, w in enumerate(words):
        if not _NUMBER_RE.match(w):
            continue
        value = float(w)
        nxt = words[i + 1] if i + 1 < len(words) else ""
        prev = words[i - 1] if i else ""
        if "." not in w and len(w) == 4 and 1900 <= value <= 2099:
            years.add(int(value))
        elif nxt in _MONTH_WORDS or (prev in _MONTH_WORDS and value <= 31):
            continue  # a day of a month
        else:
            figures.add(value * _MULTIPLIERS.get(nxt, 1.0))
    return figures, years
