"""Where a post says the opposite of a claim in the claim's own terms, beyond a plain "not"
(:mod:`knowledge.negation`):

- an opposite predicate: "Ukraine *refused* the US proposal" against "Ukraine has *accepted* it", "forbids"
  against "allows", "protect" against "strike";
- the claim's negated word asserted: "Putin ordered that the soldiers *be spared*" against "... *not* be spared";
- the opposite bound on the same figure: "*менее* 340" against "*more than* 340".

Each counts only where the post's sentence has no negation of its own ("did not refuse" agrees) and the post
does not also use the claim's word ("Russia refused, Ukraine accepted" may well be the claim). Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from knowledge.negation import denied_words, keys_of, latin_ne, shares
from knowledge.normalize import normalize
from knowledge.normalize.terms import STOP_WORDS
from knowledge.normalize.text import TERM_RE

__all__ = ["advances", "opposes", "still_denied"]

# Opposite predicates, as regular expressions on normalised words (ru, uk, en): (name, the claim's, the post's,
# both ways). One way only where the post's side has other senses in claims: "вернули Суджу" is no return home.
_OPPOSITES: tuple[tuple[str, str, str, bool], ...] = (
    (
        "accepted",
        r"accept|agree[sd]?$|agreeing|согласи|соглаша|погодил|погодж",  # not "принял": also "adopted a law"
        r"reject|refus|declin|отверг|отклон|отказ|відхил|відкин|відмов",
        True,
    ),
    (
        "allows",
        r"allow|permit|разреша|разреши|позволя|позволи|дозвол",
        r"forbid|forbade|prohibit|bans?$|banned|banning|запреща|запрети|запрет|заборон",
        True,
    ),
    (
        "confirmed",
        r"confirm|admit|acknowledg|подтверд|признал|признаё|признае|підтверд|визнал|визнав|визнає|визнан",
        r"deni|deny|refut|опроверг|отрица|спросту|заперечу|заперечи",
        True,
    ),
    (
        "struck",
        r"attack|strike|struck|shell|bomb|атак|удар|обстрел|обстріл",
        r"protect(s|ed|ing)?$|defend(s|ed|ing)?$|guard(s|ed|ing)?$|защищ|защити|охраня|захища|захисти|охороня",
        True,
    ),
    (
        "evacuated",
        r"evacuat|эвакуир|эвакуац|евакуй|евакуац|евакуюв",
        r"returned|returning|вернулись|вернулся|вернулась|повернулися|повернулись|повернувся|повертаються",
        False,
    ),
    (  # other people beside the troops: "American journalists work alongside Ukrainian troops in Kursk"; not
        # "volunteers" or "instructors", what mercenaries are also called ("so-called 'volunteers'")
        "mercenaries",
        r"mercenar|наёмн|наемн|найман",
        r"journalist|reporter|correspondent|medic|журналист|журналіст|репортер|корреспондент|кореспондент|медик",
        False,
    ),
    (
        "completed",
        r"complete[ds]?$|completion|завершен|завершит|заверши|заверша|завершу",
        r"postpon|delay|stall|откладыва|отложен|отложи|затягива|відклада|відкла|затягу",
        False,
    ),
)
_OPPOSITE_RES = tuple((name, both) for name, _a, _b, both in _OPPOSITES)
_ANY_SIDE = re.compile(
    "^(?:" + "|".join(f"(?P<g{i}a>{a})|(?P<g{i}b>{b})" for i, (_n, a, b, _both) in enumerate(_OPPOSITES)) + ")"
)
# A sentence with one of these says something is not so (or calls it false): what it says is not asserted.
_ANY_NEGATION = frozenset(
    """not never no nobody nothing none without не ни ні нет немає ніхто никто ничего нічого без ne nemaie
    nemaye nikto nichego nikhto nichoho false fake фейк ложь неправда брехня hoax myth failed fails fail far
    далеко""".split()
)
# "не солдаты, а наёмники": the negated word is set against another, which is what the claim asserts.
_CONTRAST_RE = re.compile(r",\s*(?:а|a|але|but|зато)\b|\b(?:rather|instead)\b")
_NT = frozenset("didn doesn don isn wasn weren aren hasn haven hadn won can couldn shouldn wouldn".split())
_SENTENCE_RE = re.compile(r"[!?;\n]+|\.(?!\d)")  # not the point of "340.5"
_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")
_MORE = frozenset("more over above exceeding более свыше больше понад більше щонайменше минимум мінімум".split())
_LESS = frozenset("less fewer under below менее меньше менше максимум".split())
_NOT = frozenset("не not no ні".split())  # "не менее 340", "no fewer than 340": the other bound
_THAN = frozenset("than чем ніж".split())
# A cheap look at the raw post: a word that may be one side of _OPPOSITES, or a bound.
_HINT_RE = re.compile(
    r"(?<!\w)(?:"
    + "|".join(side.replace("$", r"\b") for _n, a, b, _both in _OPPOSITES for side in (a, b))
    + "|"
    + "|".join(sorted(_MORE | _LESS | {"least", "most"}))
    + ")",
    re.IGNORECASE,
)
# A count in words that the figures of knowledge.consistency leave out ("two North Korean soldiers").
_SMALL_NUMBERS: dict[str, float] = {
    **dict.fromkeys(
        "two both couple pair два двух двое две двоих двум двумя оба обоих двох двоє дві двома обидва".split(), 2.0
    ),
    **dict.fromkeys("three три трех трёх трое трьох троє".split(), 3.0),
    **dict.fromkeys("four четыре четырех четырёх четверо чотири чотирьох".split(), 4.0),
    **dict.fromkeys("five пять пяти пятеро пятьох".split(), 5.0),
}
_SMALL_RE = re.compile(
    r"(?<!\w)(?:" + "|".join(sorted(_SMALL_NUMBERS, key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE
)
# A claim wording without one of these negates no word (negation.denied_words): no need to read it.
_MAY_DENY_RE = re.compile(r"\b(?:not|never|nothing|fail|failed|fails|far|не|ні|nie)\b|n['’]t\b", re.IGNORECASE)
# Keys (transliterated stems) of taking or holding ground: the "~retake" synonyms of knowledge.negation and
# dominance. Not "fighting": "North Korean troops suffered heavy losses fighting for Russia" is about losses.
_ADVANCE_RE = re.compile(r"~retake|dominat|dominir|prevoshod|perevag|control|kontrol")
_PAROLE = ("досрочн", "дострок", "dosrochn", "dostrok")


class _Reading(NamedTuple):
    """One text's reading, cached; tuples of strings only, which the garbage collector stops walking."""

    uses: tuple[str, ...]  # the sides of _OPPOSITES its words use ("0a": the first pair's claim side, ...)
    asserted_uses: tuple[str, ...]  # those used in its sentences that have no negation
    keys: tuple[str, ...]  # the keys of every word
    asserted_keys: tuple[str, ...]
    denied: tuple[str, ...]  # keys a plain "not" negates (knowledge.negation), none in a text that contrasts
    bounds: tuple[tuple[float, str], ...]  # (figure, ">" or "<"): "more than 340", "менее 340"
    counts: tuple[tuple[float, str], ...]  # (figure, the key of the word after it): "two North Korean", "200 north"
    advance: bool  # it says a side takes or holds ground (see advances)


