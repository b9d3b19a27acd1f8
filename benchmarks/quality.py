"""Quality as users get it: scores the matches ``factbot check --batch --kb DIR`` reports, default settings.

    python -m benchmarks.quality                       # dev splits: 2A dev, 2B dev (+ train), seed dev
    python -m benchmarks.quality --held-out            # also the held-out splits: 2A devtest/test, seed test
    python -m benchmarks.quality --sets seed --seed-kb /path/to/claims --write

Every figure comes from the JSON lines the CLI prints (``bot.cli.main`` run in-process with stdin and
stdout redirected, in a folder without a ``.env`` and with the threshold variables unset), so it is
what a user of ``factbot check`` or the bot would see:

- MAP@5 of the *reported* matches (at most 5, best first; a query with no match scores 0), P@1,
  answered % (any match at all), strong % (a query with at least one strong match), strong precision
  (reported strong matches whose claim is gold, over all reported strong matches: every strong match
  is a verdict card a user reads).
- CheckThat! 2A (``--data``, default ``../shared/bench/checkthat2022-2a-en`` next to the repository):
  kb.tsv becomes a KB folder of factbot YAML (claim = vclaim; variants = title and subtitle where they
  differ from it; ``published`` = the fact-check's date; verdict "unproven", summary and source title
  from the Snopes title, the page_url where given), cached under benchmarks/cache/ (git-ignored).
  Also "strong with gold removed": the split's gold claims left out of the KB, the share of queries
  that still get a strong match. "All candidates" MAP@5 (Matcher.candidates, every candidate ranked)
  is a secondary line.
- CheckThat! 2B (``--data-2b``): kb/claims.yaml with each PolitiFact article's title as a variant of its
  claim (as 2A's titles) and the article's date as ``published``, cached under benchmarks/cache/; each
  sentence carries the day it was said (from the lab's query id), as the bot passes a forward's date. Dev is
  the headline, train a secondary line, and each also runs undated ("dev_undated").
- Seed domain (``--seed-dir`` with dev.jsonl/test.jsonl, ``--seed-kb``, default the bundled KB): right
  claim first, a verdict card for the right claim on clear posts, strong matches on hard negatives
  (listed), no list at all on posts of other topics; per kind and per language; and the README's
  example commands must give the claims they name.

Held-out splits (2A devtest/test, seed test) are reported only with ``--held-out`` and never used for
tuning. Target lines (issue 11) print as MET / NOT MET. JSON goes to benchmarks/results/quality.json
only with ``--write``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from benchmarks.checkthat import ap_at, load_split, parse_day, slug
from benchmarks.paths import DATA_2A, DATA_2B, REPO, RESULTS

SEED_DIR = REPO / "benchmarks" / "data" / "seed"
BUNDLED_KB = REPO / "knowledge" / "data" / "claims"
CACHE = REPO / "benchmarks" / "cache"
README = REPO / "README.md"

# Environment variables that would move the thresholds away from the defaults.
THRESHOLD_VARS = ("FACTBOT_MATCH_STRONG", "FACTBOT_MATCH_POSSIBLE")
MAX_KB_FILE_BYTES = 1_000_000  # many files, each well under the loader's 5 MB limit
CONVERTER_VERSION = "3"  # bump when the 2A conversion changes, so the cache is rebuilt

# The claim each README example names (a distinctive piece of its text -> the bundled claim id).
README_EXAMPLE_CLAIMS: dict[str, str] = {
    "67 150": "kursk-mod-losses-67150",
    "340": "kursk-340-killed-one-day",
    "Sudzha": "kursk-sudzha-recaptured",
}

csv.field_size_limit(10**9)


# --- running the CLI ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    """One match as `factbot check --batch` printed it."""

    claim_id: str
    score: float
    strength: str


@contextlib.contextmanager
def _default_settings(workdir: Path) -> Iterator[None]:
    """Threshold variables unset and a working folder without .env: the CLI's default settings."""
    saved = {k: os.environ.pop(k) for k in THRESHOLD_VARS if k in os.environ}
    cwd = Path.cwd()
    _ensure_cache_dir()
    workdir.mkdir(parents=True, exist_ok=True)
    os.chdir(workdir)
    try:
        yield
    finally:
        os.chdir(cwd)
        os.environ.update(saved)


