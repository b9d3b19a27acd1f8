"""The semantic channel's setup: its encoder, the claim vectors stored in the data dir, a matcher's index.

The vectors of the KB's texts are encoded once and kept in ``FACTBOT_DATA_DIR/semantic-vectors.npz``,
keyed by a hash of each text, so a restart, another process or `factbot check` encodes only texts that
are new (`factbot kb embed` encodes a large KB ahead, with a progress bar). Until a matcher's every claim
has a vector, it matches lexically (see :meth:`bot.services.runtime.Runtime.start_semantic`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from bot.settings import Settings
from knowledge import words
from knowledge.matcher import Matcher
from knowledge.schema import Claim
from knowledge.semantic import Encoder, SemanticIndex, available, default_encoder, load_vectors, save_vectors

__all__ = ["VECTORS_FILE", "attach", "enabled", "encoder", "index_for", "vectors_path"]

log = logging.getLogger(__name__)

VECTORS_FILE = "semantic-vectors.npz"
Progress = Callable[[int, int], None]


def enabled(settings: Settings) -> bool:
    """FACTBOT_SEMANTIC: on, off, or auto (on where the encoder is installed)."""
    return settings.semantic == "on" or (settings.semantic == "auto" and available())


def vectors_path(settings: Settings) -> Path:
    return settings.data_dir / VECTORS_FILE


@lru_cache(maxsize=1)
def word_model() -> object | None:
    """The English word vectors' model (knowledge.words), loaded once; None where it is not installed or
    cannot be read (the sentence encoder then works alone, as the four-feature fusion model expects)."""
    if not words.available():
        return None
    try:
        return words.default_model()
    except Exception:
        log.exception("could not load the English word vectors; the semantic channel goes on without them")
        return None


def word_vectors() -> words.WordVectors | None:
    """An empty word-vector index for a new semantic index (the vectors are made as claims are added)."""
    model = word_model()
    return words.WordVectors(model) if model is not None else None


@lru_cache(maxsize=4)
def encoder(threads: int = 0) -> Encoder:
    """The encoder with `threads` BLAS threads (0: one per core this process may use), loaded once."""
    return default_encoder(threads or len(os.sched_getaffinity(0)))


def limit_blas(threads: int = 0) -> None:
    """Cap numpy's BLAS threads for this process (0: the cores it may use). OpenBLAS starts one per core
    of the machine, whatever the process's affinity, and its idle threads spin: a query's scan in each of
    two matching workers took 40 ms of CPU per check instead of 14 (the load benchmark's posts)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads or len(os.sched_getaffinity(0)), user_api="blas")


def index_for(
    settings: Settings,
    claims: Iterable[Claim],
    *,
    encode: bool = True,
    threads: int = 0,
    progress: Progress | None = None,
) -> SemanticIndex | None:
    """A semantic index of `claims` from the stored vectors, encoding and storing the missing ones; None
    when `encode` is False and some are missing (the caller matches lexically meanwhile)."""
    claims = list(claims)
    limit_blas(threads)
    # FACTBOT_MATCH_CACHE=0: no query cache
    index = SemanticIndex(encoder(threads), query_cache=settings.match_cache)
    path = vectors_path(settings)
    index.preload(load_vectors(path))
    missing = index.missing(claims)
    if missing and not encode:
        return None
    index.sync(claims, progress=progress)
    if missing:
        store(settings, index)
    index.release()  # the stored vectors of texts this KB does not use (another KB sharing the data dir)
    # After the release: the stored vectors and the word model are never in memory together (peak RSS).
    index.attach_words(word_vectors(), claims)
    return index


def attach(
    settings: Settings, matcher: Matcher, *, encode: bool, threads: int = 0, progress: Progress | None = None
) -> bool:
    """Give `matcher` the semantic channel over its claims (see :func:`index_for`), the model loaded so no
    first check pays for it; False when `encode` is False and some texts have no stored vector."""
    index = index_for(settings, matcher.claims(), encode=encode, threads=threads, progress=progress)
    if index is None:
        return False
    index.warm_up()
    matcher.attach_semantic(index)
    return True


def store(settings: Settings, index: SemanticIndex) -> None:
    """Write the index's vectors to the data dir (a read-only data dir costs only the next start's time)."""
    path = vectors_path(settings)
    try:
        save_vectors(path, index.stored())
    except OSError as exc:
        log.warning("could not store the semantic vectors in %s (%s); they will be encoded again", path, exc)