def _bound(words: list[str], i: int) -> str | None:
    """The bound on the figure at `words[i]`, ">" or "<", if any ("more than 340", "не менее 340", "at most 5")."""
    prev = words[i - 1] if i else ""
    before = words[i - 2] if i > 1 else ""
    if prev in _THAN:
        prev, before = before, words[i - 3] if i > 2 else ""
    elif before == "at" and prev in ("least", "most"):
        return ">" if prev == "least" else "<"
    side = ">" if prev in _MORE else "<" if prev in _LESS else None
    if side is not None and before in _NOT:  # "не менее 340": at least
        side = "<" if side == ">" else ">"
    return side


@lru_cache(maxsize=2048)  # posts and the wordings of the claims they matched
def _reading(text: str) -> _Reading:
    norm = normalize(text)
    words: list[str] = []
    asserted: list[str] = []
    for sentence in _SENTENCE_RE.split(norm):
        found = TERM_RE.findall(sentence)
        words += found
        negation = any(
            w in _ANY_NEGATION or (w in _NT and found[i + 1 : i + 2] == ["t"]) or latin_ne(found, i)
            for i, w in enumerate(found)
        )
        if not negation:
            asserted += found

    def keys(ws: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted({k for w in ws for k in keys_of(w)}))

    bounds = tuple(
        sorted({(float(w), side) for i, w in enumerate(words) if _NUMBER_RE.match(w) and (side := _bound(words, i))})
    )
    denied = () if _CONTRAST_RE.search(norm) else tuple(sorted(denied_words(norm)))
    counts = tuple(sorted(_counts(words)))
    advance = any(
        not (i and words[i - 1].startswith(_PAROLE)) and any(_ADVANCE_RE.match(k) for k in keys_of(w))
        for i, w in enumerate(words)
    )
    return _Reading(
        _uses(set(words)), _uses(set(asserted)), keys(words), keys(asserted), denied, bounds, counts, advance
    )


