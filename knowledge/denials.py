"""Whether a text denies: a denial word ("фейк", "чушь", "nonsense", "debunked") or negated existence ("никаких",
"no", "without") that it asserts now; and whether a sentence opens with such a verdict on the one before it.
:mod:`knowledge.consistency` reads a post's and a claim's polarity with it. Pure functions.
"""

from __future__ import annotations

import re

from knowledge.names import unglue_names
from knowledge.normalize import normalize
from knowledge.normalize.text import TERM_RE

__all__ = ["denies", "negated_now", "opens_with_denial"]

# Denial and existence negated ("there are no ...", "without any ..."): what turns a claim into its
# opposite. A plain "not" is left out: it negates many a predicate that is not the claim's.
_NEGATIONS = frozenset(
    """никаких никакого никакой никакие жодних жодного жодної жоден без no none without nikakih nikakoi
    nikakoy bez zhodnogo zhodnih nikakikh nikakogo nikakie zhodnykh zhodnoho zhodnoi zhoden""".split()
)
_IDIOMS = frozenset({"no way", "no doubt", "no matter"})  # "no way out", "no way that's real": no denial
# A negation next to one of these states a condition, not a denial.
_CONDITIONS = frozenset("unless until otherwise пока иначе поки доки інакше".split())
# A denial right after one of these is one the text reports as past ("earlier they called it fake").
_PAST = frozenset("раньше ранее прежде раніше earlier previously after".split())  # "after months of denial"
_NEAR = 6
# Denial predicates, as stems a word starts with.
_DENIALS: tuple[str, ...] = (
    "фейк", "fake", "feik", "fejk", "ложь", "лжив", "брехн", "бреш", "неправд", "вымысел", "вымысл", "выдум", "вигад",
    "опроверг", "спростув", "спростов", "deni", "deny", "hoax", "debunk", "вброс", "вкид", "отверг", "отклон",
    "відхил", "відкин", "reject", "untrue", "казк", "сказк", "небылиц", "чушь", "чуши", "врань", "бред", "маячн",
    "нісенітн", "nonsense", "rubbish",
)  # fmt: skip
_UTTER = frozenset(
    "utter pure complete total absolute полная полнейшая абсолютная очередная повна цілковита чергова".split()
)


_UTTER_TUPLE = tuple(_UTTER)
_LEAD_RE = re.compile(r"^[\W_]+")  # emoji, quotes, dashes before the first word


def denies(text: str) -> bool:
    """`consistency.text_facts(text).negated`, read without its other facts (a post's short lines are many)."""
    return negated_now(TERM_RE.findall(unglue_names(normalize(text))))


def opens_with_denial(text: str) -> bool:
    """Whether the first word of `text` (after "utter", "полная" ...) calls something false ("Чушь собачья,
    никакого котла нет", "Utter nonsense, it never happened"): a verdict on the sentence before it."""
    head = _LEAD_RE.sub("", text[:60]).lower().replace("ё", "е")
    if not head.startswith(_DENIALS) and not head.startswith(_UTTER_TUPLE):
        return False  # a raw look first: the sentences of a long post are many
    words = TERM_RE.findall(normalize(text))[:2]
    if words and words[0] in _UTTER:  # "Utter nonsense", "Полная чушь"
        words = words[1:]
    return bool(words) and words[0].startswith(_DENIALS)


def negated_now(words: list[str]) -> bool:
    """A denial or negated existence that the text asserts now: not a condition ("no ceasefire unless
    the troops leave", "никакого перемирия, пока ...") nor a denial it reports as past ("а раньше
    говорили фейк", "previously denied")."""
    for i, w in enumerate(words):
        if not (w in _NEGATIONS or w.startswith(_DENIALS)) or " ".join(words[i : i + 2]) in _IDIOMS:
            continue
        if not _CONDITIONS.isdisjoint(words[max(0, i - _NEAR) : i + _NEAR + 1]):
            continue
        if not _PAST.isdisjoint(words[max(0, i - 3) : i]):
            continue
        return True
    return False
