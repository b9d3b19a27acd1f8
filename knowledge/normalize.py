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

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import snowballstemmer

from knowledge.stemming import stem_uk

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

# --- URLs ------------------------------------------------------------------------------------

_TLDS = "com|org|net|ru|ua|su|by|kz|me|io|info|news|gov|edu|uk|de|fr|tv|co|ly|be|eu|online|site|pro"
_URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'«»]+"  # explicit scheme or www.
    r"|\b(?:pic\.twitter\.com|t\.me|t\.co|youtu\.be|bit\.ly)/[^\s<>\"'«»]+"  # well-known shorteners
    rf"|\b(?:[a-z0-9][a-z0-9-]*\.)+(?:{_TLDS})\b(?:/[^\s<>\"'«»]*)?",  # bare domain (+ path)
    re.IGNORECASE,
)
_TRAILING_PUNCT = ".,;:!?)]}»\"'…"


def extract_urls(text: str) -> list[str]:
    """URLs in `text` in order of appearance, with trailing sentence punctuation removed."""
    if not text:
        return []
    out: list[str] = []
    for m in _URL_RE.finditer(text):
        url = m.group(0).rstrip(_TRAILING_PUNCT)
        if url:
            out.append(url)
    return out


def canonical_url(url: str) -> str:
    """A form of `url` for exact lookups.

    http and https are treated alike (the same page), the host is lower-cased without "www.",
    the fragment, tracking parameters and a trailing slash are dropped, and Telegram's web preview
    path ``t.me/s/<channel>/<id>`` is folded into ``t.me/<channel>/<id>``.
    """
    u = (url or "").strip()
    if not u:
        return ""
    if "://" not in u:
        u = "https://" + u
    try:
        parts = urlsplit(u)
    except ValueError:
        return u.lower().rstrip("/")
    scheme = parts.scheme.lower()
    if scheme == "http":
        scheme = "https"
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    if host in ("telegram.me", "telegram.dog"):
        host = "t.me"
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    if host == "t.me" and path.startswith("/s/"):
        path = path[2:]
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith("utm_") and k.lower() not in ("fbclid", "gclid", "si")
        ]
    )
    return urlunsplit((scheme, host, path, query, ""))


# --- character-level cleaning ----------------------------------------------------------------

_MENTION_RE = re.compile(r"@\w+")
_HASHTAG_RE = re.compile(r"#(\w+)")
_CAMEL_RE = re.compile(r"(?<=[a-zа-яёіїєґ])(?=[A-ZА-ЯЁІЇЄҐ])")
_WS_RE = re.compile(r"\s+")
# Thousands groups: 67,150 / 67 150 / 67.150 / 67'150 -> 67150 (groups after the first have 3 digits).
_THOUSANDS_RE = re.compile(r"(?<![\d.,])(\d{1,3})((?:[ ,.'’](?:\d{3}))+)(?![\d])(?![.,]\d)")
_HAS_DIGIT_RE = re.compile(r"\d")
_DECIMAL_COMMA_RE = re.compile(r"(?<=\d),(?=\d)")
# Unicode categories removed outright: format (zero-width, bidi), surrogates, private use, unassigned,
# combining marks (stress accents, emoji variation selectors, keycaps), symbols (emoji, dingbats).
_DROP_CATS = frozenset({"Cf", "Cs", "Co", "Cn", "Mn", "Me", "So", "Sk"})

_LAT2CYR = str.maketrans(
    {
        "a": "а",
        "b": "в",
        "c": "с",
        "e": "е",
        "h": "н",
        "i": "і",
        "k": "к",
        "m": "м",
        "o": "о",
        "p": "р",
        "t": "т",
        "x": "х",
        "y": "у",
    }
)
_CYR2LAT = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "с": "c",
        "е": "e",
        "н": "h",
        "і": "i",
        "к": "k",
        "м": "m",
        "о": "o",
        "р": "p",
        "т": "t",
        "х": "x",
        "у": "y",
        "ѕ": "s",
        "ј": "j",
    }
)
_WORD_RE = re.compile(r"\w+")
_CYR_RE = re.compile(r"[а-яёіїєґ]")
_MIXED_RE = re.compile(r"[a-z][а-яёіїєґ]|[а-яёіїєґ][a-z]")
_LAT_RE = re.compile(r"[a-z]")