def check_batch(
    kb_dirs: Sequence[Path], queries: Sequence[tuple[str, str]], dates: Mapping[str, date] | None = None
) -> dict[str, list[Reported]]:
    """Run `factbot check --batch --kb DIR...` in-process on (id, text) pairs, each with its post's date
    where `dates` has one (as the bot passes a forward's); reported matches by id."""
    from bot.cli import main as cli_main

    days = dates or {}
    lines = [{"id": q, "text": t, **({"date": days[q].isoformat()} if q in days else {})} for q, t in queries]
    stdin = io.StringIO("".join(json.dumps(line) + "\n" for line in lines))
    stdout = io.StringIO()
    argv = ["check", "--batch"]
    for d in kb_dirs:
        argv += ["--kb", str(Path(d).resolve())]
    old_in, old_out = sys.stdin, sys.stdout
    with _default_settings(CACHE / "workdir"):
        sys.stdin, sys.stdout = stdin, stdout
        try:
            code = cli_main(argv)
        finally:
            sys.stdin, sys.stdout = old_in, old_out
    if code != 0:
        raise SystemExit(f"factbot check --batch failed (exit {code}) on {', '.join(map(str, kb_dirs))}")
    out: dict[str, list[Reported]] = {}
    for line in stdout.getvalue().splitlines():
        rec = json.loads(line)
        if "error" in rec:
            raise SystemExit(f"factbot check --batch: {rec['error']}")
        out[str(rec["id"])] = [Reported(m["claim_id"], float(m["score"]), m["strength"]) for m in rec["matches"]]
    missing = [qid for qid, _ in queries if qid not in out]
    if missing:
        raise SystemExit(f"factbot check --batch gave no line for {len(missing)} queries, e.g. {missing[0]!r}")
    return out


# --- metrics ------------------------------------------------------------------------------------


def _pct(num: float, den: int) -> float | None:
    return 100.0 * num / den if den else None


def reported_metrics(runs: Sequence[tuple[list[Reported], set[str]]]) -> dict[str, Any]:
    """Headline figures over (reported matches, gold claim ids) pairs."""
    n = len(runs)
    strong_total = sum(1 for got, _ in runs for m in got if m.strength == "strong")
    strong_right = sum(1 for got, gold in runs for m in got if m.strength == "strong" and m.claim_id in gold)
    return {
        "queries": n,
        "MAP@5": sum(ap_at([m.claim_id for m in got], gold) for got, gold in runs) / n if n else None,
        "P@1": _pct(sum(1 for got, gold in runs if got and got[0].claim_id in gold), n),
        "answered_%": _pct(sum(1 for got, _ in runs if got), n),
        "strong_%": _pct(sum(1 for got, _ in runs if any(m.strength == "strong" for m in got)), n),
        "strong_matches": strong_total,
        "strong_precision_%": _pct(strong_right, strong_total),
    }


def strong_share(results: dict[str, list[Reported]]) -> float | None:
    """Share (%) of queries with at least one strong match."""
    return _pct(sum(1 for got in results.values() if any(m.strength == "strong" for m in got)), len(results))


def all_candidates_map5(kb_dirs: Sequence[Path], queries: Sequence[tuple[str, str, set[str]]]) -> float:
    """Secondary line: MAP@5 over every candidate the engine ranks (Matcher.candidates), reported or not."""
    from knowledge.loader import load
    from knowledge.matcher import Matcher

    m = Matcher(load([Path(d) for d in kb_dirs]).claims)
    total = sum(ap_at([row[0] for row in m.candidates(text)], gold) for _qid, text, gold in queries)
    return total / len(queries) if queries else 0.0


# --- CheckThat! 2A ------------------------------------------------------------------------------


def kb_2a_entries(data: Path) -> list[dict[str, Any]]:
    """kb.tsv rows as factbot YAML entries (dicts in the KB schema)."""
    from knowledge.schema import Claim, Source, Variant

    out: list[Claim] = []
    seen: set[str] = set()
    with open(data / "kb.tsv", encoding="utf-8", newline="") as f:
        rows = csv.reader(f, delimiter="\t")
        next(rows)
        for row in rows:
            row = row + [""] * (6 - len(row))
            vid, vclaim, title, subtitle, day, url = (c.strip() for c in row[:6])
            cid = slug(vid)
            if cid in seen or not (vclaim or title):
                continue
            seen.add(cid)
            claim = vclaim or title
            variants: list[str] = []
            for t in (title, subtitle):
                if t and t != claim and t not in variants:
                    variants.append(t)
            published = parse_day(day)
            source = Source(
                title=title or claim,
                publisher="Snopes",
                url=url if url.startswith(("http://", "https://")) else None,
                date=published,
            )
            out.append(
                Claim(
                    id=cid,
                    claim=claim,
                    verdict="unproven",
                    summary=f"Snopes fact-check: {title or claim}",
                    sources=(source,),
                    lang="en",
                    variants=tuple(Variant(t, "en") for t in variants),
                    tags=("checkthat-2a",),
                    published=published,
                )
            )
    from knowledge.loader import claim_to_dict

    return [claim_to_dict(c) for c in out]


