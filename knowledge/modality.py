"""Where a post speaks of the claim's deed as not done: planned, prepared, promised, tried or stopped, in Russian
and Ukrainian ("Герасимов пообещал освободить Горналь", "ЗСУ намагалися повернути ..."), undone ("Кремль снял
требование", "скасував гарантію"), or imagined ("What if Russian forces recaptured Sudzha?", "Если бы ...").
Against a claim that says it was done, the post states no verdict's worth of it: a conflict of stance in
:mod:`knowledge.consistency`. Not English "plans to", "tried to", "cancelled": tweets tell a rumour that way ("is
Obama planning to golf through Scalia's funeral?", "The Department Of Defense has cancelled Fox News"), and five
2A dev cards went with them.

The deed is the verb after such a word (within a few words, an infinitive or an English "-ing" or "to"-verb),
which must be one of the claim's words that the claim itself does not put so ("tried to strike" against
"Ukrainian forces tried to strike the plant" agrees), and which the post does not also state as done. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from knowledge.negation import keys_of, shares
from knowledge.normalize import normalize
from knowledge.normalize.terms import STOP_WORDS
from knowledge.normalize.text import TERM_RE

__all__ = ["unrealized"]

_NOT_DONE_RE = re.compile(
    r"^(?:планир|планує|планують|готовит|готовят|готовя|готуют|готує|готуєть|собира|збира|намерен|пыта|попыта"
    r"|пообеща|обеща|намага|спроб|пообіця|обіця|угрожа|погрожу|перестал|перестав|прекрат|припин)"
)
# Not modals: "may", "може" also grant ("засуджені можуть піти служити" is the claim), and "May" is a month.
# Undoing what the claim says was done: the claim's word may be a noun ("repealed the law", "снял требование").
_UNDONE_RE = re.compile(
    r"^(?:отменил|отмени|отозвал|отозва|снял|сняли|удалил|скасува|скасув|відклика|зняв|зняли|видалил|видалив)"
)
_IMAGINE_RE = re.compile(
    r"(?:^|[.!?]\s+)(?:what if|если бы|якби|imagine|suppose|представим|представьте|допустим|уявімо|уявіть)\b"
)
_INFINITIVE_RE = re.compile(r"(?:ть|ти|чь|ться|тись|тися)$")
_REACH = 5  # words after the marker in which its verb is looked for (stop words skipped), within its clause
_BREAK_RE = re.compile(r"[,.;:!?—–()]")
_CLAUSE = frozenset("и а но and but і й та але".split())


@lru_cache(maxsize=2048)
def _reading(text: str) -> tuple[frozenset[str], frozenset[str], frozenset[str], bool]:
    """(keys of the verbs a text puts as not done, keys of the words it says were undone, keys of its other
    words, whether it opens as imagined)."""
    norm = normalize(text)
    found = list(TERM_RE.finditer(norm))
    words = [m.group() for m in found]
    held: dict[int, bool] = {}  # word position -> undone (else planned, tried, stopped)
    for i, w in enumerate(words):
        undone = bool(_UNDONE_RE.match(w))
        if not undone and not _NOT_DONE_RE.match(w):
            continue
        reach = _REACH
        for j in range(i + 1, len(words)):
            v = words[j]
            if v in _CLAUSE or _BREAK_RE.search(norm, found[j - 1].end(), found[j].start()):
                break  # "«Вагнер» вербовать перестали, и зэков стало набирать Минобороны": another clause
            if v in STOP_WORDS or not keys_of(v) or v[0].isdigit():
                continue
            reach -= 1
            if reach < 0:
                break
            if undone or (v.isascii() and (v.endswith("ing") or words[j - 1] == "to")) or _INFINITIVE_RE.search(v):
                held[j] = undone
                break
    planned = frozenset(k for j, undone in held.items() if not undone for k in keys_of(words[j]))
    undone_keys = frozenset(k for j, undone in held.items() if undone for k in keys_of(words[j]))
    said = frozenset(k for j, w in enumerate(words) if j not in held for k in keys_of(w))
    return planned, undone_keys, said, bool(_IMAGINE_RE.search(norm))


def unrealized(wordings: Iterable[str], text: str) -> str | None:
    """Why the post `text` does not say the claim's deed was done (see the module's docstring), or None."""
    if not text:
        return None
    planned, undone, said, imagined = _reading(text)
    if not planned and not undone and not imagined:
        return None
    claim_said: set[str] = set()
    claim_held: set[str] = set()
    for wording in wordings:
        p, u, s, im = _reading(wording)
        if im:
            return None
        claim_said |= s
        claim_held |= p | u
    if imagined:
        return "the post imagines it"

    def deeds(keys: frozenset[str]) -> bool:
        return any(shares(k, claim_said) and not shares(k, claim_held) and not shares(k, said) for k in keys)

    if deeds(undone):
        return "the post says it was undone"
    return "the post says it is planned, tried or stopped, not done" if deeds(planned) else None