class _CleanTable(dict[int, str]):
    """A str.translate table computed per code point on first sight, so cleaning runs at C speed."""

    def __missing__(self, cp: int) -> str:
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if cat in _DROP_CATS:
            out = ""
        elif cat == "Cc" or cat.startswith("Z"):
            out = " "
        else:
            out = ch
        if len(self) < 50_000:  # bound memory against adversarial inputs
            self[cp] = out
        return out


_CLEAN_TABLE = _CleanTable()


def _fold_mixed_word(m: re.Match[str]) -> str:
    """Fold look-alike letters in a word that mixes Latin and Cyrillic into its majority script."""
    w = m.group(0)
    n_cyr = len(_CYR_RE.findall(w))
    n_lat = len(_LAT_RE.findall(w))
    if not n_cyr or not n_lat:
        return w
    # Ties go to Cyrillic: a spoofed word is usually Cyrillic with Latin look-alikes slipped in.
    return w.translate(_LAT2CYR) if n_cyr >= n_lat else w.translate(_CYR2LAT)


def _split_hashtag(m: re.Match[str]) -> str:
    return " " + _CAMEL_RE.sub(" ", m.group(1)) + " "


def _canon_numbers(text: str) -> str:
    if not _HAS_DIGIT_RE.search(text):
        return text
    text = _THOUSANDS_RE.sub(lambda m: m.group(1) + re.sub(r"\D", "", m.group(2)), text)
    return _DECIMAL_COMMA_RE.sub(".", text)


def normalize(text: str) -> str:
    """Clean `text` for comparison. Never raises; ``normalize(normalize(x)) == normalize(x)``."""
    if not isinstance(text, str) or not text:
        return ""
    # Invisible and symbol characters go first: "@\u200bname" or "ht\u200btps://" must not hide
    # a mention or a link from the patterns below.
    s = unicodedata.normalize("NFKC", text).translate(_CLEAN_TABLE)
    if "." in s or "/" in s:
        s = _URL_RE.sub(" ", s)
    if "@" in s:
        s = _MENTION_RE.sub(" ", s)
    if "#" in s:
        s = _HASHTAG_RE.sub(_split_hashtag, s)  # before casefold: camel case splits "#KurskOffensive"
    s = unicodedata.normalize("NFKC", s.casefold())
    s = s.translate(_CLEAN_TABLE)
    s = s.replace("ё", "е").replace("#", " ")
    s = _WS_RE.sub(" ", s).strip()
    # Numbers before look-alike folding: joining "0.000" into "0000" can merge two words into one
    # mixed-script word, which a second call would then fold differently.
    s = _canon_numbers(s)
    if _MIXED_RE.search(s):  # rare: skip the per-word pass for ordinary text
        s = _WORD_RE.sub(_fold_mixed_word, s)
    # Removing characters can create new adjacent pairs (a URL between two words, composed
    # letters); one more pass of the cheap steps makes the function idempotent.
    s2 = unicodedata.normalize("NFKC", s)
    if s2 != s:
        return normalize(s2) if len(s2) < len(text) + 16 else s2
    return s


# --- sentences ---------------------------------------------------------------------------------

# A sentence ends at . ! ? … or a line break, but not inside a number ("0.1", "67.150").
_SENT_RE = re.compile(r"(?:[^.!?…\n]|(?<=\d)[.](?=\d))+(?:[.!?…]+|\n|$)")


def split_sentences(text: str) -> list[str]:
    """Split ORIGINAL text into sentences (and lines), keeping their original wording."""
    out: list[str] = []
    for m in _SENT_RE.finditer(text or ""):
        s = m.group(0).strip()
        if s:
            out.append(s)
    return out


# --- numbers -------------------------------------------------------------------------------------

_NUM_RE = re.compile(r"\d+(?:\.\d+)?")
# A term: a number (with its decimal part) or a word.
_TERM_RE = re.compile(r"\d+(?:\.\d+)?(?!\w)|\w+")


def numbers(normalized: str) -> set[str]:
    """Canonical numbers in an already normalised string (years and counts alike)."""
    return set(_NUM_RE.findall(normalized))


