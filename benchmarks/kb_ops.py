"""Small operations on a live Matcher shared by the benchmark scripts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from knowledge.matcher import Matcher
from knowledge.schema import Claim


@contextmanager
def without_claims(matcher: Matcher, claims: Iterable[Claim], ids: set[str] | frozenset[str]) -> Iterator[None]:
    """The index without the claims whose ids are in `ids` for a while (for "strong with gold removed")."""
    removed = [c for c in claims if c.id in ids]
    for c in removed:
        matcher.remove(c.id)
    try:
        yield
    finally:
        for c in removed:
            matcher.upsert(c)
