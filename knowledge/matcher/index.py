"""The incremental BM25 index: a compressed main part, a small delta, tombstones.

Postings live in a compressed main index (CSR numpy arrays: per term, document ids and precomputed
BM25 term weights) plus a small delta (plain per-term lists) for documents added since. Removing or
replacing an entry marks its documents dead in a boolean tombstone mask and decrements document
frequencies; dead documents are ignored at query time. When the delta grows past ``max(2000, 10% of
main)`` documents it is merged into the main arrays (one numpy sort, amortised O(1) per insert) and
dead postings are dropped. BM25 length normalisation uses the average document length at the time a
document was added; idf is always computed from current counts.

Every claim and every distinct variant is one document; a document also keeps what the re-ranker
needs (its terms in order of first occurrence, normalised text, figures, its claim's date).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from knowledge.background import BACKGROUND_DOCS, doc_share
from knowledge.matcher.params import BM25_B, BM25_K1
from knowledge.normalize import normalize, numbers
from knowledge.normalize.spelling import Speller
from knowledge.normalize.terms import words_and_terms
from knowledge.normalize.text import CYR_RE

__all__ = ["NO_DAY", "Index", "documents"]

NO_DAY = -(2**62)  # a document whose claim has no date
_NO_FIGURES: frozenset[str] = frozenset()


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


def documents(index: Index, texts: Iterable[tuple[str, str | None]]) -> tuple[list[tuple[str, list[str]]], int]:
    """(normalised text, terms) for each distinct text of a claim (`Claim.texts()`), and the most meaningful
    words any of them has; the index learns how common in ordinary text each term's words are, and which
    terms Cyrillic words give."""
    out: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    most = 0
    for text, lang in texts:
        norm = normalize(text)
        if not norm or norm in seen:
            continue
        seen.add(norm)
        terms: list[str] = []
        words = words_and_terms(norm, lang)
        most = max(most, len(words))
        for word, group in words:
            share = doc_share(word)
            terms.extend(group)
            if share:
                for t in group:
                    index.set_background(t, share)
        index.mark_cyrillic(words)
        if terms:
            out.append((norm, terms))
    return out, most


def _weight(tf: int, dl: int, avgdl: float) -> float:
    return tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * dl / avgdl))


class Index:
    """BM25 over claim documents, updatable in place. Not thread-safe for concurrent writes."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.terms: list[str] = []
        self._df = _Grow(np.int32)
        self._bg = _Grow(np.float64, 0.0)  # per term: its share of ordinary texts (knowledge.background)
        self._cyr = _Grow(np.bool_, False)  # per term: a Cyrillic word of some claim gave it
        self.doc_claim: list[str] = []
        self.doc_terms: list[tuple[int, ...]] = []
        self._term_strings: dict[int, str] = {}
        self._speller = Speller()
        self.doc_norm: list[str] = []
        self.doc_nums: list[frozenset[str]] = []
        self.doc_has_nums = _Grow(np.bool_, False)
        self.doc_day = _Grow(np.int64, NO_DAY)  # the claim's date (ordinal), NO_DAY if none
        self.doc_len: list[int] = []
        self.claim_docs: dict[str, list[int]] = {}
        self._alive = _Grow(np.bool_, False)
        self.n_alive = 0
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
        self.idf_arr: npt.NDArray[np.float64] = np.zeros(0)

    def speller(self) -> Speller:
        """The typo lookup over the terms, fed those learnt since the last call."""
        self._speller.sync(self.terms)
        return self._speller

    def term_string(self, doc: int) -> str:
        """The document's terms joined by spaces (what token_set_ratio reads), built once per document:
        documents never change once added."""
        joined = self._term_strings.get(doc)
        if joined is None:
            joined = self._term_strings[doc] = " ".join([self.terms[t] for t in self.doc_terms[doc]])
        return joined

    def avgdl(self) -> float:
        return self._len_sum / self.n_alive if self.n_alive else 8.0

    def term_id(self, term: str) -> int:
        tid = self.vocab.get(term)
        if tid is None:
            tid = len(self.terms)
            self.vocab[term] = tid
            self.terms.append(term)
            self._df.append(0)
            self._bg.append(0.0)
            self._cyr.append(False)
            self._idf_cache = None
        return tid

    def df_of(self, tid: int) -> int:
        """How many live documents hold a term."""
        return int(self._df.a[tid])

    def mark_cyrillic(self, words: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Note the terms that the Cyrillic ones of a claim's (word, terms) give."""
        for word, terms in words:
            if CYR_RE.search(word):
                for t in terms:
                    tid = self.term_id(t)
                    if not self._cyr.a[tid]:
                        self._cyr.a[tid] = True
                        self._speller.forget()  # a known term may now be a Cyrillic word's spelling

    def from_cyrillic(self, term: str) -> bool:
        """Whether a Cyrillic word of some claim gave this term (a Russian typo is spelled only to such)."""
        tid = self.vocab.get(term)
        return tid is not None and bool(self._cyr.a[tid])

    def set_background(self, term: str, share: float) -> None:
        """A term's share of ordinary texts (the largest of the words that give it)."""
        tid = self.term_id(term)
        if share > self._bg.a[tid]:
            self._bg.a[tid] = share
            self._idf_cache = None

    def _new_doc(self, claim_id: str, norm: str, terms: list[str], day: int) -> tuple[int, dict[int, int]]:
        tf: dict[int, int] = {}
        for t in terms:
            tid = self.term_id(t)
            tf[tid] = tf.get(tid, 0) + 1
        doc = len(self.doc_claim)
        self.doc_claim.append(claim_id)
        self.doc_terms.append(tuple(tf))
        self.doc_norm.append(norm)
        # Most documents have no figure: one shared empty set, not one object each (20 MB at 100k).
        d_nums = frozenset(numbers(norm)) or _NO_FIGURES
        self.doc_nums.append(d_nums)
        self.doc_has_nums.append(bool(d_nums))
        self.doc_day.append(day)
        self.doc_len.append(len(terms))
        self._alive.append(True)
        self.n_alive += 1
        self._len_sum += len(terms)
        df = self._df.a
        for tid in tf:
            df[tid] += 1
        self._idf_cache = None
        return doc, tf

    def build(self, claims: Iterable[tuple[str, list[tuple[str, list[str]]], int]]) -> None:
        """Bulk build from (claim id, [(normalised text, terms)], day): straight into the main arrays."""
        pending: list[tuple[int, dict[int, int], int]] = []
        for claim_id, texts, day in claims:
            docs: list[int] = []
            for norm, terms in texts:
                doc, tf = self._new_doc(claim_id, norm, terms, day)
                docs.append(doc)
                pending.append((doc, tf, len(terms)))
            self.claim_docs[claim_id] = docs
        if not pending:
            return
        avgdl = self.avgdl()
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
        self._main_docs = len(self.doc_claim)

    def _install_main(
        self,
        t_arr: npt.NDArray[np.int32],
        d_arr: npt.NDArray[np.int32],
        w_arr: npt.NDArray[np.float32],
    ) -> None:
        order = np.argsort(t_arr, kind="stable")
        counts = np.bincount(t_arr, minlength=len(self.terms))
        self._indptr = np.zeros(len(self.terms) + 1, dtype=np.int64)
        np.cumsum(counts, out=self._indptr[1:])
        self._post_doc = d_arr[order]
        self._post_w = w_arr[order]

    def add(self, claim_id: str, texts: list[tuple[str, list[str]]], day: int, avgdl: float) -> None:
        """One entry's documents, into the delta (visible to the next query)."""
        docs: list[int] = []
        for norm, terms in texts:
            doc, tf = self._new_doc(claim_id, norm, terms, day)
            docs.append(doc)
            for tid, f in tf.items():
                ids, ws = self._delta.setdefault(tid, ([], []))
                ids.append(doc)
                ws.append(_weight(f, len(terms), avgdl))
            self._delta_docs += 1
        self.claim_docs[claim_id] = docs

    def retire(self, claim_id: str) -> None:
        """Mark an entry's documents dead (tombstones) and take them out of the counts."""
        self._idf_cache = None
        alive = self._alive.a
        df = self._df.a
        for doc in self.claim_docs.pop(claim_id, []):
            if alive[doc]:
                alive[doc] = False
                self.n_alive -= 1
                self._len_sum -= len(self.doc_terms[doc])
                for tid in self.doc_terms[doc]:
                    df[tid] -= 1
                if doc < self._main_docs:
                    self._dead_in_main += 1

    def maybe_merge(self) -> None:
        limit = max(2000, self._main_docs // 10)
        if self._delta_docs > limit or self._dead_in_main > limit:
            self.compact()

    @property
    def merged_docs(self) -> int:
        """Documents in the compressed main arrays (the rest are in the delta)."""
        return self._main_docs

    def compact(self) -> None:
        """Fold the delta into the main arrays and drop dead postings."""
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
        self._main_docs = len(self.doc_claim)

    def _idf(self, tids: Sequence[int]) -> npt.NDArray[np.float64]:
        """idf over the KB's documents plus BACKGROUND_DOCS documents of ordinary text."""
        ix = np.asarray(tids, dtype=np.int64)
        n = max(self.n_alive, 1) + BACKGROUND_DOCS
        df = self._df.a[ix].astype(np.float64) + BACKGROUND_DOCS * self._bg.a[ix].astype(np.float64)
        return np.log1p((n - df + 0.5) / (df + 0.5))

    def idf_unknown(self) -> float:
        """idf of a word no document has (and ordinary text hardly uses)."""
        return math.log1p((max(self.n_alive, 1) + BACKGROUND_DOCS + 0.5) / 0.5)

    def idf_all(self) -> list[float]:
        """idf of every term id, cached until the counts change (``idf_arr`` is the same as an array)."""
        if self._idf_cache is None:
            self.idf_arr = self._idf(range(len(self.terms)))
            self._idf_cache = self.idf_arr.tolist()
        return self._idf_cache

    def query_scores(self, tids: Sequence[int]) -> npt.NDArray[np.float32]:
        """BM25 of every document against the query terms `tids` (sorted ids), dead documents 0.

        float32, summed term by term in `tids` order (np.add.at is sequential), as a loop over the
        terms' posting lists would. Call :meth:`idf_all` first."""
        scores = np.zeros(len(self.doc_claim), dtype=np.float32)
        ka = np.asarray(tids, dtype=np.int64)
        w32 = self.idf_arr[ka].astype(np.float32)
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
        if self.n_alive < len(self.doc_claim):  # some documents are dead
            scores[~self._alive.view().astype(bool)] = 0.0
        return scores