# --- dates --------------------------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for m in names
}
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_RE = re.compile(
    rf"\b(?:(?P<m1>{_MONTH_ALT})\.? (?P<d1>\d{{1,2}}),? (?P<y1>(?:19|20)\d\d)"  # January 14, 2020
    rf"|(?P<d2>\d{{1,2}}) (?P<m2>{_MONTH_ALT})\.?,? (?P<y2>(?:19|20)\d\d)"  # 14 January 2020
    r"|(?P<y3>(?:19|20)\d\d)-(?P<m3>\d\d)-(?P<d3>\d\d)"  # 2020-01-14
    r"|(?P<d4>\d\d)\.(?P<m4>\d\d)\.(?P<y4>(?:19|20)\d\d))\b",  # 14.01.2020
    re.IGNORECASE,
)


_YEAR_RE = re.compile(r"(?:19|20)\d\d")


def find_date(text: str) -> date | None:
    """The last calendar date written in `text` (a tweet's or post's signature), if any."""
    found: date | None = None
    if not text or not _YEAR_RE.search(text):  # cheap test first: most posts carry no year
        return None
    for m in _DATE_RE.finditer(text):
        g = m.groupdict()
        try:
            if g["m1"]:
                found = date(int(g["y1"]), _MONTHS[g["m1"].lower()], int(g["d1"]))
            elif g["m2"]:
                found = date(int(g["y2"]), _MONTHS[g["m2"].lower()], int(g["d2"]))
            elif g["y3"]:
                found = date(int(g["y3"]), int(g["m3"]), int(g["d3"]))
            else:
                found = date(int(g["y4"]), int(g["m4"]), int(g["d4"]))
        except ValueError:
            continue
    return found


# --- stop words ----------------------------------------------------------------------------------

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

# --- transliteration -------------------------------------------------------------------------------

# One Latin form for Russian and Ukrainian; letters that people swap when typing are folded together.
_CYR2SKEL = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "ґ": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "є": "e",
    "э": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "і": "i",
    "ї": "i",
    "й": "i",
    "ы": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "c",
    "ч": "ch",
    "ш": "sh",
    "щ": "sch",
    "ъ": "",
    "ь": "",
    "ю": "ju",
    "я": "ja",
    "'": "",
    "’": "",
}
_CYR2SKEL_TABLE = str.maketrans(_CYR2SKEL)


def transliterate(text: str) -> str:
    """Cyrillic -> the one Latin skeleton used for matching (lossy on purpose)."""
    return text.translate(_CYR2SKEL_TABLE)


# Latin -> Cyrillic, longest match first, for reading transliterated Russian back.
_LAT2RU_RULES: list[tuple[str, str]] = sorted(
    [
        ("shch", "щ"),
        ("sch", "щ"),
        ("zh", "ж"),
        ("kh", "х"),
        ("ch", "ч"),
        ("sh", "ш"),
        ("ts", "ц"),
        ("tz", "ц"),
        ("ya", "я"),
        ("ja", "я"),
        ("ia", "я"),
        ("yu", "ю"),
        ("ju", "ю"),
        ("iu", "ю"),
        ("yo", "е"),
        ("jo", "е"),
        ("ye", "е"),
        ("je", "е"),
        ("a", "а"),
        ("b", "б"),
        ("c", "ц"),
        ("d", "д"),
        ("e", "е"),
        ("f", "ф"),
        ("g", "г"),
        ("h", "х"),
        ("i", "и"),
        ("j", "й"),
        ("k", "к"),
        ("l", "л"),
        ("m", "м"),
        ("n", "н"),
        ("o", "о"),
        ("p", "п"),
        ("q", "к"),
        ("r", "р"),
        ("s", "с"),
        ("t", "т"),
        ("u", "у"),
        ("v", "в"),
        ("w", "в"),
        ("x", "кс"),
        ("y", "ы"),
        ("z", "з"),
    ],
    key=lambda r: -len(r[0]),
)
_WORD_END_RULES: list[tuple[str, str]] = [
    ("iy", "ий"),
    ("yy", "ый"),
    ("ij", "ий"),
    ("yj", "ый"),
    ("yi", "ый"),
    ("oy", "ой"),
    ("oj", "ой"),
    ("ay", "ай"),
    ("ey", "ей"),
]


