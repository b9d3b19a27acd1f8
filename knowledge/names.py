"""Names of the gazetteer (places, sides, sources) found in a text: per-word stem keys, so that inflected,
transliterated and slightly misspelt forms of one name meet. :mod:`knowledge.consistency` reads them to compare
a post with a claim; :func:`names_anything` tells whether a post names any at all. Pure functions.
"""

from __future__ import annotations

import re

from knowledge.background import word_share
from knowledge.gazetteer import ABBREVIATIONS, ACTORS, ARMIES, PLACES, SOURCES, UNITS
from knowledge.normalize import normalize
from knowledge.normalize.spelling import Speller, compound_splits
from knowledge.normalize.terms import STOP_WORDS, word_keys
from knowledge.normalize.text import TERM_RE
from knowledge.normalize.translit import transliterate

__all__ = [
    "ACTOR_INDEX",
    "ARMY_INDEX",
    "DISPLAY",
    "PLACE_INDEX",
    "SOURCE_INDEX",
    "UNIT_RES",
    "ANY_UNIT_RE",
    "find",
    "name_keys",
    "names_anything",
    "place_keys",
    "unglue_names",
]

NameIndex = dict[str, list[tuple[str, tuple[frozenset[str], ...]]]]
# A name's stem that is an everyday word's too: "Crimea" stems to "crime", and "war crimes" is no place.
_EVERYDAY_STEMS = frozenset({"crime"})


def index_names(table: dict[str, tuple[str, ...]]) -> NameIndex:
    """first word's key -> [(id, keys of every word of the form)]."""
    out: NameIndex = {}
    for name_id, forms in table.items():
        for form in forms:
            words = TERM_RE.findall(normalize(form))
            keys = tuple(frozenset(word_keys(w)) for w in words)
            # A stem under three letters cut from a longer one is dropped: "USA" must not read "use" as "us".
            keys = tuple(
                frozenset(k for k in ks if len(k) >= min(3, max(map(len, ks), default=0)) and k not in _EVERYDAY_STEMS)
                for ks in keys
            )
            if not keys or not all(keys):
                continue
            for k in keys[0]:
                out.setdefault(k, []).append((name_id, keys))
    return out


PLACE_INDEX = index_names(PLACES)
ACTOR_INDEX = index_names(ACTORS)
ARMY_INDEX = index_names(ARMIES)
SOURCE_INDEX = index_names({k: forms for k, (forms, _side) in SOURCES.items()})
UNIT_RES = tuple((unit_id, re.compile(pattern)) for unit_id, (_name, pattern) in UNITS.items())
ANY_UNIT_RE = re.compile("|".join(f"(?:{pattern})" for _name, pattern in UNITS.values()))  # one look first
DISPLAY: dict[str, str] = {  # a name as the reason line shows it
    **{k: next((f for f in forms if f.isascii()), forms[0]) for k, forms in (PLACES | ACTORS).items()},
    **{unit_id: name for unit_id, (name, _pattern) in UNITS.items()},
}


def find(index: NameIndex, keys: list[tuple[str, ...]]) -> list[tuple[int, int, str]]:
    """(start, end, id) of every name of `index` in a text read as per-word keys."""
    found: list[tuple[int, int, str]] = []
    for i, ks in enumerate(keys):
        for k in ks:
            for name_id, form in index.get(k, ()):
                end = i + len(form)
                if end <= len(keys) and all(not form[j].isdisjoint(keys[i + j]) for j in range(1, len(form))):
                    found.append((i, end, name_id))
    return found


PLACE_SPELLER = Speller()
PLACE_SPELLER.sync(sorted(PLACE_INDEX))
# Every word of every name, by its stem keys.
_NAME_WORDS = frozenset(
    k
    for index in (PLACE_INDEX, ACTOR_INDEX, ARMY_INDEX, SOURCE_INDEX)
    for forms in index.values()
    for _id, form in forms
    for ks in form
    for k in ks
)


