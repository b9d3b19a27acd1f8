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
   Features are computed for all candidates at once (numpy, summed in the same order as a per-term
   loop, so values are bit-identical to it). :meth:`Matcher.match` runs the two rapidfuzz scorers
   only where they can change its result: both lie in [0, 1] and enter the scores linearly, so a
   claim whose upper bound stays below ``possible`` and that cannot reach a reported claim's margin
   is dropped unscored (see ``Matcher._reportable``). :meth:`Matcher.candidates` scores everything.
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
from itertools import chain

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
_I_BM, _I_CLAIM, _I_RANK, _I_COV_POST, _I_COV_WIN = (
    FEATURES.index(n) for n in ("bm25_rel", "bm25_claim_rel", "rank_recip", "cov_post", "cov_win")
)
_I_FZ_SET, _I_FZ_PART = FEATURES.index("fz_set"), FEATURES.index("fz_part")
# Bound-based pruning (Matcher._reportable). Placeholders for the rapidfuzz features: the values in
# [0, 1] that minimise the ranking score. From there, how much each feature can add to the ranking
# score and to the calibration's linear part (CAL_A * z + CAL_W . absolute features).
_W_ARR = np.asarray(WEIGHTS, dtype=np.float64)
_CAL_W_ARR = np.asarray(CAL_W, dtype=np.float64)
_FZ_LO: tuple[float, float] = tuple(0.0 if WEIGHTS[i] >= 0 else 1.0 for i in (_I_FZ_SET, _I_FZ_PART))  # type: ignore[assignment]
_Z_UP = sum(abs(WEIGHTS[i]) for i in (_I_FZ_SET, _I_FZ_PART))


def _lin_up(i: int, lo: float) -> float:
    c = CAL_A * WEIGHTS[i] + sum(w for w, j in zip(CAL_W, _ABS_IDX, strict=True) if j == i)
    return max(c * (1.0 - lo), c * (0.0 - lo))


_LIN_UP = _lin_up(_I_FZ_SET, _FZ_LO[0]) + _lin_up(_I_FZ_PART, _FZ_LO[1])
_BOUND_SLACK = 1e-6  # bounds are summed in another order than the exact scores


_NO_DAY = -(2**62)  # a document whose claim has no date
# min(1, log1p(k) / 8) for k days, with math.log1p (1.0 from e^8 - 1 days on).
_GAP_TABLE = np.asarray([min(1.0, math.log1p(k) / 8.0) for k in range(math.ceil(math.expm1(8.0)) + 2)])
# Above this many cells (documents x terms x windows), window coverage is summed in a loop.
_ACC_CELLS = 60_000


@dataclass(slots=True)
class _Rows:
    """candidate_features() rows before they become :class:`Candidate` objects.

    Per row: its claim, document and window, keyword hits, and its features as a matrix row (post
    level; ``feats_seg`` the segment level, None when the post is one segment), with placeholders for
    the rapidfuzz features until _fill_fuzzy.
    """

    claims: list[str]
    src: list[tuple[int, int]]  # (document, window)
    kw: list[int]
    win_text: _WindowText
    win_words: list[int]
    n_post_words: int
    feats: npt.NDArray[np.float64]
    feats_seg: npt.NDArray[np.float64] | None

    def candidate(self, i: int) -> Candidate:
        f: list[float] = self.feats[i].tolist()
        fs: list[float] = self.feats_seg[i].tolist() if self.feats_seg is not None else f
        wi = self.src[i][1]
        text, words = self.win_text.text(wi), self.win_words[wi]
        return Candidate(self.claims[i], f, fs, text, self.n_post_words, words, self.kw[i])

    def candidates(self) -> list[Candidate]:
        fl: list[list[float]] = self.feats.tolist()
        fsl = self.feats_seg.tolist() if self.feats_seg is not None else fl
        text, words, n = self.win_text.text, self.win_words, self.n_post_words
        return [
            Candidate(cid, f, fs, text(wi), n, words[wi], kw)
            for cid, f, fs, (_d, wi), kw in zip(self.claims, fl, fsl, self.src, self.kw, strict=True)
        ]


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


