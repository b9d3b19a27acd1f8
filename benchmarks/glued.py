"""Seed posts typed in a hurry: what missing spaces and typos cost, through ``factbot check --batch``.

    python -m benchmarks.glued [--held-out] [--pairs N] [--typos N] [--write]

Phones and hasty typing drop spaces ("вКурской области", "курскойобласти", "lossesin Kursk") and letters
("incurssion", "ukranian"). Each seed post is sent again with N (default 2) of its spaces between two words
removed, and again with N (default 2) of its words of five letters or more given one typo (a letter dropped,
doubled, or swapped with the next; never the first letter), picked with a fixed seed per post and version.
Scored as the quality benchmark scores the typed posts: right claim first and a verdict card for the right
claim on clear posts; for the posts on other topics, no list at all; for the hard negatives, no strong
match. ``--write`` writes benchmarks/results/glued.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

from benchmarks.paths import RESULTS
from benchmarks.quality import BUNDLED_KB, SEED_DIR, check_batch, seed_split

_SPACE_RE = re.compile(r"(?<=\w) (?=\w)")


def glued(text: str, pairs: int, rng: random.Random) -> str:
    """`text` with `pairs` of its spaces between two word characters removed."""
    spaces = [m.start() for m in _SPACE_RE.finditer(text)]
    for pos in sorted(rng.sample(spaces, min(pairs, len(spaces))), reverse=True):
        text = text[:pos] + text[pos + 1 :]
    return text


_LONG_WORD_RE = re.compile(r"\b[^\W\d_]{5,}\b")


def typoed(text: str, words: int, rng: random.Random) -> str:
    """`text` with `words` of its words of five letters or more given one typo past their first letter."""
    spans = [m.span() for m in _LONG_WORD_RE.finditer(text)]
    for start, end in sorted(rng.sample(spans, min(words, len(spans))), reverse=True):
        w = text[start:end]
        i = rng.randrange(1, len(w) - 1)
        kind = rng.choice(("drop", "double", "swap"))
        w = (
            w[:i] + w[i + 1 :]
            if kind == "drop"
            else w[:i] + w[i] + w[i:]
            if kind == "double"
            else (w[:i] + w[i + 1] + w[i] + w[i + 2 :])
        )
        text = text[:start] + w + text[end:]
    return text


def post_rng(label: str, post: dict[str, Any]) -> random.Random:
    """The fixed random source of one post's version: the same spaces and letters whatever posts the set
    gains or loses (one source for the whole set reshuffled every post's typos when a post was added)."""
    return random.Random(f"11:{label}:{post['id']}")


def _pct(n: int, d: int) -> float | None:
    return round(100.0 * n / d, 1) if d else None


def bench(seed_dir: Path, kb: Path, splits: tuple[str, ...], pairs: int, typos: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split in splits:
        posts = seed_split(seed_dir, split) or []
        for label, change, n in (
            ("typed", glued, 0),
            (f"{pairs} spaces missing", glued, pairs),
            (f"{typos} typos", typoed, typos),
        ):
            got = check_batch([kb], [(str(p["id"]), change(p["text"], n, post_rng(label, p))) for p in posts])
            pos = [p for p in posts if p.get("gold")]
            clear = [p for p in pos if p.get("clear")]
            off = [p for p in posts if p.get("kind") == "off_topic"]
            hard = [p for p in posts if p.get("kind") == "hard_negative"]
            out[f"{split}/{label}"] = {
                "posts": len(posts),
                "right_first_%": _pct(
                    sum(1 for p in pos if (r := got[str(p["id"])]) and r[0].claim_id in p["gold"]), len(pos)
                ),
                "clear": len(clear),
                "clear_strong_right_%": _pct(
                    sum(
                        1
                        for p in clear
                        if any(m.strength == "strong" and m.claim_id in p["gold"] for m in got[str(p["id"])])
                    ),
                    len(clear),
                ),
                "off_topic_no_list_%": _pct(sum(1 for p in off if not got[str(p["id"])]), len(off)),
                "hard_negative_strong": sum(1 for p in hard if any(m.strength == "strong" for m in got[str(p["id"])])),
                "hard_negatives": len(hard),
            }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="seed posts with missing spaces, through factbot check --batch")
    ap.add_argument("--held-out", action="store_true", help="also the seed test split (reported, never tuned on)")
    ap.add_argument("--pairs", type=int, default=2, help="spaces removed from each post")
    ap.add_argument("--typos", type=int, default=2, help="words given a typo in each post")
    ap.add_argument("--seed-dir", type=Path, default=SEED_DIR)
    ap.add_argument("--seed-kb", type=Path, default=BUNDLED_KB)
    ap.add_argument("--write", action="store_true", help="write benchmarks/results/glued.json")
    args = ap.parse_args(argv)
    splits = ("dev", "test") if args.held_out else ("dev",)
    result = bench(args.seed_dir, args.seed_kb, splits, args.pairs, args.typos)
    print("\nSeed posts typed, with spaces missing and with typos (factbot check --batch, default settings)")
    print("| set | posts | right claim first | card, right claim (clear) | no list, other topics | strong hard neg. |")
    print("|---|---|---|---|---|---|")
    for name, r in result.items():
        print(
            f"| {name} | {r['posts']} | {r['right_first_%']} % | {r['clear_strong_right_%']} % | "
            f"{r['off_topic_no_list_%']} % | {r['hard_negative_strong']} of {r['hard_negatives']} |"
        )
    if args.write:
        out = RESULTS / "glued.json"
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
