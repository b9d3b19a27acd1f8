"""Re-ranking features: each retrieved document read against the post, as one named table.

For each candidate document we find the window of the post (one segment or two adjacent ones) that
covers most of the document's idf-weighted terms, and compute the columns of :class:`F`: coverage of
the claim by that window and by the whole post, how much of the window the claim explains, rapidfuzz
``token_set_ratio`` on stemmed terms and ``partial_ratio`` on normalised text (both built for "short
claim inside a longer text"), BM25 relative to the best candidate, shared / missing figures, and the
distance between the claim's date and the post's date (neutral when either is unknown).

Every document is read at two levels: against the whole post (``feats``) and against its fragment
alone (``feats_seg``: BM25 over the fragment's terms, relative to the best document on that fragment).
Features are computed for all candidates at once (numpy, summed in the same order as a per-term loop,
so values are bit-identical to it). The two rapidfuzz columns and the consistency columns are left at
placeholders (the values that minimise the ranking score) until :func:`fill_fuzzy` and
:func:`fill_consistency`, which the matcher runs only where they can change its result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import chain

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq

from knowledge.consistency import ClaimFacts, check, text_facts
from knowledge.matcher.calibration import Candidate
from knowledge.matcher.index import NO_DAY, Index
from knowledge.matcher.params import (
    BM25_B,
    BM25_K1,
    DATE_NEAR,
    HELD_IDF,
    MIN_STRONG_TERMS,
    RETRIEVE_DOCS,
    F,
    Params,
)
from knowledge.matcher.segments import Post, WindowText, read_post
from knowledge.normalize import find_date, numbers

__all__ = ["CONSISTENCY_COLUMNS", "Rows", "fill_consistency", "fill_fuzzy", "post_features"]

N_FEATURES = len(F)
# min(1, log1p(k) / 8) for k days, with math.log1p (1.0 from e^8 - 1 days on).
_GAP_TABLE = np.asarray([min(1.0, math.log1p(k) / 8.0) for k in range(math.ceil(math.expm1(8.0)) + 2)])
# Above this many cells (documents x terms x windows), window coverage is summed in a loop.
ACC_CELLS = 60_000
_RATIO_EPS = 1e-9  # rapidfuzz computes its ratios in another order than the bound


def fuzzy_placeholders(params: Params) -> tuple[float, float]:
    """The values in [0, 1] of (fz_set, fz_part) that minimise the ranking score."""
    return (0.0 if params.weight(F.FZ_SET) >= 0 else 1.0, 0.0 if params.weight(F.FZ_PART) >= 0 else 1.0)


@dataclass(slots=True)
class Rows:
    """Feature rows before they become :class:`Candidate` objects.

    Per row: its claim, document and window, keyword hits, and its features as a matrix row (post
    level; ``feats_seg`` the segment level, None when the post is one segment).
    """

    claims: list[str]
    src: list[tuple[int, int]]  # (document, window)
    kw: list[int]
    win_text: WindowText
    win_words: list[int]
    n_post_words: int
    feats: npt.NDArray[np.float64]
    feats_seg: npt.NDArray[np.float64] | None
    post_nums: frozenset[str] = frozenset()
    facts: Callable[[str], ClaimFacts] | None = None  # what each claim says, for fill_consistency
    # Consistency columns per (claim, window) already computed: a claim's documents often share a window.
    cons_seen: dict[tuple[str, int], list[float]] = field(default_factory=dict)

    def candidate(self, i: int) -> Candidate:
        f: list[float] = self.feats[i].tolist()
        fs: list[float] = self.feats_seg[i].tolist() if self.feats_seg is not None else f
        wi = self.src[i][1]
        text, words = self.win_text.text(wi), self.win_words[wi]
        return Candidate(self.claims[i], f, fs, text, self.n_post_words, words, self.kw[i])

    @contextmanager
    def dates_hidden(self) -> Iterator[None]:
        """Inside the block the date columns read as if the post's date were unknown."""
        mats = [m for m in (self.feats, self.feats_seg) if m is not None]
        saved = [m[:, F.DATE_NEAR : F.DATE_WEEK + 1].copy() for m in mats]
        for m in mats:
            m[:, F.DATE_NEAR : F.DATE_WEEK + 1] = 0.0
        try:
            yield
        finally:
            for m, cols in zip(mats, saved, strict=True):
                m[:, F.DATE_NEAR : F.DATE_WEEK + 1] = cols

    def candidates(self) -> list[Candidate]:
        fl: list[list[float]] = self.feats.tolist()
        fsl = self.feats_seg.tolist() if self.feats_seg is not None else fl
        text, words, n = self.win_text.text, self.win_words, self.n_post_words
        return [
            Candidate(cid, f, fs, text(wi), n, words[wi], kw)
            for cid, f, fs, (_d, wi), kw in zip(self.claims, fl, fsl, self.src, self.kw, strict=True)
        ]