def _latin_to_cyrillic(word: str) -> str:
    for end, cyr in _WORD_END_RULES:
        if word.endswith(end) and len(word) > len(end) + 1:
            return _latin_to_cyrillic(word[: -len(end)]) + cyr
    out: list[str] = []
    i = 0
    while i < len(word):
        for lat, cyr in _LAT2RU_RULES:
            if word.startswith(lat, i):
                # "y" before a vowel is "й" (as in "yabloko" handled above by "ya"; here e.g. "yo").
                if lat == "y" and i + 1 < len(word) and word[i + 1] in "aeiou":
                    cyr = "й"
                out.append(cyr)
                i += len(lat)
                break
        else:
            out.append(word[i])
            i += 1
    return "".join(out)


# --- stemming ----------------------------------------------------------------------------------------

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
    en = _EN_STEMMER.stemWord(word)
    if not translit or len(word) < 3:
        return (en,)
    cyr = _latin_to_cyrillic(word)
    if cyr in STOP_WORDS:
        return (en,)
    sk = transliterate(_RU_STEMMER.stemWord(cyr))
    extra = (sk[:PREFIX_LEN] + PREFIX_MARK,) if len(sk) > PREFIX_LEN else ()
    return ((en,) if sk == en else (en, sk)) + extra


def _text_lang(words: list[str], hint: str | None, norm: str | None = None) -> tuple[str, bool]:
    """(Cyrillic stemmer language, whether Latin words may be transliterated Russian)."""
    if hint in ("ru", "uk"):
        cyr_lang = hint
    elif norm is not None and not _CYR_RE.search(norm):
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
    latin = [w for w in words if _LAT_RE.match(w)]
    if not latin:
        return cyr_lang, False
    en_stop = sum(1 for w in latin if w in _EN_STOP_SET)
    # Real English has ~40% stop words; a text with very few is likely transliterated Russian.
    looks_english = en_stop >= 2 and en_stop >= 0.12 * len(latin)
    return cyr_lang, not looks_english


def text_mode(norm: str, lang: str | None = None) -> tuple[str, bool]:
    """How to read a normalised text: (Cyrillic stemmer "ru"/"uk", Latin may be translit)."""
    return _text_lang(_TERM_RE.findall(norm), lang, norm)


def word_terms(norm: str, lang: str | None = None, *, mode: tuple[str, bool] | None = None) -> list[tuple[str, ...]]:
    """Index terms of an already normalised string, grouped per source word.

    A word can give several terms (English stem + transliteration skeleton + prefix); scorers that
    measure "how much of the text is explained" count a word once. Stop words give no group.
    `mode` (from :func:`text_mode` of a whole post) makes every segment of a post be read alike.
    """
    words = _TERM_RE.findall(norm)
    if not words:
        return []
    cyr_lang, translit = mode if mode is not None else _text_lang(words, lang, norm)
    cache = _WORD_CACHE[(cyr_lang, translit)]
    out: list[tuple[str, ...]] = []
    for w in words:
        group = cache.get(w)
        if group is None:
            group = _word_group(w, cyr_lang, translit)
            if len(cache) < _WORD_CACHE_MAX:
                cache[w] = group
        if group:
            out.append(group)
    return out


def _word_group(w: str, cyr_lang: str, translit: bool) -> tuple[str, ...]:
    """The terms of one word (empty for a stop word)."""
    if w[0].isdigit() and _NUM_RE.fullmatch(w):
        return (w,)
    if w in STOP_WORDS or len(w) < 2:
        return ()
    if _CYR_RE.search(w):
        group = _cyr_term(w, cyr_lang)
    elif _LAT_RE.search(w):
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


def terms_of_normalized(norm: str, lang: str | None = None, *, mode: tuple[str, bool] | None = None) -> list[str]:
    """Index terms for an already normalised string (see :func:`tokens`)."""
    return [t for group in word_terms(norm, lang, mode=mode) for t in group]


def tokens(text: str, lang: str | None = None) -> list[str]:
    """Normalised, stop-word-free, stemmed, transliterated index terms of `text`.

    `lang` ("en", "ru", "uk") is a hint from the knowledge base; posts are guessed per text.
    Numbers are kept whole ("67150", "3.5").
    """
    return terms_of_normalized(normalize(text), lang)