class _NoAliasDumper(yaml.SafeDumper):
    """Plain YAML without anchors (a date shared by two fields would otherwise become an alias)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_kb_dir(entries: Sequence[dict[str, Any]], target: Path, *, exclude: Iterable[str] = ()) -> Path:
    """Write entries as YAML files of at most MAX_KB_FILE_BYTES each into `target` (replaced)."""
    skip = set(exclude)
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    chunk: list[str] = []
    size = 0
    part = 0

    def flush() -> None:
        nonlocal chunk, size, part
        if chunk:
            part += 1
            (tmp / f"claims-{part:03d}.yaml").write_text("claims:\n" + "".join(chunk), encoding="utf-8")
        chunk, size = [], 0

    for e in entries:
        if e["id"] in skip:
            continue
        text = yaml.dump([e], Dumper=_NoAliasDumper, allow_unicode=True, sort_keys=False, width=100)
        if size + len(text.encode("utf-8")) > MAX_KB_FILE_BYTES:
            flush()
        chunk.append(text)
        size += len(text.encode("utf-8"))
    flush()
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def _ensure_cache_dir() -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    ignore = CACHE / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# generated benchmark data; never committed\n*\n", encoding="utf-8")


def cached_kb_2a(data: Path, exclude: frozenset[str] | set[str] = frozenset(), tag: str = "full") -> Path:
    """The 2A KB folder (optionally without `exclude`), converted once and cached by kb.tsv's content."""
    _ensure_cache_dir()
    st = (data / "kb.tsv").stat()
    key = hashlib.sha256(f"{CONVERTER_VERSION}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:12]
    ex_key = hashlib.sha256("\n".join(sorted(exclude)).encode()).hexdigest()[:8] if exclude else ""
    for stale in CACHE.glob("checkthat2a-*"):
        if stale.name != f"checkthat2a-{key}":
            shutil.rmtree(stale, ignore_errors=True)
    target = CACHE / f"checkthat2a-{key}" / (f"{tag}-{ex_key}" if exclude else tag)
    if not (target / "claims-001.yaml").exists():
        write_kb_dir(kb_2a_entries(data), target, exclude=exclude)
    return target


def split_2a(data: Path, split: str) -> list[tuple[str, str, set[str]]]:
    """(query id, tweet, gold claim ids) of one 2A split."""
    queries, qrels = load_split(data, split)
    return [(qid, text, qrels.get(qid, set())) for qid, text in queries]


def bench_2a(data: Path, splits: Sequence[str], candidates: bool) -> dict[str, Any]:
    full = cached_kb_2a(data)
    sets = {s: split_2a(data, s) for s in splits}
    t0 = time.perf_counter()
    # Query ids repeat across splits (the 2021 and 2022 test sets number their tweets alike).
    got = check_batch([full], [(f"{s}/{q}", t) for s in splits for q, t, _g in sets[s]])
    print(f"  2A: {sum(len(v) for v in sets.values())} tweets through the CLI in {time.perf_counter() - t0:.0f} s")
    out: dict[str, Any] = {}
    for s in splits:
        rows = sets[s]
        res = reported_metrics([(got[f"{s}/{q}"], g) for q, _t, g in rows])
        gold = {c for _q, _t, g in rows for c in g}
        removed = check_batch([cached_kb_2a(data, gold, tag=f"without-{s}")], [(q, t) for q, t, _g in rows])
        res["strong_gold_removed_%"] = strong_share(removed)
        res["answered_gold_removed_%"] = _pct(sum(1 for v in removed.values() if v), len(removed))
        if candidates:
            res["all_candidates_MAP@5"] = all_candidates_map5([full], rows)
        out[s] = res
    return out


# --- CheckThat! 2B ------------------------------------------------------------------------------


def split_jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


_PF_DAY_RE = re.compile(r"politifact\.com/(?:factchecks|truth-o-meter/statements)/(\d{4})/([a-z]{3})/(\d{1,2})/")
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_SAID_RE = re.compile(r"^((?:19|20)\d{6})_")


def politifact_day(url: str) -> date | None:
    """The day a PolitiFact article was published, from its address (/factchecks/2016/feb/08/...)."""
    m = _PF_DAY_RE.search(url)
    if m is None or m.group(2) not in _MONTHS:
        return None
    try:
        return date(int(m.group(1)), _MONTHS[m.group(2)], int(m.group(3)))
    except ValueError:
        return None


def said_on(query_id: str) -> date | None:
    """The day a 2B sentence was said: its debate's or speech's date, which opens the lab's query id."""
    m = _SAID_RE.match(query_id)
    if m is None:
        return None
    try:
        return datetime.strptime(m.group(1), "%Y%m%d").date()
    except ValueError:
        return None


def kb_2b_entries(data: Path) -> list[dict[str, Any]]:
    """The 2B KB's entries with the PolitiFact article's title as a variant of its claim: the fact-check's
    headline, as the 2A KB carries Snopes' title and subtitle (a KB's editors add such wordings); and the
    article's date as ``published``, as 2A's entries carry Snopes' date."""
    entries: list[dict[str, Any]] = yaml.safe_load((data / "kb" / "claims.yaml").read_text(encoding="utf-8"))["claims"]
    for entry in entries:
        known = {entry["claim"].strip(), *(v["text"].strip() for v in entry.get("variants", []))}
        for source in entry.get("sources", []):
            title = (source.get("title") or "").strip()
            if title and title not in known:
                entry.setdefault("variants", []).append({"lang": "en", "text": title})
                known.add(title)
            day = politifact_day(source.get("url") or "")
            if day is not None and "published" not in entry:
                entry["published"] = day
    return entries


def cached_kb_2b(data: Path) -> Path:
    """The 2B KB folder (kb_2b_entries), converted once and cached by claims.yaml's content."""
    _ensure_cache_dir()
    source = data / "kb" / "claims.yaml"
    key = hashlib.sha256(f"{CONVERTER_VERSION}:".encode() + source.read_bytes()).hexdigest()[:12]
    for stale in CACHE.glob("checkthat2b-*"):
        if stale.name != f"checkthat2b-{key}":
            shutil.rmtree(stale, ignore_errors=True)
    target = CACHE / f"checkthat2b-{key}" / "titled"
    if not (target / "claims-001.yaml").exists():
        write_kb_dir(kb_2b_entries(data), target)
    return target


def bench_2b(data: Path, splits: Sequence[str], candidates: bool) -> dict[str, Any]:
    """2B through `factbot check --batch`. Each sentence carries the day it was said, as the bot passes a
    forward's original date (PolitiFact checked some statements again years later, and only the check of
    that day's sentence is gold); "<split>_undated" is the same split without it, a secondary line."""
    kb = cached_kb_2b(data)
    sets = {s: split_jsonl(data / f"queries_{s}.jsonl") for s in splits}
    queries = [(f"{s}{tag}/{r['id']}", r["text"]) for s in splits for r in sets[s] for tag in ("", "_undated")]
    days = {q: d for q, _t in queries if "_undated/" not in q and (d := said_on(q.split("/", 1)[1])) is not None}
    got = check_batch([kb], queries, days)
    out: dict[str, Any] = {}
    for s in splits:
        rows = [(str(r["id"]), r["text"], set(r["gold"])) for r in sets[s]]
        res = reported_metrics([(got[f"{s}/{q}"], g) for q, _t, g in rows])
        if candidates:
            res["all_candidates_MAP@5"] = all_candidates_map5([kb], rows)
        out[s] = res
        out[f"{s}_undated"] = reported_metrics([(got[f"{s}_undated/{q}"], g) for q, _t, g in rows])
    return out


# --- seed domain --------------------------------------------------------------------------------


@dataclass
class SeedTally:
    """Counts for one group of seed posts (a kind, a language, or all)."""

    posts: int = 0
    with_gold: int = 0
    right_first: int = 0
    clear: int = 0
    clear_strong_right: int = 0
    hard_negatives: int = 0
    hard_negative_strong: int = 0
    off_topic: int = 0
    off_topic_silent: int = 0
    strong_wrong: int = 0
    map5_sum: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "posts": self.posts,
            "right_first_%": _pct(self.right_first, self.with_gold),
            "MAP@5": self.map5_sum / self.with_gold if self.with_gold else None,
            "clear": self.clear,
            "clear_strong_right_%": _pct(self.clear_strong_right, self.clear),
            "hard_negatives": self.hard_negatives,
            "hard_negative_strong": self.hard_negative_strong,
            "hard_negative_strong_%": _pct(self.hard_negative_strong, self.hard_negatives),
            "off_topic": self.off_topic,
            "off_topic_no_list_%": _pct(self.off_topic_silent, self.off_topic),
            "strong_wrong": self.strong_wrong,
        }