def fill_fuzzy(index: Index, got: Rows, i: int) -> None:
    """Compute row `i`'s two rapidfuzz features (left at their placeholders by :func:`post_features`)."""
    doc, wi = got.src[i]
    fz_set = fuzz.token_set_ratio(index.term_string(doc), got.win_text.term_str(wi)) / 100.0
    fz_part = fuzz.partial_ratio(index.doc_norm[doc], got.win_text.norm(wi)) / 100.0
    got.feats[i, F.FZ_SET] = fz_set
    got.feats[i, F.FZ_PART] = fz_part
    if got.feats_seg is not None:
        got.feats_seg[i, F.FZ_SET] = fz_set
        got.feats_seg[i, F.FZ_PART] = fz_part


def fuzzy_part_bound(index: Index, got: Rows, i: int) -> float:
    """An upper bound on row `i`'s partial_ratio feature, about 10x cheaper than computing it.

    partial_ratio is the best ratio 2 * LCS(s, sub) / (m + k) of the shorter text s (length m) against
    a substring sub (length k <= m) of the longer one; LCS(s, sub) <= min(k, L) with L = LCS(s, longer),
    so it is at most 2L / (m + L).
    """
    doc, wi = got.src[i]
    a, b = index.doc_norm[doc], got.win_text.norm(wi)
    m = min(len(a), len(b))
    if not m:
        return 1.0
    lcs = LCSseq.similarity(a, b)
    return min(1.0, 2.0 * lcs / (m + lcs) + _RATIO_EPS)


_CONSISTENCY_KINDS: tuple[tuple[F, str, bool], ...] = (
    (F.FIG_AGREE, "figures", True),
    (F.FIG_CONFLICT, "figures", False),
    (F.PLACE_AGREE, "place", True),
    (F.PLACE_CONFLICT, "place", False),
    (F.SIDE_CONFLICT, "side", False),
    (F.TIME_CONFLICT, "time", False),
    (F.STANCE_CONFLICT, "stance", False),
)
CONSISTENCY_COLUMNS: tuple[F, ...] = tuple(f for f, _k, _a in _CONSISTENCY_KINDS) + (F.PLACE_MISSING,)
_CONS_INDEX = list(CONSISTENCY_COLUMNS)


def consistency_placeholders(params: Params) -> list[float]:
    """The values in {0, 1} of the consistency columns that minimise the ranking score."""
    return [0.0 if params.weight(f) >= 0 else 1.0 for f in CONSISTENCY_COLUMNS]


def fill_consistency(got: Rows, rows: Iterable[int]) -> None:
    """How each of `rows`' fragment (its best window) agrees or conflicts with the row's claim; the
    consistency columns are left at placeholders by :func:`post_features`."""
    assert got.facts is not None
    seen = got.cons_seen
    for i in rows:
        key = (got.claims[i], got.src[i][1])
        row = seen.get(key)
        if row is None:
            c = check(got.facts(key[0]), text_facts(got.win_text.text(key[1])))
            row = [float(c.agrees_on(k) if agree else c.conflicts_on(k)) for _f, k, agree in _CONSISTENCY_KINDS]
            row.append(float("place" in c.missing))
            seen[key] = row
        got.feats[i, _CONS_INDEX] = row
        if got.feats_seg is not None:
            got.feats_seg[i, _CONS_INDEX] = row


