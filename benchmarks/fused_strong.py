"""Where the fused score may state a verdict: FusionParams.strong chosen on the train splits.

    python -m benchmarks.fused_strong [--write]

A post whose lexical match is not strong is answered by the fused score (knowledge/matcher/fusion.py).
Its best claim becomes a verdict from ``FusionParams.strong`` up, when the words found the claim too, the
post contradicts nothing in it and is long enough for a verdict. This script runs the matcher as
``factbot check`` builds it (default settings, the semantic channel on) over CheckThat! 2A train, 2B train
(dated, as quality.py) and the seed dev set, twice: with the fused verdict off, and with it at 0 (every
such best claim strong). For each threshold it prints the verdicts the rule adds, right and wrong, the
strong precision before and after, and the strong share on 2A train with its gold claims removed (a
verdict there is always wrong). Train splits and seed dev only: never dev or test of 2A/2B.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks import quality
from benchmarks.paths import DATA_2A, DATA_2B, RESULTS

THRESHOLDS = (80.0, 85.0, 88.0, 90.0, 92.0, 95.0)
OFF, ALL = 101.0, 0.0

Post = tuple[str, str, set[str], date | None]
Top = tuple[str, float, str] | None


def posts_of(name: str) -> tuple[Path, list[Post]]:
    """(KB folder, posts) of a named set."""
    if name == "2a-train":
        return quality.cached_kb_2a(DATA_2A), [(q, t, g, None) for q, t, g in quality.split_2a(DATA_2A, "train")]
    if name == "2a-train-gold-removed":
        rows = quality.split_2a(DATA_2A, "train")
        gold = {c for _q, _t, g in rows for c in g}
        return quality.cached_kb_2a(DATA_2A, gold, tag="without-train"), [(q, t, set(), None) for q, t, _g in rows]
    if name == "2b-train":
        rows_b = quality.split_jsonl(DATA_2B / "queries_train.jsonl")
        return quality.cached_kb_2b(DATA_2B), [
            (str(r["id"]), r["text"], set(r["gold"]), quality.said_on(str(r["id"]))) for r in rows_b
        ]
    if name == "seed-dev":
        rows_s = quality.split_jsonl(quality.SEED_DIR / "dev.jsonl")
        return quality.BUNDLED_KB, [(str(r["id"]), r["text"], set(r.get("gold") or ()), None) for r in rows_s]
    raise SystemExit(f"unknown set {name!r}")


def tops(kb: Path, posts: Sequence[Post], strong: float) -> list[Top]:
    """The best reported match of each post with the fused verdict at `strong`."""
    from bot.cli.common import matcher_from

    matcher, close = matcher_from([str(kb.resolve())])
    try:
        matcher.fusion = replace(matcher.fusion, strong=strong)
        matcher.fusion_words = replace(matcher.fusion_words, strong=strong)
        out: list[Top] = []
        for _id, text, _gold, posted in posts:
            got = matcher.match(text, posted=posted)
            out.append((got[0].claim_id, got[0].score, got[0].strength) if got else None)
        return out
    finally:
        close()


def table(posts: Sequence[Post], off: Sequence[Top], every: Sequence[Top]) -> list[dict[str, Any]]:
    """Per threshold: verdicts added (right, wrong) and strong precision before and after."""
    base = [(t, p[2]) for t, p in zip(off, posts, strict=True) if t is not None and t[2] == "strong"]
    right0 = sum(t[0] in gold for t, gold in base)
    # A verdict the rule adds: strong with the rule at 0, not strong without it.
    added = [
        (t, p[2])
        for t, t0, p in zip(every, off, posts, strict=True)
        if t is not None and t[2] == "strong" and not (t0 is not None and t0[2] == "strong")
    ]
    rows = []
    for th in THRESHOLDS:
        new = [(t, gold) for t, gold in added if t[1] >= th]
        right = sum(t[0] in gold for t, gold in new)
        n = len(base) + len(new)
        rows.append(
            {
                "threshold": th,
                "added_right": right,
                "added_wrong": len(new) - right,
                "strong_%": round(100 * n / len(posts), 2),
                "precision_before_%": round(100 * right0 / len(base), 2) if base else None,
                "precision_after_%": round(100 * (right0 + right) / n, 2) if n else None,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default="2a-train,2b-train,seed-dev,2a-train-gold-removed")
    ap.add_argument("--write", action="store_true", help="write benchmarks/results/fused-strong.json")
    args = ap.parse_args(argv)
    result: dict[str, Any] = {}
    for name in args.sets.split(","):
        kb, posts = posts_of(name)
        with quality._default_settings(quality.CACHE / "workdir"):
            off, every = tops(kb, posts, OFF), tops(kb, posts, ALL)
        result[name] = table(posts, off, every)
        print(f"\n{name} ({len(posts)} posts)")
        print("| fused verdict from | added right | added wrong | strong % | precision before | after |")
        print("|---|---|---|---|---|---|")
        for r in result[name]:
            print(
                f"| {r['threshold']:.0f} | {r['added_right']} | {r['added_wrong']} | {r['strong_%']} | "
                f"{r['precision_before_%']} | {r['precision_after_%']} |"
            )
    if args.write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "fused-strong.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
