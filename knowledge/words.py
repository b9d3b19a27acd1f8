"""English word vectors: a second, cheap similarity for English posts, fused beside the sentence encoder.

WordLlama (``wordllama`` on PyPI, MIT: static token vectors distilled from a large language model's
embedding table, weights inside the wheel, numpy only) averages a text's token vectors. On its own it
ranks no better than USE multilingual v3, but it errs elsewhere: as two more fusion features (a claim's
cosine and its margin over the best other claim's) it lifted the reported matches' MAP@5 on CheckThat! 2B
dev from 0.398 to 0.421 and 2A dev from 0.920 to 0.927 (``python -m benchmarks.semantic``). It was trained on
English: on Russian and Ukrainian posts it found likenesses in the script itself (the seed's other-topic
posts got lists), so it reads only Latin-script posts and the claims' English texts.

Encoding costs ~20 µs a text: the vectors are made when a claim is added, never stored.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.int8 import ClaimRows, quantize
from knowledge.schema import Claim

__all__ = ["WordCosines", "WordVectors", "available", "default_model", "is_latin"]

HEAD_CHARS = 500  # as the sentence encoder: a long post's head carries its claim
BATCH = 1024
LATIN_SHARE = 0.6  # a post is read when at least this share of its letters are Latin


def available() -> bool:
    """Whether the word vectors' package is installed."""
    return importlib.util.find_spec("wordllama") is not None


class WordModel:
    """WordLlama's 256-dimension model read from the files inside its wheel: a text's vector is the mean of
    its tokens' rows. The table stays float16 (16 MB; the package's own class makes a float32 copy), and
    its loader is not used: it looks for the tokenizer in a folder the wheel does not have, then the network."""

    def __init__(self, root: Path) -> None:
        from safetensors import safe_open
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        resize = getattr(self.tokenizer.model, "_resize_cache", None)
        if resize is not None:  # its word cache grew ~27 MB over 10k claims' texts, at no gain in speed
            resize(0)
        with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), framework="np", device="cpu") as f:
            self.table: npt.NDArray[np.float16] = f.get_tensor("embedding.weight")

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        for i, text in enumerate(texts):  # one by one: encode_batch's threads kept their memory arenas
            ids = self.tokenizer.encode(text, add_special_tokens=False).ids
            if ids:
                rows = np.clip(np.asarray(ids, dtype=np.int64), 0, len(self.table) - 1)
                out[i] = self.table[rows].astype(np.float32).mean(axis=0)
        return out


def default_model() -> WordModel:
    """The shipped model (``wordllama``'s l2_supercat, 256 dimensions). Only its files are read: importing
    the package would cost 23 MB of modules this does not use."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("wordllama is not installed")
    return WordModel(Path(next(iter(spec.submodule_search_locations))))


def is_latin(text: str) -> bool:
    """Whether most of the letters of `text` are Latin (an English post, for this model)."""
    letters = [ch for ch in text[:HEAD_CHARS] if ch.isalpha()]
    if not letters:
        return False
    latin = sum(1 for ch in letters if ch.isascii() or "\u00c0" <= ch <= "\u024f")
    return latin >= LATIN_SHARE * len(letters)


def _english_texts(claim: Claim) -> list[str]:
    return [t for t, lang in claim.texts() if lang == "en" or (lang is None and is_latin(t))]


@dataclass(frozen=True, slots=True)
class WordCosines:
    """A post's cosine with the claims asked about, and the best and second-best over the whole KB."""

    cosines: dict[str, float]
    best: float
    second: float


class WordVectors:
    """One int8 row per claim (the mean of its English texts' unit vectors); `cosines` scans them all."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._rows = ClaimRows(0)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, claim_id: object) -> bool:
        return claim_id in self._rows

    def _encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        vecs = np.asarray(self.model.embed(texts), dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return (vecs / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def add(self, claims: Iterable[Claim]) -> None:
        """Add or replace claims (a claim without English text has no row: it is never scored here)."""
        todo = [(c.id, texts) for c in claims if (texts := _english_texts(c)) or c.id in self._rows]
        for start in range(0, len(todo), BATCH):
            part = todo[start : start + BATCH]
            vecs = self._encode([t for _cid, texts in part for t in texts])
            at = 0
            for claim_id, texts in part:
                if not texts:  # reworded into another language only
                    self._rows.remove(claim_id)
                    continue
                mean = vecs[at : at + len(texts)].mean(axis=0, keepdims=True)
                at += len(texts)
                q, scale = quantize((mean / (float(np.linalg.norm(mean)) or 1.0)).astype(np.float32))
                self._rows.put(claim_id, q[0], float(scale[0]))

    def remove(self, claim_id: str) -> None:
        self._rows.remove(claim_id)

    def sync(self, claims: Iterable[Claim]) -> None:
        """Hold exactly `claims`."""
        claims = list(claims)
        ids = {c.id for c in claims}
        for claim_id in [i for i in self._rows.row_of if i not in ids]:
            self._rows.remove(claim_id)
        self.add(claims)

    def cosines(self, text: str, claim_ids: Iterable[str]) -> WordCosines | None:
        """The post's cosine with `claim_ids` (those without a row are left out) and the best two over
        every claim; None for a post this English model does not read, or an empty index."""
        head = text[:HEAD_CHARS].strip()
        if not self._rows or not is_latin(head):
            return None
        sims = self._rows.scan(self._encode([head]))
        if len(sims) > 1:
            top2 = np.partition(-sims, 1)[:2]
            best, second = float(-top2.min()), float(-top2.max())
        else:
            best = second = float(sims[0])
        if not np.isfinite(second):  # one live claim
            second = best
        row_of = self._rows.row_of
        return WordCosines({cid: float(sims[row_of[cid]]) for cid in claim_ids if cid in row_of}, best, second)
