"""Matcher micro-benchmark: per-check CPU on several post sets, optionally against a reference copy.

    python -m benchmarks.match_profile [--sets checkthat,load,quality,speed10k,speed100k]
                                       [--ref DIR] [--check] [--profile OUT]

Sets: ``checkthat`` (CheckThat! 2022 2A dev+test tweets against the 14k KB), ``load`` (the load
benchmark's post mix against its KB: CheckThat! + bundled entries), ``quality`` (the seed-domain dev
posts, benchmarks/data/seed/dev.jsonl, against the bundled KB), ``speedN`` (benchmarks/speed.py's
synthetic KB of N entries and its long posts).

``--ref DIR`` names a directory holding a package ``korig`` (a copy of knowledge/matcher.py,
normalize.py and stemming.py with their imports rewritten to ``korig.*``): both matchers are built on
the same claims and timed alternately in this process (CPU time per ``match``; per post the median of
``--reps`` runs; reported: the median over posts). ``--check`` also compares their results: for every
post the top-5 claim ids and scores of ``match`` and every row of ``candidates`` (claim id, score,
fragment, word count).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import importlib
import io
import json
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.checkthat import DEFAULT_DATA, load_kb
from knowledge.loader import bundled_dir, load
from knowledge.matcher import Matcher
from knowledge.schema import Claim

Row = tuple[str, float, str, int]


def _queries(data: Path, splits: tuple[str, ...]) -> list[str]:
    csv.field_size_limit(10**9)
    out: list[str] = []
    for split in splits:
        with open(data / f"queries_{split}.tsv", encoding="utf-8", newline="") as f:
            rows = csv.reader(f, delimiter="\t")
            next(rows)
            out += [r[1] for r in rows if len(r) >= 2]
    return out


def post_set(name: str, data: Path, n_load: int) -> tuple[list[Claim], list[str]]:
    """(KB claims, posts) of one named set."""
    if name == "checkthat":
        return load_kb(data), _queries(data, ("dev", "test"))
    if name == "quality":
        seed = Path(__file__).resolve().parent / "data" / "seed" / "dev.jsonl"
        if not seed.exists():
            raise SystemExit(f"set 'quality' needs {seed}")
        with open(seed, encoding="utf-8") as f:
            posts = [json.loads(line)["text"] for line in f if line.strip()]
        return list(load([bundled_dir()]).claims), posts
    if name == "load":
        from benchmarks.load import Content, load_posts

        bundled = list(load([bundled_dir()]).claims)
        content = Content(tweets=load_posts(data), kursk=bundled, rng=random.Random(1))
        posts = [content.plain() for _ in range(n_load)]
        return load_kb(data) + bundled, [p for p in posts if p.strip()]
    if name.startswith("speed"):
        from benchmarks.speed import synth_kb, synth_posts

        size = int(name[5:].replace("k", "000"))
        rng = random.Random(size)
        kb = synth_kb(load_kb(data), size, rng)
        return kb, synth_posts(kb, 200, rng)
    raise SystemExit(f"unknown set {name!r}")


def cpu_ms(fn: Callable[[], Any], reps: int) -> float:
    runs = []
    for _ in range(reps):
        t = time.thread_time_ns()
        fn()
        runs.append((time.thread_time_ns() - t) / 1e6)
    return statistics.median(runs)


def _same(a: list[Any], b: list[Any], tol: float) -> bool:
    """Same ids, scores within `tol`, same remaining fields, in the same order."""
    return len(a) == len(b) and all(
        x[0] == y[0] and abs(x[1] - y[1]) <= tol and x[2:] == y[2:] for x, y in zip(a, b, strict=True)
    )


def compare(new: Any, old: Any, posts: list[str], tol: float = 1e-6) -> dict[str, int]:
    """Count posts whose results differ between two matchers (match's top 5 and all its matches,
    every candidates() row)."""
    diff_top = diff_rows = 0
    for p in posts:
        a = [(m.claim_id, m.score, m.strength, m.fragment) for m in new.match(p)]
        b = [(m.claim_id, m.score, m.strength, m.fragment) for m in old.match(p)]
        a += [(m.claim_id, m.score, m.strength, m.fragment) for m in new.match(p, limit=1000)]
        b += [(m.claim_id, m.score, m.strength, m.fragment) for m in old.match(p, limit=1000)]
        if not _same(a, b, tol):
            diff_top += 1
            if diff_top <= 3:
                print(f"  top-5 differs on {p[:80]!r}\n    new {a}\n    old {b}")
        ra: list[Row] = new.candidates(p)
        rb: list[Row] = old.candidates(p)
        key = lambda r: (r[0], r[2])  # noqa: E731
        if not _same(sorted(ra, key=key), sorted(rb, key=key), tol):
            diff_rows += 1
            if diff_rows <= 3:
                print(f"  candidate rows differ on {p[:80]!r}")
    return {"posts": len(posts), "top5_differ": diff_top, "rows_differ": diff_rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="matcher per-check CPU")
    ap.add_argument("--sets", default="checkthat,load,quality,speed10k,speed100k")
    ap.add_argument("--ref", type=Path, default=None, help="directory holding the reference package korig")
    ap.add_argument("--check", action="store_true", help="compare results with the reference")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--load-posts", type=int, default=1500)
    ap.add_argument("--max-posts", type=int, default=0, help="time at most this many posts per set")
    ap.add_argument("--profile", default="", help="cProfile the new matcher on the first set, write stats here")
    ap.add_argument("--possible", type=float, default=None, help="override the 'possible' threshold (both matchers)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args(argv)

    ref_cls = None
    if args.ref is not None:
        sys.path.insert(0, str(args.ref))
        ref_cls = importlib.import_module("korig.matcher").Matcher

    print(
        "| set | KB | posts | build s new | build s ref | CPU ms/check new (median) | ref | ratio "
        "| mean new | mean ref | p99 new | p99 ref | max new | max ref |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    checks: dict[str, dict[str, int]] = {}
    for i, name in enumerate(s.strip() for s in args.sets.split(",") if s.strip()):
        claims, posts = post_set(name, args.data, args.load_posts)
        t0 = time.perf_counter()
        new = Matcher(claims, recent=0)  # posts are timed --reps times: no cache of recent posts
        b_new = time.perf_counter() - t0
        if args.possible is not None:
            new.possible = args.possible
        old = None
        b_old = float("nan")
        if ref_cls is not None:
            t0 = time.perf_counter()
            old = ref_cls(claims)
            b_old = time.perf_counter() - t0
            if args.possible is not None:
                old.possible = args.possible
        for p in posts[:20]:  # warm caches
            new.match(p)
            if old is not None:
                old.match(p)
        timed = posts[: args.max_posts] if args.max_posts else posts
        if args.profile and i == 0:
            prof = cProfile.Profile()
            prof.enable()
            for p in timed:
                new.match(p)
            prof.disable()
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(40)
            Path(args.profile).write_text(buf.getvalue())
        t_new: list[float] = []
        t_old: list[float] = []
        for p in timed:
            t_new.append(cpu_ms(lambda p=p, m=new: m.match(p), args.reps))
            if old is not None:
                t_old.append(cpu_ms(lambda p=p, m=old: m.match(p), args.reps))
        m_new = statistics.median(t_new)
        m_old = statistics.median(t_old) if t_old else float("nan")
        mean_old = statistics.fmean(t_old) if t_old else float("nan")
        print(
            f"| {name} | {len(claims):,} | {len(timed)} | {b_new:.2f} | {b_old:.2f} | {m_new:.3f} | {m_old:.3f} | "
            f"{m_new / m_old if t_old else float('nan'):.2f} | {statistics.fmean(t_new):.3f} | {mean_old:.3f} | "
            f"{_p99(t_new):.3f} | {_p99(t_old):.3f} | {max(t_new):.3f} | {max(t_old, default=float('nan')):.3f} |",
            flush=True,
        )
        if args.check and old is not None:
            checks[name] = compare(new, old, posts)
    for name, c in checks.items():
        print(f"equivalence {name}: {c}")
    return 0 if all(c["top5_differ"] == 0 and c["rows_differ"] == 0 for c in checks.values()) else 1


def _p99(values: list[float]) -> float:
    """The 99th percentile (nearest rank); the tail is what holds up the event loop."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


if __name__ == "__main__":
    sys.exit(main())
