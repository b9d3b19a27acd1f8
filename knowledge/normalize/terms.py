"""Index terms: stop words dropped, words stemmed, Cyrillic stems in one Latin skeleton."""

from __future__ import annotations

from functools import lru_cache

import snowballstemmer

from knowledge.normalize.text import CYR_RE, LAT_RE, NUM_RE, TERM_RE, normalize
from knowledge.normalize.translit import latin_to_cyrillic, transliterate
from knowledge.stemming import stem_uk

__all__ = [
    "PREFIX_LEN",
    "PREFIX_MARK",
    "STOP_WORDS",
    "plain_terms",
    "terms_of_normalized",
    "text_mode",
    "tokens",
    "word_keys",
    "word_terms",
    "words_and_terms",
]

_EN_STOP = """a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she should
so some such than that the their theirs them themselves then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you your yours
yourself yourselves s t don doesn didn isn wasn aren weren won wouldn also via rt amp us let get got""".split()
_RU_STOP = """а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да даже
для до его ее ей ему если есть еще же за здесь и из или им их к как ко когда кто ли либо мне может мы на
надо наш не него нее нет ни них но ну о об однако он она они оно от очень по под при с со так также такой
там те тем то того тоже той только том ты у уже хотя чего чей чем что чтобы чье чья эта эти это я ведь вон
вот будет будут бы свой своей свои своих себя сам сама само сами этот этого этой этом""".split()
_UK_STOP = """а аби або але б без би був була були було бути в вам вас ви від він вона вони воно все всі
де для до з за и із її їх й к коли ми мені на навіть над не нам нас неї них ні ну о об однак от по при про
та так також там те теж ти то тобто того тож той тут у уже хоча це цей ця ці цього цієї чи що щоб як який
яка яке які ось сам сама само самі свій своє свої своїх себе цим цих цьому ще є""".split()
STOP_WORDS: frozenset[str] = frozenset(w.replace("ё", "е") for w in _EN_STOP + _RU_STOP + _UK_STOP)
_EN_STOP_SET = frozenset(_EN_STOP)
_EN_STEMMER = snowballstemmer.stemmer("english")
_RU_STEMMER = snowballstemmer.stemmer("russian")
_UK_ONLY = frozenset("іїєґ")
_RU_ONLY = frozenset("ыэъ")


# Slavic derivation changes stems ("освободили" -> освобод-, "освобождена" -> освобожд-; Russian
# "вернули" vs Ukrainian "повернули"): a word's first letters are a second, coarser term.
PREFIX_LEN = 5
PREFIX_MARK = "~"


@lru_cache(maxsize=200_000)
def _cyr_term(word: str, lang: str) -> tuple[str, ...]:
    if _UK_ONLY.intersection(word):
        lang = "uk"
    elif _RU_ONLY.intersection(word):
        lang = "ru"
    stem = transliterate(stem_uk(word) if lang == "uk" else _RU_STEMMER.stemWord(word))
    if len(stem) > PREFIX_LEN:
        return (stem, stem[:PREFIX_LEN] + PREFIX_MARK)
    return (stem,)


@lru_cache(maxsize=200_000)
def _latin_terms(word: str, translit: bool) -> tuple[str, ...]:
    if translit and len(word) == 2 and latin_to_cyrillic(word) in STOP_WORDS:
        return ()  # "ne", "na", "za", "po" typed for не, на, за, по
    if not translit or len(word) < 3:
        return (_EN_STEMMER.stemWord(word),)
    # The English stem as cached for the plain reading: the index read most English words so already.
    en = _latin_terms(word, False)[0]
    cyr = latin_to_cyrillic(word)
    if cyr in STOP_WORDS:
        return (en,)
    sk = transliterate(_RU_STEMMER.stemWord(cyr))
    extra = (sk[:PREFIX_LEN] + PREFIX_MARK,) if len(sk) > PREFIX_LEN else ()
    return ((en,) if sk == en else (en, sk)) + extra


def plain_terms(word: str, cyr_lang: str = "ru") -> tuple[str, ...]:
    """The terms of one normalised word read as written (English, or Cyrillic stemmed); () for a stop word."""
    return _word_group(word, cyr_lang, False)


