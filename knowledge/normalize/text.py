"""Character-level cleaning, sentences and figures: what fuzzy scorers compare."""

from __future__ import annotations

import re
import unicodedata

from knowledge.normalize.numwords import EN_ONES, EN_TEENS, EN_TENS, numbers_in_words
from knowledge.normalize.numwords import GATE_RE as NUMWORDS_GATE_RE
from knowledge.normalize.urls import URL_RE

__all__ = ["CYR_RE", "LAT_RE", "NUM_RE", "TERM_RE", "normalize", "numbers", "split_sentences"]

_MENTION_RE = re.compile(r"@\w+")
_HASHTAG_RE = re.compile(r"#(\w+)")
_CAMEL_RE = re.compile(r"(?<=[a-zа-яёіїєґ])(?=[A-ZА-ЯЁІЇЄҐ])")
_WS_RE = re.compile(r"\s+")
# Thousands groups: 67,150 / 67 150 / 67.150 / 67'150 -> 67150 (groups after the first have 3 digits).
_THOUSANDS_RE = re.compile(r"(?<![\d.,])(\d{1,3})((?:[ ,.'’](?:\d{3}))+)(?![\d])(?![.,]\d)")
_HAS_DIGIT_RE = re.compile(r"\d")
# English figures in words ("fifteen million", "forty-three percent", "three hundred and forty") -> digits,
# as claims write them ("15 million", "43 percent", "340"): a phrase with a hundred or a thousand in it, or
# before a larger magnitude or "percent"; other number words ("one of", "two sides") stay words.
_NUMBER_WORD_VALUE = {
    **{w: i + 1 for i, w in enumerate(EN_ONES)},
    **{w: i + 10 for i, w in enumerate(EN_TEENS)},
    **{w: 10 * (i + 2) for i, w in enumerate(EN_TENS)},
}
_SMALL_MAGNITUDES = {"hundred": 100, "thousand": 1000}
_NUMBER_WORD = rf"(?:(?:{'|'.join(EN_TENS)})(?:-?(?:{'|'.join(EN_ONES)}))?|{'|'.join(EN_TEENS + EN_ONES)})"
_NUMBER_PHRASE_RE = re.compile(
    # "a" is one only right before a magnitude ("a thousand", "a million"; not "a twenty percent rise"), and
    # "and" joins only after a hundred or a thousand ("three hundred and forty"; "two and three" is a list).
    rf"\b(?:a(?= (?:hundred|thousand|million|billion|trillion)\b)|{_NUMBER_WORD})"
    rf"(?:[ -](?:{_NUMBER_WORD}|hundred|thousand)|(?:(?<=hundred)|(?<=thousand)) and {_NUMBER_WORD})*\b"
    r"(?=( (?:million|billion|trillion|percent|per cent)s?\b)?)"
)
_MAGNITUDE_RE = re.compile(r"hundred|thousand|million|billion|trillion|percent|per cent")
_NUMBER_PART_RE = re.compile("|".join(sorted(_NUMBER_WORD_VALUE, key=len, reverse=True)))  # "ninetyeight"
_DECIMAL_COMMA_RE = re.compile(r"(?<=\d),(?=\d)")
# A figure spelled with the letter o for a zero ("34О", "1О0"): a word of digits and o's with two digits or more.
_DIGIT_O_GATE_RE = re.compile(r"\d[оo]|[оo]\d")
_DIGIT_O_RE = re.compile(r"\b(?=[оo]*\d[оo]*\d)[\dоo]*[оo][\dоo]*\b")
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
CYR_RE = re.compile(r"[а-яёіїєґ]")
_MIXED_RE = re.compile(r"[a-z][а-яёіїєґ]|[а-яёіїєґ][a-z]")
LAT_RE = re.compile(r"[a-z]")


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
    n_cyr = len(CYR_RE.findall(w))
    n_lat = len(LAT_RE.findall(w))
    if not n_cyr or not n_lat:
        return w
    # Ties go to Cyrillic: a spoofed word is usually Cyrillic with Latin look-alikes slipped in.
    return w.translate(_LAT2CYR) if n_cyr >= n_lat else w.translate(_CYR2LAT)


def _split_hashtag(m: re.Match[str]) -> str:
    return " " + _CAMEL_RE.sub(" ", m.group(1)) + " "


def _number_in_words(m: re.Match[str]) -> str:
    phrase, larger = m.group(0), m.group(1)
    total = current = 0
    scaled = False
    for w in re.split(r"[ -]", phrase):
        if w in _SMALL_MAGNITUDES:
            current, scaled = (current or 1) * _SMALL_MAGNITUDES[w], True
            if w == "thousand":
                total, current = total + current, 0
        elif w == "a":
            current = 1
        elif w and w != "and":
            current += sum(_NUMBER_WORD_VALUE[p] for p in _NUMBER_PART_RE.findall(w))
    return str(total + current) if scaled or larger else phrase


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
        s = URL_RE.sub(" ", s)
    if "@" in s:
        s = _MENTION_RE.sub(" ", s)
    if "#" in s:
        s = _HASHTAG_RE.sub(_split_hashtag, s)  # before casefold: camel case splits "#KurskOffensive"
    s = unicodedata.normalize("NFKC", s.casefold())
    s = s.translate(_CLEAN_TABLE)
    s = s.replace("ё", "е").replace("#", " ")
    s = _WS_RE.sub(" ", s).strip()
    if _DIGIT_O_GATE_RE.search(s):
        s = _DIGIT_O_RE.sub(lambda m: m.group(0).replace("о", "0").replace("o", "0"), s)
    # Numbers before look-alike folding: joining "0.000" into "0000" can merge two words into one
    # mixed-script word, which a second call would then fold differently.
    s = _canon_numbers(s)
    if _MIXED_RE.search(s):  # rare: skip the per-word pass for ordinary text
        s = _WORD_RE.sub(_fold_mixed_word, s)
    # Figures in words once look-alike letters are folded; most texts name no magnitude and skip the pass.
    if _MAGNITUDE_RE.search(s):
        worded = _NUMBER_PHRASE_RE.sub(_number_in_words, s)
        if worded != s:
            return normalize(worded)  # the new digits may join a group ("a hundred 500"): settle them too
    if NUMWORDS_GATE_RE.search(s):  # "триста сорок", "тридцятиденне", "thirty-four", "two dozen"
        worded = numbers_in_words(s)
        if worded != s:
            return normalize(worded)
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

NUM_RE = re.compile(r"\d+(?:\.\d+)?")
# A term: a number (with its decimal part) or a word.
TERM_RE = re.compile(r"\d+(?:\.\d+)?(?!\w)|\w+")


def numbers(normalized: str) -> set[str]:
    """Canonical numbers in an already normalised string (years and counts alike)."""
    return set(NUM_RE.findall(normalized))

