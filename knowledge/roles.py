"""Which named sides of a text can be a subject: a small, rule-based reading of who acts.

:mod:`knowledge.consistency` compares the side a claim is about ("Russia recaptured Sudzha") with the
side a post is about. Reading the first side named as the subject mistakes objects for subjects: "все
контратаки ВСУ отбиты" (genitive), "a respite for the Ukrainian military" (after a preposition),
"Russia's Kursk region" (possessive), "вивід українських військ" (an oblique adjective). This module
sets those aside:

- a side right after a preposition (articles and "all" skipped) is an object;
- a side followed by a possessive "'s" is an attribute;
- a Cyrillic side word that is not one of the gazetteer's nominative forms (or the nominative
  forms of its adjectives: российский -> российская, российские) is in an oblique case. Latin
  letters carry no case, so transliterated and English words are kept.

:func:`clause_subjects` reads the first such side of every clause, so that "Ukraine has lost Sudzha:
Russian troops retook the town" names Russia as a subject too. :func:`gave_way` sets aside a side that a
verb of retreat, flight, withdrawal or surrender follows in its clause: "Ukrainian forces have liberated
Sudzha, Russian troops are fleeing" is Ukraine's deed, not Russia's (it was a strong card for "Russian
forces have recaptured Sudzha"). :func:`passive` reads an English passive: the side it is said of did not
act ("every Russian counterattack is repelled"), the side after "by" did. :func:`encircled` reads which side
is in the pocket ("тысячи российских солдат в окружении"), whoever is named as acting. Pure functions.
"""

from __future__ import annotations

from functools import lru_cache

from knowledge.gazetteer import ABBREVIATIONS, ACTORS
from knowledge.normalize import normalize
from knowledge.normalize.terms import STOP_WORDS
from knowledge.normalize.text import CYR_RE, TERM_RE

__all__ = [
    "clause_subjects", "confirmers", "encircled", "gave_way", "heads_phrase", "named_sides", "passive", "sided_with",
    "subject_spans",
]  # fmt: skip

_Span = tuple[int, int, str]

