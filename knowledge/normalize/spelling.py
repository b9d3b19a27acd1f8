"""Typos: a word the index does not know is read as a known stem one edit away.

People forward posts typed in a hurry ("курскую обасть скоро освододят", "наемнеки", "перимирие",
"kursk incurssion", "ukranian troops"). Stemming and the coarse prefix term do not help when the typo
sits in a word's first letters, so such a word adds nothing to retrieval. A :class:`Speller` gives each
word whose full terms are all unknown the terms of a known stem one edit away (a letter dropped, added,
replaced, or two swapped, in the Latin skeleton of :mod:`.translit` or the English stem; the first
letter kept, since typos there are rare and the noise is not); the first in alphabetical order if
several are. Posts read as transliterated Russian are not spelled here: they are read back letter by
letter already. Stems under ``MIN_LEN`` letters are left alone: one edit away from a short stem is
another word.

Debate transcripts and hasty typing also glue words: "40percent", "middleincome" and "singlepayer" for
"middle-income" and "single-payer", "вкурской" and "курскойобласти" for "в Курской области". A word that
the index does not know, that ordinary text does not list either (wordfreq) and that stays unknown one edit
away is read as the two words it glues (one of them may be glued again), and a number glued to a word as
both, when the index knows every part. A one-letter part is only a preposition typed onto the next word,
never a word's ending. The KB's own words are never split (its "incursion" stays whole, though "incur" and
"sion" are listed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Sequence
from functools import lru_cache

from knowledge.background import word_share
from knowledge.normalize.terms import STOP_WORDS, plain_terms
from knowledge.normalize.text import CYR_RE

__all__ = ["MIN_LEN", "Speller", "compound_splits", "one_edit", "unglued"]

MIN_LEN = 5
_PREFIX_MARK = "~"


def _deletions(stem: str) -> list[str]:
    return [stem[:i] + stem[i + 1 :] for i in range(1, len(stem))]


def one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by exactly one deletion, insertion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]


_GLUED_NUMBER_RE = re.compile(r"(\d+(?:\.\d+)?)([^\W\d_]{3,})")
_COMPOUND_MIN = 6  # letters; shorter unknown words are names and typos far more often than glued words
_PART_MIN = 3  # a part shorter than this must be a stop word ("в" + "курской", "the" + "kursk")
_COMPOUND_MAX = 40  # longer "words" are junk (a pasted hash, a run of letters): not cached, not split


# A one-letter part is only a preposition typed onto the next word ("вкурской"); any other short part of a
# glued word is as likely its ending ("курскойобласт" + "и", "incurs" + "i").
_LEADING_LETTERS = frozenset("вскуо")


def _may_lead(part: str) -> bool:
    return len(part) >= _PART_MIN or part in _LEADING_LETTERS or (len(part) == 2 and part in STOP_WORDS)


def _may_follow(part: str) -> bool:
    return len(part) >= _PART_MIN or (len(part) == 2 and part in STOP_WORDS)


@lru_cache(maxsize=50_000)
def compound_splits(word: str) -> tuple[tuple[str, str], ...]:
    """The ways an unknown word may split into two words ("singlepayer", "курскойобласти", "вкурской"),
    likeliest first (the rarer part more common in ordinary text): each part a stop word or three letters
    or more, not both stop words. Which of them stand is the index's call (:func:`unglued`)."""
    if not _COMPOUND_MIN <= len(word) <= _COMPOUND_MAX or not word.isalpha() or word_share(word) > 0.0:
        return ()
    if not (word.isascii() or all(CYR_RE.fullmatch(c) for c in word)):
        return ()  # one script: a mixed word is a spoof or a typo, not two words
    splits = []
    for i in range(1, len(word)):
        a, b = word[:i], word[i:]
        if not (_may_lead(a) and _may_follow(b)) or (a in STOP_WORDS and b in STOP_WORDS):
            continue
        splits.append((min(word_share(p) for p in (a, b) if p not in STOP_WORDS), a, b))
    return tuple((a, b) for _share, a, b in sorted(splits, reverse=True))