@dataclass(slots=True)
class _Docs:
    """The retrieved documents as a padded term matrix (row = document in BM25 order)."""

    ids: list[int]
    scores: list[float]
    terms: list[tuple[int, ...]]
    lens: npt.NDArray[np.int64]
    n_cols: int
    valid: npt.NDArray[np.bool_]
    tids: npt.NDArray[np.int64]
    w_mat: npt.NDArray[np.float64]  # idf per cell
    mass: npt.NDArray[np.float64]  # idf mass per document (0 replaced by 1)
    kpos: npt.NDArray[np.int64]  # position of each cell's term among the post's known terms
    in_post: npt.NDArray[np.bool_]
    cov_post: npt.NDArray[np.float64]


def _retrieve(index: Index, known: list[int]) -> tuple[list[int], list[float]] | None:
    scores = index.query_scores(known)
    k = min(RETRIEVE_DOCS, len(scores))
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    top = top[scores[top] > 0]
    if not len(top):
        return None
    top = top[np.argsort(-scores[top])]
    return top.tolist(), scores[top].tolist()


def _doc_matrix(index: Index, top_docs: list[int], top_scores: list[float], known: list[int]) -> _Docs:
    """Sums run along rows with cumsum, i.e. left to right in the document's term order, as a loop."""
    d_terms = [index.doc_terms[d] for d in top_docs]
    n_top = len(top_docs)
    lens = np.fromiter(map(len, d_terms), dtype=np.int64, count=n_top)
    flat = np.fromiter(chain.from_iterable(d_terms), dtype=np.int64, count=int(lens.sum()))
    cols = np.arange(int(lens.max()))
    valid = cols < lens[:, None]
    tids = flat[(np.cumsum(lens) - lens)[:, None] + np.minimum(cols, lens[:, None] - 1)]
    w_mat = np.where(valid, index.idf_arr[tids], 0.0)
    mass_d = np.cumsum(w_mat, axis=1)[:, -1]
    mass_d[mass_d == 0.0] = 1.0
    known_arr = np.asarray(known, dtype=np.int64)
    kpos = np.minimum(np.searchsorted(known_arr, tids), len(known) - 1)
    in_post = valid & (known_arr[kpos] == tids)
    cov_post = np.cumsum(np.where(in_post, w_mat, 0.0), axis=1)[:, -1]
    return _Docs(top_docs, top_scores, d_terms, lens, len(cols), valid, tids, w_mat, mass_d, kpos, in_post, cov_post)


def _window_coverage(
    post: Post, docs: _Docs, known: list[int], acc_cells: int
) -> tuple[npt.NDArray[np.float64], dict[int, list[int]]]:
    """acc[d, wi]: idf of document d's terms that window wi holds; and each term's windows."""
    term_windows: dict[int, list[int]] = {}
    n_win = len(post.win_span)
    if n_win == 1:
        return docs.cov_post[:, None], term_windows
    seg_ids = post.seg_ids
    for wi, (a, b) in enumerate(post.win_span):
        for t in seg_ids[a] | seg_ids[b]:
            term_windows.setdefault(t, []).append(wi)
    n_top = len(docs.ids)
    if n_top * docs.n_cols * n_win <= acc_cells:
        in_win = np.zeros((len(known), n_win), dtype=bool)
        kidx = {t: i for i, t in enumerate(known)}
        r_ix = [kidx[t] for t, wins in term_windows.items() for _ in wins]
        c_ix = [wi for wins in term_windows.values() for wi in wins]
        in_win[r_ix, c_ix] = True
        held = in_win[docs.kpos] & docs.in_post[:, :, None]
        acc = np.cumsum(np.where(held, docs.w_mat[:, :, None], 0.0), axis=1)[:, -1, :]
        return acc, term_windows
    # Long posts: a loop is cheaper than the 3-D array.
    acc = np.zeros((n_top, n_win))
    idf_rows = docs.w_mat.tolist()
    hit = docs.in_post.any(axis=1)
    for r in np.flatnonzero(hit).tolist():
        acc_d: dict[int, float] = {}
        for t, w in zip(docs.terms[r], idf_rows[r], strict=False):
            for wi in term_windows.get(t, ()):
                acc_d[wi] = acc_d.get(wi, 0.0) + w
        acc[r, list(acc_d)] = list(acc_d.values())
    return acc, term_windows