class _WindowText:
    """Wording of a post's windows (one segment or two adjacent ones), built on first use."""

    __slots__ = ("_segs", "_norms", "_seg_terms", "_span", "_cache")

    def __init__(
        self, segs: list[str], norms: list[str], seg_terms: list[list[str]], span: list[tuple[int, int]]
    ) -> None:
        self._segs = segs
        self._norms = norms
        self._seg_terms = seg_terms
        self._span = span
        self._cache: dict[int, tuple[str, str, str]] = {}

    def _get(self, wi: int) -> tuple[str, str, str]:
        got = self._cache.get(wi)
        if got is None:
            a, b = self._span[wi]
            if a == b:
                got = (self._segs[a], self._norms[a], " ".join(self._seg_terms[a]))
            else:
                got = (
                    self._segs[a] + " " + self._segs[b],
                    self._norms[a] + " " + self._norms[b],
                    " ".join(self._seg_terms[a] + self._seg_terms[b]),
                )
            self._cache[wi] = got
        return got

    def text(self, wi: int) -> str:
        """Original wording (reported as the fragment)."""
        return self._get(wi)[0]

    def norm(self, wi: int) -> str:
        """Normalised text (for partial_ratio)."""
        return self._get(wi)[1]

    def term_str(self, wi: int) -> str:
        """Terms joined by spaces (for token_set_ratio)."""
        return self._get(wi)[2]


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
        self._doc_has_nums = _Grow(np.bool_, False)
        self._doc_day = _Grow(np.int64, _NO_DAY)  # the claim's date (ordinal), _NO_DAY if none
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
        # idf of every term, as Python floats, for the current counts (None: recompute on next query)
        self._idf_cache: list[float] | None = None
        self._idf_arr: npt.NDArray[np.float64] = np.zeros(0)
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
            self._idf_cache = None
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
        d_nums = frozenset(numbers(norm))
        self._doc_nums.append(d_nums)
        self._doc_has_nums.append(bool(d_nums))
        self._doc_day.append(self._claim_day.get(claim_id, _NO_DAY))
        self._doc_len.append(len(terms))
        self._alive.append(True)
        self._n_alive += 1
        self._len_sum += len(terms)
        df = self._df.a
        for tid in tf:
            df[tid] += 1
        self._idf_cache = None
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
        self._idf_cache = None
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

    def _idf_all(self) -> list[float]:
        """idf of every term id (the same values as :meth:`_idf`), cached until the counts change."""
        if self._idf_cache is None:
            self._idf_arr = self._idf(range(len(self._terms)))
            self._idf_cache = self._idf_arr.tolist()
        return self._idf_cache

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

    def _query_scores(self, tids: Sequence[int]) -> npt.NDArray[np.float32]:
        """BM25 of every document against the query terms `tids` (sorted ids), dead documents 0.

        float32, summed term by term in `tids` order (np.add.at is sequential), as a loop over the
        terms' posting lists would."""
        scores = np.zeros(len(self._doc_claim), dtype=np.float32)
        ka = np.asarray(tids, dtype=np.int64)
        w32 = self._idf_arr[ka].astype(np.float32)
        main = ka < len(self._indptr) - 1
        if main.any():
            km = ka[main]
            lo = self._indptr[km]
            ln = self._indptr[km + 1] - lo
            total = int(ln.sum())
            if total:
                pos = np.repeat(lo - (np.cumsum(ln) - ln), ln) + np.arange(total)
                np.add.at(scores, self._post_doc[pos], np.repeat(w32[main], ln) * self._post_w[pos])
        if self._delta:  # a document is either in the main arrays or in the delta, never both
            for tid, w in zip(tids, w32.tolist(), strict=True):
                delta = self._delta.get(tid)
                if delta is not None:
                    ids = np.asarray(delta[0], dtype=np.int64)
                    scores[ids] += np.float32(w) * np.asarray(delta[1], dtype=np.float32)
        if self._n_alive < len(self._doc_claim):  # some documents are dead
            scores[~self._alive.view().astype(bool)] = 0.0
        return scores

    def _fuzzy_matches(self, text: str, posted: date | None = None) -> list[Match]:
        got = self._features(text, posted)
        if got is None:
            return []
        keep = self._reportable(got)  # fills in their rapidfuzz features
        feats = self.scored([got.candidate(i) for i in keep])
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
        got = self._features(text, posted)
        if got is None:
            return []
        for i in range(len(got.claims)):
            self._fill_fuzzy(got, i)
        return got.candidates()

    def _fill_fuzzy(self, got: _Rows, i: int) -> None:
        """Compute row `i`'s two rapidfuzz features (left at their placeholders by a lazy _features)."""
        doc, wi = got.src[i]
        d_term_str = " ".join([self._terms[t] for t in self._doc_terms[doc]])
        fz_set = fuzz.token_set_ratio(d_term_str, got.win_text.term_str(wi)) / 100.0
        fz_part = fuzz.partial_ratio(self._doc_norm[doc], got.win_text.norm(wi)) / 100.0
        got.feats[i, _I_FZ_SET] = fz_set
        got.feats[i, _I_FZ_PART] = fz_part
        if got.feats_seg is not None:
            got.feats_seg[i, _I_FZ_SET] = fz_set
            got.feats_seg[i, _I_FZ_PART] = fz_part

    def _reportable(self, got: _Rows) -> list[int]:
        """Rows whose exact rapidfuzz features can change :meth:`match`'s result (bound-based pruning);
        their features are filled in.

        The two rapidfuzz features lie in [0, 1] and enter the ranking score and the calibration
        linearly, so every row (at each level) has an upper bound on its ranking score and on the
        logit of any evidence it can give (margin at most min(MARGIN_CAP, z - Z_FLOOR), or 0 when
        the claim is not first on its fragment). A claim none of whose rows can reach ``possible``
        is never reported. A claim that cannot be reported still matters through the margins of
        reported ones, but only on their fragments (at the same level) and only if it can score at
        least min(Z_FLOOR, their ranking score): below both, it is neither the best other claim of a
        claim it trails nor, against the floor, of one it leads. So: the rows of claims that may be
        reported, plus the rows of claims that may reach that bound on one of their fragments. The
        others are dropped; leaving them out changes no reported score or order.
        """
        n = len(got.claims)
        p = self.possible - 0.01  # scores are rounded to 0.01
        if not 0.0 < p < 100.0:
            for i in range(n):
                self._fill_fuzzy(got, i)
            return list(range(n))
        if not n:
            return []
        thr = math.log(p / (100.0 - p)) - _BOUND_SLACK
        claims, text, words = got.claims, got.win_text.text, got.win_words
        frags = [text(wi) for _d, wi in got.src]
        levels: list[tuple[list[int], npt.NDArray[np.float64]]] = [(list(range(n)), got.feats)]
        if got.feats_seg is not None:
            seg_idx = [i for i, (_d, wi) in enumerate(got.src) if words[wi] >= MIN_STRONG_TERMS]
            if seg_idx:
                levels.append((seg_idx, got.feats_seg[seg_idx]))
        kw = np.asarray(got.kw, dtype=np.float64)
        z_hi: list[list[float]] = []
        may_report: set[str] = set()
        for idx, mat in levels:
            z_lo = mat @ _W_ARR
            zh = z_lo + _Z_UP
            lin_hi = CAL_A * z_lo + mat[:, _ABS_IDX] @ _CAL_W_ARR + _LIN_UP
            margin_hi = np.clip(zh - Z_FLOOR, 0.0, MARGIN_CAP)
            ub = CAL_B + lin_hi + CAL_MARGIN * margin_hi + KEYWORD_BONUS * kw[idx]
            for j in np.flatnonzero(ub >= thr).tolist():
                may_report.add(claims[idx[j]])
            z_hi.append((zh + _BOUND_SLACK).tolist())
        if not may_report:
            return []
        sure = [i for i in range(n) if claims[i] in may_report]
        for i in sure:
            self._fill_fuzzy(got, i)
        # The reportable claims' evidence (best row per level, as per_claim picks it): per fragment,
        # the bound below which other claims do not matter there.
        best: dict[tuple[str, int], tuple[float, str]] = {}
        for i in sure:
            for level in range(len(levels)):
                if level == 1 and words[got.src[i][1]] < MIN_STRONG_TERMS:
                    continue
                fm = got.feats if level == 0 else got.feats_seg
                assert fm is not None
                z = _rank_score(fm[i].tolist())
                key = (claims[i], level)
                if key not in best or z > best[key][0]:
                    best[key] = (z, frags[i])
        floor: tuple[dict[str, float], dict[str, float]] = ({}, {})
        for (_cid, level), (z, frag) in best.items():
            d = floor[level]
            d[frag] = min(d.get(frag, Z_FLOOR), z)
        need = set(may_report)
        for (idx, _mat), d, zh_l in zip(levels, floor, z_hi, strict=False):
            if not d:
                continue
            for j, i in enumerate(idx):
                if claims[i] not in need:
                    t = d.get(frags[i])
                    if t is not None and zh_l[j] >= t:
                        need.add(claims[i])
        keep = [i for i in range(n) if claims[i] in need]
        for i in keep:
            if claims[i] not in may_report:
                self._fill_fuzzy(got, i)
        return keep

    def _features(self, text: str, posted: date | None) -> _Rows | None:
        """candidate_features() rows with the rapidfuzz features left at placeholders (the values that
        minimise the ranking score) for :meth:`_fill_fuzzy`, which match() calls only where needed."""
        if not self._n_alive or not text or not text.strip():
            return None
        segs = self._segments(text)
        if not segs:
            return None
        norms = [normalize(s) for s in segs]
        mode = text_mode(" ".join(norms))
        seg_groups = [word_terms(n, mode=mode) for n in norms]
        seg_terms = [[t for g in gs for t in g] for gs in seg_groups]
        post_terms = {t for ts in seg_terms for t in ts}
        if not post_terms:
            return None
        # Meaningful words (not terms: one word may give several terms) for the short-input rule.
        n_post_words = len({g for gs in seg_groups for g in gs})
        vocab = self._vocab
        known = sorted({vocab[t] for t in post_terms if t in vocab})
        if not known:
            return None
        idf_all = self._idf_all()
        n = max(self._n_alive, 1)
        idf_unknown = math.log1p((n + 0.5) / 0.5)
        scores = self._query_scores(known)
        k = min(RETRIEVE_DOCS, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[scores[top] > 0]
        if not len(top):
            return None
        top = top[np.argsort(-scores[top])]
        top_docs: list[int] = top.tolist()
        top_scores: list[float] = scores[top].tolist()
        if posted is None:
            posted = find_date(text)
        post_day = posted.toordinal() if posted is not None else None

        # Windows: each segment and each pair of adjacent segments. Per window: its term ids, idf mass
        # (each word counts once: its best-known form's idf, or the maximal idf if unknown) and
        # meaningful words; its wording is built only for windows some document picks (_WindowText).
        seg_ids = [frozenset(vocab[t] for t in ts if t in vocab) for ts in seg_terms]
        group_idf: dict[tuple[str, ...], float] = {}
        for gs in seg_groups:
            for g in gs:
                if g not in group_idf:
                    known_idf = [idf_all[vocab[t]] for t in g if t in vocab]
                    group_idf[g] = max(known_idf) if known_idf else idf_unknown
        win_span: list[tuple[int, int]] = []
        win_mass: list[float] = []
        win_words: list[int] = []
        spans = [(i, i) for i in range(len(segs))] + [(i, i + 1) for i in range(len(segs) - 1)]
        for a, b in spans:
            if not (seg_ids[a] or seg_ids[b]):
                continue
            groups_ab = set(seg_groups[a]) | set(seg_groups[b])
            mass = 0.0
            for g in sorted(groups_ab):  # a fixed order: set order follows the hash seed, and so would the sum
                mass += group_idf[g]
            win_span.append((a, b))
            win_mass.append(mass)
            win_words.append(len(groups_ab))
        n_win = len(win_span)
        win_text = _WindowText(segs, norms, seg_terms, win_span)
        # A window that is the whole post adds nothing at the segment level.
        whole_post = len(segs) == 1
        post_ids = frozenset(known)
        post_bigrams: set[tuple[int, int]] = set()
        for ts in seg_terms:
            ids_seq = [vocab[t] for t in ts if t in vocab]
            post_bigrams.update(zip(ids_seq, ids_seq[1:], strict=False))
        # Claim-level BM25: the sum over an entry's retrieved documents (claim + variants).
        doc_claim = self._doc_claim
        claim_sum: dict[str, float] = {}
        for doc, s in zip(top_docs, top_scores, strict=True):
            cid = doc_claim[doc]
            claim_sum[cid] = claim_sum.get(cid, 0.0) + s
        post_nums: set[str] = set()
        for nm in norms:
            post_nums |= numbers(nm)

        # Per retrieved document, all at once: its terms as a padded matrix (row = document, in
        # order), their idf, and which of them the post / each window holds. Sums run along rows
        # with cumsum, i.e. left to right in the document's term order, exactly as a Python loop.
        doc_terms = self._doc_terms
        d_terms = [doc_terms[d] for d in top_docs]
        n_top = len(top_docs)
        lens = np.fromiter(map(len, d_terms), dtype=np.int64, count=n_top)
        flat = np.fromiter(chain.from_iterable(d_terms), dtype=np.int64, count=int(lens.sum()))
        cols = np.arange(int(lens.max()))
        valid = cols < lens[:, None]
        tids = flat[(np.cumsum(lens) - lens)[:, None] + np.minimum(cols, lens[:, None] - 1)]
        w_mat = np.where(valid, self._idf_arr[tids], 0.0)
        mass_d = np.cumsum(w_mat, axis=1)[:, -1]
        mass_d[mass_d == 0.0] = 1.0
        known_arr = np.asarray(known, dtype=np.int64)
        kpos = np.minimum(np.searchsorted(known_arr, tids), len(known) - 1)
        in_post = valid & (known_arr[kpos] == tids)
        w_post = np.where(in_post, w_mat, 0.0)
        cov_post = np.cumsum(w_post, axis=1)[:, -1]
        hit = in_post.any(axis=1)
        # acc[d, wi]: idf of document d's terms that window wi holds.
        term_windows: dict[int, list[int]] = {}
        if n_win == 1:
            acc = cov_post[:, None]
        else:
            for wi, (a, b) in enumerate(win_span):
                for t in seg_ids[a] | seg_ids[b]:
                    term_windows.setdefault(t, []).append(wi)
            if n_top * len(cols) * n_win <= _ACC_CELLS:
                in_win = np.zeros((len(known), n_win), dtype=bool)
                kidx = {t: i for i, t in enumerate(known)}
                r_ix = [kidx[t] for t, wins in term_windows.items() for _ in wins]
                c_ix = [wi for wins in term_windows.values() for wi in wins]
                in_win[r_ix, c_ix] = True
                held = in_win[kpos] & in_post[:, :, None]
                acc = np.cumsum(np.where(held, w_mat[:, :, None], 0.0), axis=1)[:, -1, :]
            else:  # long posts: a loop is cheaper than the 3-D array
                acc = np.zeros((n_top, n_win))
                idf_rows = w_mat.tolist()
                for r in np.flatnonzero(hit).tolist():
                    acc_d: dict[int, float] = {}
                    for t, w in zip(d_terms[r], idf_rows[r], strict=False):
                        for wi in term_windows.get(t, ()):
                            acc_d[wi] = acc_d.get(wi, 0.0) + w
                    acc[r, list(acc_d)] = list(acc_d.values())
        rows_ix = np.flatnonzero(hit)
        if not len(rows_ix):
            return _Rows([], [], [], win_text, win_words, n_post_words, np.zeros((0, len(FEATURES))), None)
        # Best window per document: the first, in the order the document's terms reach windows, of
        # those with the highest value (as max() over a dict filled term by term).
        win_mass_arr = np.asarray(win_mass, dtype=np.float64)
        acc = acc[rows_ix]
        mass_r = mass_d[rows_ix]
        value = acc / mass_r[:, None] + 0.3 * acc / win_mass_arr[None, :]
        value[acc == 0.0] = -np.inf
        best_w = value.argmax(axis=1)
        if n_win > 1:
            n_best = (value == value[np.arange(len(rows_ix)), best_w][:, None]).sum(axis=1)
            for j in np.flatnonzero(n_best > 1).tolist():
                tied = set(np.flatnonzero(value[j] == value[j, best_w[j]]).tolist())
                best_w[j] = next(wi for t in d_terms[rows_ix[j]] for wi in term_windows.get(t, ()) if wi in tied)
        a_best = acc[np.arange(len(rows_ix)), best_w]
        n = len(rows_ix)
        r_docs: list[int] = [top_docs[i] for i in rows_ix.tolist()]
        r_docs_arr = np.asarray(r_docs, dtype=np.int64)
        r_best: list[int] = best_w.tolist()
        r_claims = [doc_claim[d] for d in r_docs]
        s_best = top_scores[0] or 1.0

        feats = np.empty((n, len(FEATURES)), dtype=np.float64)
        feats[:, 0] = a_best / mass_r  # cov_win
        feats[:, 1] = np.minimum(1.0, a_best / win_mass_arr[best_w])  # prec_win
        feats[:, 2] = cov_post[rows_ix] / mass_r  # cov_post
        feats[:, 3:5] = _FZ_LO  # the rapidfuzz features: placeholders until _fill_fuzzy
        feats[:, 5] = np.asarray(top_scores, dtype=np.float64)[rows_ix] / s_best  # bm25_rel
        has_nums = self._doc_has_nums.a[r_docs_arr]
        shared_n = np.zeros(n, dtype=bool)
        if post_nums:
            doc_nums = self._doc_nums
            for j in np.flatnonzero(has_nums).tolist():
                shared_n[j] = not doc_nums[r_docs[j]].isdisjoint(post_nums)
        feats[:, 6] = shared_n  # num_shared
        feats[:, 7] = has_nums & ~shared_n  # num_missing
        feats[:, 8] = float(n_post_words < MIN_STRONG_TERMS)  # short
        feats[:, 9] = np.asarray([claim_sum[c] for c in r_claims], dtype=np.float64) / s_best  # bm25_claim_rel
        feats[:, 10] = 1.0 / np.arange(1, n + 1, dtype=np.float64)  # rank_recip
        # bigram: the document's consecutive (distinct) term pairs that the post also has.
        if post_bigrams and len(cols) > 1:
            n_vocab = len(self._terms)
            codes = tids[rows_ix, :-1] * n_vocab + tids[rows_ix, 1:]
            post_codes = np.sort(np.fromiter((a * n_vocab + b for a, b in post_bigrams), dtype=np.int64))
            at = np.minimum(np.searchsorted(post_codes, codes), len(post_codes) - 1)
            shared_bg = ((post_codes[at] == codes) & valid[rows_ix, 1:]).sum(axis=1)
        else:
            shared_bg = np.zeros(n, dtype=np.int64)
        feats[:, 11] = shared_bg / np.maximum(lens[rows_ix] - 1, 1)
        # Dates: near, gap (min(1, log1p(|days|) / 8), from a table of math.log1p values), known, week.
        days: npt.NDArray[np.int64] = self._doc_day.a[r_docs_arr].astype(np.int64, copy=False)
        dated = days != _NO_DAY
        if post_day is not None and dated.any():
            diff = days - post_day
            gap = np.abs(diff)
            feats[:, 12] = dated & (diff >= DATE_NEAR[0]) & (diff <= DATE_NEAR[1])
            feats[:, 13] = np.where(dated, _GAP_TABLE[np.minimum(gap, len(_GAP_TABLE) - 1)], 0.0)
            feats[:, 14] = dated
            feats[:, 15] = dated & (diff >= -1) & (diff <= 7)
        else:
            feats[:, 12:16] = 0.0
        claim_keywords = self._claim_keywords
        kw_hits = [0] * n
        if claim_keywords:
            for i, cid in enumerate(r_claims):
                kws = claim_keywords.get(cid)
                if kws:
                    kw_hits[i] = min(sum(1 for kw in kws if kw <= post_ids), 2)
        src = list(zip(r_docs, r_best, strict=True))
        # BM25 relative to the post's best document, and its rank (above). (Tried: relative to the
        # best on the same window, to favour a multi-claim post's second claim; MAP@5 on train fell
        # 0.82 -> 0.77. That reading is kept apart, as the segment level below.)
        if whole_post:
            return _Rows(r_claims, src, kw_hits, win_text, win_words, n_post_words, feats, None)
        # Segment level: each fragment read alone, documents compared with the others on it. BM25 of
        # the document against the window's terms alone (tf taken as 1): its idf there is a_best.
        k1, b_ = BM25_K1, BM25_B
        dl = np.asarray([self._doc_len[d] for d in r_docs], dtype=np.float64)
        seg_bm25: list[float] = ((k1 + 1) / (1 + k1 * (1 - b_ + b_ * dl / self._avgdl())) * a_best).tolist()
        by_win: dict[int, list[int]] = {}
        for i, wi in enumerate(r_best):
            by_win.setdefault(wi, []).append(i)
        seg_bm = [0.0] * n
        seg_claim = [0.0] * n
        seg_rank = [0.0] * n
        for idx in by_win.values():
            idx.sort(key=lambda i: -seg_bm25[i])
            best_s = seg_bm25[idx[0]] or 1.0
            claim_seg: dict[str, float] = {}
            for i in idx:
                claim_seg[r_claims[i]] = claim_seg.get(r_claims[i], 0.0) + seg_bm25[i]
            for rank, i in enumerate(idx, start=1):
                seg_bm[i] = seg_bm25[i] / best_s
                seg_claim[i] = claim_seg[r_claims[i]] / best_s
                seg_rank[i] = 1.0 / rank
        feats_seg = feats.copy()
        feats_seg[:, _I_BM] = seg_bm
        feats_seg[:, _I_CLAIM] = seg_claim
        feats_seg[:, _I_RANK] = seg_rank
        feats_seg[:, _I_COV_POST] = feats_seg[:, _I_COV_WIN]
        return _Rows(r_claims, src, kw_hits, win_text, win_words, n_post_words, feats, feats_seg)