_PREPOSITIONS = frozenset(
    """of for from against with by to in at on into onto alongside about over under without toward towards
    near behind among between upon since amid during despite через в во на из изо от ото для против с со
    к ко у до по при о об обо про над под без после между перед вместе возле около з із зі від для проти
    після між разом біля поруч серед""".split()
)
_DETERMINERS = frozenset(
    "the a an its their his her all any every these those всех всіх усіх этих цих всієї всей".split()
)
# Words that open a new clause; the side after them may be that clause's subject.
_CLAUSE_WORDS = frozenset(
    "and but while after when that whereas и а но что когда пока после і й та але що коли поки після".split()
)
_CLAUSE_MARKS = frozenset(',;:—–!?.()«»"“”„')
# Verbs of giving way (retreat, flight, withdrawal, surrender): the side whose clause has one yielded
# the ground, it did not take it. Not "lost" (casualty claims: "ВСУ потеряли 67 150") nor "left"/
# "вышли" (also "вышли к Судже", an advance).
_GAVE_WAY = (
    "retreat", "withdr", "fled", "fleeing", "flees", "abandon", "surrender",
    "отступ", "отход", "отош", "бегут", "бежал", "бежит", "сбежа", "убега", "бегств", "покину", "покида",
    "сдали", "сдались", "сдаются", "драпа",
    "відступ", "відход", "відійш", "тіка", "втек", "втіка", "здали", "здалися", "здаються",
)  # fmt: skip
_GAVE_WAY_WORDS = frozenset({"flee"})  # not a prefix: "fleet"
# "Lost" gave way only where a place is its object ("Russia has lost the Kursk region").
_LOST = ("lost", "loses", "losing", "потерял", "утратил", "втратил", "втратив")
_CONTROL = frozenset("control of over контроль над".split())
# An English passive: a form of "be", at most two of these words, a participle ("is repelled", "have been
# completely surrounded").
_BE = frozenset("is are was were been being be".split())
_PASSIVE_GAP = frozenset("been being completely fully reportedly already now all also again still".split())
_IRREGULAR = frozenset("hit shot held caught beaten taken driven thrown struck overrun".split())
# Encircled. Said of the side before it (else after): a short participle ("окружены", "оточені"), "in a pocket"
# ("в окружении", "в котле"), an English passive ("are encircled", "troops trapped in"). Of the side after it:
# a noun or an attribute ("окружение группировки ВСУ", "окружённых украинских военных", "encircled Ukrainian
# troops") and an English active verb ("Russian forces encircled thousands of Ukrainian troops").
_SHORT_ENCIRCLED = frozenset(
    """окружен окружена окружено окружены заблокирован заблокирована заблокировано заблокированы оточені оточений
    оточена оточено заблоковані заблокований заблокована заблоковано""".split()
)
_ENCIRCLED_STEMS = ("окружен", "окружён", "оточен", "заблокирован", "заблокован")
_ENCIRCLED_EN = frozenset("encircled surrounded trapped".split())
_CAULDRON = ("котл", "котел", "котёл", "cauldron", "pocket")
_INTO = frozenset("в во у in into a the".split())
_OUT_OF = frozenset("в во у из изо з із".split())  # "в окружении", "из окружения"
_AFTER_PASSIVE = frozenset("by in at near".split())
_HAVE = frozenset("have has had".split())
# Russian and Ukrainian passive participles of the war's verbs, with the endings of their short and full forms.
_PARTICIPLES = (
    "отбит", "отражен", "уничтожен", "разгромлен", "освобожден", "захвачен", "сбит", "окружен", "остановлен",
    "ликвидирован", "выбит", "отброшен", "оттеснен",
    "відбит", "знищен", "розгромлен", "звільнен", "захоплен", "збит", "оточен", "зупинен", "ліквідован", "вибит",
    "відкинут", "відтіснен",
)  # fmt: skip
_PARTICIPLE_ENDINGS = frozenset("а о ы і ий ый ая ое ые е".split()) | {""}  # not "и": "відбити" is a verb
_GLUED = 10  # a word this long may be two glued together ("військавідступають"): its verb is read inside

_ADJ_ENDINGS: dict[str, tuple[str, ...]] = {
    "ий": ("ий", "ая", "ое", "ие", "а", "е", "і"),  # российский, український
    "ый": ("ый", "ая", "ое", "ые"),
    "ій": ("ій", "я", "є", "і"),
}


def _nominatives() -> frozenset[str]:
    out: set[str] = set()
    for forms in ACTORS.values():
        for form in forms:
            for word in TERM_RE.findall(normalize(form)):
                out.add(word)
                for end, nominative in _ADJ_ENDINGS.items():
                    if word.endswith(end) and len(word) > len(end) + 3:
                        out.update(word[: -len(end)] + e for e in nominative)
    return frozenset(out)


_NOMINATIVE = _nominatives()


def _oblique(words: list[str], start: int, end: int) -> bool:
    # An indeclinable abbreviation right after a noun is its genitive ("контратаки ВСУ", "потери ЗСУ").
    if end - start == 1 and words[start] in ABBREVIATIONS and start > 0:
        prev = words[start - 1]
        # "vsu"/"zsu" are Latin-typed Russian or Ukrainian, so their neighbour is too
        if prev.isalpha() and (not prev.isascii() or words[start] in ("vsu", "zsu")):
            if prev not in STOP_WORDS and prev not in _PREPOSITIONS and prev not in _NOMINATIVE:
                return True
    i = start - 1
    while i >= 0 and words[i] in _DETERMINERS:
        i -= 1
    if i >= 0 and words[i] in _PREPOSITIONS:
        return True
    last = words[end - 1]
    return bool(CYR_RE.search(last)) and last not in _NOMINATIVE


