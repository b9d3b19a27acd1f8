"""Figures and years written in a text, read from its normalised words (:mod:`knowledge.consistency`). Pure."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

__all__ = ["other_people", "other_things", "people_of_sides", "periods", "read_figures", "shown"]

_MONTH_WORDS = frozenset(
    """january february march april may june july august september october november december jan feb mar apr
    jun jul aug sep sept oct nov dec января февраля марта апреля мая июня июля августа сентября октября ноября
    декабря січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня yanvarya
    fevralya marta aprelya maya iyunya iyulya avgusta sentyabrya oktyabrya noyabrya dekabrya sichnya lyutogo
    bereznya kvitnya travnya chervnya lypnya serpnya veresnya zhovtnya lystopada grudnya""".split()
)
_MULTIPLIERS = {
    **dict.fromkeys(
        """тыс тысяч тысячи тысяча тысячу тысячах тысячам тысячами тис тисяч тисячі тисяча тисячу
    тисячах тисячам тисячами thousand thousands k""".split(),
        1e3,
    ),
    **dict.fromkeys("hundred hundreds".split(), 1e2),
    **dict.fromkeys("млн mln million millions миллион миллиона миллионов мільйон мільйона мільйонів".split(), 1e6),
    **dict.fromkeys("млрд bn billion billions миллиард миллиарда миллиардов мільярд мільярда мільярдів".split(), 1e9),
    **dict.fromkeys(
        "trillion trillions трлн триллион триллиона триллионов трильйон трильйона трильйонів".split(), 1e12
    ),
}
_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")

# What a figure counts, by the first word after it (and its multiplier) that names a kind of thing: "340
# беспилотников" is not "340 военнослужащих". Kinds are broad on purpose (soldiers, troops, the killed and the
# evacuated are all people): two kinds differ only where no one would write one for the other.
_KIND_STEMS: dict[str, tuple[str, ...]] = {
    # Soldiers and civilians are both people; "people", "casualties" or "killed" may be either.
    "military": (
        "servicem", "troop", "soldier", "fighter", "mercenar", "военнослуж", "військовослуж", "бойц", "бійц", "солдат",
        "наемник", "найманц", "personnel", "всушник", "зсушник",
    ),
    "civilians": (
        "civilian", "resident", "жител", "мешкан", "граждан", "громадян", "цивіл", "evacuee", "беженц", "біженц",
        "journalist", "reporter", "correspondent", "engineer", "worker", "builder", "construction", "student",
        "tourist", "журналист", "корреспондент", "инженер", "рабоч", "строител", "студент", "турист", "журналіст",
        "кореспондент", "інженер", "робітник", "будівельник",
    ),
    "people": (
        "person", "people", "casualt", "wounded", "человек", "людей", "погибш", "загибл", "убит", "вбит", "раненых",
        "поранен",
    ),
    # Prisoners of war and convicts are counted as such: "340 военнопленных" are not the claim's 340 killed.
    "prisoners": (
        "prisoner", "pow", "convict", "inmate", "пленн", "военнопленн", "полонен", "військовополонен", "заключенн",
        "заключённ", "осужденн", "осуждённ", "засуджен", "ув'язнен", "вязн", "в'язн",
    ),
    "livestock": ("livestock", "cattle", "скот", "худоб"),
    "drones": ("drone", "uav", "беспилотн", "безпілотн", "бпла", "дрон"),
    "armour": ("tank", "танк", "бронетехн", "бмп", "бтр"),
    "vehicles": ("vehicle", "truck", "автомоб", "грузовик", "вантажів"),
    "guns": ("орудий", "гармат", "artillery"),
    "munitions": ("shell", "снаряд", "missile", "ракет", "rocket", "bomb", "бомб"),
    "hectares": ("hectare", "гектар"),
    "acres": ("acre",),
    "kilometres": ("kilomet", "километр", "кілометр"),
    "miles": ("mile", "миль"),
    "tonnes": ("tonne", "тонн"),
    "hours": ("hour", "часов", "годин"),
    "days": ("суток", "дневн", "денн", "добов"),
    "weeks": ("week", "недел", "тижн"),
    "months": ("month", "месяц", "місяц"),
    "dollars": ("dollar", "доллар", "долар"),
    "roubles": ("рубл", "rouble", "ruble"),
    "hryvnias": ("гривен", "гривн", "гривень", "hryvn"),
    "percent": ("percent", "процент", "відсот"),
    "settlements": ("village", "settlement", "населенных", "населённых", "населених"),
}  # fmt: skip
_KIND_WORDS: dict[str, str] = {
    **dict.fromkeys("killed dead men люди".split(), "people"),
    **dict.fromkeys("military военных военные військових військові".split(), "military"),
    **dict.fromkeys("машин машины".split(), "vehicles"),
    **dict.fromkeys("голов голів головы голови".split(), "livestock"),  # not "головорезов"
    **dict.fromkeys("мин мины мін міни mines".split(), "munitions"),
    **dict.fromkeys("km км".split(), "kilometres"),
    **dict.fromkeys("km2".split(), "square kilometres"),
    **dict.fromkeys("ton tons".split(), "tonnes"),
    **dict.fromkeys("час часа".split(), "hours"),
    **dict.fromkeys("day days daily дней днів дня дні доби".split(), "days"),
    **dict.fromkeys("euro euros евро євро".split(), "euros"),
    **dict.fromkeys("сел сёл села селах сіл".split(), "settlements"),
}
_SQUARE = frozenset("square sq кв kv квадратных квадратних kvadratnykh kvadratnyh".split())  # "1000 кв. км": an area
# Words after which the figure's kind is not said: "lost 340 in a drone attack", "340 единиц техники".
_PHRASE_END = frozenset(
    """in at on for of by per from to with than and or a an the over about units pieces за в во на по у з із від до
    и і та або или чем ніж с со из от более около понад близько единиц одиниць шт""".split()
)
_LOOK_AHEAD = 3  # words after the figure: "340 российских военнослужащих", "600 north korean troops"


@lru_cache(maxsize=50_000)
def _kind(word: str) -> str:
    return _KIND_WORDS.get(word) or next((k for k, stems in _KIND_STEMS.items() if word.startswith(stems)), "")


def _counted(words: list[str], i: int) -> str:
    """What the figure at `words[i]` counts (a kind of _KIND_STEMS), or "" where its words do not say."""
    j = i + 1 + (i + 1 < len(words) and words[i + 1] in _MULTIPLIERS)
    for k, w in enumerate(words[j : j + _LOOK_AHEAD]):
        if w in _PHRASE_END or _NUMBER_RE.match(w):
            return ""
        if w in _SQUARE:
            unit = _kind(words[j + k + 1]) if j + k + 1 < len(words) else ""
            return f"square {unit}" if unit in ("kilometres", "miles") else ""
        kind = _kind(w)
        if kind:
            return kind
    return ""


def read_figures(words: list[str]) -> tuple[set[float], set[int], tuple[tuple[float, str], ...]]:
    """The counts and amounts (times their multiplier: "120 тысяч" is 120,000), the years, and (figure, what it
    counts) for each figure ("" where its words do not say) among the normalised `words`; a day of a month is
    neither a figure nor a year."""
    figures: set[float] = set()
    years: set[int] = set()
    counted: set[tuple[float, str]] = set()
    for i, w in enumerate(words):
        if not _NUMBER_RE.match(w):
            continue
        value = float(w)
        nxt = words[i + 1] if i + 1 < len(words) else ""
        prev = words[i - 1] if i else ""
        if "." not in w and len(w) == 4 and 1900 <= value <= 2099:
            years.add(int(value))
        elif nxt in _MONTH_WORDS or (prev in _MONTH_WORDS and value <= 31):
            continue  # a day of a month
        else:
            figure = value * _MULTIPLIERS.get(nxt, 1.0)
            figures.add(figure)
            counted.add((figure, _counted(words, i)))
    return figures, years, tuple(sorted(counted))


_PERSONS = frozenset({"military", "civilians", "people"})
_SHOWN = {"military": "soldiers", "armour": "tanks or armour", "guns": "guns", "munitions": "shells or missiles"}


def shown(kind: str) -> str:
    """A kind as a card's reason line names it ("340 drones, not 340 soldiers")."""
    return _SHOWN.get(kind, kind)


