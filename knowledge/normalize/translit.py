"""One Latin skeleton for Russian and Ukrainian, and reading transliterated Russian back into Cyrillic."""

from __future__ import annotations

__all__ = ["latin_to_cyrillic", "transliterate"]

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


# The rules by first letter, in list order: at each position only those can match, and the first of
# them that does is the first of the whole list that does (a word is read once per distinct word, but
# every new word of every post is).
_LAT2RU_BY_FIRST: dict[str, list[tuple[str, str]]] = {}
for _lat, _cyr in _LAT2RU_RULES:
    _LAT2RU_BY_FIRST.setdefault(_lat[0], []).append((_lat, _cyr))


def latin_to_cyrillic(word: str) -> str:
    """Read a Latin word as transliterated Russian (greedy, longest rule first)."""
    # Word-end rules peel off repeatedly ("...iyiy"); a loop, not recursion, so any length is safe.
    endings: list[str] = []
    peeled = True
    while peeled:
        peeled = False
        for end, cyr in _WORD_END_RULES:
            if word.endswith(end) and len(word) > len(end) + 1:
                endings.append(cyr)
                word = word[: -len(end)]
                peeled = True
                break
    out: list[str] = []
    i = 0
    while i < len(word):
        for lat, cyr in _LAT2RU_BY_FIRST.get(word[i], ()):
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
    return "".join(out) + "".join(reversed(endings))