_REGION_WORDS = frozenset("область области області region oblast regions".split())


def heads_phrase(words: list[str], span: _Span) -> bool:
    """A side after a ministry that opens a phrase of its own ("по данным Минобороны, украинские боевики
    взорвали"): a nominative Cyrillic adjective or noun, not the genitive that names the ministry's
    country ("Минобороны России")."""
    last = words[span[1] - 1]
    return len(last) > 4 and bool(CYR_RE.search(last)) and last in _NOMINATIVE


def named_sides(words: list[str], spans: list[_Span]) -> frozenset[str]:
    """Every side of `spans` except those named as an attribute of a place or thing: "Russia's Kursk
    region", "в Курской области России"."""
    out: set[str] = set()
    for start, end, side in spans:
        possessive = end < len(words) and words[end] == "s"
        of_region = start > 0 and words[start - 1] in _REGION_WORDS
        if not (possessive or of_region):
            out.add(side)
    return frozenset(out)


def subject_spans(words: list[str], spans: list[_Span], taken: set[int]) -> list[_Span]:
    """The side spans (start, end, side) that may be a subject: not set aside as a source, speaker or
    account (`taken`), and not in an object's or attribute's place."""
    return [s for s in spans if s[0] not in taken and not _oblique(words, s[0], s[1])]


@lru_cache(maxsize=1024)
def _clauses(norm: str) -> tuple[int, ...]:
    """The clause number of each word (TERM_RE match) of the normalised text `norm` (cached: the side,
    passive and subject readings of one text all ask)."""
    clause_of: list[int] = []
    clause, prev_end = 0, 0
    for m in TERM_RE.finditer(norm):
        if clause_of and (m.group() in _CLAUSE_WORDS or not _CLAUSE_MARKS.isdisjoint(norm[prev_end : m.start()])):
            clause += 1
        clause_of.append(clause)
        prev_end = m.end()
    return tuple(clause_of)


def _gives_way(word: str) -> bool:
    """A verb of giving way, or a long word with one glued inside ("військавідступають")."""
    if word.startswith(_GAVE_WAY) or word in _GAVE_WAY_WORDS:
        return True
    return len(word) >= _GLUED and any(word.find(stem, 3) > 0 for stem in _GAVE_WAY)


def _lost_a_place(words: list[str], i: int, places: frozenset[int]) -> bool:
    """"lost the Kursk region", "потеряли Суджу", "lost control of Sudzha": a place, not people, was lost."""
    if not words[i].startswith(_LOST):
        return False
    j = i + 1
    while j < len(words) and (words[j] in _DETERMINERS or words[j] in _CONTROL):
        j += 1
    return j in places


# "ВСУ ушли с 1000 кв. км", "пішли з Курщини", "left the Kursk region": leaving from somewhere or a place; not
# "ушли в наступление" (went on the attack).
_LEFT = frozenset("ушли ушёл ушел ушла пішли пішов пішла left leave leaves leaving".split())
_FROM = frozenset("с со из изо з із зі from".split())


def _left_a_place(words: list[str], i: int, places: frozenset[int]) -> bool:
    if words[i] not in _LEFT or i + 1 >= len(words):
        return False
    j = i + 1
    while j < len(words) and words[j] in _DETERMINERS:
        j += 1
    return words[i + 1] in _FROM or j in places


