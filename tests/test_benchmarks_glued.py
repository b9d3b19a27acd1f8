"""benchmarks.glued: the hurried versions of a post are what the benchmark says they are."""

from __future__ import annotations

import random

from benchmarks.glued import glued, post_rng, typoed


def test_glued_removes_that_many_spaces_between_words() -> None:
    text = "Минобороны: ВСУ потеряли в Курской области 67 150 военнослужащих"
    out = glued(text, 2, random.Random(1))
    assert len(out) == len(text) - 2 and out.replace(" ", "") == text.replace(" ", "")
    assert glued(text, 0, random.Random(1)) == text
    assert glued("no-spaces", 3, random.Random(1)) == "no-spaces"  # nothing to remove


def test_typoed_changes_that_many_long_words_and_keeps_their_first_letters() -> None:
    text = "Ukrainian troops withdrew from Sudzha, the General Staff said"
    out = typoed(text, 2, random.Random(3))
    before, after = text.split(), out.split()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 2
    assert all(a[0] == b[0] and abs(len(a) - len(b)) <= 1 for a, b in changed)
    assert typoed(text, 2, random.Random(3)) == out  # a fixed seed, the same typos


def test_a_posts_version_does_not_depend_on_the_other_posts() -> None:
    post = {"id": "dev-1", "text": "Ukrainian troops withdrew from Sudzha, the General Staff said"}
    first = typoed(post["text"], 2, post_rng("2 typos", post))
    assert typoed(post["text"], 2, post_rng("2 typos", post)) == first
    # Each post and version draws from its own source.
    assert post_rng("2 typos", post).random() != post_rng("2 typos", {**post, "id": "dev-2"}).random()
    assert post_rng("2 typos", post).random() != post_rng("2 spaces missing", post).random()
