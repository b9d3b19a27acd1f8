"""Quality benchmark on CLEF CheckThat! 2022 Task 2A (English tweets -> 14,231 Snopes claims).

    python -m benchmarks.checkthat [--data DIR] [--write]  # report dev / devtest / test
    python -m benchmarks.checkthat --tune [--write]        # refit re-ranker weights + thresholds

The data folder defaults to ../shared/bench/checkthat2022-2a-en next to the repository.

Reports MAP@1/3/5, P@1 and R@20 for the default engine and for BM25 alone (same index, ranking by
BM25 only), the "no match" check (each split's gold claims removed from the KB: share of queries that
still get a "strong" / any reported match), and the index build time. These rank every candidate
(Matcher.candidates); what users get is measured by benchmarks/quality.py. ``--write`` writes
benchmarks/results/checkthat.json.

``--tune`` fits the pairwise re-ranker and its calibration on the *train* split only, prints the
constants (``--write`` puts them into knowledge/matcher.py), and picks thresholds on train+dev:
``strong`` as the lowest score at which at most 3% of no-match queries (gold removed) get a strong
match, ``possible`` likewise at 35%, each the stricter of two readings: with the claims' dates (kb.tsv)
and without (as the bundled KB, whose entries have none). devtest and test are never used for tuning.

The KB entries are the vclaim with the title and the subtitle as variants, and kb.tsv's date as the
entry's ``published`` date (the tweet's date is read from its signature by the matcher).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import numpy as np

from benchmarks.paths import DATA_2A, RESULTS
from knowledge.matcher import (
    CAL_A,
    CAL_B,
    CAL_MARGIN,
    CAL_W,
    FEATURES,
    KEYWORD_BONUS,
    WEIGHTS,
    Candidate,
    Matcher,
)
from knowledge.schema import Claim, Source, Variant

DEFAULT_DATA = DATA_2A
SPLITS = ("dev", "devtest", "test")

# The Snopes subtitle (often a teaser, sometimes the claim again) as one more variant.
SUBTITLES = os.environ.get("FACTBOT_BENCH_SUBTITLES", "1") == "1"

csv.field_size_limit(10**9)


def slug(vclaim_id: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", vclaim_id.lower()).strip("-")
    return s or "x"


def parse_day(text: str) -> date | None:
    """kb.tsv dates ("26 May 2015"): the fact-check's publication date."""
    try:
        return datetime.strptime(text.strip(), "%d %B %Y").date()
    except ValueError:
        return None


def load_kb(data: Path) -> list[Claim]:
    """CheckThat! claims as KB entries: vclaim as the claim, the title as a variant."""
    claims: list[Claim] = []
    seen: set[str] = set()
    with open(data / "kb.tsv", encoding="utf-8", newline="") as f:
        rows = csv.reader(f, delimiter="\t")
        next(rows)
        for row in rows:
            vid, vclaim, title = row[0], row[1], row[2]
            day = parse_day(row[4]) if len(row) > 4 else None
            cid = slug(vid)
            if cid in seen:
                continue
            seen.add(cid)
            texts = [title] + ([row[3]] if SUBTITLES and len(row) > 3 else [])
            variants = tuple(Variant(t, "en") for t in texts if t.strip())
            claims.append(
                Claim(
                    id=cid,
                    claim=vclaim or title,
                    verdict="unproven",
                    summary="-",
                    sources=(Source("CheckThat! 2022 benchmark"),),
                    lang="en",
                    variants=variants,
                    published=day,
                )
            )
    return claims


def load_split(data: Path, split: str) -> tuple[list[tuple[str, str]], dict[str, set[str]]]:
    with open(data / f"queries_{split}.tsv", encoding="utf-8", newline="") as f:
        rows = csv.reader(f, delimiter="\t")
        next(rows)
        queries = [(r[0], r[1]) for r in rows if len(r) >= 2]
    qrels: dict[str, set[str]] = {}
    with open(data / f"qrels_{split}.tsv", encoding="utf-8", newline="") as f:
        for r in csv.reader(f, delimiter="\t"):
            if len(r) >= 3:
                qrels.setdefault(r[0], set()).add(slug(r[2]))
    return queries, qrels


def ap_at(ranked: list[str], gold: set[str], k: int) -> float:
    hits = 0
    total = 0.0
    for r, cid in enumerate(ranked[:k], start=1):
        if cid in gold:
            hits += 1
            total += hits / r
    return total / len(gold) if gold else 0.0