def place_keys(keys: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Per-word keys, a word that names no place read as the place name one typo away ("курщні")."""
    out = []
    for ks in keys:
        if ks and not any(k in PLACE_INDEX or k in _EVERYDAY_STEMS for k in ks):
            near = PLACE_SPELLER.near(ks[0])
            if near is not None:
                ks = (*ks, near)
        out.append(ks)
    return out


def name_keys(words: list[str], keys: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Per-word keys, a word that is no word of a name, nor of ordinary text, read as the name it spells with
    a key held down or two letters swapped ("Геншштаб", "Путні"). Only whole written names of five letters or
    more are compared: a typo of an everyday word one letter from a name's stem ("моу", "чинаа") stays itself."""
    out = []
    for w, ks in zip(words, keys, strict=True):
        if ks and len(w) <= _NAME_MAX and not any(k in _NAME_WORDS for k in ks) and word_share(w) == 0.0:
            near = _respelt_name(w)
            if near is not None:
                ks = (*ks, near)
        out.append(ks)
    return out


def _name_spellings() -> dict[str, str]:
    """Each word of a name as written out in Latin letters -> its key ("путін" and "путин" -> "putin")."""
    out: dict[str, str] = {}
    for table in (PLACES, ACTORS, ARMIES, {k: forms for k, (forms, _side) in SOURCES.items()}):
        for forms in table.values():
            for form in forms:
                for w in TERM_RE.findall(normalize(form)):
                    keys = [k for k in word_keys(w) if k in _NAME_WORDS]
                    if keys and len(w) >= 3 and not w.isdigit():
                        out.setdefault(transliterate(w), keys[0])
    return out


_NAME_SPELLINGS = _name_spellings()
_NAME_MAX = 40
_DOUBLED_RE = re.compile(r"([^\W\d_])\1")


def _respelt_name(word: str) -> str | None:
    """The key of the written name (five letters or more) `word` is with a doubled letter single, or two
    neighbouring letters past the first swapped back; None if none."""
    latin = transliterate(word)
    tries = [transliterate(_DOUBLED_RE.sub(r"\1", word))]
    tries += [latin[:i] + latin[i + 1] + latin[i] + latin[i + 2 :] for i in range(1, len(latin) - 1)]
    return next((_NAME_SPELLINGS[t] for t in tries if len(t) >= 5 and t != latin and t in _NAME_SPELLINGS), None)


_GLUED_RE = re.compile(r"\b(?:[^\W\d_]{3,}\d+(?:\.\d+)?|\d+(?:\.\d+)?[^\W\d_]{3,}|[^\W\d_]{6,40})\b")
_DIGITS_RE = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")  # "2.5тыс" -> "2.5 тыс", not "2 . 5"


def _name_part(part: str) -> int:
    """2: a written name of four letters or more that is no frequent word ("генштаб", "sudzha"); 1: a word of
    a name that is also a word of ordinary text ("general", "staff", "вести", "зсу"), or of five letters or
    more an inflected name ("курской"); 0: neither (a fragment that merely stems like a name: "трой", "уса")."""
    share = word_share(part)
    if transliterate(part) in _NAME_SPELLINGS:
        return 2 if len(part) >= 4 and share < _FREQUENT else 1
    return 1 if len(part) >= 5 and share > 0.0 and not _NAME_WORDS.isdisjoint(word_keys(part)) else 0


_FREQUENT = 1e-5  # wordfreq's Zipf 4
_ORDINARY = 1e-6  # Zipf 3
# Not "тро" nor "нато": ordinary words begin with them ("тротуар", "натомість"), and their typos would split.
_GLUED_ABBREVIATIONS = ABBREVIATIONS - {"тро", "нато"}


def _glued_to(part: str) -> bool:
    """What a name may be glued to: a stop word, or a word of ordinary text of four letters or more, or of
    three if frequent ("gas")."""
    if part in STOP_WORDS:
        return True
    share = word_share(part)
    return (len(part) >= 4 and share >= 1e-6) or (len(part) == 3 and share >= _FREQUENT)


def _unglue(m: re.Match[str]) -> str:
    word = m.group(0)
    if not word.isalpha():
        return _DIGITS_RE.sub(" ", word)  # "відбили30", "30штурмів"
    if word_share(word) > 0.0 or transliterate(word) in _NAME_SPELLINGS:
        return word
    for a, b in compound_splits(word):
        na, nb = _name_part(a), _name_part(b)
        # A distinctive name and a word ("sudzhagas"), or two words of names ("generalstaff", "генштабзсу");
        # not a frequent word that is also a name beside another word ("пор" + "вести"). Or an army's
        # abbreviation typed onto a word ("ЗСУзнову", "ВСУосвободили").
        if (na == 2 and (nb or _glued_to(b))) or (nb == 2 and (na or _glued_to(a))) or (na and nb):
            return f"{a} {b}"
        if a in _GLUED_ABBREVIATIONS and (b in STOP_WORDS or (len(b) >= 5 and word_share(b) >= _ORDINARY)):
            return f"{a} {b}"
    return word


def unglue_names(norm: str) -> str:
    """A normalised text with a name glued to a word or a figure read apart ("генштабзсу", "sudzhagas",
    "відбили30"): a missing space must not hide whose report it is, the place or the figure."""
    return _GLUED_RE.sub(_unglue, norm)


def names_anything(text: str) -> bool:
    """Whether `text` names any place, side or source the gazetteer knows (what text_facts would find, read
    at a fraction of its cost)."""
    words = TERM_RE.findall(unglue_names(normalize(text)))
    keys = name_keys(words, [word_keys(w) for w in words])
    return bool(find(ACTOR_INDEX, keys) or find(SOURCE_INDEX, keys) or find(PLACE_INDEX, place_keys(keys)))