HARD_NEGATIVE_KINDS = ("hard_negative", "hard-negative", "negative")
OFF_TOPIC_KINDS = ("off_topic", "off-topic", "other_topic")


def is_hard_negative(post: dict[str, Any]) -> bool:
    return str(post.get("kind", "")) in HARD_NEGATIVE_KINDS or (not post.get("gold") and bool(post.get("near")))


def is_off_topic(post: dict[str, Any]) -> bool:
    return str(post.get("kind", "")) in OFF_TOPIC_KINDS


def score_seed(posts: Sequence[dict[str, Any]], got: dict[str, list[Reported]]) -> dict[str, Any]:
    """Seed-domain figures over all posts, per kind and per language, and the hard negatives hit."""
    tallies: dict[str, SeedTally] = {"all": SeedTally()}
    hits: list[dict[str, Any]] = []
    other_wrong: list[dict[str, Any]] = []
    for p in posts:
        pid = str(p["id"])
        gold = set(p.get("gold") or ())
        reported = got[pid]
        strong = [m for m in reported if m.strength == "strong"]
        groups = [tallies["all"]]
        groups.append(tallies.setdefault(f"kind:{p.get('kind', '?')}", SeedTally()))
        groups.append(tallies.setdefault(f"lang:{p.get('lang', '?')}", SeedTally()))
        hard = is_hard_negative(p)
        wrong_strong = [m for m in strong if m.claim_id not in gold]
        for t in groups:
            t.posts += 1
            if gold:
                t.with_gold += 1
                t.right_first += bool(reported and reported[0].claim_id in gold)
                t.map5_sum += ap_at([m.claim_id for m in reported], gold)
                if p.get("clear"):
                    t.clear += 1
                    t.clear_strong_right += any(m.claim_id in gold for m in strong)
            if hard:
                t.hard_negatives += 1
                t.hard_negative_strong += bool(wrong_strong)
            if is_off_topic(p):
                t.off_topic += 1
                t.off_topic_silent += not reported
            t.strong_wrong += bool(wrong_strong)
        if wrong_strong:
            (hits if hard else other_wrong).append(
                {
                    "id": pid,
                    "text": p["text"][:160],
                    "strong": [f"{m.claim_id} ({m.score:.1f})" for m in wrong_strong],
                    "note": p.get("note", ""),
                }
            )
    order = sorted(tallies, key=lambda k: (k != "all", not k.startswith("kind:"), k))
    return {
        "groups": {k: tallies[k].as_dict() for k in order},
        "hard_negative_strong": hits,
        "other_wrong_strong": other_wrong,
    }