def _best_windows(
    acc: npt.NDArray[np.float64],
    mass_r: npt.NDArray[np.float64],
    win_mass: npt.NDArray[np.float64],
    row_terms: list[tuple[int, ...]],
    term_windows: dict[int, list[int]],
) -> npt.NDArray[np.intp]:
    """Best window per document: the first, in the order the document's terms reach windows, of
    those with the highest value (as max() over a dict filled term by term)."""
    value = acc / mass_r[:, None] + 0.3 * acc / win_mass[None, :]
    value[acc == 0.0] = -np.inf
    best_w = value.argmax(axis=1)
    if acc.shape[1] > 1:
        n_best = (value == value[np.arange(len(acc)), best_w][:, None]).sum(axis=1)
        for j in np.flatnonzero(n_best > 1).tolist():
            tied = set(np.flatnonzero(value[j] == value[j, best_w[j]]).tolist())
            best_w[j] = next(wi for t in row_terms[j] for wi in term_windows.get(t, ()) if wi in tied)
    return best_w


def _bigram_share(index: Index, post: Post, docs: _Docs, rows_ix: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
    """The document's consecutive (distinct) term pairs that the post also has, as a share."""
    n = len(rows_ix)
    if post.bigrams and docs.n_cols > 1:
        n_vocab = len(index.terms)
        codes = docs.tids[rows_ix, :-1] * n_vocab + docs.tids[rows_ix, 1:]
        post_codes = np.sort(np.fromiter((a * n_vocab + b for a, b in post.bigrams), dtype=np.int64))
        at = np.minimum(np.searchsorted(post_codes, codes), len(post_codes) - 1)
        shared_bg = ((post_codes[at] == codes) & docs.valid[rows_ix, 1:]).sum(axis=1)
    else:
        shared_bg = np.zeros(n, dtype=np.int64)
    return shared_bg / np.maximum(docs.lens[rows_ix] - 1, 1)


def _fill_numbers(feats: npt.NDArray[np.float64], index: Index, r_docs: list[int], post_nums: frozenset[str]) -> None:
    has_nums = index.doc_has_nums.a[np.asarray(r_docs, dtype=np.int64)]
    shared_n = np.zeros(len(r_docs), dtype=bool)
    if post_nums:
        for j in np.flatnonzero(has_nums).tolist():
            shared_n[j] = not index.doc_nums[r_docs[j]].isdisjoint(post_nums)
    feats[:, F.NUM_SHARED] = shared_n
    feats[:, F.NUM_MISSING] = has_nums & ~shared_n


def _fill_dates(feats: npt.NDArray[np.float64], index: Index, r_docs: list[int], post_day: int | None) -> None:
    """Dates: near, gap (min(1, log1p(|days|) / 8), from a table of math.log1p values), known, week."""
    days: npt.NDArray[np.int64] = index.doc_day.a[np.asarray(r_docs, dtype=np.int64)].astype(np.int64, copy=False)
    dated = days != NO_DAY
    if post_day is not None and dated.any():
        diff = days - post_day
        gap = np.abs(diff)
        feats[:, F.DATE_NEAR] = dated & (diff >= DATE_NEAR[0]) & (diff <= DATE_NEAR[1])
        feats[:, F.DATE_GAP] = np.where(dated, _GAP_TABLE[np.minimum(gap, len(_GAP_TABLE) - 1)], 0.0)
        feats[:, F.DATE_KNOWN] = dated
        feats[:, F.DATE_WEEK] = dated & (diff >= -1) & (diff <= 7)
    else:
        feats[:, F.DATE_NEAR : F.DATE_WEEK + 1] = 0.0


Keyword = tuple[frozenset[int], ...]  # per word of a moderator keyword: the term ids it can give


def _keyword_hits(claim_keywords: dict[str, list[Keyword]], r_claims: list[str], known: list[int]) -> list[int]:
    """Per row, the claim's keywords the post holds (every word of the keyword, in any of its readings),
    at most two; one keyword written in several scripts (Podol / Подол) counts once."""
    kw_hits = [0] * len(r_claims)
    post_ids: frozenset[int] | None = None  # built only if a row's claim has keywords (few do)
    for i, cid in enumerate(r_claims):
        kws = claim_keywords.get(cid)
        if not kws:
            continue
        if post_ids is None:
            post_ids = frozenset(known)
        matched: set[frozenset[int]] = set()
        for kw in kws:
            if all(not g.isdisjoint(post_ids) for g in kw):
                matched.add(frozenset().union(*(g & post_ids for g in kw)))
        kw_hits[i] = min(len(matched), 2)
    return kw_hits


CLAIM_DOCS = 3  # an entry's best documents that its claim-level BM25 sums


def _claim_sums(scored: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Claim-level BM25: the sum of an entry's best CLAIM_DOCS retrieved documents (claim, variants,
    translations). Bounded, so that an entry with many wordings does not outweigh a better match."""
    per: dict[str, list[float]] = {}
    for cid, s in scored:
        per.setdefault(cid, []).append(s)
    return {cid: sum(sorted(v, reverse=True)[:CLAIM_DOCS]) for cid, v in per.items()}


def _segment_level(
    index: Index, feats: npt.NDArray[np.float64], r_docs: list[int], r_claims: list[str], r_best: list[int],
    a_best: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:  # fmt: skip
    """Each fragment read alone, documents compared with the others on it. BM25 of the document
    against the window's terms alone (tf taken as 1): its idf there is a_best."""
    n = len(r_docs)
    k1, b_ = BM25_K1, BM25_B
    dl = np.asarray([index.doc_len[d] for d in r_docs], dtype=np.float64)
    seg_bm25: list[float] = ((k1 + 1) / (1 + k1 * (1 - b_ + b_ * dl / index.avgdl())) * a_best).tolist()
    by_win: dict[int, list[int]] = {}
    for i, wi in enumerate(r_best):
        by_win.setdefault(wi, []).append(i)
    seg_bm = [0.0] * n
    seg_claim = [0.0] * n
    seg_rank = [0.0] * n
    for idx in by_win.values():
        idx.sort(key=lambda i: -seg_bm25[i])
        best_s = seg_bm25[idx[0]] or 1.0
        claim_seg = _claim_sums((r_claims[i], seg_bm25[i]) for i in idx)
        for rank, i in enumerate(idx, start=1):
            seg_bm[i] = seg_bm25[i] / best_s
            seg_claim[i] = claim_seg[r_claims[i]] / best_s
            seg_rank[i] = 1.0 / rank
    feats_seg = feats.copy()
    feats_seg[:, F.BM25_REL] = seg_bm
    feats_seg[:, F.BM25_CLAIM_REL] = seg_claim
    feats_seg[:, F.RANK_RECIP] = seg_rank
    feats_seg[:, F.COV_POST] = feats_seg[:, F.COV_WIN]
    return feats_seg


def post_features(
    index: Index,
    claim_keywords: dict[str, list[Keyword]],
    text: str,
    posted: date | None,
    params: Params,
    facts: Callable[[str], ClaimFacts],
    *,
    acc_cells: int = ACC_CELLS,
) -> Rows | None:
    """Feature rows of every retrieved document for `text`, rapidfuzz columns at placeholders."""
    if not index.n_alive or not text or not text.strip():
        return None
    idf_all = index.idf_all()
    post = read_post(text, index, idf_all)
    if post is None:
        return None
    got = _retrieve(index, post.known)
    if got is None:
        return None
    top_docs, top_scores = got
    if posted is None:
        posted = find_date(text)
    post_day = posted.toordinal() if posted is not None else None
    post_nums: frozenset[str] = frozenset(n for nm in post.norms for n in numbers(nm))
    win_text = WindowText(post.segs, post.norms, post.seg_terms, post.win_span)
    docs = _doc_matrix(index, top_docs, top_scores, post.known)
    acc, term_windows = _window_coverage(post, docs, post.known, acc_cells)
    rows_ix = np.flatnonzero(docs.in_post.any(axis=1))
    if not len(rows_ix):
        empty = np.zeros((0, N_FEATURES))
        return Rows([], [], [], win_text, post.win_words, post.n_words, empty, None, post_nums)
    acc = acc[rows_ix]
    mass_r = docs.mass[rows_ix]
    win_mass = np.asarray(post.win_mass, dtype=np.float64)
    best_w = _best_windows(acc, mass_r, win_mass, [docs.terms[r] for r in rows_ix.tolist()], term_windows)
    a_best = acc[np.arange(len(rows_ix)), best_w]
    n = len(rows_ix)
    r_docs: list[int] = [top_docs[i] for i in rows_ix.tolist()]
    r_claims = [index.doc_claim[d] for d in r_docs]
    s_best = top_scores[0] or 1.0
    # Claim-level BM25: the sum over an entry's retrieved documents (claim + variants).
    claim_sum = _claim_sums((index.doc_claim[doc], s) for doc, s in zip(top_docs, top_scores, strict=True))

    feats = np.empty((n, N_FEATURES), dtype=np.float64)
    feats[:, F.COV_WIN] = a_best / mass_r
    feats[:, F.PREC_WIN] = np.minimum(1.0, a_best / win_mass[best_w])
    feats[:, F.COV_POST] = docs.cov_post[rows_ix] / mass_r
    feats[:, F.HELD_MASS] = np.minimum(1.0, a_best / HELD_IDF)
    feats[:, F.FZ_SET], feats[:, F.FZ_PART] = fuzzy_placeholders(params)
    feats[:, F.BM25_REL] = np.asarray(top_scores, dtype=np.float64)[rows_ix] / s_best
    _fill_numbers(feats, index, r_docs, post_nums)
    feats[:, F.SHORT] = float(post.n_words < MIN_STRONG_TERMS)
    feats[:, F.BM25_CLAIM_REL] = np.asarray([claim_sum[c] for c in r_claims], dtype=np.float64) / s_best
    feats[:, F.RANK_RECIP] = 1.0 / np.arange(1, n + 1, dtype=np.float64)
    feats[:, F.BIGRAM] = _bigram_share(index, post, docs, rows_ix)
    _fill_dates(feats, index, r_docs, post_day)
    kw_hits = _keyword_hits(claim_keywords, r_claims, post.known)
    r_best: list[int] = best_w.tolist()
    feats[:, _CONS_INDEX] = consistency_placeholders(params)
    src = list(zip(r_docs, r_best, strict=True))
    # BM25 relative to the post's best document, and its rank. (Tried: relative to the best on the
    # same window, to favour a multi-claim post's second claim; MAP@5 on train fell 0.82 -> 0.77.
    # That reading is kept apart, as the segment level.)
    if len(post.segs) == 1:  # a window that is the whole post adds nothing at the segment level
        return Rows(r_claims, src, kw_hits, win_text, post.win_words, post.n_words, feats, None, post_nums, facts)
    feats_seg = _segment_level(index, feats, r_docs, r_claims, r_best, a_best)
    return Rows(r_claims, src, kw_hits, win_text, post.win_words, post.n_words, feats, feats_seg, post_nums, facts)
