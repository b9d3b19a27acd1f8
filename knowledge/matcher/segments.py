"""A post cut into segments and windows, read into index terms.

The post (capped at ``MAX_CHARS`` by the caller) is split into sentences/lines; long sentences into
overlapping word windows; at most ``MAX_SEGMENTS`` segments. Every segment keeps its original wording,
which is reported as a match's fragment. A window is one segment or two adjacent ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.denials import denies, opens_with_denial
from knowledge.matcher.index import Index
from knowledge.matcher.params import MAX_SEGMENTS, WINDOW_STRIDE, WINDOW_WORDS
from knowledge.normalize import normalize, split_sentences, text_mode, word_terms
from knowledge.normalize.terms import PREFIX_LEN, PREFIX_MARK, words_and_terms
from knowledge.normalize.translit import latin_to_cyrillic

__all__ = ["Post", "WindowText", "read_post", "segments"]


# A sentence this short that denies ("Нет, это фейк.", "That is fake.") belongs to the one before it: alone
# it holds no claim, and read apart from it the claim's sentence lost its denial. So does a longer one that opens
# with its verdict ("Чушь собачья, никакого котла нет").
DENIAL_TAIL_WORDS = 4


def segments(text: str) -> list[str]:
    segs: list[str] = []
    for sent in split_sentences(text):
        words = sent.split()
        tags = all(w.startswith("#") for w in words)  # tags label a post
        tail = not tags and (len(words) <= DENIAL_TAIL_WORDS or len(words) <= WINDOW_WORDS and opens_with_denial(sent))
        if segs and tail and denies(sent):
            segs[-1] = f"{segs[-1]} {sent}"
        elif len(words) <= WINDOW_WORDS:
            segs.append(sent)
        else:
            for start in range(0, len(words) - WINDOW_STRIDE, WINDOW_STRIDE):
                segs.append(" ".join(words[start : start + WINDOW_WORDS]))
        if len(segs) >= MAX_SEGMENTS:
            break
    return segs[:MAX_SEGMENTS]


@dataclass(slots=True)
class Post:
    """One post read against an index: segments, their terms, and windows with their idf mass."""

    segs: list[str]
    norms: list[str]
    seg_terms: list[list[str]]
    n_words: int  # meaningful words (not terms: one word may give several terms)
    known: list[int]  # the post's term ids the index knows, sorted
    seg_ids: list[frozenset[int]]
    win_span: list[tuple[int, int]]
    win_mass: list[float]  # each word counts once: its best-known form's idf, or the maximal idf if unknown
    win_words: list[int]
    bigrams: set[tuple[int, int]]


_LATIN_WORD = re.compile(r"[a-z]+")
def _reads_as_russian(seg_groups: list[list[tuple[str, ...]]], vocab: dict[str, int]) -> bool:
    """More of the post's Latin words are known to the index read back as Russian than as English."""
    en = ru = 0
    for gs in seg_groups:
        for g in gs:
            if len(g) > 1 and not g[1].endswith(PREFIX_MARK):  # (English stem, Russian reading, ...)
                en += g[0] in vocab
                ru += g[1] in vocab
    return ru > en


def read_post(text: str, index: Index, idf_all: list[float]) -> Post | None:
    segs = segments(text)
    if not segs:
        return None
    norms = [normalize(s) for s in segs]
    mode = text_mode(" ".join(norms))
    if mode[1]:  # Latin words may be transliterated Russian: read as written
        seg_groups = [word_terms(n, mode=mode) for n in norms]
    else:  # Cyrillic typos read as the known stem one edit away
        speller = index.speller()
        seg_groups = [
            speller.spelled(words_and_terms(n, mode=mode), index.vocab, PREFIX_LEN, index.from_cyrillic)
            for n in norms
        ]
    seg_terms = [[t for g in gs for t in g] for gs in seg_groups]
    post_terms = {t for ts in seg_terms for t in ts}
    if not post_terms:
        return None
    n_words = len({g for gs in seg_groups for g in gs})
    vocab = index.vocab
    known = sorted({vocab[t] for t in post_terms if t in vocab})
    if not known:
        return None
    idf_unknown = index.idf_unknown()
    seg_ids = [frozenset(vocab[t] for t in ts if t in vocab) for ts in seg_terms]
    group_idf: dict[tuple[str, ...], float] = {}
    for gs in seg_groups:
        for g in gs:
            if g not in group_idf:
                known_idf = [idf_all[vocab[t]] for t in g if t in vocab]
                group_idf[g] = max(known_idf) if known_idf else idf_unknown
    win_span: list[tuple[int, int]] = []
    win_mass: list[float] = []
    win_words: list[int] = []
    spans = [(i, i) for i in range(len(segs))] + [(i, i + 1) for i in range(len(segs) - 1)]
    for a, b in spans:
        if not (seg_ids[a] or seg_ids[b]):
            continue
        groups_ab = set(seg_groups[a]) | set(seg_groups[b])
        mass = 0.0
        for g in sorted(groups_ab):  # a fixed order: set order follows the hash seed, and so would the sum
            mass += group_idf[g]
        win_span.append((a, b))
        win_mass.append(mass)
        win_words.append(len(groups_ab))
    bigrams: set[tuple[int, int]] = set()
    for ts in seg_terms:
        ids_seq = [vocab[t] for t in ts if t in vocab]
        bigrams.update(zip(ids_seq, ids_seq[1:], strict=False))
    if mode[1] and _reads_as_russian(seg_groups, vocab):
        # Latin-typed Russian: the fuzzy scorers read it in Cyrillic, as the claims are written
        norms = [_LATIN_WORD.sub(lambda w: latin_to_cyrillic(w.group()), n) for n in norms]
    return Post(segs, norms, seg_terms, n_words, known, seg_ids, win_span, win_mass, win_words, bigrams)


class WindowText:
    """Wording of a post's windows (one segment or two adjacent ones), built on first use."""

    __slots__ = ("_segs", "_norms", "_seg_terms", "_span", "_cache")

    def __init__(
        self, segs: list[str], norms: list[str], seg_terms: list[list[str]], span: list[tuple[int, int]]
    ) -> None:
        self._segs = segs
        self._norms = norms
        self._seg_terms = seg_terms
        self._span = span
        self._cache: dict[int, tuple[str, str, str]] = {}

    def _get(self, wi: int) -> tuple[str, str, str]:
        got = self._cache.get(wi)
        if got is None:
            a, b = self._span[wi]
            if a == b:
                got = (self._segs[a], self._norms[a], " ".join(self._seg_terms[a]))
            else:
                got = (
                    self._segs[a] + " " + self._segs[b],
                    self._norms[a] + " " + self._norms[b],
                    " ".join(self._seg_terms[a] + self._seg_terms[b]),
                )
            self._cache[wi] = got
        return got

    def text(self, wi: int) -> str:
        """Original wording (reported as the fragment)."""
        return self._get(wi)[0]

    def norm(self, wi: int) -> str:
        """Normalised text (for partial_ratio)."""
        return self._get(wi)[1]

    def term_str(self, wi: int) -> str:
        """Terms joined by spaces (for token_set_ratio)."""
        return self._get(wi)[2]
