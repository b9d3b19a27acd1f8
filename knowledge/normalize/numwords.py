"""Figures written in Russian, Ukrainian or English words, as digits: "триста сорок" -> 340, "три тисячі чотириста"
-> 3400, "две дюжины" -> 24, "thirty-four" -> 34, "тридцятиденне" -> "30 денне". Pure.

A run of number words becomes digits when it has a ten, a teen, a hundred, or a thousand or dozen after another
number word; a unit alone stays a word ("две стороны", "one of them"), and so does a lone "тысячи" or "dozens"
("тысячи людей": thousands, no figure). Runs on text already casefolded (:func:`knowledge.normalize.normalize`).
"""

from __future__ import annotations

import re

__all__ = ["EN_ONES", "EN_TEENS", "EN_TENS", "GATE_RE", "numbers_in_words"]

_UNITS: dict[int, str] = {
    1: "один одна одно одного одной одному одним одном одну одне однієї одній",
    2: "два две двух двум двумя дві двох двом двома",
    3: "три трех трем тремя трьох трьом трьома",
    4: "четыре четырех четырем четырьмя чотири чотирьох чотирьом чотирма",
    5: "пять пяти пятью п'ять п'яти п'ятьма",
    6: "шесть шести шестью шість шістьма",
    7: "семь семи семью сім сьома",
    8: "восемь восьми восемью вісім вісьмома",
    9: "девять девяти девятью дев'ять дев'яти дев'ятьма",
}
_TEENS: dict[int, str] = {
    10: "десять десяти десятью",
    11: "одиннадцать одиннадцати одинадцять одинадцяти",
    12: "двенадцать двенадцати дванадцять дванадцяти",
    13: "тринадцать тринадцати тринадцять тринадцяти",
    14: "четырнадцать четырнадцати чотирнадцять чотирнадцяти",
    15: "пятнадцать пятнадцати п'ятнадцять п'ятнадцяти",
    16: "шестнадцать шестнадцати шістнадцять шістнадцяти",
    17: "семнадцать семнадцати сімнадцять сімнадцяти",
    18: "восемнадцать восемнадцати вісімнадцять вісімнадцяти",
    19: "девятнадцать девятнадцати дев'ятнадцять дев'ятнадцяти",
}
_TENS: dict[int, str] = {
    20: "двадцать двадцати двадцатью двадцять двадцяти",
    30: "тридцать тридцати тридцатью тридцять тридцяти",
    40: "сорок сорока",
    50: "пятьдесят пятидесяти п'ятдесят п'ятдесяти",
    60: "шестьдесят шестидесяти шістдесят шістдесяти",
    70: "семьдесят семидесяти сімдесят сімдесяти",
    80: "восемьдесят восьмидесяти вісімдесят вісімдесяти",
    90: "девяносто девяноста дев'яносто дев'яноста",
}
_HUNDREDS: dict[int, str] = {
    100: "сто ста",  # not "сотни": hundreds, no figure
    200: "двести двухсот двумстам двісті двохсот двомстам",
    300: "триста трехсот тремстам трьохсот трьомстам",
    400: "четыреста четырехсот четыремстам чотириста чотирьохсот чотирьомстам",
    500: "пятьсот пятисот пятистам п'ятсот п'ятисот п'ятистам",
    600: "шестьсот шестисот шестистам шістсот шестисот",
    700: "семьсот семисот семистам сімсот семисот",
    800: "восемьсот восьмисот восьмистам вісімсот восьмисот",
    900: "девятьсот девятисот девятистам дев'ятсот дев'ятисот",
}
_THOUSANDS = "тысяча тысячи тысяч тысячу тысячами тысячах тисяча тисячі тисяч тисячу тисячами тисячах thousand"
_DOZENS = "дюжина дюжины дюжин дюжину дюжиной дюжини dozen"
# English number words, also read by knowledge.normalize.text's pass for English phrases with a magnitude.
EN_ONES = "one two three four five six seven eight nine".split()
EN_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
EN_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()

_WORDS: dict[str, tuple[int, str]] = {}
for _table, _kind in ((_UNITS, "unit"), (_TEENS, "ten"), (_TENS, "ten"), (_HUNDREDS, "ten")):
    for _value, _forms in _table.items():
        _WORDS.update(dict.fromkeys(_forms.split(), (_value, _kind)))
