"""From feature rows to a 0-100 score: per-claim evidence, ranking score, margin, logistic calibration."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from knowledge.matcher.params import MARGIN_CAP, MIN_STRONG_TERMS, F, Params

__all__ = ["Candidate", "ClaimEvidence", "calibrated", "date_bonus", "per_claim", "rank_score", "scored"]


@dataclass(slots=True)
class Candidate:
    """One retrieved document of a claim, with its features (see :mod:`knowledge.matcher.features`).

    ``f`` reads the document against the whole post (BM25 and rank relative to the post's best
    document); ``f_seg`` reads it against its fragment alone, as if the fragment had been sent on
    its own (BM25 over the fragment's terms, relative to the best document on the same fragment).
    The second is what lets a post's second, different claim be reported on its own merits.
    """

    claim_id: str
    f: list[float]
    f_seg: list[float]
    fragment: str
    n_words: int  # meaningful words in the post
    seg_words: int  # meaningful words in the fragment
    kw_hits: int


@dataclass(slots=True)
class ClaimEvidence:
    """A claim's best document read at one level ("post" or "segment")."""

    claim_id: str
    level: str
    z: float  # ranking score
    margin: float  # z minus the best other claim's z on the same fragment, capped
    f: list[float]
    fragment: str
    n_words: int  # meaningful words of the text this level reads (post or fragment)
    kw_hits: int


def rank_score(f: list[float], params: Params) -> float:
    return sum(w * x for w, x in zip(params.weights, f, strict=True))


_Best = dict[str, tuple[float, Candidate, list[float]]]


def _with_margins(best: _Best, level: str, z_floor: float) -> list[ClaimEvidence]:
    by_fragment: dict[str, list[float]] = {}
    for z, c, _f in best.values():
        by_fragment.setdefault(c.fragment, []).append(z)
    for zs in by_fragment.values():
        zs.sort(reverse=True)
    out: list[ClaimEvidence] = []
    for claim_id, (z, c, f) in best.items():
        zs = by_fragment[c.fragment]
        other = max(zs[1] if len(zs) > 1 else z_floor, z_floor) if z >= zs[0] else zs[0]
        margin = max(-MARGIN_CAP, min(MARGIN_CAP, z - other))
        n = c.n_words if level == "post" else c.seg_words
        out.append(ClaimEvidence(claim_id, level, z, margin, f, c.fragment, n, c.kw_hits))
    return out


def per_claim(rows: list[Candidate], params: Params) -> list[ClaimEvidence]:
    """Stage 1: each claim's best document, at the post level and (if it differs) the segment level.

    An entry takes its best document. The margin is z minus the best *other* claim's z on the same
    fragment (a clear winner there is more credible than one of many look-alikes). Alone on its
    fragment, a claim is compared with a typical runner-up (``z_floor``). The segment level reads each
    fragment as if it had been sent alone, so that a second, distinct claim in another sentence of a
    post is judged on that sentence, not against the post's first claim; it is only used for
    fragments with at least ``MIN_STRONG_TERMS`` meaningful words and for posts of several segments.
    """
    post: _Best = {}
    seg: _Best = {}
    for c in rows:
        z = rank_score(c.f, params)
        if c.claim_id not in post or z > post[c.claim_id][0]:
            post[c.claim_id] = (z, c, c.f)
        if c.f_seg is not c.f and c.seg_words >= MIN_STRONG_TERMS:
            zs = rank_score(c.f_seg, params)
            if c.claim_id not in seg or zs > seg[c.claim_id][0]:
                seg[c.claim_id] = (zs, c, c.f_seg)
    return _with_margins(post, "post", params.z_floor) + _with_margins(seg, "segment", params.z_floor)


def calibrated(e: ClaimEvidence, params: Params) -> float:
    """Stage 2: the 0-100 score of one piece of evidence."""
    logit = params.cal_b + params.cal_a * e.z + params.cal_margin * e.margin + params.keyword_bonus * e.kw_hits
    logit += sum(c * e.f[params.abs_idx[i]] for i, c in enumerate(params.cal_w))
    return 100.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))


def date_bonus(e: ClaimEvidence, params: Params) -> float:
    """The part of a piece of evidence's ranking score that the post's date gave it (near, same week)."""
    return max(0.0, params.weights[F.DATE_NEAR] * e.f[F.DATE_NEAR] + params.weights[F.DATE_WEEK] * e.f[F.DATE_WEEK])


_DATE_COLUMNS = (F.DATE_NEAR, F.DATE_GAP, F.DATE_KNOWN, F.DATE_WEEK)


def _without_date(f: list[float]) -> list[float]:
    out = list(f)
    for i in _DATE_COLUMNS:
        out[i] = 0.0
    return out


def _undated(c: Candidate) -> Candidate:
    """The row as if the post's date were unknown."""
    f = _without_date(c.f)
    return replace(c, f=f, f_seg=f if c.f_seg is c.f else _without_date(c.f_seg))


def scored(rows: list[Candidate], params: Params, *, date_given: bool = False) -> list[tuple[str, float, str, int]]:
    """Two-stage scoring of feature rows, one row per claim, best first: (claim id, score, fragment, words).

    A claim's score is the better of its post-level and segment-level evidence; the fragment and
    word count are those of the level that gave it. The post's date tells which period the post speaks
    of; the leading claim takes that bonus, the others are scored without it (a tweet's signature date
    made unrelated checks of the same week strong next to the right one). Their margins are unchanged.

    A date the caller gives (`date_given`: a forward's original date) only orders the claims: each scores
    as without it, and the leading claim, if the date is what leads it, scores just above the claim it
    passes. Channels repost old claims, and in a KB of one war's months most days
    are near some claim: with the date lifting scores, a game review forwarded on a claim's day got a
    verdict on that claim, and 7 of the seed dev set's 99 hard negatives a strong match on some day.
    """
    evidence = per_claim(rows, params)
    scores = [calibrated(e, params) for e in evidence]
    top = evidence[max(range(len(scores)), key=scores.__getitem__)].claim_id if evidence else ""
    if date_given and any(c.f[F.DATE_KNOWN] for c in rows):
        return _led_by(scored([_undated(c) for c in rows], params), top, max(scores))
    best: dict[str, tuple[float, str, int]] = {}
    for e, raw in zip(evidence, scores, strict=True):
        bonus = date_bonus(e, params) if e.claim_id != top else 0.0
        score = round(calibrated(replace(e, z=e.z - bonus), params) if bonus else raw, 2)
        if e.claim_id not in best or score > best[e.claim_id][0]:
            best[e.claim_id] = (score, e.fragment, e.n_words)
    out = [(cid, score, frag, n) for cid, (score, frag, n) in best.items()]
    out.sort(key=lambda r: -r[1])
    return out


def _led_by(rows: list[tuple[str, float, str, int]], top: str, ceiling: float) -> list[tuple[str, float, str, int]]:
    """Undated scored `rows` with `top` first: if it is not above the others but its score with the date
    (`ceiling`) is, it scores just above the best of them. A date that left every claim below that one
    leads nothing."""
    mine = next((r for r in rows if r[0] == top), None)
    others = [r for r in rows if r[0] != top]
    passed = max((r[1] for r in others), default=0.0)
    if mine is None or mine[1] > passed or ceiling < round(passed + 0.01, 2):
        return rows
    return [(top, round(passed + 0.01, 2), mine[2], mine[3]), *others]