def _counts(words: list[str]) -> set[tuple[float, str]]:
    """(figure, the first key of the next word) for every figure and small number word ("two soldiers")."""
    out: set[tuple[float, str]] = set()
    for i, w in enumerate(words[:-1]):
        value = float(w) if _NUMBER_RE.match(w) else _SMALL_NUMBERS.get(w)
        if value is None:
            continue
        nxt = next((x for x in words[i + 1 : i + 3] if x not in STOP_WORDS and not _NUMBER_RE.match(x)), "")
        key = keys_of(nxt)[:1] if nxt else ()
        if key:
            out.add((value, key[0]))
    return out


def _other_count(claim: list[_Reading], post: _Reading) -> str | None:
    """A figure of the post where the claim has another before the same word: "200 North Korean soldiers"
    against "two North Korean soldiers"."""
    mine = {c for r in claim for c in r.counts}
    for value, key in post.counts:
        if (value, key) in mine:
            continue
        other = next((v for v, k in mine if k == key and v != value), None)
        if other is not None and all(v != other for v, _k in post.counts):  # "двоих ... из 11 000": says it too
            return f"figures differ: {value:g} vs {other:g}"
    return None


def _uses(words: set[str]) -> tuple[str, ...]:
    """The sides of _OPPOSITES that some of `words` use: "0a", "0b", "1a", ... (one match a word)."""
    found = {name[1:] for w in words if (m := _ANY_SIDE.match(w)) for name, v in m.groupdict().items() if v}
    return tuple(sorted(found))


def _opposite_predicate(claim: list[_Reading], post: _Reading) -> str | None:
    if not post.asserted_uses:
        return None
    said = {u for r in claim for u in r.uses}
    for i, (name, both) in enumerate(_OPPOSITE_RES):
        for mine, theirs in ((f"{i}a", f"{i}b"), (f"{i}b", f"{i}a")) if both else ((f"{i}a", f"{i}b"),):
            if mine in said and theirs not in said and theirs in post.asserted_uses and mine not in post.uses:
                return f"the post says the opposite ({name})"
    return None


def _asserts_a_denied_word(claim: list[_Reading], post: _Reading) -> bool:
    negated = {k for r in claim for k in r.denied}
    if not negated:
        return False
    plain = {k for r in claim for k in r.keys if not shares(k, r.denied)}
    return any(shares(k, negated) and not shares(k, plain) for k in post.asserted_keys)


def _opposite_bound(claim: list[_Reading], post: _Reading) -> str | None:
    mine = {b for r in claim for b in r.bounds}
    for value, side in post.bounds:
        other = "<" if side == ">" else ">"
        if (value, other) in mine and (value, side) not in mine:
            words = ("less than", "more than") if side == "<" else ("more than", "less than")
            return f"figures: {words[0]} {value:g}, not {words[1]} {value:g}"
    return None


def advances(wordings: Iterable[str]) -> bool:
    """Whether a claim (its wordings) says its side takes or holds ground: recaptures, liberates, dominates.
    A post in which that side retreats says the opposite; one in which the side that lost servicemen retreats
    does not ("ВСУ отступили, потеряв 340"). Parole ("условно-досрочное освобождение") is no liberation."""
    return any(_reading(t).advance for t in wordings)


def still_denied(denied: frozenset[str], text: str) -> frozenset[str]:
    """The keys of `denied` (a post's, knowledge.negation) that `text` does not assert elsewhere, in a sentence
    without negation: "a drone strike on the plant; the drone did not target the reactor" denies no strike."""
    if not denied or not text:
        return denied
    return denied - set(_reading(text).asserted_keys)


def opposes(wordings: Iterable[str], text: str) -> tuple[str, str] | None:
    """(kind, reason) if the post `text` says the opposite of the claim whose `wordings` are given: an
    opposite predicate or the claim's negated word asserted ("stance"), or the opposite bound on one of
    its figures ("figures"); None if it does not."""
    texts = list(wordings)
    small = any(_SMALL_RE.search(t) for t in texts)
    may_deny = any(_MAY_DENY_RE.search(t) for t in texts)
    if not small and not may_deny and not _HINT_RE.search(text):
        return None  # no opposite word, bound or figure in the post, no negated word in the claim: nothing to read
    post = _reading(text)
    if not (small or may_deny or post.bounds or post.asserted_uses):
        return None
    claim = [_reading(t) for t in texts]
    why = _opposite_bound(claim, post) or (_other_count(claim, post) if small else None)
    if why:
        return "figures", why
    why = _opposite_predicate(claim, post)
    if why:
        return "stance", why
    if _asserts_a_denied_word(claim, post):
        return "stance", "the post asserts what the claim denies"
    return None
