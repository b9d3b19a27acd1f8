"""A small Ukrainian suffix stripper.

Why our own: snowballstemmer 3.x (the maintained Snowball port we use for English and Russian) has no
Ukrainian algorithm (``snowballstemmer.algorithms()`` lists none), and the Ukrainian stemmers on PyPI
are either unmaintained or pull in heavy NLP stacks (pymorphy dictionaries, spaCy models). Matching
needs only that inflected forms of one word meet (Суджа / Суджу / Суджею / Суджі -> "судж"), not
linguistically exact stems, so a light stripper in the spirit of Snowball's Russian algorithm is
enough: remove a reflexive particle, then the longest known inflectional ending, keeping a stem of at
least three letters; a final soft sign or "й" is dropped so that "Курськ"/"Курська" meet.

Over-stemming is cheap here (terms are compared within one knowledge base and re-ranked by fuzzy
scores); under-stemming loses matches, so the ending list leans long.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["stem_uk"]

_REFLEXIVE = ("ся", "сь")

# Adjective, participle, noun and verb endings, tried longest first.
_ENDINGS: tuple[str, ...] = tuple(
    sorted(
        {
            # adjectives / participles
            "ого",
            "ому",
            "ими",
            "ій",
            "ий",
            "ої",
            "ою",
            "іми",
            "ього",
            "ьому",
            "ім",
            "их",
            "іх",
            "ая",
            "яя",
            "еє",
            "ую",
            "юю",
            "ної",
            "ний",
            "ного",
            "ному",
            "ними",
            "ним",
            "них",
            "ена",
            "ене",
            "ені",
            "ений",
            "еного",
            "ених",
            "ований",
            "ованого",
            "ованих",
            "ована",
            "оване",
            "овані",
            # nouns
            "ами",
            "ями",
            "ові",
            "еві",
            "єві",
            "ах",
            "ях",
            "ам",
            "ям",
            "ом",
            "ем",
            "єм",
            "ею",
            "єю",
            "ів",
            "їв",
            "ей",
            "а",
            "я",
            "у",
            "ю",
            "і",
            "ї",
            "и",
            "о",
            "е",
            "є",
            "ь",
            "ьох",
            "ості",
            "ість",
            "істю",
            # verbs
            "ати",
            "яти",
            "ити",
            "іти",
            "оти",
            "ути",
            "ють",
            "ують",
            "юють",
            "ать",
            "ять",
            "ить",
            "іть",
            "уть",
            "ла",
            "ло",
            "ли",
            "ав",
            "ив",
            # past tense after у/я, masculine and the rest alike: повернув / повернула, пообіцяв / пообіцяли
            "ув",
            "ула",
            "уло",
            "ули",
            "яв",
            "яла",
            "яло",
            "яли",
            "ував",
            "ували",
            "увала",
            "увати",
            "ує",
            "ала",
            "али",
            "ало",
            "ила",
            "или",
            "ило",
            "ено",
            "имо",
            "ите",
            "емо",
            "ете",
            "ме",
            "муть",
            "мо",
            "те",
            "еш",
            "иш",
            "ано",
            "ане",
            "ані",
            "ання",
            "ення",
            "іння",
            "ування",
        },
        key=len,
        reverse=True,
    )
)
_MIN_STEM = 3
_VOWELS = frozenset("аеєиіїоуюя")


@lru_cache(maxsize=100_000)
def stem_uk(word: str) -> str:
    """Stem one lower-case Ukrainian word; other strings come back unchanged or lightly trimmed."""
    w = word.replace("’", "'").replace("ʼ", "'").replace("'", "")
    if len(w) <= _MIN_STEM:
        return w
    for r in _REFLEXIVE:
        if w.endswith(r) and len(w) - len(r) >= _MIN_STEM + 1:
            w = w[: -len(r)]
            break
    for end in _ENDINGS:
        if w.endswith(end) and len(w) - len(end) >= _MIN_STEM:
            stem = w[: -len(end)]
            # A stem must keep a vowel, else the "ending" was part of the root (e.g. "стра-ти").
            if _VOWELS.intersection(stem) or len(stem) >= 4:
                w = stem
                break
    if len(w) > _MIN_STEM and w[-1] in "ьй":
        w = w[:-1]
    return w