def unglued(word: str, known: Container[str], cyr_lang: str = "ru", depth: int = 1) -> tuple[str, ...] | None:
    """The terms of the words a glued word stands for ("40percent", "middleincome", "вкурской",
    "курскаяавантюрапровалилась"), where the index knows every one of them; None if it is not such a word.
    A part may itself be glued, `depth` more times."""
    number = _GLUED_NUMBER_RE.fullmatch(word)
    if number:
        rest = _known_terms(number.group(2), known, cyr_lang, depth)
        return (number.group(1), *rest) if rest else None
    if len(word) > _COMPOUND_MAX:
        return None
    for parts in compound_splits(word):
        groups = [_known_terms(p, known, cyr_lang, depth - 1) for p in parts if p not in STOP_WORDS]
        if groups and all(groups):
            return tuple(t for g in groups if g for t in g)
    return None


def _known_terms(part: str, known: Container[str], cyr_lang: str, depth: int) -> tuple[str, ...] | None:
    terms = plain_terms(part, cyr_lang)
    if terms and terms[0] in known:
        return terms
    return unglued(part, known, cyr_lang, depth) if depth > 0 else None


class Speller:
    """Near known stems of a growing vocabulary (an index's terms, fed in order)."""

    def __init__(self) -> None:
        self._keys: dict[str, str | tuple[str, ...]] = {}
        self._seen = 0
        self._near: dict[tuple[str, bool], str | None] = {}

    def sync(self, terms: Sequence[str]) -> None:
        """File the terms added to `terms` since the last call (a list that only grows)."""
        if len(terms) == self._seen:
            return
        for term in terms[self._seen :]:
            if len(term) >= MIN_LEN and term.isalpha():
                for key in (term, *_deletions(term)):
                    got = self._keys.get(key)
                    self._keys[key] = term if got is None else (*((got,) if isinstance(got, str) else got), term)
        self._seen = len(terms)
        self._near.clear()

    def forget(self) -> None:
        """Drop the remembered lookups: what a filter of :meth:`near` allows has changed."""
        self._near.clear()

    def near(self, stem: str, allowed: Callable[[str], bool] | None = None) -> str | None:
        """A known stem one edit away from `stem` (first letter kept), or None; with `allowed`, only
        one it accepts."""
        key = (stem, allowed is not None)
        if key in self._near:
            return self._near[key]
        found: set[str] = set()
        if len(stem) >= MIN_LEN and stem.isalpha():
            for k in (stem, *_deletions(stem)):
                got = self._keys.get(k)
                if got is not None:
                    found.update((got,) if isinstance(got, str) else got)
        near = (t for t in found if t[0] == stem[0] and one_edit(stem, t) and (allowed is None or allowed(t)))
        best = min(near, default=None)
        if len(self._near) < 100_000:
            self._near[key] = best
        return best

    def spelled(
        self,
        words_terms: list[tuple[str, tuple[str, ...]]],
        known: Container[str],
        prefix_len: int,
        from_cyrillic: Callable[[str], bool] | None = None,
    ) -> list[tuple[str, ...]]:
        """The term groups of (word, terms) pairs; a word whose full terms are all unknown is read as its
        nearest known stem (see :meth:`near`), with that stem's prefix term, or else as the words it
        glues (:func:`unglued`). With `from_cyrillic` (whether a Cyrillic word gave a known term), a
        Cyrillic word is spelled only as such a term: a slip stays in its script, and "правда?" is not
        the English KB's "Pravda"."""
        out: list[tuple[str, ...]] = []
        for word, group in words_terms:
            if not any(t in known for t in group if not t.endswith(_PREFIX_MARK)):
                allowed = from_cyrillic if CYR_RE.search(word) else None
                near = self.near(group[0], allowed) if group else None
                if near is not None:
                    slavic = CYR_RE.search(word) and len(near) > prefix_len  # English stems have no prefix term
                    group = (near, near[:prefix_len] + _PREFIX_MARK) if slavic else (near,)
                else:
                    group = unglued(word, known) or group
            out.append(group)
        return out
