"""Background word frequencies (Russian, Ukrainian, English) for the index's idf.

idf computed from a 10-claim KB is noise: a word every claim happens to share looks worthless, and a
common word that occurs once looks decisive. The index therefore counts, besides its own documents,
``BACKGROUND_DOCS`` pseudo-documents of ordinary text in which a word occurs as often as the
``wordfreq`` package's frequency lists say (their small lists: the ~30-60k most frequent words of each
language). A small KB's idf is then mostly the language's; a 100k-claim KB's is mostly its own.
Without wordfreq installed the index falls back to its own counts.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["BACKGROUND_DOCS", "doc_share", "word_share"]

BACKGROUND_DOCS = 1000
_WORDS_PER_DOC = 20  # a claim or variant is about this long: P(word in doc) ~ this x its frequency


@lru_cache(maxsize=1)
def _table() -> dict[str, float]:
    try:
        from wordfreq import get_frequency_dict
    except ImportError:  # optional at run time: idf then comes from the KB alone
        return {}
    out: dict[str, float] = {}
    for lang in ("ru", "uk", "en"):
        for word, freq in get_frequency_dict(lang, wordlist="small").items():
            word = word.replace("ё", "е")
            if freq > out.get(word, 0.0):
                out[word] = freq
    return out


def doc_share(word: str) -> float:
    """The share of ordinary short texts (ru/uk/en) that contain this normalised word."""
    return min(1.0, _WORDS_PER_DOC * _table().get(word, 0.0))


def word_share(word: str) -> float:
    """The word's frequency in ordinary text (ru/uk/en; 0.0 for a word outside the lists)."""
    return _table().get(word, 0.0)
