"""The seed posts as forwards: scored with the date the bot passes with every forward.

    python -m benchmarks.forwards [--held-out] [--seed-dir DIR] [--seed-kb DIR] [--write]

Every quality set is typed text, but the bot passes a forward's original date to the matcher. So each seed
post is also sent through ``factbot check --batch --kb DIR`` (default settings) with a date: a positive with
its claim's day (published, else updated); a hard negative and a post on another topic with every day a claim
of the KB carries, one check each, since a channel may have posted it on any of them. And "reposted": the same
dated checks a year later (channels repost old claims, and a forward carries the repost's date). Reported beside
the same posts undated: right claim first and verdict cards on clear posts, hard negatives strong on any day,
posts on other topics with no list on every day. ``--write`` writes benchmarks/results/forwards.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks.paths import RESULTS
from benchmarks.quality import BUNDLED_KB, SEED_DIR, Reported, check_batch, seed_split
from knowledge.loader import load


def claim_days(kb: Path) -> dict[str, date]:
    """Each claim's day: published, else updated."""
    return {c.id: day for c in load([kb]).claims if (day := c.published or c.updated) is not None}


REPOSTED_AFTER = timedelta(days=365)
MODES = {"typed": None, "forwarded": timedelta(0), "reposted": REPOSTED_AFTER}


def queries_for(
    posts: list[dict[str, Any]], days: dict[str, date], later: timedelta | None
) -> dict[str, tuple[str, date | None]]:
    """Query id -> (text, date): one undated check a post (`later` None), or the dated checks described
    above, each `later` than the claim's day."""
    dated = later is not None
    shift = later or timedelta(0)
    days = {cid: d + shift for cid, d in days.items()}
    every_day = sorted(set(days.values()))
    out: dict[str, tuple[str, date | None]] = {}
    for p in posts:
        pid, text, gold = str(p["id"]), p["text"], p.get("gold") or []
        if not dated:
            out[pid] = (text, None)
        elif gold:
            out[f"{pid}@gold"] = (text, days.get(gold[0]))
        else:
            out.update({f"{pid}@{d.isoformat()}": (text, d) for d in every_day})
    return out


def score(posts: list[dict[str, Any]], got: dict[str, list[Reported]]) -> dict[str, Any]:
    """The four seed figures over every check of each post (worst day for the negatives)."""
    runs: dict[str, list[list[Reported]]] = {}
    for qid, reported in got.items():
        runs.setdefault(qid.split("@", 1)[0], []).append(reported)
    positives = [p for p in posts if p.get("gold")]
    clear = [p for p in positives if p.get("clear")]
    hard = [p for p in posts if p.get("kind") == "hard_negative"]
    off = [p for p in posts if p.get("kind") == "off_topic"]

    def first_right(p: dict[str, Any]) -> bool:
        return all(r and r[0].claim_id in p["gold"] for r in runs[str(p["id"])])

    def card_right(p: dict[str, Any]) -> bool:
        return all(any(m.strength == "strong" and m.claim_id in p["gold"] for m in r) for r in runs[str(p["id"])])

    def pct(n: int, d: int) -> float | None:
        return round(100.0 * n / d, 1) if d else None

    return {
        "posts": len(posts),
        "checks": len(got),
        "right_first_%": pct(sum(map(first_right, positives)), len(positives)),
        "clear_strong_right_%": pct(sum(map(card_right, clear)), len(clear)),
        "hard_negative_strong": sum(
            1 for p in hard if any(m.strength == "strong" for r in runs[str(p["id"])] for m in r)
        ),
        "hard_negatives": len(hard),
        "off_topic_no_list_%": pct(sum(1 for p in off if not any(runs[str(p["id"])])), len(off)),
    }


def bench(seed_dir: Path, kb: Path, splits: tuple[str, ...]) -> dict[str, Any]:
    days = claim_days(kb)
    out: dict[str, Any] = {}
    for split in splits:
        posts = seed_split(seed_dir, split)
        if posts is None:
            continue
        for label, later in MODES.items():
            qs = queries_for(posts, days, later)
            got = check_batch([kb], [(q, t) for q, (t, _d) in qs.items()], {q: d for q, (_t, d) in qs.items() if d})
            out[f"{split}/{label}"] = score(posts, got)
    return out


def print_table(result: dict[str, Any]) -> None:
    print("\nSeed posts typed and as forwards (through factbot check --batch, default settings)")
    print(
        "| set | checks | right claim first | verdict card for the right claim (clear) | strong on hard negatives "
        "(any day) | no list on other topics (every day) |"
    )
    print("|---|---|---|---|---|---|")
    for name, r in result.items():
        print(
            f"| {name} | {r['checks']} | {r['right_first_%']} % | {r['clear_strong_right_%']} % | "
            f"{r['hard_negative_strong']} of {r['hard_negatives']} | {r['off_topic_no_list_%']} % |"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="the seed posts as forwards, with the date the bot passes")
    ap.add_argument("--held-out", action="store_true", help="also the seed test split (reported, never tuned on)")
    ap.add_argument("--seed-dir", type=Path, default=SEED_DIR)
    ap.add_argument("--seed-kb", type=Path, default=BUNDLED_KB)
    ap.add_argument("--write", action="store_true", help="write benchmarks/results/forwards.json")
    ap.add_argument("--out", type=Path, default=RESULTS / "forwards.json")
    args = ap.parse_args(argv)
    result = bench(args.seed_dir, args.seed_kb, ("dev", "test") if args.held_out else ("dev",))
    print_table(result)
    if args.write:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