def readme_examples(readme: Path = README) -> list[tuple[str, str | None]]:
    """(text, the claim id it names) for each `factbot check` example in the README's code blocks."""
    out: list[tuple[str, str | None]] = []
    in_code = False
    for line in readme.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("```"):
            in_code = not in_code
            continue
        if not in_code or "factbot check" not in line:
            continue
        text: str | None = None
        batch = re.search(r"echo '(\{.*\})'", line)
        if batch:
            text = json.loads(batch.group(1)).get("text")
        else:
            quoted = re.findall(r'"([^"]+)"', line)
            text = quoted[-1] if quoted else None
        if not text:
            continue
        named = next((cid for key, cid in README_EXAMPLE_CLAIMS.items() if key in text), None)
        out.append((text, named))
    return out


def seed_split(seed_dir: Path, split: str) -> list[dict[str, Any]] | None:
    """The posts of seed `split`, or None (said on stdout) if its file is missing."""
    path = seed_dir / f"{split}.jsonl"
    if not path.exists():
        print(f"  seed {split}: {path} not found, skipped")
        return None
    return split_jsonl(path)


def bench_seed(seed_dir: Path, kb: Path, splits: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in splits:
        posts = seed_split(seed_dir, s)
        if posts is None:
            continue
        got = check_batch([kb], [(str(p["id"]), p["text"]) for p in posts])
        out[s] = score_seed(posts, got)
    examples = readme_examples()
    if examples:
        got = check_batch([kb], [(str(i), t) for i, (t, _c) in enumerate(examples)])
        rows = []
        for i, (text, named) in enumerate(examples):
            reported = got[str(i)]
            top = reported[0] if reported else None
            rows.append(
                {
                    "text": text,
                    "names": named,
                    "top": top.claim_id if top else None,
                    "strength": top.strength if top else None,
                    "ok": bool(named and top and top.claim_id == named),
                }
            )
        out["readme_examples"] = rows
    return out


# --- targets and tables -------------------------------------------------------------------------


@dataclass
class Target:
    label: str
    value: float | None
    goal: float
    at_most: bool = False
    unit: str = ""
    where: str = ""
    count: bool = False

    @property
    def met(self) -> bool:
        if self.value is None:
            return False
        return self.value <= self.goal if self.at_most else self.value >= self.goal

    def line(self) -> str:
        if self.value is None:
            shown = "n/a"
        elif self.count:
            shown = f"{self.value:.0f}"
        elif self.unit:
            shown = f"{self.value:.1f}{self.unit}"
        else:
            shown = f"{self.value:.3f}"
        op = "<=" if self.at_most else ">="
        goal = f"{self.goal:g}{self.unit}"
        return f"{'MET    ' if self.met else 'NOT MET'}  {self.where}: {self.label} {shown} (target {op} {goal})"


def targets(result: dict[str, Any]) -> list[Target]:
    """The issue-11 "Done when" lines that these sets measure."""
    out: list[Target] = []
    seed = result.get("seed", {}).get("dev")
    if seed:
        g = seed["groups"]["all"]
        out += [
            Target("right claim first", g["right_first_%"], 95, unit="%", where="seed dev"),
            Target(
                "verdict card for the right claim, clear posts",
                g["clear_strong_right_%"],
                85,
                unit="%",
                where="seed dev",
            ),
            Target(
                "strong on hard negatives",
                float(g["hard_negative_strong"]),
                0,
                at_most=True,
                where="seed dev",
                count=True,
            ),
            Target("no list on other topics", g["off_topic_no_list_%"], 90, unit="%", where="seed dev"),
        ]
    ex = result.get("seed", {}).get("readme_examples")
    if ex:
        ok = sum(1 for r in ex if r["ok"])
        out.append(
            Target(
                f"README examples giving the claim they name (of {len(ex)})",
                float(ok),
                len(ex),
                where="seed KB",
                count=True,
            )
        )
    for split in ("test", "dev"):
        a = result.get("2a", {}).get(split)
        if not a:
            continue
        where = "2A test" if split == "test" else "2A dev (indicative; the target is on test)"
        out += [
            Target("MAP@5 of reported", a["MAP@5"], 0.88, where=where),
            Target("answered", a["answered_%"], 90, unit="%", where=where),
            Target("strong with gold removed", a["strong_gold_removed_%"], 3, at_most=True, unit="%", where=where),
        ]
    b = result.get("2b", {}).get("dev")
    if b:
        out += [
            Target("answered", b["answered_%"], 70, unit="%", where="2B dev"),
            Target("MAP@5 of reported", b["MAP@5"], 0.45, where="2B dev"),
            Target("strong precision", b["strong_precision_%"], 90, unit="%", where="2B dev"),
        ]
    return out


def _f(v: Any, pct: bool = False) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.1f}" if pct else f"{v:.3f}"
    return str(v)


