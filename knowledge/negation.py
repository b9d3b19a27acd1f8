"""What a text says is not so, word by word: "Росія не вимагає ...", "Ukraine did not accept ...".

:mod:`knowledge.consistency` reads a post's polarity from denials and negated existence ("фейк", "никаких
...", "no ..."); a plain "not" is left out there, since it negates many a predicate that is not the claim's.
Here it counts only where it negates a word the claim asserts: a post that puts "не", "ні", "not", "never",
"-n't" or "far from" before one of the claim's own words, which no wording of the claim negates, denies the claim.
Quantities ("не менее 340", "not only") are not predicates, a contrast ("mercenaries, not soldiers")
negates another word, and a modal ("should not", "can't") says what ought to be or can be. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from functools import lru_cache

from knowledge.normalize import normalize
from knowledge.normalize.terms import STOP_WORDS, word_keys
from knowledge.normalize.text import CYR_RE, TERM_RE

__all__ = ["contrasted_words", "latin_ne", "denied_words", "denies_a_claim_word", "keys_of", "shares"]

_NOT = frozenset("not never не ні nie".split())
_NT = frozenset("didn doesn don isn wasn weren aren hasn haven hadn won".split())  # not "can't": modal
# A negation after one of these says what should or can be, not what is ("we should not be spending").
_MODALS = frozenset(
    """should must can could would may might need должны должен должна нужно надо можно может могут
    стоит мають має треба можна може повинні повинен""".split()
)
_ORDERS = frozenset("do please".split())  # "Do NOT attack Syria": an order, not a denial
_NOT_A_PREDICATE = frozenset(
    """only just merely less more fewer than least только лишь лише тільки просто менее более меньше больше
    менше більше понад свыше около""".split()
)
_CONTRAST = frozenset("а a but rather instead".split())
_FAR_FROM = frozenset("from от від".split())  # after "far"/"далеко": "far from over", "далеко от завершения"
_PHRASE_END_RE = re.compile(r"[,.;:!?—–()]")
_REACH = 3  # words after the negation in which its predicate is looked for (stop words skipped)
# Words between a negation and its predicate that are not the predicate: "not been able to", "не смогли".
_AUXILIARIES = frozenset(
    """able managed yet been being succeeded смогли смог смогла сумели удалось змогли змогла зуміли зумів вдалося
    будет будут буду буде будуть try tried attempt attempted пытались пыталась пытался намагалися намагалася
    намагався""".split()
)
_MAX_AUXILIARIES = 3
_FAILED = frozenset("failed fails fail".split())
# The war's predicates that say one thing in several words: a "не" before one denies a claim that uses another.
_SYNONYMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("~retake", ("recaptur", "retak", "retook", "liberat", "regain", "osvobod", "vernul", "vernut", "otbil", "otbit",
                 "zviln", "povernul", "povernut", "vidbil", "vidbit", "vozvrasch", "poverta", "osvobozh")),
    ("~strike", ("strik", "struck", "attack", "target", "shell", "bomb", "udar", "atak", "obstrel", "obstril")),
    ("~take", ("vzja", "bral", "captur", "zahvat", "zahvach", "zahopl")),  # взяли / не брали: one verb, two roots
)  # fmt: skip
# Nouns that begin as a group's verbs do: "мы не захватчики" denies no capture.
_NOT_IN_GROUP = ("zahvatch", "zahopljuvach", "zahopliuvach")
# The imperfective's suffix, folded to the perfective's stem: приказывал / приказал, наказував / наказав.
_IMPERFECTIVE = (("iva", "a"), ("uva", "a"), ("bira", "bra"), ("ova", "u"))  # ... вербовать / вербует
_IRREGULAR_PAST = {
    "blew": "blow", "blown": "blow", "took": "take", "taken": "take", "sent": "send", "fought": "fight",
    "shot": "shoot", "struck": "strike", "fled": "flee", "held": "hold", "lost": "lose", "won": "win",
    "drove": "drive", "driven": "drive", "gave": "give", "given": "give", "left": "leave", "made": "make",
    "began": "begin", "begun": "begin", "broke": "break", "broken": "break", "froze": "freeze",
    "stole": "steal", "stolen": "steal", "threw": "throw", "thrown": "throw", "withdrew": "withdraw",
    "withdrawn": "withdraw", "overran": "overrun",
}  # fmt: skip
_MIN_KEY = 4  # shorter keys are prefixes that many words share
_PREFIX = 6  # a key this long that begins another is the same word's (завершения / завершить)
_VOWELS_RE = re.compile("[aeiouyj]")
_ASPECT_CONSONANTS = 2
# Verb prefixes that take a vowel before a consonant cluster in one aspect (взорвать / взрывать).
_VOWELLED_PREFIXES = (
    ("vzo", "vz"), ("podo", "pod"), ("razo", "raz"), ("rozo", "roz"), ("rozi", "roz"), ("oto", "ot"), ("izo", "iz"),
    ("nado", "nad"), ("pidi", "pid"), ("vidi", "vid"), ("obo", "ob"), ("sozo", "soz"),
)  # fmt: skip


def denied_words(norm: str) -> frozenset[str]:
    """The keys (:func:`word_keys`) of the words the normalised text `norm` negates with a plain "not"; not
    a contrast ("найманці, а не військові", "mercenaries, not soldiers"), which negates another word."""
    found = list(TERM_RE.finditer(norm))
    words = [m.group() for m in found]
    out: set[str] = set()
    negated: set[str] = set()
    for i, w in enumerate(words):
        apostrophe = w in _NT and i + 1 < len(words) and words[i + 1] == "t"  # "didn't" reads "didn", "t"
        far = w in _FAR_FROM and i > 0 and words[i - 1] in ("far", "далеко")  # "far from complete"
        failed = w in _FAILED and i + 1 < len(words) and words[i + 1] == "to"  # "failed to recapture"
        if w == "nothing" and i and words[i - 1] not in STOP_WORDS:
            if not norm[found[i - 1].end() : found[i].start()].strip():
                out.update(keys_of(words[i - 1]))  # "achieved nothing", not "confidential. Nothing"
                negated.add(words[i - 1])
        if w not in _NOT and not apostrophe and not far and not failed and not latin_ne(words, i):
            continue
        before = norm[: found[i].start()].rstrip()
        if before.endswith((",", "—", "–", ";")) or (i and words[i - 1] in _CONTRAST | _MODALS):
            continue
        if i and words[i - 1] in _ORDERS and norm[: found[i - 1].start()].rstrip()[-1:] in ("", ".", "!", "?"):
            continue
        reach = _REACH
        for nxt in words[i + 1 + apostrophe : i + 1 + apostrophe + _REACH + _MAX_AUXILIARIES]:
            if nxt in _NOT_A_PREDICATE or reach == 0:
                break
            if nxt in _AUXILIARIES:
                continue  # "not been able to recapture", "не смогли вернуть": the predicate comes after
            reach -= 1
            if nxt not in STOP_WORDS:
                out.update(keys_of(nxt))
                negated.add(nxt)
                break
    if not out:
        return frozenset()
    # A word the text also says without its "not" is not denied ("взяли в плен ..., раньше живыми их не брали").
    said = {k for w in words if w not in negated for k in keys_of(w)}
    return frozenset(out - said)


def contrasted_words(norm: str) -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    """(the keys of what a contrast affirms, the keys of what it negates) in the normalised text `norm`: up to
    _REACH words after a "not" that follows a comma, a dash or "а" / "but" ("a chance for peace, not a
    respite", "— не безглузда авантюра"), to the end of the phrase, against up to _REACH words before it. A
    negated word the text says elsewhere is left out ("2,428 vehicles — vehicles, not 2,428 guns")."""
    found = list(TERM_RE.finditer(norm))
    words = [m.group() for m in found]
    pairs: list[tuple[set[str], set[int]]] = []
    for i, w in enumerate(words):
        if w not in _NOT or not i:
            continue
        before = norm[: found[i].start()].rstrip()
        if not (before.endswith((",", "—", "–")) or words[i - 1] in _CONTRAST):
            continue
        negated: set[int] = set()
        reach = _REACH
        for j in range(i + 1, min(len(words), i + 1 + _REACH + 2)):
            ended = _PHRASE_END_RE.search(norm, found[j - 1].end(), found[j].start())
            if words[j] in _NOT_A_PREDICATE or reach == 0 or ended:
                break
            if words[j] not in STOP_WORDS:
                reach -= 1
                negated.add(j)
        affirmed = [words[j] for j in range(max(0, i - 3 * _REACH), i) if keys_of(words[j])][-_REACH:]
        if negated:
            pairs.append(({k for a in affirmed for k in keys_of(a)}, negated))
    if not pairs:
        return ()
    held = {j for _a, negated in pairs for j in negated}
    said = {k for j, w in enumerate(words) if j not in held for k in keys_of(w)}
    out = tuple(
        (frozenset(affirmed), frozenset(k for j in negated for k in keys_of(words[j]) if k not in said))
        for affirmed, negated in pairs
    )
    return tuple(pair for pair in out if pair[1])


def latin_ne(words: list[str], i: int) -> bool:
    """"HE" typed in Latin capitals between Cyrillic words: "Російські війська HE повернули Суджу"."""
    if words[i] != "he" or not 0 < i < len(words) - 1:
        return False
    return bool(CYR_RE.match(words[i - 1]) and CYR_RE.match(words[i + 1]))


@lru_cache(maxsize=8192)
def _wording(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(the keys of every word, the keys of the words negated, in a contrast too) of one wording of a claim."""
    norm = normalize(text)
    keys = frozenset(k for w in TERM_RE.findall(norm) for k in keys_of(w))
    return keys, denied_words(norm).union(*(negated for _a, negated in contrasted_words(norm)))


def keys_of(word: str) -> tuple[str, ...]:
    """The keys (:func:`word_keys`) of a word, of at least _MIN_KEY letters; an English irregular past as its
    verb ("blew" as "blow"), so that "did not blow up" meets "blew up"; and the name of its synonyms' group
    ("не звільнила" meets "recaptured")."""
    found = _KEYS.get(word)
    if found is None:
        keys = tuple(k for k in word_keys(_IRREGULAR_PAST.get(word, word)) if len(k) >= _MIN_KEY)
        keys += tuple(k[: -len(ending)] + stem for k in keys for ending, stem in _IMPERFECTIVE if k.endswith(ending))
        grouped = [k for k in keys if not k.startswith(_NOT_IN_GROUP)]
        found = keys + tuple(name for name, stems in _SYNONYMS if any(k.startswith(stems) for k in grouped))
        if len(_KEYS) >= _KEYS_MAX:
            _KEYS.clear()
        _KEYS[word] = found
    return found


_KEYS: dict[str, tuple[str, ...]] = {}  # a plain dict of tuples of strings: nothing for the collector to walk
_KEYS_MAX = 50_000


def denies_a_claim_word(
    wordings: Iterable[str], denied: frozenset[str], keywords: tuple[str, ...] = (), text: str = ""
) -> bool:
    """Whether `denied` (a post's :func:`denied_words`) holds a word of the claim's `wordings` that none of
    them negates; or a contrast in the post's `text` (:func:`contrasted_words`) negates one of the claim's
    `keywords` (what its editors named as making the claim that claim) that no wording negates: "a chance for
    peace, not a respite" against "the truce is a respite". A contrast of another of the claim's words
    ("demands a withdrawal, not a ceasefire") leaves the claim standing."""
    named = _keyword_keys(keywords) if keywords and text else frozenset()
    # A contrast counts where it negates a keyword and does not set it against another ("в котёл, а не в
    # «оперативное окружение»": both are the claim's).
    contrasted = [
        c
        for affirmed, negated in (_contrasted(text) if named else ())
        if not any(shares(a, named) for a in affirmed)
        for c in negated
        if shares(c, named)
    ]
    if not denied and not contrasted:
        return False
    said: set[str] = set()
    negated: set[str] = set()
    for wording in wordings:
        keys, neg = _wording(wording)
        said |= keys
        negated |= neg
    return any(shares(d, said) and not shares(d, negated) for d in denied) or any(
        not shares(c, negated) for c in contrasted
    )


_CONTRAST_NOT_RE = re.compile(r"(?:[,—–]|\b(?:а|a|but))\s+(?:not|never|не|ні)\b", re.IGNORECASE)


@lru_cache(maxsize=2048)
def _contrasted(text: str) -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    return contrasted_words(normalize(text)) if _CONTRAST_NOT_RE.search(text) else ()


@lru_cache(maxsize=4096)
def _keyword_keys(keywords: tuple[str, ...]) -> frozenset[str]:
    return frozenset(k for kw in keywords for w in TERM_RE.findall(normalize(kw)) for k in keys_of(w))


def shares(key: str, keys: Collection[str]) -> bool:
    """`key` is one of `keys`, or one of them of _PREFIX letters or more begins it or is begun by it: a noun
    and its verb ("завершения", "завершить"); or both are one verb's two aspects (:func:`_aspects`:
    "підривали" / "підірвали", "взрывали" / "взорвали")."""
    if key in keys:
        return True
    return any(
        len(k) >= _PREFIX and key.startswith(k) or len(key) >= _PREFIX and k.startswith(key) for k in keys
    ) or any(_aspects(key, k) for k in keys)


def _fold(key: str) -> tuple[str, str]:
    """(prefix, rest) of a transliterated key whose verb prefix takes a vowel before a consonant cluster
    ("vzorv": "vz", "rv"; "pidirv": "pid", "rv"), else ("", key)."""
    for vowelled, prefix in _VOWELLED_PREFIXES:
        if key.startswith(vowelled):
            return prefix, key[len(vowelled) :]
    return "", key


def _aspects(a: str, b: str) -> bool:
    """One verb's two aspects: one key with a vowelled prefix ("vzorv", "pidirv"), the other with the same
    prefix without its vowel ("vzriva", "pidriv"), the same consonants after it (взорвали / взрывали,
    підірвали / підривали)."""
    for one, other in ((a, b), (b, a)):
        prefix, rest = _fold(one)
        if prefix and other.startswith(prefix) and not other.startswith(one[: len(prefix) + 1]):
            mine, theirs = _VOWELS_RE.sub("", rest), _VOWELS_RE.sub("", other[len(prefix) :])
            if len(mine) >= _ASPECT_CONSONANTS and mine == theirs:
                return True
    return False
