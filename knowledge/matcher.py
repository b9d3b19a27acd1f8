"""Claim matching: exact lookups, BM25 retrieval, per-segment re-ranking, calibrated 0-100 scores.

Pipeline for one post (:meth:`Matcher.match`):

1. Exact lookups. URLs in the post (or passed in) whose canonical form equals a KB origin's URL, and
   keys moderators registered with :meth:`Matcher.add_exact_key` ("tg:<chat>:<msg>", "file:<id>"),
   give their claim score 100, "strong".
2. Segmentation. The post (capped at ``MAX_CHARS``) is split into sentences/lines; long sentences
   into overlapping word windows; at most ``MAX_SEGMENTS`` segments. Every segment keeps its
   original wording, which is reported as the match's fragment.
3. Retrieval. Every claim and every variant is one BM25 "document" over :mod:`knowledge.normalize`
   terms. The whole post is one query (unique terms); the best ``RETRIEVE_DOCS`` documents go on.
4. Re-ranking. For each candidate document we find the window of the post (one segment or two
   adjacent ones) that covers most of the document's idf-weighted terms, and compute features:
   coverage of the claim by that window and by the whole post, how much of the window the claim
   explains, rapidfuzz ``token_set_ratio`` on stemmed terms and ``partial_ratio`` on normalised
   text (both built for "short claim inside a longer text"), BM25 relative to the best candidate,
   shared / missing numbers, and the distance between the claim's date (``published``) and the
   post's date (passed as ``posted`` or written in the post, e.g. a tweet's signature; neutral when
   either is unknown). A linear ranking score (weights fitted pairwise on CheckThat! 2022 2A train,
   see ``benchmarks/checkthat.py --tune``) and a logistic calibration turn them into a probability,
   reported as 0-100. Matching moderator keywords add a small fixed bonus (the benchmark has no
   keywords to learn it from). Every document is read at two levels: against the whole post (BM25
   and rank relative to the post's best document) and against its fragment alone (BM25 over the
   fragment's terms, relative to the best document on that fragment), so that a second, distinct
   claim in another sentence is judged on that sentence, not against the post's first claim. An
   entry scores as the better of its two readings; each claim is reported once, with its fragment.
5. Thresholds. Below ``possible`` nothing is reported; ``strong`` at or above ``strong``. A post with
   fewer than ``MIN_STRONG_TERMS`` meaningful terms is at most "possible".

Index lifecycle (incremental, no rebuild): postings live in a compressed main index (CSR numpy arrays:
per term, document ids and precomputed BM25 term weights) plus a small delta (plain per-term lists)
for documents added since. Removing or replacing an entry marks its documents dead in a boolean
tombstone mask and decrements document frequencies; dead documents are ignored at query time. When the
delta grows past ``max(2000, 10% of main)`` documents it is merged into the main arrays (one numpy sort,
amortised O(1) per insert) and dead postings are dropped. BM25 length normalisation uses the average
document length at the time a document was added; idf is always computed from current counts.

The module is pure: no I/O, no Telegram or database imports.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz

from knowledge.normalize import (
    canonical_url,
    extract_urls,
    find_date,
    normalize,
    numbers,
    split_sentences,
    terms_of_normalized,
    text_mode,
    word_terms,
)
from knowledge.schema import Claim

__all__ = ["DEFAULT_POSSIBLE", "DEFAULT_STRONG", "Match", "Matcher", "FEATURES"]

# Thresholds on the 0-100 score, tuned on CheckThat! 2022 2A train+dev (benchmarks/checkthat.py --tune).
DEFAULT_STRONG: float = 75.8
DEFAULT_POSSIBLE: float = 22.9

MAX_CHARS = 8_000  # Telegram messages are <= 4096 characters; anything beyond is not read
MAX_SEGMENTS = 64
WINDOW_WORDS = 40  # sentences longer than this are cut into overlapping windows
WINDOW_STRIDE = 20
RETRIEVE_DOCS = 60
MIN_STRONG_TERMS = 5

BM25_K1 = 0.9  # tuned on CheckThat! train+dev (0.9/0.4 vs 1.2/0.75: +0.4 MAP@5 points)
BM25_B = 0.4

# Linear re-ranker. Order of FEATURES matches candidate_features(); weights fitted pairwise on
# CheckThat! train by `python -m benchmarks.checkthat --tune`.
FEATURES: tuple[str, ...] = (
    "cov_win",
    "prec_win",
    "cov_post",
    "fz_set",
    "fz_part",
    "bm25_rel",
    "num_shared",
    "num_missing",
    "short",
    "bm25_claim_rel",
    "rank_recip",
    "bigram",
    "date_near",
    "date_gap",
    "date_known",
    "date_week",
)
WEIGHTS: tuple[float, ...] = (
    0.658,
    -1.389,
    2.307,
    1.049,
    0.409,
    6.850,
    -1.398,
    0.320,
    0.000,
    0.883,
    1.145,
    -1.029,
    1.204,
    -4.361,
    1.239,
    0.911,
)
# Calibration (second stage): p = sigmoid(CAL_B + CAL_A * rank score + CAL_MARGIN * margin to the
# best other claim + CAL_W . absolute features). Fitted on train queries with their gold claims present
# AND removed, so that a high score means "this claim is really in the post", not just "best of a bad lot".
ABS_FEATURES: tuple[str, ...] = (
    "cov_win",
    "prec_win",
    "cov_post",
    "fz_set",
    "fz_part",
    "bigram",
    "date_known",
)
CAL_A: float = 0.3970
CAL_B: float = -9.1065
CAL_MARGIN: float = 0.6002
CAL_W: tuple[float, ...] = (2.330, 4.704, 1.732, -2.473, -0.056, 0.914, 0.135)
MARGIN_CAP = 5.0
# A typical runner-up's ranking score on CheckThat! train: the competitor assumed when a small KB
# offers none, so that a lone candidate is neither rewarded nor punished for being alone.
Z_FLOOR: float = 7.398
# A claim dated this many days before .. after a date written in the post counts as "near".
DATE_NEAR = (-3, 30)


@dataclass(slots=True)
class Candidate:
    """One retrieved document of a claim, with its features (see :meth:`Matcher.candidate_features`).

    ``f`` reads the document against the whole post (BM25 and rank relative to the post's best
    document); ``f_seg`` reads it against its fragment alone, as if the fragment had been sent on
    its own (BM25 over the fragment's terms, relative to the best document on the same fragment).
    The second is what lets a post's second, different claim be reported on its own merits.
    """

    claim_id: str
    f: list[float]
    f_seg: list[float]
    fragment: str
    n_words: int  # meaningful words in the post
    seg_words: int  # meaningful words in the fragment
    kw_hits: int


@dataclass(slots=True)
class ClaimEvidence:
    """A claim's best document read at one level ("post" or "segment")."""

    claim_id: str
    level: str
    z: float  # ranking score
    margin: float  # z minus the best other claim's z on the same fragment, capped
    f: list[float]
    fragment: str
    n_words: int  # meaningful words of the text this level reads (post or fragment)
    kw_hits: int


def _rank_score(f: list[float]) -> float:
    return sum(w * x for w, x in zip(WEIGHTS, f, strict=True))


def _with_margins(best: dict[str, tuple[float, Candidate, list[float]]], level: str) -> list[ClaimEvidence]:
    by_fragment: dict[str, list[float]] = {}
    for z, c, _f in best.values():
        by_fragment.setdefault(c.fragment, []).append(z)
    for zs in by_fragment.values():
        zs.sort(reverse=True)
    out: list[ClaimEvidence] = []
    for claim_id, (z, c, f) in best.items():
        zs = by_fragment[c.fragment]
        other = max(zs[1] if len(zs) > 1 else Z_FLOOR, Z_FLOOR) if z >= zs[0] else zs[0]
        margin = max(-MARGIN_CAP, min(MARGIN_CAP, z - other))
        n = c.n_words if level == "post" else c.seg_words
        out.append(ClaimEvidence(claim_id, level, z, margin, f, c.fragment, n, c.kw_hits))
    return out


def per_claim(rows: list[Candidate]) -> list[ClaimEvidence]:
    """Stage 1: each claim's best document, at the post level and (if it differs) the segment level.

    An entry takes its best document. The margin is z minus the best *other* claim's z on the same
    fragment (a clear winner there is more credible than one of many look-alikes). Alone on its
    fragment, a claim is compared with a typical runner-up (Z_FLOOR). The segment level reads each
    fragment as if it had been sent alone, so that a second, distinct claim in another sentence of a
    post is judged on that sentence, not against the post's first claim; it is only used for
    fragments with at least ``MIN_STRONG_TERMS`` meaningful words and for posts of several segments.
    """
    post: dict[str, tuple[float, Candidate, list[float]]] = {}
    seg: dict[str, tuple[float, Candidate, list[float]]] = {}
    for c in rows:
        z = _rank_score(c.f)
        if c.claim_id not in post or z > post[c.claim_id][0]:
            post[c.claim_id] = (z, c, c.f)
        if c.f_seg is not c.f and c.seg_words >= MIN_STRONG_TERMS:
            zs = _rank_score(c.f_seg)
            if c.claim_id not in seg or zs > seg[c.claim_id][0]:
                seg[c.claim_id] = (zs, c, c.f_seg)
    return _with_margins(post, "post") + _with_margins(seg, "segment")


def calibrated(e: ClaimEvidence) -> float:
    """Stage 2: the 0-100 score of one piece of evidence."""
    logit = CAL_B + CAL_A * e.z + CAL_MARGIN * e.margin + KEYWORD_BONUS * e.kw_hits
    logit += sum(c * e.f[_ABS_IDX[i]] for i, c in enumerate(CAL_W))
    return 100.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))


