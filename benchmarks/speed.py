"""Speed benchmark: synthetic knowledge bases and realistic long posts.

    python -m benchmarks.speed [--sizes 1000,10000,100000] [--posts 200] [--data DIR]

For each size, in a fresh subprocess (so peak RSS is per size): build a KB of N entries by sampling
CheckThat! claims and mutating them (word swaps, numbers; each with its title as a variant), build the
index, then time ``Matcher.match`` on realistic 300-4,000-character posts (several claims mixed with
filler, emoji, links, hashtags, "subscribe" footers). Each post is timed 3 times and its median
kept. In the same run, on the same KB and posts, the naive baseline
``rapidfuzz.process.extract(post, claims, scorer=WRatio, limit=5)`` is timed on a sample of posts.
Writes benchmarks/results/speed.json.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from benchmarks.checkthat import DEFAULT_DATA, RESULTS, load_kb
from knowledge.matcher import Matcher
from knowledge.schema import Claim, Source, Variant

EMOJI = ["🔥", "⚡️", "❗️", "👉", "🇺🇦", "🇷🇺", "😱", "💥", "✅", "📢", "🤡", "👇"]
HASHTAGS = ["#news", "#breaking", "#Kursk", "#новости", "#war", "#срочно", "#Україна", "#factcheck"]
FOOTERS = [
    "Подписывайтесь на наш канал 👉 https://t.me/some_channel",
    "Підписуйтесь на канал: t.me/news_ua_channel ✅",
    "Subscribe for more: https://t.me/+AbCdEf123 | Boost the channel https://t.me/boost/xyz",
    "🔔 Поддержать канал: https://example.com/donate?utm_source=tg",
]


def synth_kb(base: list[Claim], n: int, rng: random.Random) -> list[Claim]:
    words = [w for c in base[:3000] for w in c.claim.split()]
    out: list[Claim] = []
    for i in range(n):
        src = base[i % len(base)]
        toks = src.claim.split()
        if i >= len(base):  # recombined copies: swap ~25% of words, add a figure
            for _ in range(max(1, len(toks) // 4)):
                toks[rng.randrange(len(toks))] = rng.choice(words)
            toks.insert(rng.randrange(len(toks) + 1), f"{rng.randint(2, 99)},{rng.randint(100, 999)}")
        title = src.variants[0].text if src.variants else src.claim
        out.append(
            Claim(
                id=f"synth-{i}",
                claim=" ".join(toks),
                verdict="unproven",
                summary="-",
                sources=(Source("synthetic"),),
                variants=(Variant(title, "en"),),
            )
        )
    return out


def synth_posts(kb: list[Claim], n: int, rng: random.Random) -> list[str]:
    posts: list[str] = []
    for _ in range(n):
        target = rng.randint(300, 4000)
        parts: list[str] = [rng.choice(EMOJI) + " " + rng.choice(kb).claim.upper()[:80]]
        while sum(len(p) for p in parts) < target:
            r = rng.random()
            c = rng.choice(kb)
            if r < 0.35:
                parts.append(c.claim + " " + rng.choice(EMOJI))
            elif r < 0.55:
                parts.append(f"{rng.choice(HASHTAGS)} {c.variants[0].text if c.variants else c.claim}")
            elif r < 0.7:
                parts.append(f"Details: https://news.example.com/{rng.randint(1, 10**6)}/story-{rng.randint(1, 999)}")
            else:
                ws = c.claim.split()
                rng.shuffle(ws)
                parts.append(" ".join(ws) + ".")
        parts.append(rng.choice(FOOTERS))
        posts.append("\n".join(parts)[:target] + "\n" + rng.choice(FOOTERS))
    return posts


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def one_size(size: int, n_posts: int, data: Path, naive_posts: int) -> dict[str, float]:
    rng = random.Random(size)
    base = load_kb(data)
    kb = synth_kb(base, size, rng)
    posts = synth_posts(kb, n_posts, rng)
    rss_before = rss_mb()
    t0 = time.perf_counter()
    m = Matcher(kb)
    build_s = time.perf_counter() - t0
    for p in posts[:10]:  # warm caches (stemmer, translate table)
        m.match(p)
    per_post: list[float] = []
    for p in posts:
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            m.match(p)
            runs.append((time.perf_counter() - t) * 1000)
        per_post.append(statistics.median(runs))
    rss_after = rss_mb()
    texts = [c.claim for c in kb]
    naive: list[float] = []
    for p in posts[:naive_posts]:
        t = time.perf_counter()
        process.extract(p, texts, scorer=fuzz.WRatio, limit=5)
        naive.append((time.perf_counter() - t) * 1000)
    arr = np.asarray(per_post)
    p50 = float(np.percentile(arr, 50))
    naive_med = float(statistics.median(naive)) if naive else float("nan")
    return {
        "size": size,
        "docs": len(kb),
        "build_s": build_s,
        "p50_ms": p50,
        "p95_ms": float(np.percentile(arr, 95)),
        "p99_ms": float(np.percentile(arr, 99)),
        "mean_post_chars": float(np.mean([len(p) for p in posts])),
        "peak_rss_mb": rss_after,
        "rss_before_index_mb": rss_before,
        "naive_wratio_median_ms": naive_med,
        "naive_posts": len(naive),
        "speedup_median": naive_med / p50 if p50 else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="factbot matcher speed benchmark")
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--posts", type=int, default=200)
    ap.add_argument("--naive-posts", type=int, default=0, help="posts for the naive baseline (0 = auto)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--one", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        naive = args.naive_posts or (30 if args.one <= 10_000 else 5)
        print(json.dumps(one_size(args.one, args.posts, args.data, naive)))
        return 0
    rows = []
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.speed",
            "--one",
            str(size),
            "--posts",
            str(args.posts),
            "--data",
            str(args.data),
            "--naive-posts",
            str(args.naive_posts),
        ]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    print("| KB entries | build s | p50 ms | p95 ms | p99 ms | peak RSS MB | naive WRatio ms (median) | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['size']:,} | {r['build_s']:.2f} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['peak_rss_mb']:.0f} | {r['naive_wratio_median_ms']:.0f} "
            f"(n={r['naive_posts']}) | {r['speedup_median']:.0f}x |"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out_path = RESULTS / "speed.json"
    out_path.write_text(json.dumps({"posts": args.posts, "rows": rows}, indent=2))
    print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
