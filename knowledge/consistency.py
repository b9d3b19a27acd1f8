"""Consistency before confidence: does a post agree with a claim on what makes the claim that claim?

A matched post may only get a verdict card if it does not contradict the claim on:

- figures: 67 150 = 67,150 = 67.150 (one canonical number), "120 тысяч" = 120,000 (within 3 %);
  "1 200" != "340". Years are time, not figures; a day of a month is neither.
- places: from the gazetteer (and the claim's own keywords), compared town with town and region with
  region (Sudzha is in the Kursk region; Avdiivka is not Sudzha).
- actors: whose report it is (a ministry speaks for Russia unless it names another side; the general
  staff for Ukraine) and who does what (the first side named once the source is set aside).
- time: years more than one apart, and the period of a figure (a day vs a week).
- polarity: a post that denies what the claim asserts, or asserts what the claim denies (negation and
  denial cues in ru/uk/en).

:func:`check` gives the agreements and conflicts and a one-line reason for the card. Pure functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

from knowledge.denials import negated_now
from knowledge.figures import other_people, other_things, people_of_sides, periods, read_figures, shown
from knowledge.gazetteer import PARENT, SOURCES
from knowledge.interned import share_sets
from knowledge.modality import unrealized
from knowledge.names import (
    ACTOR_INDEX,
    ANY_UNIT_RE,
    ARMY_INDEX,
    DISPLAY,
    PLACE_INDEX,
    SOURCE_INDEX,
    UNIT_RES,
    find,
    name_keys,
    place_keys,
    unglue_names,
)
from knowledge.negation import denied_words, denies_a_claim_word
from knowledge.normalize import normalize
from knowledge.normalize.dates import find_dates
from knowledge.normalize.terms import word_keys
from knowledge.normalize.text import TERM_RE
from knowledge.opposites import advances, opposes, still_denied
from knowledge.roles import (
    clause_subjects,
    confirmers,
    encircled,
    gave_way,
    heads_phrase,
    named_sides,
    passive,
    sided_with,
    subject_spans,
)  # fmt: skip
from knowledge.schema import Claim
from knowledge.warfare import speaks_of_war

__all__ = ["ClaimFacts", "Consistency", "TextFacts", "check", "claim_facts", "text_facts"]

# A side followed by one of these is whose account it is, not who acts ("Moscow accuses ...").
_SPEECH: tuple[str, ...] = (
    "заяв", "сказ", "говор", "пиш", "сообщ", "утвержд", "обвин", "звинува", "каж", "повідом", "розганя", "пишут",
    "стверджу", "счита", "вважа", "признал", "визна", "say", "said", "claim", "accus", "report", "tweet", "wrote",
    "write", "insist", "argu", "estimat", "confirm", "подтверд", "підтверд", "alleg", "describ", "announc", "assert",
    "told", "dismiss", "blam", "назва", "назив", "называ", "объяв", "оголос", "опис",
)  # fmt: skip
# Who speaks for a side, between it and the verb ("Russian officials accused Kyiv", "Kremlin propagandists say"):
# up to two of these are skipped on the way to the verb.
_MOUTHS: tuple[str, ...] = (
    "official", "authorit", "media", "state", "propagand", "blogger", "milblogger", "channel", "source", "diplomat",
    "embassy", "spokes", "envoy", "outlet", "commentator", "tv", "television", "war", "military", "власт", "влад",
    "чиновник", "сми", "змі", "пропаганд", "блогер", "военкор", "воєнкор", "канал", "паблик", "паблік", "источник",
    "джерел", "дипломат", "посольств", "представител", "представник", "телеканал", "госсми", "официальн", "офіційн",
    "військов", "военн", "expert", "analyst", "эксперт", "експерт", "аналитик", "аналітик", "journalist", "журналист",
    "журналіст", "сторон", "посадов", "речник", "спикер", "прес", "ведомств", "відомств", "командован", "командуван",
    "руководств", "керівництв",
)  # fmt: skip
_REL_TOLERANCE = 0.03
# A quoted speaker at the start: "Ushakov: ...", "Песков: ..." (not a URL's "https:").
_SPEAKER_RE = re.compile(r"^\W*([^\W\d][^:\n]{0,40}?):(?!//)")
# A tweet's signature, "— Layla (@efahruu) December 13, 2015": when it was posted, not what it is about.
# "6 August 2025 marks one year since ...", "рік тому": the claim's day, a year on.
_ANNIVERSARY_RE = re.compile(r"\b(?:ago|since|anniversar\w*|годовщин\w*|роковин\w*|тому|назад|спустя)\b", re.IGNORECASE)
_SIGNATURE_RE = re.compile(r"\(@\w+\)\s*\S+\.? \d{1,2},? \d{4}\s*$")
_SPEAKER_WORDS = 3  # "Песков", "Минобороны РФ", "Помощник Путина Ушаков"; longer is a headline


@dataclass(frozen=True, slots=True)
class TextFacts:
    """What one text says: figures, years, places, the sides it names, its polarity."""

    figures: frozenset[float]  # counts and amounts (not years, not days of a month)
    years: frozenset[int]
    periods: frozenset[str]
    places: frozenset[str]
    actors: frozenset[str]  # the sides named as acting (sources set aside)
    speakers: frozenset[str]  # the sides of a quoted speaker ("Ushakov: ...")
    subjects: frozenset[str]  # the first of them (and one joined to it)
    # A short text (at most 30 words, one sentence or a few): its sides in a subject's place are reliably
    # its subjects. Not one sentence only: "ВСУ освободили Суджу! Российские войска бегут." is two.
    simple: bool
    sources: frozenset[str]  # the sides whose report the text relays
    negated: bool
    # The sides that act as a subject of some clause, and those that give an account ("Moscow says"):
    # a post agrees with a claim's subject if it names it in either role.
    roles: frozenset[str] = frozenset()
    named: frozenset[str] = frozenset()  # every side named, save as an attribute ("Russia's Kursk region")
    direct_subjects: frozenset[str] = frozenset()  # the first side named in a subject's place
    denied: frozenset[str] = frozenset()  # the words a plain "not" negates (knowledge.negation)
    encircled: frozenset[str] = frozenset()  # the sides it says are encircled (knowledge.roles)
    yielded: frozenset[str] = frozenset()  # the sides it says retreat, flee, withdraw or lose a place
    sided: frozenset[str] = frozenset()  # the sides it says someone fights for or beside (knowledge.roles)
    days: frozenset[str] = frozenset()  # the calendar dates it writes out, ISO
    units: frozenset[str] = frozenset()  # the named units (gazetteer.UNITS)
    confirmers: frozenset[str] = frozenset()  # the sides it says confirm or admit something (knowledge.roles)
    accounts: frozenset[str] = frozenset()  # the sides it says give an account ("Moscow says", "KCNA reports")
    # (figure, what it counts), knowledge.figures; a tuple of atoms, which the garbage collector stops tracking
    counted: tuple[tuple[float, str], ...] = ()
    people: tuple[tuple[str, str], ...] = ()  # (side, who): "North Korean soldiers", knowledge.figures

    def __post_init__(self) -> None:
        share_sets(self)


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    figures: frozenset[float]  # from the claim's texts: a post must not contradict these
    known_figures: frozenset[float]  # also from keywords: a post sharing one agrees
    years: frozenset[int]
    periods: frozenset[str]
    places: frozenset[str]
    subjects: frozenset[str]  # the side most of its wordings name first
    actors: frozenset[str]  # every side its wordings name as acting
    sources: frozenset[str]
    polarities: frozenset[bool]  # negated or not, per wording: a post must share one of them
    named: frozenset[str] = frozenset()  # the sides any of its wordings names (see TextFacts.named)
    # The sides every wording names: a post that leaves one out and names another side in its place
    # speaks of someone else (100 Russian soldiers captured, not 2 North Korean ones).
    core: frozenset[str] = frozenset()
    encircled: frozenset[str] = frozenset()  # the sides any wording says are encircled
    sided: frozenset[str] = frozenset()  # the sides any wording says someone fights for or beside
    days: frozenset[str] = frozenset()  # the calendar dates its wordings write out, ISO
    units: frozenset[str] = frozenset()  # the named units of its wordings and keywords
    confirmers: frozenset[str] = frozenset()  # the sides its wordings say confirm or admit it
    counted: tuple[tuple[float, str], ...] = ()  # (figure, what it counts) in its wordings
    people: tuple[tuple[str, str], ...] = ()  # (side, who) in its wordings
    martial: bool = False  # a wording or keyword speaks of fighting (knowledge.warfare)
    negating: bool = False  # a wording denies or negates something ("achieved nothing")

    def __post_init__(self) -> None:
        share_sets(self)


_Notes = list[tuple[str, str]]  # (kind, text); kinds: figures, place, side, time, stance


@dataclass(frozen=True, slots=True)
class Consistency:
    agreements: tuple[tuple[str, str], ...]
    conflicts: tuple[tuple[str, str], ...]
    missing: frozenset[str] = frozenset()  # what the claim is specific about and the post does not say
    figures: tuple[str, ...] = ()  # the figures post and claim share, as the card shows them

    @property
    def reason(self) -> str:
        """One short line for the card: the conflicts if any, else what matched."""
        return "; ".join(text for _kind, text in self.conflicts or self.agreements)

    def agrees_on(self, kind: str) -> bool:
        return any(k == kind for k, _t in self.agreements)

    def conflicts_on(self, kind: str) -> bool:
        return any(k == kind for k, _t in self.conflicts)


_Sides = tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str], set[int]]


_Span = tuple[int, int, str]


def _sides(words: list[str], keys: list[tuple[str, ...]], actors: list[_Span], speaker_end: int = 0) -> _Sides:
    """(actors, sources, speakers, accounts, taken): the sides a text names as acting, those whose report
    it relays, those it quotes ("Ushakov: ...", the first `speaker_end` words), those that give an
    account ("Moscow says"), and the word positions that are not acting sides.

    A ministry or general staff is a source; the side it speaks for is the one named next to it (one
    content word before or after, stop words skipped; an army names a general staff's side, not a
    ministry's), else its default (a ministry's is Russia's: the daily reports people forward). A side
    followed by a verb of speech ("Moscow accuses", "Ukraine says") gives an account: it is not
    counted as acting, nor as a source.
    """
    content = [i for i, k in enumerate(keys) if k]
    rank = {i: r for r, i in enumerate(content)}
    armies = {a[0] for a in find(ARMY_INDEX, keys)}
    taken: set[int] = set()
    sources: set[str] = set()
    for start, end, source_id in sorted(find(SOURCE_INDEX, keys)):
        lo, hi = rank.get(start, 0) - 1, rank.get(end - 1, len(content)) + 1
        near = [
            a
            for a in actors
            if any(i in rank and lo <= rank[i] <= hi for i in (a[0], a[1] - 1)) and not start <= a[0] < end
            and not (source_id == "ministry" and a[0] in armies)
            and not (a[0] >= end and heads_phrase(words, a))
            and not (start < speaker_end <= a[0])  # "NIS: North Korea has suffered ...": the report's subject
        ]  # fmt: skip
        side = near[0][2] if near else SOURCES[source_id][1]
        if side:
            sources.add(side)
        taken.update(range(start, end))
        for a in near[:1]:
            taken.update(range(a[0], a[1]))
    speakers = {a[2] for a in actors if a[0] < speaker_end and a[0] not in taken}
    taken.update(range(speaker_end))
    accounts: set[str] = set()
    for start, end, actor in actors:
        following = islice((words[i] for i in content if i >= end), 3)
        after = next((w for w in following if not w.startswith(_MOUTHS)), "")
        if start not in taken and after.startswith(_SPEECH):
            taken.update(range(start, end))  # whose account, but not an institution's report
            accounts.add(actor)
    acting = frozenset(a[2] for a in actors if a[0] not in taken)
    return acting, frozenset(sources), frozenset(speakers), frozenset(accounts), taken


def _subjects(
    keys: list[tuple[str, ...]], actors_all: frozenset[str], spans: list[_Span], speaker_end: int = 0
) -> frozenset[str]:
    """The side a claim is about: its first acting side, and one joined to it ("Russia and North Korea").
    `actors_all` are the acting sides :func:`_sides` found, `spans` every side named (sorted)."""
    content = [i for i, k in enumerate(keys) if k]
    rank = {i: r for r, i in enumerate(content)}
    actors = [a for a in spans if a[2] in actors_all and a[0] >= speaker_end]
    if not actors:
        return frozenset()
    first = actors[0]
    out = {first[2]}
    for a in actors[1:]:
        if a[0] in rank and first[1] - 1 in rank and rank[a[0]] - rank[first[1] - 1] <= 1:
            out.add(a[2])
    return frozenset(out)


@lru_cache(maxsize=4096)
def text_facts(text: str) -> TextFacts:
    norm = unglue_names(normalize(text))
    words = TERM_RE.findall(norm)
    keys = name_keys(words, [word_keys(w) for w in words])
    figures, years, counted = read_figures(words)
    head = _SPEAKER_RE.match(text)
    speaker_end = len(TERM_RE.findall(unglue_names(normalize(head.group(1))))) if head else 0
    if speaker_end > _SPEAKER_WORDS:
        speaker_end = 0
    spans = sorted(find(ACTOR_INDEX, keys))  # read once: _sides and _subjects both need them
    actors, sources, speakers, accounts, taken = _sides(words, keys, spans, speaker_end)
    # A side that retreats or flees, or that a passive is said of, did not act; a passive's agent did.
    place_spans = find(PLACE_INDEX, place_keys(keys))
    place_starts = frozenset(start for start, _e, _p in place_spans)
    yielded = gave_way(norm, words, spans, place_starts)
    left = gave_way(norm, words, spans, place_starts, left=True)  # "left Sudzha and blew up the station"
    patients, agents = passive(norm, words, spans)
    if yielded or patients:
        taken |= yielded | patients
        actors = frozenset(a[2] for a in spans if a[0] not in taken)
    subjects = _subjects(keys, actors, spans, speaker_end)
    spans_direct = sorted({*subject_spans(words, spans, taken), *(a for a in agents if a[0] not in taken)})
    direct_subjects = _subjects(keys, actors, spans_direct, speaker_end)
    # A side that left a place acts in its other clauses, but is not a subject that takes ground.
    roles = clause_subjects(norm, [span for span in spans_direct if span[0] not in left]) | accounts | speakers
    named = named_sides(words, spans)
    negated = negated_now(words)
    places = frozenset(p for _s, _e, p in place_spans)
    simple = len(words) <= 30
    return TextFacts(
        frozenset(figures),
        frozenset(years),
        periods(words, counted),
        places,
        actors,
        speakers,
        subjects,
        simple,
        sources,
        negated,
        roles,
        named,
        direct_subjects,
        denied_words(norm),
        encircled(norm, words, spans),
        frozenset(side for start, _e, side in spans if start in yielded | left),
        sided_with(words, spans),
        _days(text),
        _units(text),
        confirmers(words, spans),
        accounts,
        counted,
        people_of_sides(words, spans),
    )


def _majority(sets: list[frozenset[str]]) -> frozenset[str]:
    """The sides most of a claim's wordings name first (a wording that opens with another side, as
    "Putin: a ceasefire once Ukrainian troops leave", does not make that side the claim's)."""
    counts: dict[str, int] = {}
    for group in sets:
        for side in group:
            counts[side] = counts.get(side, 0) + 1
    top = max(counts.values(), default=0)
    return frozenset(side for side, n in counts.items() if n * 3 >= top * 2 or n == top)


def _common(sets: list[frozenset[str]]) -> frozenset[str]:
    """The sides at least half of a claim's wordings name as their subject: a claim read as "a respite
    for the Ukrainian military" in most wordings has no subject to contradict."""
    counts: dict[str, int] = {}
    for group in sets:
        for side in group:
            counts[side] = counts.get(side, 0) + 1
    return frozenset(side for side, n in counts.items() if n * 2 >= len(sets))


def claim_facts(claim: Claim) -> ClaimFacts:
    texts = [text_facts(t) for t, _lang in claim.texts()]
    kw = [text_facts(k) for k in claim.keywords]
    figures = frozenset(f for t in texts for f in t.figures)
    years = {y for t in texts for y in t.years}
    day = claim.published or claim.updated  # when it circulated; a later update is an edit, not its time
    if day is not None:
        years.add(day.year)
    return ClaimFacts(
        figures=figures,
        known_figures=figures | {f for t in kw for f in t.figures},
        years=frozenset(years),
        periods=frozenset(p for t in texts for p in t.periods),
        places=frozenset(p for t in texts + kw for p in t.places),
        subjects=_common([t.direct_subjects for t in texts]),
        actors=frozenset(a for t in texts for a in t.actors),
        sources=frozenset(s for t in texts for s in t.sources),
        polarities=frozenset(t.negated for t in texts),
        named=frozenset(s for t in texts for s in t.named),
        core=frozenset.intersection(*(t.named for t in texts)) if texts else frozenset(),
        encircled=frozenset(s for t in texts for s in t.encircled),
        sided=frozenset(s for t in texts for s in t.sided),
        days=frozenset(d for t in texts + kw for d in t.days),
        units=frozenset(u for t in texts + kw for u in t.units),
        confirmers=frozenset(s for t in texts for s in t.confirmers),
        counted=tuple(sorted({c for t in texts for c in t.counted})),
        people=tuple(sorted({c for t in texts for c in t.people})),
        martial=any(speaks_of_war(t) for t, _lang in claim.texts()) or any(speaks_of_war(k) for k in claim.keywords),
        negating=any(t.negated or bool(t.denied) for t in texts),
    )


def _units(text: str) -> frozenset[str]:
    """The named units `text` writes (gazetteer.UNITS), one look first: most texts name none."""
    return frozenset(u for u, pattern in UNIT_RES if pattern.search(text)) if ANY_UNIT_RE.search(text) else frozenset()


def _days(text: str) -> frozenset[str]:
    """The calendar dates `text` writes out (ISO), save a tweet's signature; none in an anniversary post."""
    dates = find_dates(_SIGNATURE_RE.sub("", text))  # find_dates looks for a year first: most texts have none
    return frozenset(d.isoformat() for d in dates) if dates and not _ANNIVERSARY_RE.search(text) else frozenset()


def _a(period: str) -> str:
    return f"an {period}" if period == "hour" else f"a {period}"


def _display(name_id: str) -> str:
    return DISPLAY.get(name_id, name_id)


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= _REL_TOLERANCE * max(abs(a), abs(b))


def _fmt(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ") if x == int(x) else f"{x:g}"


def shared_figures(c: ClaimFacts, p: TextFacts) -> tuple[str, ...]:
    """The post's figures that the claim states too, formatted (67 150), smallest first."""
    return tuple(_fmt(f) for f in sorted({f for f in p.figures if any(_same(f, g) for g in c.known_figures)}))


def _check_figures(c: ClaimFacts, p: TextFacts, agree: _Notes, conflict: _Notes) -> None:
    shared = shared_figures(c, p)
    if shared and (other := other_things(c.counted, p.counted, _REL_TOLERANCE)):
        conflict.append(("figures", "{0} {1}, not {0} {2}".format(_fmt(other[0]), *map(shown, other[1:]))))
        return
    if shared:
        agree.append(("figures", "figures " + ", ".join(shared) + " match"))
        return
    big_post = sorted(f for f in p.figures if f >= 10)
    big_claim = sorted(f for f in c.figures if f >= 10)
    if big_post and big_claim:
        theirs, mine = ", ".join(map(_fmt, big_post[:3])), ", ".join(map(_fmt, big_claim[:3]))
        conflict.append(("figures", f"figures differ: {theirs} vs {mine}"))


def _levels(places: frozenset[str]) -> tuple[set[str], set[str]]:
    """(towns, regions): a town's region counts as a region the text names."""
    towns = {p for p in places if p in PARENT}
    regions = {p for p in places if p not in PARENT} | {PARENT[t] for t in towns}
    return towns, regions


def _check_places(c: ClaimFacts, p: TextFacts, agree: _Notes, conflict: _Notes, missing: set[str]) -> None:
    c_towns, c_regions = _levels(c.places)
    p_towns, p_regions = _levels(p.places)
    if c_towns and not p_towns:
        missing.add("place")  # the claim names a town (Sudzha), the post at most its region
    if not c.places or not p.places:
        return
    for mine, theirs in ((c_towns, p_towns), (c_regions, p_regions)):
        if mine and theirs and mine.isdisjoint(theirs):
            conflict.append(("place", f"place {_display(min(theirs))}, not {_display(min(mine))}"))
            return
    same = sorted(c.places & p.places, key=lambda x: (x not in PARENT, x))
    if same:
        agree.append(("place", f"place {_display(same[0])} matches"))


def _other_subject(c: ClaimFacts, p: TextFacts) -> bool:
    """Another side than the claim's stands in the post's subject place ("Ukrainian forces recaptured
    Sudzha"), and the claim's side is not a subject or account of any of its clauses. A post whose
    sides are all objects or attributes ("контратаки ВСУ отбиты") does not conflict."""
    return bool(p.direct_subjects) and c.subjects.isdisjoint(p.subjects | p.roles)


def _check_sides(c: ClaimFacts, p: TextFacts, agree: _Notes, conflict: _Notes) -> None:
    if c.units and p.units and c.units.isdisjoint(p.units):
        conflict.append(("side", f"unit {_display(min(p.units))}, not {_display(min(c.units))}"))
    elif c.confirmers and p.confirmers and c.confirmers.isdisjoint(p.confirmers | p.accounts | p.speakers | p.sources):
        conflict.append(("side", f"{_display(min(p.confirmers))} confirms, not {_display(min(c.confirmers))}"))
    elif c.encircled and p.encircled and c.encircled.isdisjoint(p.encircled):
        conflict.append(("side", f"{_display(min(p.encircled))} encircled, not {_display(min(c.encircled))}"))
    elif c.sided and p.sided and c.sided.isdisjoint(p.sided):
        conflict.append(("side", f"fighting for {_display(min(p.sided))}, not {_display(min(c.sided))}"))
    elif c.sources and p.sources and c.sources.isdisjoint(p.sources):
        conflict.append(("side", f"source {_display(min(p.sources))}, not {_display(min(c.sources))}"))
    elif c.actors and p.actors and c.actors.isdisjoint(p.actors | p.speakers):
        conflict.append(("side", f"actor {_display(min(p.actors))}, not {_display(min(c.actors))}"))
    elif p.simple and c.subjects and _other_subject(c, p):
        conflict.append(("side", f"{_display(min(p.subjects))} acts, not {_display(min(c.subjects))}"))
    elif other := other_people(c.people, p.people):
        conflict.append(("side", "{} {}, not {}".format(_display(other[0]), *map(shown, other[1:]))))
    elif c.core and p.named and not c.core <= p.named and not p.named <= c.named:
        conflict.append(("side", f"{_display(min(p.named - c.named))}, not {_display(min(c.core - p.named))}"))
    elif c.subjects & p.actors:
        agree.append(("side", f"actor {_display(min(c.subjects & p.actors))} matches"))


def _check_time(c: ClaimFacts, p: TextFacts, conflict: _Notes) -> None:
    # The claim's day and month in another year ("6 August 2025" for "6 August 2024"); a year off by one alone is no
    # conflict (a post from January about December's news), nor another month (a channel dates its posts).
    same_day = [(d, e) for d in sorted(p.days) for e in sorted(c.days) if d[5:] == e[5:]] if c.days else []
    if c.years and p.years and all(abs(a - b) > 1 for a in c.years for b in p.years):
        conflict.append(("time", f"year {min(p.years)}, not {max(c.years)}"))
    elif same_day and p.days.isdisjoint(c.days):
        conflict.append(("time", "date {}, not {}".format(*same_day[0])))
    if c.periods and p.periods and c.periods.isdisjoint(p.periods):
        conflict.append(("time", f"{_a(min(p.periods))}, not {_a(min(c.periods))}"))


def check(claim: ClaimFacts, post: TextFacts, entry: Claim | None = None, text: str = "") -> Consistency:
    """How a post (the fragment that matched) agrees or conflicts with a claim; with the claim's `entry`,
    a post that negates one of its words with a plain "not" denies it (:mod:`knowledge.negation`), and
    with the fragment's `text` too, one that says its opposite in its own terms (:mod:`knowledge.opposites`)."""
    agree: _Notes = []
    conflict: _Notes = []
    _check_figures(claim, post, agree, conflict)
    missing: set[str] = set()
    _check_places(claim, post, agree, conflict, missing)
    _check_sides(claim, post, agree, conflict)
    _check_time(claim, post, conflict)
    wordings = [t for t, _lang in entry.texts()] if entry is not None else []
    keywords = entry.keywords if entry is not None else ()
    if claim.polarities and post.negated not in claim.polarities:
        why = "the post denies what the claim asserts" if post.negated else "the claim is a denial"
        conflict.append(("stance", why))
    elif wordings and denies_a_claim_word(wordings, still_denied(post.denied, text), keywords, text):
        conflict.append(("stance", "the post denies what the claim asserts"))
    elif wordings and text and (opposite := opposes(wordings, text)):
        if all(kind != opposite[0] for kind, _t in conflict):  # figures that differ already: one conflict
            conflict.append(opposite)
    elif wordings and text and (not_done := unrealized(wordings, text)):
        conflict.append(("stance", not_done))
    elif wordings and claim.subjects and claim.subjects <= post.yielded and advances(wordings):
        if claim.subjects.isdisjoint(post.roles):  # not "lost Sudzha in August, Russian forces now recaptured it"
            conflict.append(("side", f"{_display(min(claim.subjects))} gives way"))  # "Russian troops withdrew"
    figures = shared_figures(claim, post) if any(kind == "figures" for kind, _t in agree) else ()
    return Consistency(tuple(agree), tuple(conflict), frozenset(missing), figures)