_WORDS.update({w: (i + 1, "unit") for i, w in enumerate(EN_ONES)})
_WORDS.update({w: (10 * (i + 2), "ten") for i, w in enumerate(EN_TENS)})
_WORDS.update(dict.fromkeys(_THOUSANDS.split(), (1000, "thousand")))
_WORDS.update(dict.fromkeys(_DOZENS.split(), (12, "dozen")))
_WORDS["a"] = (1, "a")  # "a dozen"

_ANY_FORM = "|".join(sorted((re.escape(w) for w in _WORDS if w != "a"), key=len, reverse=True))
# A run: number words joined by spaces ("сорок два"), or by hyphens in English ("thirty-four"; "сорок-пятьдесят" is a
# range); "a" only before "dozen". Not before an ordinal: "две тысячи двадцать четвертого года" is a date.
_ORDINAL = r"(?:перв|втор|трет|четверт|пят|шест|седьм|восьм|девят|десят|перш|друг|шост|сьом|п'ят|дев'ят)"
_RUN_RE = re.compile(
    rf"(?<![\w'’ʼ])(?:a(?= dozen\b)|{_ANY_FORM})(?:(?: |(?<=[a-z])-(?=[a-z]))(?:{_ANY_FORM}))*+(?![\w'’ʼ])"
    rf"(?! {_ORDINAL})"
)
# "тридцатидневное", "тридцятиденне", "двухдневный": a number's stem glued to days or hours.
_GLUED_STEMS: dict[str, int] = {
    "двух": 2, "двох": 2, "трех": 3, "трьох": 3, "четырех": 4, "чотирьох": 4, "пяти": 5, "п'яти": 5, "шести": 6,
    "семи": 7, "восьми": 8, "девяти": 9, "дев'яти": 9, "десяти": 10, "пятнадцати": 15, "п'ятнадцяти": 15,
    "двадцати": 20, "двадцяти": 20, "тридцати": 30, "тридцяти": 30, "сорока": 40, "шестидесяти": 60,
    "шістдесяти": 60, "девяноста": 90, "дев'яноста": 90, "ста": 100,
}  # fmt: skip
_GLUED_RE = re.compile(
    rf"(?<![\w'’ʼ])({'|'.join(sorted(_GLUED_STEMS, key=len, reverse=True))})"
    r"(дневн\w*|денн\w*|часов\w*|годинн\w*|суточн\w*|добов\w*)"
)
# Cheap look first: most texts have no number word of these kinds.
GATE_RE = re.compile(
    r"дцат|дцят|десят|сорок|ност|сто\b|ста\b|сот|сті\b|тысяч|тисяч|дюжин|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|dozen|дневн|денн|часов|годинн|суточн|добов"
)


def _run_value(m: re.Match[str]) -> str:
    words = re.split(r" |-", m.group(0))
    kinds = [_WORDS[w][1] for w in words]
    # A unit alone, a lone "тысячи" or "dozen" (no number word before it) is no figure.
    if not any(k == "ten" for k in kinds) and not any(
        k in ("thousand", "dozen") and i and kinds[i - 1] != "thousand" for i, k in enumerate(kinds)
    ):
        return m.group(0)
    total = current = 0
    for w, kind in zip(words, kinds, strict=True):
        value = _WORDS[w][0]
        if kind == "thousand":
            total, current = total + (current or 1) * 1000, 0
        elif kind == "dozen":
            current = (current or 1) * 12
        else:
            current += value
    if kinds[-1] == "thousand" and total % 1000 == 0:
        # "сто двадцать тысяч" as a channel writes it, "120 тысяч": the words a claim's "120 тысяч" has
        return f"{total // 1000} {words[-1]}"
    return str(total + current)


def numbers_in_words(text: str) -> str:
    """`text` (casefolded) with its figures in words written as digits."""
    if not GATE_RE.search(text):
        return text
    text = _GLUED_RE.sub(lambda m: f"{_GLUED_STEMS[m.group(1)]} {m.group(2)}", text)
    return _RUN_RE.sub(_run_value, text)