def metrics(runs: Iterable[tuple[list[str], set[str]]]) -> dict[str, float]:
    rows = list(runs)
    n = max(len(rows), 1)
    return {
        "MAP@1": sum(ap_at(r, g, 1) for r, g in rows) / n,
        "MAP@3": sum(ap_at(r, g, 3) for r, g in rows) / n,
        "MAP@5": sum(ap_at(r, g, 5) for r, g in rows) / n,
        "P@1": sum(1.0 for r, g in rows if r[:1] and r[0] in g) / n,
        "R@20": sum(len(set(r[:20]) & g) / len(g) for r, g in rows if g) / n,
    }


def bm25_ranking(m: Matcher, text: str) -> list[str]:
    best: dict[str, float] = {}
    for c in m.candidate_features(text):
        cid, v = c.claim_id, c.f[FEATURES.index("bm25_rel")]
        if v > best.get(cid, -1.0):
            best[cid] = v
    return sorted(best, key=lambda c: -best[c])


def engine_ranking(m: Matcher, text: str) -> list[tuple[str, float, int]]:
    return [(cid, s, n) for cid, s, _frag, n in m.candidates(text)]


def no_match_rates(
    m: Matcher, claims: dict[str, Claim], queries: list[tuple[str, str]], qrels: dict[str, set[str]]
) -> list[float]:
    """Top score per query with every gold claim of the split removed (the KB is restored after)."""
    gold = {cid for q, _ in queries for cid in qrels.get(q, ())}
    removed = [claims[c] for c in gold if c in claims]
    for c in removed:
        m.remove(c.id)
    tops: list[float] = []
    try:
        for _q, text in queries:
            ranked = m.candidates(text)
            top = ranked[0] if ranked else None
            # A post under MIN_STRONG_TERMS meaningful terms can never be strong: count it as 0.
            tops.append(top[1] if top and top[3] >= 5 else 0.0)
    finally:
        for c in removed:
            m.upsert(c)
    return tops


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> np.ndarray:
    """Newton's method for L2-regularised logistic regression; returns [bias, w...]."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(xb.shape[1])
    reg = np.full(xb.shape[1], l2)
    reg[0] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        g = xb.T @ (p - y) + reg * w
        h = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(reg)
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def tune(data: Path, write: bool = False) -> None:
    import knowledge.matcher as mm

    claims = load_kb(data)
    m = Matcher(claims, possible=0.0)
    queries, qrels = load_split(data, "train")
    # Pairwise (RankNet-style) logistic fit: for every train query, the gold document against each
    # retrieved non-gold one. It learns the ranking direction; a 1-D Platt fit then calibrates it.
    xs: list[np.ndarray] = []
    ys: list[float] = []
    per_query: list[tuple[set[str], list[tuple[str, np.ndarray]]]] = []
    for qid, text in queries:
        gold = qrels.get(qid, set())
        cands = [(c.claim_id, np.asarray(c.f)) for c in m.candidate_features(text)]
        per_query.append((gold, cands))
        pos = [f for cid, f in cands if cid in gold]
        if not pos:
            continue
        p = max(pos, key=lambda v: float(v.sum()))
        for cid, f in cands:
            if cid not in gold:
                xs.append(p - f)
                ys.append(1.0)
                xs.append(f - p)
                ys.append(0.0)
    w = fit_logistic(np.asarray(xs), np.asarray(ys))[1:]
    mm.WEIGHTS = tuple(float(v) for v in w)
    # The typical runner-up, read without dates (as in a KB whose entries carry none): the
    # competitor assumed for a candidate alone on its fragment.
    runner_up: list[float] = []
    with without_dates(m):
        for _qid, text in queries:
            zq: dict[str, float] = {}
            for c in m.candidate_features(text):
                zq[c.claim_id] = max(zq.get(c.claim_id, -1e9), float(np.asarray(c.f) @ w))
            if len(zq) > 1:
                runner_up.append(sorted(zq.values(), reverse=True)[1])
    mm.Z_FLOOR = float(np.median(runner_up))
    print(f"Z_FLOOR = {mm.Z_FLOOR:.3f}")
    # Stage 2: calibration rows = the top candidates of every train query, with the gold claims
    # present (label: is gold) and removed (label 0), scored as Matcher.scored() sees them; each
    # both with the claims' dates and without (the bundled KB has none), so that one calibration
    # serves both.
    abs_idx = [FEATURES.index(n) for n in mm.ABS_FEATURES]
    r_x: list[list[float]] = []
    r_y: list[float] = []

    def add_rows(rows: list[Candidate], gold: set[str]) -> None:
        # Both levels (post and segment) of the best claims, as Matcher.scored() reads them.
        for e in sorted(mm.per_claim(rows), key=lambda r: -r.z)[:20]:
            r_x.append([e.z, e.margin] + [e.f[i] for i in abs_idx])
            r_y.append(1.0 if e.claim_id in gold else 0.0)

    gold_all = {c for q, _ in queries for c in qrels.get(q, ())}
    removed = [c for c in claims if c.id in gold_all]
    for dated in (True, False):
        with without_dates(m, not dated):
            for qid, text in queries:
                add_rows(m.candidate_features(text), qrels.get(qid, set()))
            for c in removed:
                m.remove(c.id)
            for _qid, text in queries:
                add_rows(m.candidate_features(text), set())
            for c in removed:
                m.upsert(c)
    cal = fit_logistic(np.asarray(r_x), np.asarray(r_y), l2=1.0)
    print("WEIGHTS = (" + ", ".join(f"{v:.3f}" for v in w) + ")")
    print(f"CAL_B = {cal[0]:.4f}\nCAL_A = {cal[1]:.4f}\nCAL_MARGIN = {cal[2]:.4f}")
    print("CAL_W = (" + ", ".join(f"{v:.3f}" for v in cal[3:]) + ")")
    for name, v in zip(FEATURES, w, strict=True):
        print(f"  {name:14s} {v:+.3f}")
    mm.CAL_B = float(cal[0])
    mm.CAL_A = float(cal[1])
    mm.CAL_MARGIN = float(cal[2])
    mm.CAL_W = tuple(float(v) for v in cal[3:])
    # Thresholds on train+dev only, the stricter of the two readings (with and without dates).
    by_id = {c.id: c for c in claims}
    strong = possible = 0.0
    for dated in (True, False):
        tops: list[float] = []
        correct_top: list[float] = []
        with without_dates(m, not dated):
            for split in ("train", "dev"):
                qs, qr = load_split(data, split)
                tops += no_match_rates(m, by_id, qs, qr)
                runs = []
                for qid, text in qs:
                    ranked = engine_ranking(m, text)
                    runs.append(([c for c, _, _ in ranked], qr.get(qid, set())))
                    if ranked and ranked[0][0] in qr.get(qid, set()) and ranked[0][2] >= 5:
                        correct_top.append(ranked[0][1])
                label = "with dates" if dated else "no dates"
                print(f"{split} {label} (after refit):", {k: round(v, 4) for k, v in metrics(runs).items()})
        arr = np.asarray(tops)
        s_q = round(float(np.quantile(arr, 0.97)) + 0.05, 1)
        p_q = round(float(np.quantile(arr, 0.65)) + 0.05, 1)
        strong, possible = max(strong, s_q), max(possible, p_q)
        print(
            f"  {label}: strong at {s_q:.1f} (correct top-1 kept as strong "
            f"{np.mean(np.asarray(correct_top) >= s_q):.3f}), possible at {p_q:.1f} (correct top-1 "
            f"reported {np.mean(np.asarray(correct_top) >= p_q):.3f})"
        )
    print(f"DEFAULT_STRONG = {strong:.1f}\nDEFAULT_POSSIBLE = {possible:.1f}")
    if write:
        write_constants(
            {
                "WEIGHTS": "(\n    " + ", ".join(f"{v:.3f}" for v in w) + ",\n)",
                "CAL_A": f"{cal[1]:.4f}",
                "CAL_B": f"{cal[0]:.4f}",
                "CAL_MARGIN": f"{cal[2]:.4f}",
                "CAL_W": "(" + ", ".join(f"{v:.3f}" for v in cal[3:]) + ")",
                "Z_FLOOR": f"{mm.Z_FLOOR:.3f}",
                "DEFAULT_STRONG": f"{strong:.1f}",
                "DEFAULT_POSSIBLE": f"{possible:.1f}",
            }
        )


@contextmanager
def without_dates(m: Matcher, active: bool = True) -> Iterator[None]:
    """Read every claim as undated for a while (as the bundled KB, whose entries carry no dates)."""
    saved = m._claim_day
    if active:
        m._claim_day = {}
    try:
        yield
    finally:
        m._claim_day = saved


def write_constants(values: dict[str, str]) -> None:
    """Rewrite the fitted constants in knowledge/matcher.py in place (``--tune --write``)."""
    import knowledge.matcher as mm

    path = Path(mm.__file__)
    src = path.read_text(encoding="utf-8")
    for name, value in values.items():
        pat = re.compile(rf"^({name}(?:: [^=]+)? = )(\([^)]*\)|[^\n]+)", re.MULTILINE)
        src, n = pat.subn(lambda mt, v=value: mt.group(1) + v, src, count=1)
        if n != 1:
            raise SystemExit(f"constant {name} not found in {path}")
    path.write_text(src, encoding="utf-8")
    print(f"wrote fitted constants to {path}")


def run(data: Path, splits_to_run: tuple[str, ...] = SPLITS) -> dict[str, object]:
    claims = load_kb(data)
    t0 = time.perf_counter()
    m = Matcher(claims)
    build_s = time.perf_counter() - t0
    by_id = {c.id: c for c in claims}
    result: dict[str, object] = {
        "kb_entries": len(m),
        "build_seconds": round(build_s, 3),
        "strong": m.strong,
        "possible": m.possible,
        "weights": dict(zip(FEATURES, WEIGHTS, strict=True)),
        "calibration": {"a": CAL_A, "b": CAL_B, "margin": CAL_MARGIN, "w": list(CAL_W)},
        "keyword_bonus": KEYWORD_BONUS,
        "splits": {},
    }
    table: list[tuple[str, str, dict[str, float]]] = []
    splits: dict[str, object] = {}
    for split in splits_to_run:
        queries, qrels = load_split(data, split)
        eng_runs = []
        bm_runs = []
        latencies = []
        for qid, text in queries:
            gold = qrels.get(qid, set())
            t = time.perf_counter()
            ranked = engine_ranking(m, text)
            latencies.append((time.perf_counter() - t) * 1000)
            eng_runs.append(([c for c, _, _ in ranked], gold))
            bm_runs.append((bm25_ranking(m, text), gold))
        eng = metrics(eng_runs)
        bm = metrics(bm_runs)
        tops = np.asarray(no_match_rates(m, by_id, queries, qrels))
        eng["no_match_strong_%"] = 100.0 * float(np.mean(tops >= m.strong))
        eng["no_match_possible_%"] = 100.0 * float(np.mean(tops >= m.possible))
        strong_ok = sum(1 for r, g in eng_runs if r and r[0] in g)
        eng["p50_ms"] = float(np.percentile(latencies, 50))
        eng["p95_ms"] = float(np.percentile(latencies, 95))
        splits[split] = {"engine": eng, "bm25": bm, "queries": len(queries), "top1_correct": strong_ok}
        table.append((split, "engine", eng))
        table.append((split, "bm25 only", bm))
    result["splits"] = splits
    print(
        f"CheckThat! 2022 2A — KB {len(m)} entries, index build {build_s:.2f} s, "
        f"strong={m.strong}, possible={m.possible}"
    )
    cols = ["MAP@1", "MAP@3", "MAP@5", "P@1", "R@20", "no_match_strong_%", "no_match_possible_%", "p95_ms"]
    print("| split | system | " + " | ".join(cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for split, system, mt in table:
        cells = [f"{mt[c]:.3f}" if c in mt else "" for c in cols]
        print(f"| {split} | {system} | " + " | ".join(cells) + " |")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--tune", action="store_true", help="refit weights on train, thresholds on train+dev")
    ap.add_argument(
        "--write",
        action="store_true",
        help="write benchmarks/results/checkthat.json (with --tune: the constants into matcher.py)",
    )
    ap.add_argument("--splits", default=",".join(SPLITS), help="comma-separated splits to report")
    args = ap.parse_args(argv)
    if not (args.data / "kb.tsv").exists():
        ap.error(f"no CheckThat! 2A data in {args.data} (kb.tsv missing); pass --data DIR")
    if args.tune:
        tune(args.data, args.write)
        return 0
    result = run(args.data, tuple(args.splits.split(",")))
    if args.write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        out = RESULTS / "checkthat.json"
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