def _same_things(mine: set[str], theirs: set[str]) -> bool:
    """Whether two texts' kinds for one figure may count the same thing: "1000 km of territory" is sloppy, not
    another thing than "1000 km²" ("square miles" is); "people" may be soldiers or civilians, unless the claim
    says which elsewhere."""
    mine = {k.removeprefix("square ") for k in mine}
    theirs = {k.removeprefix("square ") for k in theirs}
    if "people" in mine and len(mine & _PERSONS) > 1:
        mine.discard("people")
    if ("people" in theirs and mine & _PERSONS) or ("people" in mine and theirs & _PERSONS):
        return True
    return not mine.isdisjoint(theirs)


def other_things(
    claim: Collection[tuple[float, str]], post: Collection[tuple[float, str]], tolerance: float
) -> tuple[float, str, str] | None:
    """(figure, the post's kind, the claim's kind) where the figures post and claim share count other things
    ("340 drones" for "340 killed"): one of them does, both saying what it counts, and none counts the same
    thing in both. None where they agree or do not say."""
    differ: tuple[float, str, str] | None = None
    for value in sorted({v for v, _k in post}):
        mine = {k for v, k in claim if abs(v - value) <= tolerance * max(abs(v), abs(value))}
        if len(mine) > 1:
            mine.discard("")  # a wording that does not say what it counts; others of the claim do
        theirs = {k for v, k in post if v == value}
        if _same_things(mine, theirs) or (mine and "" in theirs):
            return None  # a shared figure that counts the claim's thing, or may: "340 ВСУшников ..., 24 беспилотника"
        if mine and differ is None and "" not in mine and "" not in theirs:
            differ = (value, min(theirs), min(mine))
    return differ