def gave_way(
    norm: str, words: list[str], spans: list[_Span], places: frozenset[int] = frozenset(), *, left: bool = False
) -> set[int]:
    """The word positions of the sides in `spans` (sorted) that are the subject of a verb of giving way ("ВСУ
    освободили Суджу, российские войска бегут": Russia's) or that lost a place (`places`: where the text's
    place names start), so that they are not read as acting."""
    if left:  # only the sides that leave a place: they gave it up, and may act in another clause
        verbs = [i for i in range(len(words)) if _left_a_place(words, i, places)] if spans else []
    else:
        verbs = [i for i, w in enumerate(words) if _gives_way(w) or _lost_a_place(words, i, places)] if spans else []
    if not verbs:
        return set()
    clause_of = _clauses(norm)
    starts = {start for start, _end, _side in spans}
    out: set[int] = set()
    for v in verbs:
        if v >= len(clause_of):
            continue
        if v + 1 in starts and v + 1 < len(clause_of) and clause_of[v + 1] == clause_of[v]:
            continue  # "the retreating Ukrainians": an attribute of the side it precedes
        # The verb's subject: the last side before it in its clause ("Moscow says Ukrainian troops fled").
        before = [s for s in spans if s[1] <= v and clause_of[s[0]] == clause_of[v]]
        if before:
            out.update(range(before[-1][0], before[-1][1]))
    return out


def _participle_after(words: list[str], i: int) -> int:
    """The position of the participle that the form of "be" at `i` governs, or -1."""
    for j in range(i + 1, min(i + 4, len(words))):
        w = words[j]
        if (len(w) > 4 and w.endswith(("ed", "en"))) or w in _IRREGULAR:
            return j
        if w not in _PASSIVE_GAP:
            return -1
    return -1


def _participle(word: str) -> bool:
    """A Russian or Ukrainian passive participle of a war verb ("отбиты", "уничтожена", "відбито"), not its
    noun ("освобождение", "звільнення")."""
    return any(word.startswith(stem) and word[len(stem) :] in _PARTICIPLE_ENDINGS for stem in _PARTICIPLES)


def _cyrillic_passive(norm: str, words: list[str], spans: list[_Span]) -> tuple[set[int], list[_Span]]:
    """The sides named in the nominative in a clause with a passive participle ("все российские контратаки
    отбиты"), and the side named right after it ("оточені ЗСУ", "окружены российскими силами")."""
    found = [i for i, w in enumerate(words) if _participle(w)]
    if not found:
        return set(), []
    clause_of = _clauses(norm)
    patients: set[int] = set()
    agents: list[_Span] = []
    for i in found:
        if i >= len(clause_of):
            continue
        for start, end, _side in spans:
            if start < len(clause_of) and clause_of[start] == clause_of[i] and not _oblique(words, start, end):
                patients.update(range(start, end))
        agents.extend(s for s in spans if s[0] == i + 1 and _oblique(words, s[0], s[1]))
    return patients, agents


def passive(norm: str, words: list[str], spans: list[_Span]) -> tuple[set[int], list[_Span]]:
    """Passives: the word positions of the sides they are said of, which did not act ("every Russian
    counterattack is repelled", "все российские контратаки отбиты"), and the sides named as their agent
    ("... by Ukrainian forces", "оточені ЗСУ"), which did."""
    if not spans:
        return set(), []
    patients, agents = _cyrillic_passive(norm, words, spans) if CYR_RE.search(norm) else (set(), [])
    if "by" in words:
        _headline_passive(words, spans, patients, agents)
    be = [i for i, w in enumerate(words) if w in _BE]
    if not be:
        return patients, agents
    clause_of = _clauses(norm)
    for i in be:
        j = _participle_after(words, i)
        if j < 0 or j >= len(clause_of):
            continue
        before = [s for s in spans if s[1] <= i and clause_of[s[0]] == clause_of[i]]
        if before:
            patients.update(range(before[-1][0], before[-1][1]))
        k = j + 1 if j + 1 < len(words) and words[j + 1] == "by" else -1
        k = k + 1 if 0 < k < len(words) - 1 and words[k + 1] in _DETERMINERS else k
        agents.extend(s for s in spans if k > 0 and s[0] == k + 1)
    return patients, agents