_ABS_IDX: tuple[int, ...] = tuple(FEATURES.index(n) for n in ABS_FEATURES)
KEYWORD_BONUS = 0.6  # logit per matched moderator keyword, at most two counted


@dataclass(frozen=True, slots=True)
class Match:
    """One claim found in a post."""

    claim: Claim
    score: float
    strength: str
    fragment: str

    @property
    def claim_id(self) -> str:
        return self.claim.id


class _Grow:
    """A growable 1-D numpy array (amortised O(1) append)."""

    def __init__(self, dtype: npt.DTypeLike, fill: float | bool = 0) -> None:
        self.a: npt.NDArray[np.generic] = np.full(1024, fill, dtype=dtype)
        self.n = 0
        self._fill = fill

    def append(self, value: float | bool) -> int:
        if self.n == len(self.a):
            extra = np.full(len(self.a), self._fill, dtype=self.a.dtype)
            self.a = np.concatenate([self.a, extra])
        self.a[self.n] = value
        self.n += 1
        return self.n - 1

    def view(self) -> npt.NDArray[np.generic]:
        return self.a[: self.n]


@dataclass(slots=True)
class _Window:
    text: str  # original wording
    terms: frozenset[int]
    mass: float  # idf mass of all terms, unknown terms at the maximal idf
    norm: str
    term_str: str
    n_words: int  # meaningful words (stop words excluded)


