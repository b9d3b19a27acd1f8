"""Equality of match() results between two versions of the matcher: dump with one, compare with the other.

    python -m benchmarks.match_equal --dump OUT.jsonl [--tweets N]
    python -m benchmarks.match_equal --compare OUT.jsonl [--tweets N]

Run ``--dump`` with the reference code on the path (e.g. ``PYTHONPATH=<checkout of main>``) and
``--compare`` with the code under test. Sets: the seed dev posts against the bundled KB, CheckThat! 2A
dev + train tweets against the 2A KB plus the bundled entries (as the matcher pins load it), and the
load benchmark's post mix against its KB. Per post: every reported match's claim id, strength, score
(2 decimals), fragment and reason, at ``limit=1000``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from benchmarks.checkthat import DEFAULT_DATA, load_kb, load_split
from benchmarks.match_profile import post_set
from knowledge.loader import bundled_dir, load
from knowledge.matcher import Matcher
from knowledge.schema import Claim


def _sets(data: Path, n_tweets: int) -> Iterator[tuple[str, list[Claim], list[str]]]:
    bundled = list(load([bundled_dir()]).claims)
    yield "seed-dev", *post_set("quality", data, 0)
    tweets = [t for split in ("dev", "train") for _q, t in load_split(data, split)[0]][:n_tweets]
    yield "checkthat-2a", load_kb(data) + bundled, tweets
    yield "load", *post_set("load", data, 1500)


def _results(m: Matcher, post: str) -> list[list[object]]:
    return [[x.claim_id, x.strength, f"{x.score:.2f}", x.fragment, x.reason] for x in m.match(post, limit=1000)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="compare match() results of two matcher versions")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dump", type=Path)
    mode.add_argument("--compare", type=Path)
    ap.add_argument("--tweets", type=int, default=600)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args(argv)
    got: list[dict[str, object]] = []
    for name, claims, posts in _sets(args.data, args.tweets):
        m = Matcher(claims)
        got += [{"set": name, "post": p, "matches": _results(m, p)} for p in posts]
    if args.dump is not None:
        with open(args.dump, "w", encoding="utf-8") as f:
            for row in got:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"dumped {len(got)} posts")
        return 0
    with open(args.compare, encoding="utf-8") as f:
        ref = [json.loads(line) for line in f]
    counts: dict[str, list[int]] = {}
    for a, b in zip(got, ref, strict=True):
        c = counts.setdefault(str(a["set"]), [0, 0, 0])
        c[0] += 1
        c[1] += len(b["matches"])
        if a["post"] != b["post"] or a["matches"] != b["matches"]:
            c[2] += 1
            if c[2] <= 3:
                print(f"differs: {str(a['post'])[:80]!r}\n  new {a['matches']}\n  ref {b['matches']}")
    for name, (n, n_matches, n_diff) in counts.items():
        print(f"{name}: posts {n}, reference matches {n_matches}, posts differing {n_diff}")
    return 0 if all(c[2] == 0 for c in counts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
