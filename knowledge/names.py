"""Names of the gazetteer (places, sides, sources) found in a text: per-word stem keys, so that inflected,
transliterated and slightly misspelt forms of one name meet. :mod:`knowledge.consistency` reads them to compare
a post with a claim; :func:`names_anything` tells whether a post names any at all. Pure functions.
"""

from __future__ import annotations

from knowledge.gazetteer import ACTORS, ARMIES, PLACES, SOURCES
from knowledge.normalize import normalize
from knowledge.normalize.spelling import Speller
from knowledge.normalize.terms import word_keys
from knowledge.normalize.text import TERM_RE

__all__ = [
    "ACTOR_INDEX",
    "ARMY_INDEX",
    "DISPLAY",
    "PLACE_INDEX",
    "SOURCE_INDEX",
    "find",
    "names_anything",
    "place_keys",
]

NameIndex = dict[str, list[tuple[str, tuple[frozenset[str], ...]]]]


def index_names(table: dict[str, tuple[str, ...]]) -> NameIndex:
    """first word's key -> [(id, keys of every word of the form)]."""
    out: NameIndex = {}
    for name_id, forms in table.items():
        for form in forms:
            words = TERM_RE.findall(normalize(form))
            keys = tuple(frozenset(word_keys(w)) for w in words)
            # A stem under three letters cut from a longer one is dropped: "USA" must not read "use" as "us".
            keys = tuple(frozenset(k for k in ks if len(k) >= min(3, max(map(len, ks), default=0))) for ks in keys)
            if not keys or not all(keys):
                continue
            for k in keys[0]:
                out.setdefault(k, []).append((name_id, keys))
    return out


PLACE_INDEX = index_names(PLACES)
ACTOR_INDEX = index_names(ACTORS)
ARMY_INDEX = index_names(ARMIES)
SOURCE_INDEX = index_names({k: forms for k, (forms, _side) in SOURCES.items()})
DISPLAY: dict[str, str] = {  # a name as the reason line shows it
    k: next((f for f in forms if f.isascii()), forms[0]) for k, forms in (PLACES | ACTORS).items()
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


def place_keys(keys: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Per-word keys, a word that names no place read as the place name one typo away ("курщні")."""
    out = []
    for ks in keys:
        if ks and not any(k in PLACE_INDEX for k in ks):
            near = PLACE_SPELLER.near(ks[0])
            if near is not None:
                ks = (*ks, near)
        out.append(ks)
    return out


def names_anything(text: str) -> bool:
    """Whether `text` names any place, side or source the gazetteer knows (what text_facts would find, read
    at a fraction of its cost)."""
    keys = [word_keys(w) for w in TERM_RE.findall(normalize(text))]
    return bool(find(ACTOR_INDEX, keys) or find(SOURCE_INDEX, keys) or find(PLACE_INDEX, place_keys(keys)))
