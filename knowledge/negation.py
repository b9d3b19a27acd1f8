"""What a text says is not so, word by word: "Росія не вимагає ...", "Ukraine did not accept ...".

:mod:`knowledge.consistency` reads a post's polarity from denials and negated existence ("фейк", "никаких
...", "no ..."); a plain "not" is left out there, since it negates many a predicate that is not the claim's.
Here it counts only where it negates a word the claim asserts: a post that puts "не", "ні", "not", "never",
"-n't" or "far from" before one of the claim's own words, which no wording of the claim negates, denies the claim.
Quantities ("не менее 340", "not only") are not predicates, a contrast ("mercenaries, not soldiers")
negates another word, and a modal ("should not", "can't") says what ought to be or can be. Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from knowledge.normalize import normalize
from knowledge.normalize.terms import STOP_WORDS, word_keys
from knowledge.normalize.text import TERM_RE

__all__ = ["denied_words", "denies_a_claim_word"]

_NOT = frozenset("not never не ні nie".split())
_NT = frozenset("didn doesn don isn wasn weren aren hasn haven hadn".split())  # not "can't", "won't": modal
# A negation after one of these says what should or can be, not what is ("we should not be spending").
_MODALS = frozenset(
    """should must can could would will may might need должны должен должна нужно надо можно может могут
    стоит мають має треба можна може повинні повинен""".split()
)
_ORDERS = frozenset("do please".split())  # "Do NOT attack Syria": an order, not a denial
_NOT_A_PREDICATE = frozenset(
    """only just merely less more fewer than least только лишь лише тільки просто менее более меньше больше
    менше більше понад свыше около""".split()
)
_CONTRAST = frozenset("а a but rather instead".split())
_FAR_FROM = frozenset("from от від".split())  # after "far"/"далеко": "far from over", "далеко от завершения"
_REACH = 3  # words after the negation in which its predicate is looked for (stop words skipped)
_MIN_KEY = 4  # shorter keys are prefixes that many words share
_PREFIX = 6  # a key this long that begins another is the same word's (завершения / завершить)


def denied_words(norm: str) -> frozenset[str]:
    """The keys (:func:`word_keys`) of the words the normalised text `norm` negates with a plain "not"; not
    a contrast ("найманці, а не військові", "mercenaries, not soldiers"), which negates another word."""
    found = list(TERM_RE.finditer(norm))
    words = [m.group() for m in found]
    out: set[str] = set()
    for i, w in enumerate(words):
        apostrophe = w in _NT and i + 1 < len(words) and words[i + 1] == "t"  # "didn't" reads "didn", "t"
        far = w in _FAR_FROM and i > 0 and words[i - 1] in ("far", "далеко")  # "far from complete"
        if w not in _NOT and not apostrophe and not far:
            continue
        before = norm[: found[i].start()].rstrip()
        if before.endswith((",", "—", "–", ";")) or (i and words[i - 1] in _CONTRAST | _MODALS):
            continue
        if i and words[i - 1] in _ORDERS and norm[: found[i - 1].start()].rstrip()[-1:] in ("", ".", "!", "?"):
            continue
        for nxt in words[i + 1 + apostrophe : i + 1 + apostrophe + _REACH]:
            if nxt in _NOT_A_PREDICATE:
                break
            if nxt not in STOP_WORDS:
                out.update(k for k in word_keys(nxt) if len(k) >= _MIN_KEY)
                break
    return frozenset(out)


@lru_cache(maxsize=8192)
def _wording(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(the keys of every word, the keys of the words negated) of one wording of a claim."""
    norm = normalize(text)
    keys = frozenset(k for w in TERM_RE.findall(norm) for k in word_keys(w) if len(k) >= _MIN_KEY)
    return keys, denied_words(norm)


def denies_a_claim_word(wordings: Iterable[str], denied: frozenset[str]) -> bool:
    """Whether `denied` (a post's :func:`denied_words`) holds a word of the claim's `wordings` that none of
    them negates."""
    if not denied:
        return False
    said: set[str] = set()
    negated: set[str] = set()
    for text in wordings:
        keys, neg = _wording(text)
        said |= keys
        negated |= neg
    return any(_shares(d, said) and not _shares(d, negated) for d in denied)


def _shares(key: str, keys: set[str]) -> bool:
    """`key` is one of `keys`, or one of them of _PREFIX letters or more begins it or is begun by it: a noun
    and its verb ("завершения", "завершить")."""
    if key in keys:
        return True
    return any(
        len(k) >= _PREFIX and key.startswith(k) or len(key) >= _PREFIX and k.startswith(key) for k in keys
    )