def print_tables(result: dict[str, Any]) -> None:
    cols = [
        ("MAP@5", "MAP@5", False),
        ("P@1 %", "P@1", True),
        ("answered %", "answered_%", True),
        ("strong %", "strong_%", True),
        ("strong precision %", "strong_precision_%", True),
        ("strong, gold removed %", "strong_gold_removed_%", True),
        ("all-candidates MAP@5", "all_candidates_MAP@5", False),
    ]
    for name in ("2a", "2b"):
        if name not in result:
            continue
        print(f"\nCheckThat! {name.upper()}: matches reported by `factbot check --batch` (default settings)")
        print("| split | queries | " + " | ".join(c[0] for c in cols) + " |")
        print("|---|---|" + "---|" * len(cols))
        for split, r in result[name].items():
            print(f"| {split} | {r['queries']} | " + " | ".join(_f(r.get(k), p) for _, k, p in cols) + " |")
    seed = result.get("seed", {})
    for split in ("dev", "test"):
        if split not in seed:
            continue
        print(f"\nSeed domain {split} (bundled KB): reported matches")
        scols = [
            ("posts", "posts", False),
            ("right first %", "right_first_%", True),
            ("MAP@5", "MAP@5", False),
            ("clear", "clear", False),
            ("card for right claim (clear) %", "clear_strong_right_%", True),
            ("hard neg.", "hard_negatives", False),
            ("strong on hard neg.", "hard_negative_strong", False),
            ("off topic", "off_topic", False),
            ("no list (off topic) %", "off_topic_no_list_%", True),
            ("any wrong strong", "strong_wrong", False),
        ]
        print("| group | " + " | ".join(c[0] for c in scols) + " |")
        print("|---|" + "---|" * len(scols))
        for group, r in seed[split]["groups"].items():
            print(f"| {group} | " + " | ".join(_f(r.get(k), p) for _, k, p in scols) + " |")
        for h in seed[split]["hard_negative_strong"]:
            print(f"  strong on hard negative {h['id']}: {h['strong']} — {h['text']!r}")
        for h in seed[split]["other_wrong_strong"]:
            print(f"  strong for a claim the post does not make, {h['id']}: {h['strong']} — {h['text']!r}")
    for r in seed.get("readme_examples", []):
        print(
            f"  README example {r['text']!r}: names {r['names']}, top {r['top']} ({r['strength']}) "
            f"{'ok' if r['ok'] else 'WRONG'}"
        )
    print("\nTargets (issue 11, through factbot check --batch, default settings):")
    for t in targets(result):
        print("  " + t.line())


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="factbot quality as users get it (factbot check --batch)")
    ap.add_argument("--sets", default="2a,2b,seed", help="comma-separated: 2a, 2b, seed")
    ap.add_argument("--held-out", action="store_true", help="also report 2A devtest/test and seed test")
    ap.add_argument("--data", type=Path, default=DATA_2A, help="CheckThat! 2022 2A folder")
    ap.add_argument("--data-2b", type=Path, default=DATA_2B, help="CheckThat! 2022 2B folder")
    ap.add_argument("--seed-dir", type=Path, default=SEED_DIR, help="folder with seed dev.jsonl / test.jsonl")
    ap.add_argument("--seed-kb", type=Path, default=BUNDLED_KB, help="KB folder for the seed set")
    ap.add_argument("--no-candidates", action="store_true", help="skip the all-candidates secondary line")
    ap.add_argument("--write", action="store_true", help="write benchmarks/results/quality.json")
    ap.add_argument("--out", type=Path, default=RESULTS / "quality.json")
    args = ap.parse_args(argv)
    sets = {s.strip().lower() for s in args.sets.split(",") if s.strip()}
    unknown = sets - {"2a", "2b", "seed"}
    if unknown:
        ap.error(f"unknown set(s): {', '.join(sorted(unknown))}")
    candidates = not args.no_candidates
    result: dict[str, Any] = {"held_out": args.held_out}
    t0 = time.perf_counter()
    if "2a" in sets:
        if not (args.data / "kb.tsv").exists():
            ap.error(f"no CheckThat! 2A data in {args.data} (kb.tsv missing); pass --data DIR")
        splits = ("dev", "devtest", "test") if args.held_out else ("dev",)
        result["2a"] = bench_2a(args.data, splits, candidates)
    if "2b" in sets:
        if not (args.data_2b / "kb").is_dir():
            ap.error(f"no CheckThat! 2B data in {args.data_2b} (kb/ missing); pass --data-2b DIR")
        result["2b"] = bench_2b(args.data_2b, ("dev", "train"), candidates)
    if "seed" in sets:
        result["seed"] = bench_seed(args.seed_dir, args.seed_kb, ("dev", "test") if args.held_out else ("dev",))
    result["targets"] = [
        {"where": t.where, "label": t.label, "value": t.value, "goal": t.goal, "at_most": t.at_most, "met": t.met}
        for t in targets(result)
    ]
    result["seconds"] = round(time.perf_counter() - t0, 1)
    print_tables(result)
    if args.write:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
