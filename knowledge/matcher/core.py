"""The Matcher: exact lookups, then BM25 retrieval, re-ranking features, calibration and thresholds.

Pipeline for one post (:meth:`Matcher.match`):

1. Exact lookups. URLs in the post (or passed in) whose canonical form equals a KB origin's URL, and
   keys moderators registered with :meth:`Matcher.add_exact_key` ("tg:<chat>:<msg>", "file:<id>"),
   give their claim score 100, "strong".
2. Segmentation and retrieval (:mod:`.segments`, :mod:`.index`): the whole post is one BM25 query;
   the best ``RETRIEVE_DOCS`` documents go on.
3. Re-ranking (:mod:`.features`, :mod:`.calibration`): a named feature table per document, a linear
   ranking score and a logistic calibration give each claim a 0-100 score, read both against the
   whole post and against its own fragment. :meth:`Matcher.match` runs the rapidfuzz scorers and the
   consistency checks only where they can change its result (:mod:`.pruning`);
   :meth:`Matcher.candidates` scores everything.
4. Thresholds. Below ``possible`` nothing is reported; ``strong`` at or above ``strong``. A post with
   fewer than ``MIN_STRONG_TERMS`` meaningful terms is at most "possible", and so is a claim whose every
   text has fewer than ``SHORT_CLAIM_WORDS`` found in a post (or fragment) over ``SHORT_CLAIM_SPAN``
   times as long. Only the post's leading claim takes the bonus of the post's date (:func:`.scored`).
   A post that names no place or side of the gazetteer is listed a claim naming the war's places or
   belligerents only from ``UNANCHORED_POSSIBLE`` up (:meth:`Matcher.anchored`).

Pure: no I/O, no Telegram or database imports.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date

from knowledge.consistency import ClaimFacts, Consistency, check, claim_facts, text_facts
from knowledge.matcher.calibration import Candidate, scored
from knowledge.matcher.features import ACC_CELLS, Keyword, Rows, fill_consistency, fill_fuzzy, post_features
from knowledge.matcher.fusion import DEFAULT_FUSION, DEFAULT_FUSION_WORDS, FusionParams, fuse
from knowledge.matcher.index import NO_DAY, Index, documents
from knowledge.matcher.params import (
    DEFAULT_PARAMS,
    DEFAULT_POSSIBLE,
    DEFAULT_STRONG,
    MAX_CHARS,
    MIN_STRONG_TERMS,
    SHORT_CLAIM_SPAN,
    SHORT_CLAIM_WORDS,
    Params,
)
from knowledge.matcher.pruning import reportable
from knowledge.names import names_anything
from knowledge.normalize import canonical_url, extract_urls, find_date, normalize, split_sentences
from knowledge.normalize.terms import PREFIX_MARK, words_and_terms
from knowledge.schema import Claim
from knowledge.semantic import HEAD_CHARS, SemanticIndex
from knowledge.words import WordCosines

__all__ = ["Match", "Matcher"]

log = logging.getLogger(__name__)

CONFLICT_FACTOR = 0.8  # one conflict: the score scaled (and capped below strong)
CONFLICTS_FACTOR = 0.5  # several: enough to drop most below possible
# A post that names no place or side the gazetteer knows gives the consistency checks nothing to hold
# against a claim about the war: it is offered such a claim only on a close reading. Seed dev: a flood's
# evacuation, a ceasefire in Asia, a parole hearing or a gas-pipe repair listed Kursk claims at 16-51;
# the positives naming nobody that kept a list scored 78-84.
UNANCHORED_POSSIBLE = 60.0
# The sides that make a claim one about the war. Not the USA or "the West": English fact-checks name them
# all the time, and counting them cost 2B train 3 points of answered posts for nothing on the seed set.
BELLIGERENTS = frozenset({"russia", "ukraine", "north-korea"})
ABROAD = frozenset({"syria", "africa", "venezuela"})  # where mercenaries come from, not where the war is
# A viral post arrives many times within minutes: the last posts' matches are kept till the KB or params change.
RECENT_POSTS = 2048


def names_the_war(facts: ClaimFacts) -> bool:
    """Whether a claim names a place of the war, or one of its belligerents and speaks of fighting ("Putin
    calls me brilliant" is not about the war: 2B train, three debate sentences got their own check back)."""
    sides = facts.named | facts.actors | facts.subjects | facts.sources
    return bool(facts.places - ABROAD) or (facts.martial and not BELLIGERENTS.isdisjoint(sides))


@dataclass(frozen=True, slots=True)
class Match:
    """One claim found in a post."""

    claim: Claim
    score: float
    strength: str
    fragment: str
    # One line (English, for logs and `check --json`): the figures, places and sides that matched, or
    # the conflict that kept the match from being strong.
    reason: str = ""
    # What the card can show in the reader's language: the kinds that agreed (figures, place, side)
    # and the shared figures.
    agreed: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()

    @property
    def claim_id(self) -> str:
        return self.claim.id


def _claim_day(claim: Claim) -> int:
    day = claim.published or claim.updated
    return day.toordinal() if day is not None else NO_DAY


class Matcher:
    """An in-memory, incrementally updatable claim index. Not thread-safe for concurrent writes."""

    def __init__(
        self,
        claims: Iterable[Claim] = (),
        *,
        strong: float = DEFAULT_STRONG,
        possible: float = DEFAULT_POSSIBLE,
        recent: int = RECENT_POSTS,
    ) -> None:
        self.strong = strong
        self.possible = possible
        self.recent = recent  # how many recent posts' matches to keep (0: none)
        # Weights and calibration; a benchmark may assign another fit (benchmarks/tune.py).
        self.params: Params = DEFAULT_PARAMS
        # The optional semantic channel (attach_semantic) and how it is fused with the lexical score.
        self.semantic: SemanticIndex | None = None
        self.fusion: FusionParams = DEFAULT_FUSION
        self.fusion_words: FusionParams = DEFAULT_FUSION_WORDS  # for posts the English word vectors read
        self._claims: dict[str, Claim] = {}
        self._claim_keywords: dict[str, list[Keyword]] = {}
        self._claim_words: dict[str, int] = {}  # the most meaningful words of any of a claim's texts
        self._url_index: dict[str, set[str]] = {}
        self._exact: dict[str, str] = {}
        self._facts: dict[str, ClaimFacts] = {}
        self._recent: OrderedDict[tuple[str, date | None, float, float, bool], list[Match]] = OrderedDict()
        self._recent_params = DEFAULT_PARAMS
        self.index = Index()
        self._build(claims)

    # --- public collection API ------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._claims)

    def __contains__(self, claim_id: object) -> bool:
        return claim_id in self._claims

    def get(self, claim_id: str) -> Claim | None:
        return self._claims.get(claim_id)

    def claims(self) -> Iterator[Claim]:
        return iter(list(self._claims.values()))

    def upsert(self, claim: Claim) -> None:
        """Add or replace one entry; visible to the next :meth:`match`."""
        self._recent.clear()
        if claim.id in self._claims:
            self._retire(claim.id)
        avgdl = self.index.avgdl()
        self._index_claim_meta(claim)
        docs, self._claim_words[claim.id] = documents(self.index, claim.texts())
        self.index.add(claim.id, docs, _claim_day(claim), avgdl)
        self.index.maybe_merge()
        if self.semantic is not None:
            self.semantic.add([claim])

    def attach_semantic(self, semantic: SemanticIndex | None) -> None:
        """Match with the semantic channel from now on (None: lexical only). Its vectors are brought in
        step with the KB first: texts it has no vector for are encoded here."""
        if semantic is not None:
            semantic.sync(self._claims.values())
        self.semantic = semantic
        self._recent.clear()

    def remove(self, claim_id: str) -> None:
        """Retire an entry: it is no longer matched (unknown ids are ignored)."""
        if claim_id in self._claims:
            self._recent.clear()
            self._retire(claim_id)
            self.index.maybe_merge()
            if self.semantic is not None:
                self.semantic.remove(claim_id)

    def add_exact_key(self, key: str, claim_id: str) -> None:
        """Register a moderator key (e.g. "tg:<channel_id>:<message_id>", "file:<file_unique_id>")."""
        self._exact[key] = claim_id

    def remove_exact_key(self, key: str) -> None:
        self._exact.pop(key, None)

    def compact(self) -> None:
        """Fold the index's delta into its main arrays and drop dead postings (done automatically)."""
        self.index.compact()

    # --- index building ---------------------------------------------------------------------------

    def _index_claim_meta(self, claim: Claim) -> None:
        self._claims[claim.id] = claim
        for origin in claim.origins:
            if origin.url:
                self._url_index.setdefault(canonical_url(origin.url), set()).add(claim.id)
        kws: dict[Keyword, None] = {}
        for kw in claim.keywords:
            # Full stems only: the coarse prefix term would let "газопровід" hit a post's "газопровода"
            # twice over, once through its Russian twin.
            words = [(w, [t for t in g if not t.endswith(PREFIX_MARK)]) for w, g in words_and_terms(normalize(kw))]
            groups = tuple(frozenset(self.index.term_id(t) for t in g) for _w, g in words)
            self.index.mark_cyrillic(words)
            if groups:
                kws[groups] = None
        if kws:  # few claims have keywords (a replaced claim's were retired): no empty list for the others
            self._claim_keywords[claim.id] = list(kws)

    def _build(self, claims: Iterable[Claim]) -> None:
        """Bulk build: documents go straight into the index's main arrays."""
        self._recent.clear()

        def entries() -> Iterator[tuple[str, list[tuple[str, list[str]]], int]]:
            for claim in claims:
                if claim.id in self._claims:
                    self._retire(claim.id)
                self._index_claim_meta(claim)
                docs, self._claim_words[claim.id] = documents(self.index, claim.texts())
                yield claim.id, docs, _claim_day(claim)

        self.index.build(entries())

    def _retire(self, claim_id: str) -> None:
        claim = self._claims.pop(claim_id)
        self._facts.pop(claim_id, None)
        self.index.retire(claim_id)
        self._claim_keywords.pop(claim_id, None)
        self._claim_words.pop(claim_id, None)
        for origin in claim.origins:
            if origin.url:
                key = canonical_url(origin.url)
                ids = self._url_index.get(key)
                if ids is not None:
                    ids.discard(claim_id)
                    if not ids:
                        del self._url_index[key]

    # --- matching ---------------------------------------------------------------------------------

    def match(
        self,
        text: str,
        *,
        urls: Iterable[str] = (),
        exact_keys: Iterable[str] = (),
        limit: int = 5,
        posted: date | None = None,
        semantic: bool = True,
    ) -> list[Match]:
        """Claims found in `text`, best first, each once, at most `limit`; never raises on odd input. `posted`, the
        post's date if the caller knows it, ranks claims of its period; a date the post writes comes first.
        `semantic=False` matches by the words alone even with a semantic channel attached (a caller shedding load)."""
        if limit <= 0:
            return []
        text = text if isinstance(text, str) else ""
        if posted is not None and find_date(text[:MAX_CHARS]) is not None:
            posted = None  # what the post is about ("on 1 January 2025"), not when it was forwarded
        found: dict[str, Match] = {}
        self._exact_matches(text, urls, exact_keys, found)
        for m in self._fuzzy_matches(text[:MAX_CHARS], posted, semantic):
            if m.claim.id not in found:
                found[m.claim.id] = m
        out = sorted(found.values(), key=lambda m: -m.score)
        return out[:limit]

    def _exact_matches(self, text: str, urls: Iterable[str], keys: Iterable[str], found: dict[str, Match]) -> None:
        first = next(iter(split_sentences(text[:MAX_CHARS])), "")
        all_urls = list(urls) + extract_urls(text[: MAX_CHARS * 4])
        for url in all_urls:
            for cid in sorted(self._url_index.get(canonical_url(url), ())):
                claim = self._claims.get(cid)
                if claim is not None and cid not in found:
                    found[cid] = Match(claim, 100.0, "strong", url)
        for key in keys:
            target = self._exact.get(key)
            claim = self._claims.get(target) if target else None
            if claim is not None and claim.id not in found:
                found[claim.id] = Match(claim, 100.0, "strong", first or key)

    def _rows(self, text: str, posted: date | None, acc_cells: int = ACC_CELLS) -> Rows | None:
        return post_features(
            self.index, self._claim_keywords, text, posted, self.params, self.facts, acc_cells=acc_cells
        )

    def _fuzzy_matches(self, text: str, posted: date | None = None, semantic: bool = True) -> list[Match]:
        if self._recent_params is not self.params:
            self._recent.clear()
            self._recent_params = self.params
        channel = self.semantic if semantic else None
        key = (text, posted, self.strong, self.possible, channel is not None)
        found = self._recent.get(key)
        if found is None:
            found = self._score_post(text, posted, channel)
            if self.recent > 0:
                self._recent[key] = found
                while len(self._recent) > self.recent:
                    self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(key)
        return list(found)

    def _score_post(self, text: str, posted: date | None, channel: SemanticIndex | None) -> list[Match]:
        if channel is not None:
            return self._score_fused(text, posted, channel)
        got = self._rows(text, posted)
        if got is None:
            return []
        keep = reportable(self.index, got, self.params, self.possible, undated=posted is not None)
        rows = self.scored([got.candidate(i) for i in keep], date_given=posted is not None)
        return self.anchored(text, self.verdicts(rows), self.possible)

    def _score_fused(self, text: str, posted: date | None, semantic: SemanticIndex) -> list[Match]:
        """The lexical verdicts when one is strong; otherwise the lexical scores and the encoder's nearest
        claims fused (:mod:`.fusion`): the fused score orders them, the best decides whether the post gets a
        list (``possible``) and the others down to ``related`` fill it, each scaled down as a lexical one is
        when the post contradicts the claim. They are "possible", but for a best one both channels back
        beyond doubt (``FusionParams.strong``): fused into strength at the lexical threshold, the encoder
        made strong matches of PolitiFact's other checks of one statement (2B train precision 95.7 -> 92.5 %)."""
        got = self._rows(text, posted)
        rows: list[tuple[str, float, str, int]] = []
        if got is not None:
            keep = reportable(
                self.index, got, self.params, min(self.possible, self.fusion.lex_floor), undated=posted is not None
            )
            rows = self.scored([got.candidate(i) for i in keep], date_given=posted is not None)
        if any(score >= self.strong for _cid, score, _f, _n in rows):
            verdicts = self.verdicts(rows)
            if any(m.strength == "strong" for m in verdicts):
                # The words already settle it: on 2A, 2B and seed dev the encoder changed nothing for these
                # posts (46-75 % of them), and skipping it saves two thirds of a check's CPU.
                return verdicts
        lexical = {cid: (score, frag, n) for cid, score, frag, n in rows}
        try:
            cosines = semantic.query(text, self.fusion.top) if text.strip() else []
        except Exception:  # a failing encoder must not cost the check: the words alone answer it
            log.exception("the semantic channel failed on a post; answered by the lexical matcher")
            return self.verdicts(rows)
        words = self._word_cosines(semantic, text, lexical.keys() | {cid for cid, _c in cosines}) if cosines else None
        params = self.fusion_words if words is not None else self.fusion
        fused = fuse({cid: v[0] for cid, v in lexical.items()}, cosines, params, words)
        head = text[:HEAD_CHARS].strip()
        out: list[Match] = []
        floor = min(params.possible, params.related)
        clean: set[str] = set()  # claims the post contradicts in nothing
        for claim_id, score in fused.items():
            if score < floor:
                continue
            fragment = lexical[claim_id][1] if claim_id in lexical else head
            consistency = self.consistency(claim_id, fragment)
            n = len(consistency.conflicts)
            score = round(score * (CONFLICTS_FACTOR if n > 1 else CONFLICT_FACTOR if n else 1.0), 2)
            if score < floor:
                continue
            if not n:
                clean.add(claim_id)
            agreed = tuple(kind for kind, _text in consistency.agreements)
            out.append(
                Match(
                    self._claims[claim_id], score, "possible", fragment, consistency.reason, agreed, consistency.figures
                )
            )
        out.sort(key=lambda m: -m.score)
        if not out or out[0].score < params.possible:
            return []  # whether the post gets a list at all is the best match's call
        best = out[0]
        if best.score >= params.strong and best.claim_id in clean and best.claim_id in lexical:
            if self.may_be_strong(best.claim_id, lexical[best.claim_id][2]) and not self._negates_alone(best):
                out[0] = replace(best, strength="strong")  # both channels agree: a verdict
        return self.anchored(text, out, params.possible)

    def _negates_alone(self, match: Match) -> bool:
        """Whether the post denies or negates something where no wording of the claim does: a sentence
        encoder reads "was never targeted" much as "was targeted", and a typo ("never tagreted") hides the
        word the stance check would have caught. A claim that negates too ("achieved nothing") is read alike."""
        post = text_facts(match.fragment)
        return (post.negated or bool(post.denied)) and not self.facts(match.claim_id).negating

    def anchored(self, text: str, matches: list[Match], gate: float) -> list[Match]:
        """`matches` less those below UNANCHORED_POSSIBLE whose claim is about the war, when the post names
        no place or side; no list at all if what is left starts below `gate`."""
        doubtful = self.unnamed_war_claims(
            text, {m.claim.id for m in matches if m.strength != "strong" and m.score < UNANCHORED_POSSIBLE}
        )
        if not doubtful:
            return matches
        kept = [m for m in matches if m.claim.id not in doubtful]
        return kept if kept and kept[0].score >= gate else []

    def unnamed_war_claims(self, text: str, claim_ids: Iterable[str]) -> frozenset[str]:
        """Those of `claim_ids` that are about the war, if `text` names no place or side; else none."""
        war = frozenset(cid for cid in claim_ids if names_the_war(self.facts(cid)))
        # The claims' facts are cached; the post's names are read only when they could matter.
        return war if war and not names_anything(text[:MAX_CHARS]) else frozenset()

    @staticmethod
    def _word_cosines(semantic: SemanticIndex, text: str, claim_ids: set[str]) -> WordCosines | None:
        """The English word vectors' reading of the post, if any; their failure leaves the encoder's alone."""
        try:
            return semantic.word_cosines(text, claim_ids)
        except Exception:
            log.exception("the English word vectors failed on a post; fused without them")
            return None

    def verdicts(self, rows: list[tuple[str, float, str, int]]) -> list[Match]:
        """Scored rows (see :meth:`scored`) as reported matches, best first: consistency, thresholds and
        the short-input rule.

        A post that contradicts the claim (figures, places, sides, time, polarity) is related at best:
        one conflict caps the score below ``strong``, two or more halve it.
        """
        out: list[Match] = []
        for claim_id, score, fragment, n_terms in rows:
            if score < self.possible:
                continue
            consistency = self.consistency(claim_id, fragment)
            if len(consistency.conflicts) > 1:
                score = round(score * CONFLICTS_FACTOR, 2)
            elif consistency.conflicts:
                score = min(round(score * CONFLICT_FACTOR, 2), round(self.strong - 0.01, 2))
            if score < self.possible:
                continue
            strength = "strong" if score >= self.strong and self.may_be_strong(claim_id, n_terms) else "possible"
            agreed = tuple(kind for kind, _text in consistency.agreements)
            out.append(
                Match(
                    self._claims[claim_id], score, strength, fragment, consistency.reason, agreed, consistency.figures
                )
            )
        out.sort(key=lambda m: -m.score)
        return out

    def may_be_strong(self, claim_id: str, n_terms: int) -> bool:
        """Whether a match read over `n_terms` meaningful words may be strong at all: not on a short
        input (fewer than ``MIN_STRONG_TERMS`` words), and not for a claim whose every text is a few
        words long (a topic line such as "On the Keystone XL pipeline") found inside a much longer
        post or fragment, where its words meet by chance."""
        if n_terms < MIN_STRONG_TERMS:
            return False
        words = self._claim_words.get(claim_id, SHORT_CLAIM_WORDS)
        return words >= SHORT_CLAIM_WORDS or n_terms <= SHORT_CLAIM_SPAN * words

    def facts(self, claim_id: str) -> ClaimFacts:
        """What a claim says (figures, places, sides, time, stance), read once per entry."""
        facts = self._facts.get(claim_id)
        if facts is None:
            facts = self._facts[claim_id] = claim_facts(self._claims[claim_id])
        return facts

    def warm_up(self) -> None:
        """Read now what the first matches would otherwise read: every entry's facts and the typo lookup's
        map of the index's terms. A server does this at start, so that they are part of the heap it
        freezes (the garbage collector then never walks them) and no first match pays for them."""
        for claim_id in self._claims:
            self.facts(claim_id)
        self.index.speller()

    def consistency(self, claim_id: str, fragment: str) -> Consistency:
        """How `fragment` (the part of a post that matched) agrees or conflicts with a claim."""
        return check(self.facts(claim_id), text_facts(fragment), self._claims[claim_id], fragment)

    def candidates(self, text: str, *, posted: date | None = None) -> list[tuple[str, float, str, int]]:
        """(claim id, score, fragment, meaningful words read) for every candidate claim, best first."""
        return self.scored(self.candidate_features(text, posted=posted))

    def scored(self, rows: list[Candidate], *, date_given: bool = False) -> list[tuple[str, float, str, int]]:
        """Two-stage scoring of candidate_features() rows, one row per claim, best first."""
        return scored(rows, self.params, date_given=date_given)

    def candidate_features(
        self, text: str, *, posted: date | None = None, acc_cells: int = ACC_CELLS
    ) -> list[Candidate]:
        """Per candidate document: a :class:`Candidate` (features at post and segment level).

        `posted` is the post's date if known; otherwise the last date written in the post (a tweet's
        signature, "January 14, 2020") is used. Public so that benchmarks can fit the re-ranker.
        `acc_cells` bounds the vectorised window-coverage array (above it, a loop sums the same values).
        """
        got = self._rows(text, posted, acc_cells)
        if got is None:
            return []
        for i in range(len(got.claims)):
            fill_fuzzy(self.index, got, i)
        fill_consistency(got, range(len(got.claims)))
        return got.candidates()