class Matcher:
    """An in-memory, incrementally updatable claim index. Not thread-safe for concurrent writes."""

    def __init__(
        self,
        claims: Iterable[Claim] = (),
        *,
        strong: float = DEFAULT_STRONG,
        possible: float = DEFAULT_POSSIBLE,
    ) -> None:
        self.strong = strong
        self.possible = possible
        self._claims: dict[str, Claim] = {}
        self._claim_docs: dict[str, list[int]] = {}
        self._claim_keywords: dict[str, list[frozenset[int]]] = {}
        self._url_index: dict[str, set[str]] = {}
        self._exact: dict[str, str] = {}
        # vocabulary and document data
        self._vocab: dict[str, int] = {}
        self._terms: list[str] = []
        self._df = _Grow(np.int32)
        self._doc_claim: list[str] = []
        self._doc_terms: list[tuple[int, ...]] = []
        self._doc_norm: list[str] = []
        self._doc_nums: list[frozenset[str]] = []
        self._doc_len: list[int] = []
        self._claim_day: dict[str, int] = {}
        self._alive = _Grow(np.bool_, False)
        self._n_alive = 0
        self._len_sum = 0
        # postings: main CSR + delta
        self._indptr: npt.NDArray[np.int64] = np.zeros(1, dtype=np.int64)
        self._post_doc: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._post_w: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        self._main_docs = 0
        self._delta: dict[int, tuple[list[int], list[float]]] = {}
        self._delta_docs = 0
        self._dead_in_main = 0
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
        if claim.id in self._claims:
            self._retire(claim.id)
        self._add(claim, self._avgdl())
        self._maybe_merge()

    def remove(self, claim_id: str) -> None:
        """Retire an entry: it is no longer matched (unknown ids are ignored)."""
        if claim_id in self._claims:
            self._retire(claim_id)
            self._maybe_merge()

    def add_exact_key(self, key: str, claim_id: str) -> None:
        """Register a moderator key (e.g. "tg:<channel_id>:<message_id>", "file:<file_unique_id>")."""
        self._exact[key] = claim_id

    def remove_exact_key(self, key: str) -> None:
        self._exact.pop(key, None)

    # --- index building ---------------------------------------------------------------------------

    def _avgdl(self) -> float:
        return self._len_sum / self._n_alive if self._n_alive else 8.0

    def _term_id(self, term: str) -> int:
        tid = self._vocab.get(term)
        if tid is None:
            tid = len(self._terms)
            self._vocab[term] = tid
            self._terms.append(term)
            self._df.append(0)
        return tid

    def _index_claim_meta(self, claim: Claim) -> None:
        self._claims[claim.id] = claim
        day = claim.published or claim.updated
        if day is not None:
            self._claim_day[claim.id] = day.toordinal()
        for origin in claim.origins:
            if origin.url:
                self._url_index.setdefault(canonical_url(origin.url), set()).add(claim.id)
        kws: list[frozenset[int]] = []
        for kw in claim.keywords:
            ids = frozenset(self._term_id(t) for t in terms_of_normalized(normalize(kw)))
            if ids:
                kws.append(ids)
        self._claim_keywords[claim.id] = kws

    def _doc_texts(self, claim: Claim) -> list[tuple[str, list[str]]]:
        """(normalised text, terms) for the claim and each distinct variant."""
        out: list[tuple[str, list[str]]] = []
        seen: set[str] = set()
        for text, lang in claim.texts():
            norm = normalize(text)
            if not norm or norm in seen:
                continue
            seen.add(norm)
            terms = terms_of_normalized(norm, lang)
            if terms:
                out.append((norm, terms))
        return out

    def _new_doc(self, claim_id: str, norm: str, terms: list[str]) -> tuple[int, dict[int, int]]:
        tf: dict[int, int] = {}
        for t in terms:
            tid = self._term_id(t)
            tf[tid] = tf.get(tid, 0) + 1
        doc = len(self._doc_claim)
        self._doc_claim.append(claim_id)
        self._doc_terms.append(tuple(tf))
        self._doc_norm.append(norm)
        self._doc_nums.append(frozenset(numbers(norm)))
        self._doc_len.append(len(terms))
        self._alive.append(True)
        self._n_alive += 1
        self._len_sum += len(terms)
        df = self._df.a
        for tid in tf:
            df[tid] += 1
        return doc, tf

    @staticmethod
    def _weight(tf: int, dl: int, avgdl: float) -> float:
        return tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * dl / avgdl))

    def _build(self, claims: Iterable[Claim]) -> None:
        """Bulk build: documents go straight into the main CSR arrays."""
        pending: list[tuple[int, dict[int, int], int]] = []
        for claim in claims:
            if claim.id in self._claims:
                self._retire(claim.id)
            self._index_claim_meta(claim)
            docs: list[int] = []
            for norm, terms in self._doc_texts(claim):
                doc, tf = self._new_doc(claim.id, norm, terms)
                docs.append(doc)
                pending.append((doc, tf, len(terms)))
            self._claim_docs[claim.id] = docs
        if not pending:
            return
        avgdl = self._avgdl()
        n = sum(len(tf) for _, tf, _ in pending)
        t_arr = np.empty(n, dtype=np.int32)
        d_arr = np.empty(n, dtype=np.int32)
        w_arr = np.empty(n, dtype=np.float32)
        i = 0
        for doc, tf, dl in pending:
            norm_len = BM25_K1 * (1 - BM25_B + BM25_B * dl / avgdl)
            for tid, f in tf.items():
                t_arr[i] = tid
                d_arr[i] = doc
                w_arr[i] = f * (BM25_K1 + 1) / (f + norm_len)
                i += 1
        self._install_main(t_arr, d_arr, w_arr)
        self._main_docs = len(self._doc_claim)

    def _install_main(
        self,
        t_arr: npt.NDArray[np.int32],
        d_arr: npt.NDArray[np.int32],
        w_arr: npt.NDArray[np.float32],
    ) -> None:
        order = np.argsort(t_arr, kind="stable")
        counts = np.bincount(t_arr, minlength=len(self._terms))
        self._indptr = np.zeros(len(self._terms) + 1, dtype=np.int64)
        np.cumsum(counts, out=self._indptr[1:])
        self._post_doc = d_arr[order]
        self._post_w = w_arr[order]

    def _add(self, claim: Claim, avgdl: float) -> None:
        self._index_claim_meta(claim)
        docs: list[int] = []
        for norm, terms in self._doc_texts(claim):
            doc, tf = self._new_doc(claim.id, norm, terms)
            docs.append(doc)
            for tid, f in tf.items():
                ids, ws = self._delta.setdefault(tid, ([], []))
                ids.append(doc)
                ws.append(self._weight(f, len(terms), avgdl))
            self._delta_docs += 1
        self._claim_docs[claim.id] = docs

    def _retire(self, claim_id: str) -> None:
        claim = self._claims.pop(claim_id)
        alive = self._alive.a
        df = self._df.a
        for doc in self._claim_docs.pop(claim_id, []):
            if alive[doc]:
                alive[doc] = False
                self._n_alive -= 1
                self._len_sum -= len(self._doc_terms[doc])
                for tid in self._doc_terms[doc]:
                    df[tid] -= 1
                if doc < self._main_docs:
                    self._dead_in_main += 1
        self._claim_keywords.pop(claim_id, None)
        self._claim_day.pop(claim_id, None)
        for origin in claim.origins:
            if origin.url:
                ids = self._url_index.get(canonical_url(origin.url))
                if ids is not None:
                    ids.discard(claim_id)
                    if not ids:
                        del self._url_index[canonical_url(origin.url)]

    def _maybe_merge(self) -> None:
        limit = max(2000, self._main_docs // 10)
        if self._delta_docs > limit or self._dead_in_main > limit:
            self.compact()

    def compact(self) -> None:
        """Fold the delta into the main arrays and drop dead postings (done automatically)."""
        counts = np.diff(self._indptr)
        t_main = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        t_parts = [t_main]
        d_parts = [self._post_doc]
        w_parts = [self._post_w]
        for tid, (ids, ws) in self._delta.items():
            t_parts.append(np.full(len(ids), tid, dtype=np.int32))
            d_parts.append(np.asarray(ids, dtype=np.int32))
            w_parts.append(np.asarray(ws, dtype=np.float32))
        t_arr = np.concatenate(t_parts)
        d_arr = np.concatenate(d_parts)
        w_arr = np.concatenate(w_parts)
        keep = self._alive.view()[d_arr].astype(bool)
        self._install_main(t_arr[keep], d_arr[keep], w_arr[keep])
        self._delta = {}
        self._delta_docs = 0
        self._dead_in_main = 0
        self._main_docs = len(self._doc_claim)

    # --- matching ---------------------------------------------------------------------------------

    def _idf(self, tids: Sequence[int]) -> npt.NDArray[np.float64]:
        n = max(self._n_alive, 1)
        df = self._df.a[np.asarray(tids, dtype=np.int64)].astype(np.float64)
        return np.log1p((n - df + 0.5) / (df + 0.5))

    def _segments(self, text: str) -> list[str]:
        segs: list[str] = []
        for sent in split_sentences(text):
            words = sent.split()
            if len(words) <= WINDOW_WORDS:
                segs.append(sent)
            else:
                for start in range(0, len(words) - WINDOW_STRIDE, WINDOW_STRIDE):
                    segs.append(" ".join(words[start : start + WINDOW_WORDS]))
            if len(segs) >= MAX_SEGMENTS:
                break
        return segs[:MAX_SEGMENTS]

    def match(
        self,
        text: str,
        *,
        urls: Iterable[str] = (),
        exact_keys: Iterable[str] = (),
        limit: int = 5,
        posted: date | None = None,
    ) -> list[Match]:
        """Claims found in `text`, best first, each once, at most `limit`; never raises on odd input.

        `posted`, the post's date if the caller knows it, helps rank claims of the same period;
        without it the last date written in the post is used, if any.
        """
        if limit <= 0:
            return []
        text = text if isinstance(text, str) else ""
        found: dict[str, Match] = {}
        self._exact_matches(text, urls, exact_keys, found)
        for m in self._fuzzy_matches(text[:MAX_CHARS], posted):
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

    def _query_scores(self, tids: Sequence[int], idf: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
        scores = np.zeros(len(self._doc_claim), dtype=np.float32)
        indptr = self._indptr
        n_main_terms = len(indptr) - 1
        for tid, w in zip(tids, idf.tolist(), strict=True):
            if tid < n_main_terms:
                lo, hi = indptr[tid], indptr[tid + 1]
                if hi > lo:
                    scores[self._post_doc[lo:hi]] += np.float32(w) * self._post_w[lo:hi]
            delta = self._delta.get(tid)
            if delta is not None:
                scores[np.asarray(delta[0], dtype=np.int64)] += np.float32(w) * np.asarray(delta[1], dtype=np.float32)
        scores[~self._alive.view().astype(bool)] = 0.0
        return scores

    def _fuzzy_matches(self, text: str, posted: date | None = None) -> list[Match]:
        feats = self.candidates(text, posted=posted)
        out: list[Match] = []
        for claim_id, score, fragment, n_terms in feats:
            if score < self.possible:
                continue
            strength = "strong" if score >= self.strong and n_terms >= MIN_STRONG_TERMS else "possible"
            out.append(Match(self._claims[claim_id], score, strength, fragment))
        return out

    def candidates(self, text: str, *, posted: date | None = None) -> list[tuple[str, float, str, int]]:
        """(claim id, score, fragment, meaningful words read) for every candidate claim, best first."""
        return self.scored(self.candidate_features(text, posted=posted))

    @staticmethod
    def scored(rows: list[Candidate]) -> list[tuple[str, float, str, int]]:
        """Two-stage scoring of candidate_features() rows, one row per claim, best first.

        A claim's score is the better of its post-level and segment-level evidence; the fragment and
        word count are those of the level that gave it.
        """
        best: dict[str, tuple[float, str, int]] = {}
        for e in per_claim(rows):
            score = round(calibrated(e), 2)
            if e.claim_id not in best or score > best[e.claim_id][0]:
                best[e.claim_id] = (score, e.fragment, e.n_words)
        out = [(cid, score, frag, n) for cid, (score, frag, n) in best.items()]
        out.sort(key=lambda r: -r[1])
        return out

    def candidate_features(self, text: str, *, posted: date | None = None) -> list[Candidate]:
        """Per candidate document: a :class:`Candidate` (features at post and segment level).

        `posted` is the post's date if known; otherwise the last date written in the post (a tweet's
        signature, "January 14, 2020") is used. Public so that benchmarks can fit the re-ranker.
        """
        if not self._n_alive or not text or not text.strip():
            return []
        segs = self._segments(text)
        if not segs:
            return []
        norms = [normalize(s) for s in segs]
        mode = text_mode(" ".join(norms))
        seg_groups = [word_terms(n, mode=mode) for n in norms]
        seg_terms = [[t for g in gs for t in g] for gs in seg_groups]
        post_terms = {t for ts in seg_terms for t in ts}
        if not post_terms:
            return []
        # Meaningful words (not terms: one word may give several terms) for the short-input rule.
        n_post_words = len({g for gs in seg_groups for g in gs})
        vocab = self._vocab
        known = sorted({vocab[t] for t in post_terms if t in vocab})
        if not known:
            return []
        idf_arr = self._idf(known)
        idf = dict(zip(known, idf_arr.tolist(), strict=True))
        n = max(self._n_alive, 1)
        idf_unknown = math.log1p((n + 0.5) / 0.5)
        scores = self._query_scores(known, idf_arr)
        k = min(RETRIEVE_DOCS, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[scores[top] > 0]
        if not len(top):
            return []
        top = top[np.argsort(-scores[top])]
        if posted is None:
            posted = find_date(text)
        post_day = posted.toordinal() if posted is not None else None

        # Windows: each segment and each pair of adjacent segments.
        seg_ids = [frozenset(vocab[t] for t in ts if t in vocab) for ts in seg_terms]

        def group_mass(groups: set[tuple[str, ...]]) -> float:
            # Each word counts once: its best-known form's idf, or the maximal idf if unknown.
            total = 0.0
            for g in groups:
                known_idf = [idf[vocab[t]] for t in g if t in vocab and vocab[t] in idf]
                total += max(known_idf) if known_idf else idf_unknown
            return total

        windows: list[_Window] = []
        term_windows: dict[int, list[int]] = {}
        spans = [(i, i) for i in range(len(segs))] + [(i, i + 1) for i in range(len(segs) - 1)]
        for a, b in spans:
            ids = seg_ids[a] | seg_ids[b]
            if not ids:
                continue
            groups_ab = set(seg_groups[a]) | set(seg_groups[b])
            mass = group_mass(groups_ab)
            wi = len(windows)
            terms_ab = seg_terms[a] if a == b else seg_terms[a] + seg_terms[b]
            windows.append(
                _Window(
                    text=segs[a] if a == b else segs[a] + " " + segs[b],
                    terms=ids,
                    mass=mass,
                    norm=norms[a] if a == b else norms[a] + " " + norms[b],
                    term_str=" ".join(terms_ab),
                    n_words=len(groups_ab),
                )
            )
            for t in ids:
                term_windows.setdefault(t, []).append(wi)
        # A window that is the whole post adds nothing at the segment level.
        whole_post = len(segs) == 1
        post_ids = frozenset(known)
        post_bigrams: set[tuple[int, int]] = set()
        for ts in seg_terms:
            ids_seq = [vocab[t] for t in ts if t in vocab]
            post_bigrams.update(zip(ids_seq, ids_seq[1:], strict=False))
        # Claim-level BM25: the sum over an entry's retrieved documents (claim + variants).
        claim_sum: dict[str, float] = {}
        for doc in top.tolist():
            cid = self._doc_claim[doc]
            claim_sum[cid] = claim_sum.get(cid, 0.0) + float(scores[doc])
        post_nums = set()
        for nm in norms:
            post_nums |= numbers(nm)
        avgdl = self._avgdl()
        k1, b_ = BM25_K1, BM25_B

        rows: list[Candidate] = []
        seg_bm25: list[float] = []
        row_win: list[int] = []
        for doc in top.tolist():
            dterms = self._doc_terms[doc]
            d_idf = self._idf(dterms).tolist()
            mass_d = sum(d_idf) or 1.0
            acc: dict[int, float] = {}
            cov_post = 0.0
            for t, w in zip(dterms, d_idf, strict=True):
                wins = term_windows.get(t)
                if wins:
                    cov_post += w
                    for wi in wins:
                        acc[wi] = acc.get(wi, 0.0) + w
            if not acc:
                continue
            best_wi = max(acc, key=lambda wi: acc[wi] / mass_d + 0.3 * acc[wi] / windows[wi].mass)
            win = windows[best_wi]
            cov_win = acc[best_wi] / mass_d
            prec_win = min(1.0, acc[best_wi] / win.mass)
            d_term_str = " ".join(self._terms[t] for t in dterms)
            fz_set = fuzz.token_set_ratio(d_term_str, win.term_str) / 100.0
            fz_part = fuzz.partial_ratio(self._doc_norm[doc], win.norm) / 100.0
            d_nums = self._doc_nums[doc]
            shared = bool(d_nums & post_nums)
            missing = bool(d_nums) and not shared
            claim_id = self._doc_claim[doc]
            kw_hits = sum(1 for kw in self._claim_keywords.get(claim_id, ()) if kw <= post_ids)
            day = self._claim_day.get(claim_id)
            if day is not None and post_day is not None:
                diff = day - post_day
                date_f = [
                    float(DATE_NEAR[0] <= diff <= DATE_NEAR[1]),
                    min(1.0, math.log1p(abs(diff)) / 8.0),
                    1.0,
                    float(-1 <= diff <= 7),
                ]
            else:
                date_f = [0.0, 0.0, 0.0, 0.0]
            f = [
                cov_win,
                prec_win,
                cov_post / mass_d,
                fz_set,
                fz_part,
                float(scores[doc]),  # made relative below
                float(shared),
                float(missing),
                float(n_post_words < MIN_STRONG_TERMS),
                claim_sum[claim_id],  # made relative below
                0.0,  # rank, set below
                sum(1 for bg in zip(dterms, dterms[1:], strict=False) if bg in post_bigrams) / max(len(dterms) - 1, 1),
                *date_f,
            ]
            rows.append(Candidate(claim_id, f, f, win.text, n_post_words, win.n_words, min(kw_hits, 2)))
            if not whole_post:
                # BM25 of the document against the window's terms alone (tf taken as 1).
                tw = (k1 + 1) / (1 + k1 * (1 - b_ + b_ * self._doc_len[doc] / avgdl))
                seg_bm25.append(tw * sum(w for t, w in zip(dterms, d_idf, strict=True) if t in win.terms))
                row_win.append(best_wi)
        # BM25 relative to the post's best document, and its rank. (Tried: relative to the best on
        # the same window, to favour a multi-claim post's second claim; MAP@5 on train fell 0.82 -> 0.77.
        # That reading is kept apart, as the segment level below.)
        i_bm, i_claim, i_rank, i_cov_post, i_cov_win = (
            FEATURES.index(n) for n in ("bm25_rel", "bm25_claim_rel", "rank_recip", "cov_post", "cov_win")
        )
        s_best = float(scores[top[0]]) or 1.0
        for rank, c in enumerate(rows, start=1):
            c.f[i_bm] /= s_best
            c.f[i_claim] /= s_best
            c.f[i_rank] = 1.0 / rank
        if whole_post:
            return rows
        # Segment level: each fragment read alone, documents compared with the others on it.
        by_win: dict[int, list[int]] = {}
        for i, wi in enumerate(row_win):
            by_win.setdefault(wi, []).append(i)
        for idx in by_win.values():
            idx.sort(key=lambda i: -seg_bm25[i])
            best_s = seg_bm25[idx[0]] or 1.0
            claim_seg: dict[str, float] = {}
            for i in idx:
                claim_seg[rows[i].claim_id] = claim_seg.get(rows[i].claim_id, 0.0) + seg_bm25[i]
            for rank, i in enumerate(idx, start=1):
                c = rows[i]
                fs = list(c.f)
                fs[i_bm] = seg_bm25[i] / best_s
                fs[i_claim] = claim_seg[c.claim_id] / best_s
                fs[i_rank] = 1.0 / rank
                fs[i_cov_post] = fs[i_cov_win]
                c.f_seg = fs
        return rows