def _text_lang(words: list[str], hint: str | None, norm: str | None = None) -> tuple[str, bool]:
    """(Cyrillic stemmer language, whether Latin words may be transliterated Russian)."""
    if hint in ("ru", "uk"):
        cyr_lang = hint
    elif norm is not None and not CYR_RE.search(norm):
        cyr_lang = "ru"  # no Cyrillic word to stem
    else:
        uk = ru = 0
        for w in words:
            if not _UK_ONLY.isdisjoint(w):
                uk += 1
            elif not _RU_ONLY.isdisjoint(w):
                ru += 1
        cyr_lang = "uk" if uk > ru else "ru"
    if hint == "en":
        return cyr_lang, False
    latin = [w for w in words if LAT_RE.match(w)]
    if not latin:
        return cyr_lang, False
    en_stop = sum(1 for w in latin if w in _EN_STOP_SET)
    # Real English has ~40% stop words; a text with very few is likely transliterated Russian.
    looks_english = en_stop >= 2 and en_stop >= 0.12 * len(latin)
    return cyr_lang, not looks_english


def text_mode(norm: str, lang: str | None = None) -> tuple[str, bool]:
    """How to read a normalised text: (Cyrillic stemmer "ru"/"uk", Latin may be translit)."""
    return _text_lang(TERM_RE.findall(norm), lang, norm)


def word_terms(norm: str, lang: str | None = None, *, mode: tuple[str, bool] | None = None) -> list[tuple[str, ...]]:
    """Index terms of an already normalised string, grouped per source word.

    A word can give several terms (English stem + transliteration skeleton + prefix); scorers that
    measure "how much of the text is explained" count a word once. Stop words give no group.
    `mode` (from :func:`text_mode` of a whole post) makes every segment of a post be read alike.
    """
    return [group for _w, group in words_and_terms(norm, lang, mode=mode)]


def words_and_terms(
    norm: str, lang: str | None = None, *, mode: tuple[str, bool] | None = None
) -> list[tuple[str, tuple[str, ...]]]:
    """(word, its terms) for every word of an already normalised string that is not a stop word."""
    words = TERM_RE.findall(norm)
    if not words:
        return []
    cyr_lang, translit = mode if mode is not None else _text_lang(words, lang, norm)
    cache = _WORD_CACHE[(cyr_lang, translit)]
    out: list[tuple[str, tuple[str, ...]]] = []
    for w in words:
        group = cache.get(w)
        if group is None:
            group = _word_group(w, cyr_lang, translit)
            if len(cache) < _WORD_CACHE_MAX:
                cache[w] = group
        if group:
            out.append((w, group))
    return out


def _word_group(w: str, cyr_lang: str, translit: bool) -> tuple[str, ...]:
    """The terms of one word (empty for a stop word)."""
    if w[0].isdigit() and NUM_RE.fullmatch(w):
        return (w,)
    if w in STOP_WORDS or len(w) < 2:
        return ()
    if CYR_RE.search(w):
        group = _cyr_term(w, cyr_lang)
    elif LAT_RE.search(w):
        group = _latin_terms(w, translit)
    else:
        group = (w,)
    return tuple(t for t in group if t)


# Per distinct word and reading mode: its terms. Stemming and transliteration run once per word, not
# once per occurrence (a 100k-entry KB has ~2M word occurrences but far fewer distinct words).
_WORD_CACHE_MAX = 300_000
_WORD_CACHE: dict[tuple[str, bool], dict[str, tuple[str, ...]]] = {
    (lang, translit): {} for lang in ("ru", "uk") for translit in (False, True)
}


@lru_cache(maxsize=200_000)
def word_keys(word: str) -> tuple[str, ...]:
    """Every full stem one normalised word can give, read as Russian, Ukrainian and (if Latin) English
    or transliterated Russian: for comparing names across languages, inflections and scripts.

    A tuple, not a set: the cache keeps one per distinct word for the process's life, and a tuple of
    strings is one object fewer for the garbage collector to walk (it stops tracking such tuples)."""
    keys: set[str] = set()
    for lang in ("ru", "uk"):
        keys.update(t for t in _word_group(word, lang, True) if not t.endswith(PREFIX_MARK))
    return tuple(sorted(keys))


def terms_of_normalized(norm: str, lang: str | None = None, *, mode: tuple[str, bool] | None = None) -> list[str]:
    """Index terms for an already normalised string (see :func:`tokens`)."""
    return [t for group in word_terms(norm, lang, mode=mode) for t in group]


def tokens(text: str, lang: str | None = None) -> list[str]:
    """Normalised, stop-word-free, stemmed, transliterated index terms of `text`.

    `lang` ("en", "ru", "uk") is a hint from the knowledge base; posts are guessed per text.
    Numbers are kept whole ("67150", "3.5").
    """
    return terms_of_normalized(normalize(text), lang)
