"""Pins: the fast paths of the matcher give exactly what full scoring gives.

match() prunes (rapidfuzz only where it can change the result); candidates() scores every candidate.
Long posts sum window coverage in a loop; short ones in one numpy array. On a few hundred varied posts
(CheckThat! 2A train tweets against its 14k claims when ../shared is there, generated posts otherwise),
each pair must agree exactly.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from knowledge.loader import bundled_dir, load_claims
from knowledge.matcher import Match, Matcher
from knowledge.matcher.features import fill_fuzzy, fuzzy_part_bound
from knowledge.matcher.params import F
from knowledge.normalize import find_date
from knowledge.schema import Claim, Source, Variant

BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "checkthat2022-2a-en"

_WORDS = (
    "army region town soldiers losses drone strike border village bridge power grid aid money yachts "
    "election vaccine grain deal sanctions oil ship port convoy refugees hospital school mayor minister "
    "president general battalion brigade tanks artillery offensive counterattack ceasefire truce talks "
    "Суджа Курск область войска потери танки ВСУ ЗСУ Минобороны освобождена перемирие пауза колонна"
).split()


def _generated(rng: random.Random) -> tuple[list[Claim], list[str]]:
    claims = []
    for i in range(600):
        words = rng.sample(_WORDS, rng.randint(6, 14)) + [str(rng.randint(1, 99_999))]
        variant = rng.sample(words, len(words))
        claims.append(
            Claim(
                f"gen-{i}",
                " ".join(words),
                "false",
                "-",
                (Source("t"),),
                variants=(Variant(" ".join(variant)),),
                published=date(2024, 1, 1) + timedelta(days=rng.randint(0, 700)),
            )
        )
    posts = []
    for _ in range(300):
        picked = rng.sample(claims, rng.randint(1, 4))
        sents = [" ".join(rng.sample(c.claim.split(), max(3, len(c.claim.split()) - 2))) + "." for c in picked]
        noise = [" ".join(rng.choices(_WORDS, k=rng.randint(3, 30))) + "." for _ in range(rng.randint(0, 6))]
        body = sents + noise
        rng.shuffle(body)
        posts.append(("\n" if rng.random() < 0.5 else " ").join(body))
    return claims, posts


def _checkthat() -> tuple[list[Claim], list[str]]:
    from benchmarks.checkthat import load_kb, load_split

    queries, _ = load_split(BENCH, "train")
    return load_kb(BENCH), [t for _q, t in queries[:300]]


@pytest.fixture(scope="module")
def corpus() -> tuple[Matcher, list[str]]:
    rng = random.Random(7)
    claims, posts = _checkthat() if (BENCH / "kb.tsv").exists() else _generated(rng)
    bundled, errors = load_claims([bundled_dir()])
    assert not errors
    claims = claims + bundled
    # Seed-domain and long posts: bundled claims and their variants glued with unrelated tweets.
    for c in bundled:
        others = rng.sample(posts, 3)
        posts.append(" ".join([others[0], c.claim, others[1]] + [v.text for v in c.variants[:2]] + [others[2]]))
    return Matcher(claims), posts


def _as_tuples(matches: list[Match]) -> list[tuple[str, float, str, str]]:
    return [(m.claim_id, m.score, m.strength, m.fragment) for m in matches]


@pytest.mark.parametrize("possible", [None, 5.0])
def test_pruned_match_equals_full_scoring(corpus: tuple[Matcher, list[str]], possible: float | None) -> None:
    m, posts = corpus
    saved = m.possible
    if possible is not None:
        m.possible = possible
    try:
        reported = 0
        for post in posts:
            fast = m.match(post, limit=1000)
            full = m.anchored(post, m.verdicts(m.candidates(post)), m.possible)
            assert _as_tuples(fast) == _as_tuples(full), post
            reported += len(fast)
    finally:
        m.possible = saved
    assert reported > len(posts) // 2  # the comparison covered real matches, not empty lists


@pytest.mark.parametrize("posted", [date(2020, 3, 1), date(2025, 3, 13), date(2026, 12, 1)])
def test_pruned_match_equals_full_scoring_with_a_callers_date(corpus: tuple[Matcher, list[str]], posted: date) -> None:
    """A forward's date only orders the claims: pruning must keep every claim full scoring reports. (A post that
    writes a date is read by that date, as match() does.)"""
    m, posts = corpus
    reported = 0
    for post in posts:
        fast = m.match(post, limit=1000, posted=posted)
        given = None if find_date(post) else posted
        rows = m.scored(m.candidate_features(post, posted=given), date_given=given is not None)
        full = m.anchored(post, m.verdicts(rows), m.possible)
        assert _as_tuples(fast) == _as_tuples(full), post
        reported += len(fast)
    assert reported > len(posts) // 2


def test_long_post_loop_equals_vectorised_branch(corpus: tuple[Matcher, list[str]]) -> None:
    m, posts = corpus
    compared = 0
    for post in posts:
        vec = m.candidate_features(post, acc_cells=10**12)
        loop = m.candidate_features(post, acc_cells=0)
        assert vec == loop, post
        compared += len({c.fragment for c in vec}) > 1
    assert compared > 20  # many posts had several windows, where the two branches differ in method


def test_partial_ratio_bound_holds(corpus: tuple[Matcher, list[str]]) -> None:
    """The cheap bound pruning reads first is never below the partial_ratio feature it stands for."""
    m, posts = corpus
    checked = tight = 0
    for post in posts:
        got = m._rows(post, None)
        if got is None:
            continue
        for i in range(len(got.claims)):
            bound = fuzzy_part_bound(m.index, got, i)
            fill_fuzzy(m.index, got, i)
            exact = float(got.feats[i, F.FZ_PART])
            assert exact <= bound <= 1.0, (post, i)
            checked += 1
            tight += bound < 0.9
    assert checked > 1000
    assert tight > checked // 4  # the bound prunes: far below 1 on many rows
