"""benchmarks/semantic.py: the list threshold's rule and its sweep, on small generated rows."""

from __future__ import annotations

import random

import pytest

from benchmarks import semantic


def test_thresholds_follow_the_list_share() -> None:
    tops = [[float(v) for v in range(1, 101)], [float(v) for v in range(1, 51)]]
    strong, possible = semantic.thresholds(tops, list_share=0.5)
    assert strong == pytest.approx(97.03)  # the higher part's 97th percentile: no part over 3 % strong
    pooled = sorted(tops[0] + tops[1])
    assert sum(v >= possible for v in pooled) == pytest.approx(0.5 * len(pooled), abs=1)
    _strong, stricter = semantic.thresholds(tops, list_share=0.2)
    assert stricter > possible


def _row(qid: str, gold: set[str], scores: dict[str, tuple[float, float]]) -> semantic.Row:
    """A query row: per claim its lexical score and cosine (no word vectors, no conflicts)."""
    return semantic.Row(
        semantic.Query(qid, qid, gold),
        lexical=[],
        lex_scores={cid: lex for cid, (lex, _cos) in scores.items()},
        cos={cid: cos for cid, (_lex, cos) in scores.items()},
        conflicts={cid: 0 for cid in scores},
    )


def _rows(rng: random.Random, n: int, prefix: str) -> tuple[list[semantic.Row], list[semantic.Row]]:
    """Posts whose gold claim scores a little above the others (noisily), and the same posts with it removed."""
    present, removed = [], []
    for i in range(n):
        others = {f"c{i}-{k}": (rng.uniform(1, 40), rng.uniform(0.1, 0.5)) for k in range(6)}
        gold = (rng.uniform(10, 80), rng.uniform(0.3, 0.8))
        present.append(_row(f"{prefix}{i}", {f"g{i}"}, {f"g{i}": gold, **others}))
        removed.append(_row(f"{prefix}{i}", {f"g{i}"}, others))
    return present, removed


def test_a_larger_list_share_answers_more_and_lists_more_without_the_gold() -> None:
    rng = random.Random(7)
    train = [_rows(rng, 120, "t")]
    dev = _rows(rng, 80, "d")
    swept = semantic.sweep([0.2, 0.8], train, {"x train": train[0], "x dev": dev})
    strict, loose = swept
    assert strict["possible"] > loose["possible"]
    assert loose["x dev"]["answered_%"] > strict["x dev"]["answered_%"]
    assert loose["x dev"]["listed_gold_removed_%"] > strict["x dev"]["listed_gold_removed_%"]
    assert loose["x dev"]["MAP@5"] >= strict["x dev"]["MAP@5"]  # a list without the gold costs MAP@5 nothing
    for r in swept:  # the rule holds on the train posts it was fitted on
        assert r["x train"]["listed_gold_removed_%"] == pytest.approx(100 * r["list_share"], abs=1.5)