# What a side suffers in a headline's passive (not "backed by", "joined by": "Russian troops backed by North
# Korean soldiers recaptured Sudzha" names two sides that act). Not losses ("killed", "wounded", "eliminated"): a
# claim of a side's losses has that side as its subject, and the headline agrees with it.
_DONE_TO = (
    "captur", "taken", "encircl", "surround", "trapped", "destroy", "repel", "liberat", "recaptur", "seiz", "downed",
    "defeat", "routed", "pushed", "driven", "expell", "ambush", "struck", "attacked", "targeted",
)


def _headline_passive(words: list[str], spans: list[_Span], patients: set[int], agents: list[_Span]) -> None:
    """A headline's passive, without its "be": "Two North Korean soldiers captured alive by Ukrainian forces"."""
    for k, w in enumerate(words):
        if w != "by" or k < 2:
            continue
        a = k + 2 if k + 1 < len(words) and words[k + 1] in _DETERMINERS else k + 1
        agent = [span for span in spans if span[0] == a]
        part = next((j for j in (k - 1, k - 2) if words[j].startswith(_DONE_TO)), -1)
        before = [span for span in spans if span[1] <= part]
        if agent and part > 0:
            if before:
                patients.update(range(before[-1][0], before[-1][1]))
            agents.extend(agent)


def _encircles(words: list[str], i: int) -> str | None:
    """Whether `words[i]` says a side is encircled, and where that side is named: "before" (else after) or
    "after"; None for other words and for the encircling side's own verbs ("окружили", "замкнули котёл")."""
    w = words[i]
    prev = words[i - 1] if i else ""
    if w.startswith(_CAULDRON):
        return "before" if prev in _INTO else None
    if w in _ENCIRCLED_EN:
        if prev in _HAVE:
            return "before" if i + 1 < len(words) and words[i + 1] in _AFTER_PASSIVE else "after"
        j = i - 1
        while j >= 0 and words[j] in _PASSIVE_GAP:
            j -= 1
        passive = j >= 0 and words[j] in _BE or i + 1 < len(words) and words[i + 1] in _AFTER_PASSIVE
        return "before" if passive else "after"
    if w in _SHORT_ENCIRCLED:
        return "before"
    if w.startswith(_ENCIRCLED_STEMS):
        noun = w.startswith(("окружени", "окружені", "оточенн", "оточені"))  # окружение, оточення
        return "before" if noun and prev in _OUT_OF else "after"
    return None


def _agent(words: list[str], span: _Span) -> bool:
    """A side named as a passive's agent: after "by" ("surrounded by the Russian military") or in the
    instrumental ("окружены российскими силами")."""
    i = span[0] - 1
    while i >= 0 and words[i] in _DETERMINERS:
        i -= 1
    return i >= 0 and words[i] == "by" or words[span[1] - 1].endswith(("ими", "ыми", "ами", "ями"))


# Whom a text says someone fights for: "fighting for Russia", "воюют на стороне России", "alongside Ukrainian
# troops", "разом із ЗСУ"; "against Russia" is for Ukraine. Only with a verb of fighting near: "a respite for the
# Ukrainian military", "sanctions against Russia", "together with Ukraine, estimates" side with no one.
_FIGHT = (
    "fight", "fought", "battl", "воюю", "воюе", "воюя", "воюючи", "воева", "воевал", "сража", "бьют", "бились",
    "воюва", "воював", "билися",
)  # fmt: skip
_FIGHT_WORDS = frozenset("war wars warring".split())  # not a prefix: "warned"
_FOR = frozenset("for за".split())
_AGAINST = frozenset("against против проти".split())
_BESIDE = frozenset("alongside beside".split())
_TOGETHER = frozenset("вместе рядом разом поряд поруч together".split())
_WITH = frozenset("с со з із зі with".split())
_SIDE = frozenset("стороне боці side".split())
_OTHER_SIDE = {"russia": "ukraine", "ukraine": "russia"}
_ATTRIBUTE = frozenset("s held controlled occupied".split())  # "the battle for Russia's Kursk region"
_FIGHT_NEAR = 5  # words before or after the preposition in which a verb of fighting is looked for


