"""Text normalisation and tokenisation for claim matching (ru / uk / en, Latin transliteration).

Two levels:

* :func:`normalize` gives a cleaned, human-readable string (NFKC, casefold, no links, emoji or
  invisible characters, canonical numbers). It is what fuzzy scorers compare.
* :func:`tokens` gives index terms: stop words dropped, words stemmed, and Cyrillic stems written in
  one Latin "skeleton" so that Russian, Ukrainian and Russian typed in Latin letters meet.

How transliteration is made symmetric: a Cyrillic word is stemmed in Cyrillic (Snowball Russian or
our Ukrainian stripper) and the stem is transliterated with one fixed table that also folds the
letters people confuse when typing Latin (и/ы/й/і/ї -> i, е/э/є/ё -> e, ь/ъ dropped). A Latin word
in a text that does not look English is, in addition to its English stem, read back into Cyrillic
(greedy rules: "shch", "zh", "kh", "ya", "iy"...), stemmed as Russian and transliterated the same
way. "Zelenskiy kupil dve yahty" and "Зеленский купил две яхты" thus both give
``zelensk kup dve jaht``. Pure functions, no I/O.
"""

from knowledge.normalize.dates import find_date
from knowledge.normalize.terms import STOP_WORDS, terms_of_normalized, text_mode, tokens, word_terms
from knowledge.normalize.text import normalize, numbers, split_sentences
from knowledge.normalize.translit import transliterate
from knowledge.normalize.urls import canonical_url, extract_urls

__all__ = [
    "normalize",
    "tokens",
    "extract_urls",
    "canonical_url",
    "split_sentences",
    "terms_of_normalized",
    "word_terms",
    "text_mode",
    "numbers",
    "transliterate",
    "find_date",
    "STOP_WORDS",
]