# The period a figure is counted over ("за сутки", "a week"): one of these words, anywhere in the text.
_PERIODS: dict[str, str] = {
    "сутки": "day", "суток": "day", "добу": "day", "доби": "day", "день": "day", "day": "day", "days": "day",
    "daily": "day", "неделю": "week", "неделя": "week", "недели": "week", "тиждень": "week", "тижня": "week",
    "week": "week", "weeks": "week", "weekly": "week", "месяц": "month", "месяца": "month", "місяць": "month",
    "місяця": "month", "month": "month", "months": "month", "годину": "hour", "hour": "hour", "monthly": "month",
    "ежемесячно": "month", "щомісяця": "month", "ежедневно": "day", "щодня": "day", "щоденно": "day",
    "щотижня": "week", "еженедельно": "week", "annually": "year", "yearly": "year", "ежегодно": "year",
    "щорічно": "year", "щороку": "year",
}  # fmt: skip
# Plurals only right after a figure: "за два тижні" is a period, "максимум за несколько недель" a comparison.
_PLURAL_PERIODS = {
    "тижні": "week", "тижнів": "week", "недель": "week", "месяцев": "month", "місяці": "month", "місяців": "month",
}  # fmt: skip
_FEW = frozenset("два две дві двух двох три трех трьох четыре чотири пять шесть шість семь сім восемь вісім".split())
# The period a counted figure is: "за 24 часа" is a day, "30-дневное" counts days.
_PERIOD_OF_KIND = {"days": "day", "weeks": "week", "months": "month"}
# A year is a period only after one of these ("за год", "per year", "за весь 2024 год", "the whole of 2024"):
# "6 августа 2024 года" and "this year" say when, not how long.
_YEAR_WORDS = frozenset("год года рік року year".split())
_OVER = frozenset("за per each every whole весь целый цілий увесь в на".split())  # not "a": "nearly a year after"
_WHOLE = frozenset("весь целый цілий увесь whole".split())  # "за весь март", "the whole of March": a month
_MONTHS = _MONTH_WORDS | frozenset(
    """январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь січень лютий березень
    квітень травень червень липень серпень вересень жовтень листопад грудень""".split()
)


def periods(words: list[str], counted: Collection[tuple[float, str]] = ()) -> frozenset[str]:
    """The periods `words` (normalised) count a figure over; `counted` (:func:`read_figures`) adds the period its
    figures of time are ("24 часа" a day)."""
    out = {p for w in words if (p := _PERIODS.get(w))}
    for value, kind in counted:
        if kind == "hours":
            out.add("day" if value % 24 == 0 else "hour")
        elif kind in _PERIOD_OF_KIND:
            out.add(_PERIOD_OF_KIND[kind])
    for i, w in enumerate(words):
        if w in _PLURAL_PERIODS and i and (_NUMBER_RE.match(words[i - 1]) or words[i - 1] in _FEW):
            out.add(_PLURAL_PERIODS[w])
        elif w in _YEAR_WORDS and i and (
            words[i - 1] in _OVER or (_NUMBER_RE.match(words[i - 1]) and i > 1 and words[i - 2] in _OVER)
        ):
            out.add("year")
        elif w == "whole" and i + 2 < len(words) and words[i + 1] == "of" and _NUMBER_RE.match(words[i + 2]):
            out.add("year")
        elif w in _MONTHS and i and (words[i - 1] in _WHOLE or words[i - 2 : i] == ["whole", "of"]):
            out.add("month")
    return frozenset(out)


# Who a side's people are: "North Korean soldiers" are not "North Korean construction workers". A prisoner of war is a
# soldier here ("two North Korean POWs" for "captured two North Korean soldiers").
_AS_PERSON = {"military": "military", "prisoners": "military", "civilians": "civilians", "people": "people"}


def people_of_sides(words: list[str], spans: list[tuple[int, int, str]]) -> tuple[tuple[str, str], ...]:
    """(side, who) for every side named right before a word for people: "северокорейских журналистов"."""
    out: set[tuple[str, str]] = set()
    for _start, end, side in spans:
        for w in words[end : end + 2]:
            if w in _PHRASE_END:
                break
            who = _AS_PERSON.get(_kind(w))
            if who:
                out.add((side, who))
                break
    return tuple(sorted(out))


def other_people(claim: Collection[tuple[str, str]], post: Collection[tuple[str, str]]) -> tuple[str, str, str] | None:
    """(side, the post's people, the claim's) where the post names other people of a side than the claim does,
    and no side's people agree; None otherwise."""
    differ: tuple[str, str, str] | None = None
    for side in sorted({s for s, _w in post}):
        mine = {w for s, w in claim if s == side}
        theirs = {w for s, w in post if s == side}
        if not mine:
            continue
        if _same_things(mine, theirs):
            return None
        differ = differ or (side, min(theirs), min(mine))
    return differ