def _fights(word: str) -> bool:
    return word.startswith(_FIGHT) or word in _FIGHT_WORDS


def sided_with(words: list[str], spans: list[_Span]) -> frozenset[str]:
    """The sides `words` say someone fights for or beside (see _FIGHT), with a verb of fighting near."""
    out: set[str] = set()
    for start, end, side in spans:
        i = start - 1
        while i >= 0 and words[i] in _DETERMINERS:
            i -= 1
        if i < 0 or (end < len(words) and words[end] in _ATTRIBUTE):
            continue
        w, before = words[i], words[max(0, i - 3) : i]
        if not any(_fights(x) for x in words[max(0, i - _FIGHT_NEAR) : end + _FIGHT_NEAR]):
            continue
        if w in _BESIDE or w in _SIDE or w in _FOR or (w in _WITH and before[-1:] and before[-1] in _TOGETHER):
            out.add(side)
        elif w == "of" and before[-1:] and before[-1] in _SIDE:
            out.add(side)
        elif w in _AGAINST and side in _OTHER_SIDE:
            out.add(_OTHER_SIDE[side])
    return frozenset(out)


def encircled(norm: str, words: list[str], spans: list[_Span]) -> frozenset[str]:
    """The sides of `spans` (sorted) that the text says are encircled: the last side before the word that
    says so in its clause, else the first after it ("тысячи российских солдат в окружении": Russia's;
    "Ukrainian troops are encircled by Russian forces": Ukraine's)."""
    cues = [(i, where) for i in range(len(words)) if (where := _encircles(words, i))] if spans else []
    if not cues:
        return frozenset()
    clause_of = _clauses(norm)
    out: set[str] = set()
    for i, where in cues:
        if i >= len(clause_of):
            continue
        same = [s for s in spans if s[0] < len(clause_of) and clause_of[s[0]] == clause_of[i]]
        before = [s for s in same if s[1] <= i] if where == "before" else []
        after = [s for s in same if s[0] > i and not _agent(words, s)]
        if before or after:
            out.add(before[-1][2] if before else after[0][2])
    return frozenset(out)


def clause_subjects(norm: str, spans: list[_Span]) -> frozenset[str]:
    """The first side of `spans` (from :func:`subject_spans`, sorted) in each clause of the normalised
    text `norm`."""
    if not spans:
        return frozenset()
    clause_of = _clauses(norm)
    firsts: dict[int, str] = {}
    for start, _end, side in spans:
        if start < len(clause_of):
            firsts.setdefault(clause_of[start], side)
    return frozenset(firsts.values())


# Verbs of confirming or admitting: whose word a claim reports ("Russia and North Korea have confirmed ...").
_CONFIRM = (
    "confirm", "admit", "acknowledg", "подтверд", "признал", "признаё", "признае", "підтверд", "визнал", "визнав",
    "визнали", "визнає",
)  # fmt: skip
_AND = frozenset(", and и і й та".split())
_ADVERBS = frozenset("have has had officially now finally also официально впервые наконец офіційно вперше".split())


def confirmers(words: list[str], spans: list[_Span]) -> frozenset[str]:
    """The sides named right before a verb of confirming or admitting, with those joined to them by "and"
    ("Russia and North Korea have officially confirmed", "Украина подтвердила")."""
    ends = {end: (start, side) for start, end, side in spans}
    out: set[str] = set()
    for v, w in enumerate(words):
        if not w.startswith(_CONFIRM):
            continue
        j = v
        while j > 0 and words[j - 1] in _ADVERBS:
            j -= 1
        while j in ends:
            start, side = ends[j]
            out.add(side)
            j = start
            if j > 0 and words[j - 1] in _AND:
                j -= 1
    return frozenset(out)
