"""Seed posts typed without some spaces: how much a missing space costs, through ``factbot check --batch``.

    python -m benchmarks.glued [--held-out] [--pairs N] [--write]

Phones and hasty typing drop spaces ("вКурской области", "курскойобласти", "lossesin Kursk"). Each seed post
with a claim is sent again with N (default 2) of its spaces between two words removed, picked with a fixed
seed, and scored as the quality benchmark scores the typed posts: right claim first, and a verdict card for the
right claim on clear posts. ``--write`` writes benchmarks/results/glued.json.
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


def bench(seed_dir: Path, kb: Path, splits: tuple[str, ...], pairs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split in splits:
        posts = [p for p in seed_split(seed_dir, split) or [] if p.get("gold")]
        rng = random.Random(11)
        for label, n in (("typed", 0), (f"{pairs} spaces missing", pairs)):
            got = check_batch([kb], [(str(p["id"]), glued(p["text"], n, rng) if n else p["text"]) for p in posts])
            clear = [p for p in posts if p.get("clear")]
            first = sum(1 for p in posts if (r := got[str(p["id"])]) and r[0].claim_id in p["gold"])
            cards = sum(
                1 for p in clear if any(m.strength == "strong" and m.claim_id in p["gold"] for m in got[str(p["id"])])
            )
            out[f"{split}/{label}"] = {
                "posts": len(posts),
                "right_first_%": round(100.0 * first / len(posts), 1) if posts else None,
                "clear": len(clear),
                "clear_strong_right_%": round(100.0 * cards / len(clear), 1) if clear else None,
            }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="seed posts with missing spaces, through factbot check --batch")
    ap.add_argument("--held-out", action="store_true", help="also the seed test split (reported, never tuned on)")
    ap.add_argument("--pairs", type=int, default=2, help="spaces removed from each post")
    ap.add_argument("--seed-dir", type=Path, default=SEED_DIR)
    ap.add_argument("--seed-kb", type=Path, default=BUNDLED_KB)
    ap.add_argument("--write", action="store_true", help="write benchmarks/results/glued.json")
    args = ap.parse_args(argv)
    result = bench(args.seed_dir, args.seed_kb, ("dev", "test") if args.held_out else ("dev",), args.pairs)
    print("\nSeed posts with a claim, typed and with spaces missing (factbot check --batch, default settings)")
    print("| set | posts | right claim first | verdict card for the right claim (clear) |")
    print("|---|---|---|---|")
    for name, r in result.items():
        print(f"| {name} | {r['posts']} | {r['right_first_%']} % | {r['clear_strong_right_%']} % of {r['clear']} |")
    if args.write:
        out = RESULTS / "glued.json"
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
