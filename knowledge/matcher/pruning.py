"""Bound-based pruning: run the rapidfuzz scorers only on rows that can change what match() reports.

The two rapidfuzz features lie in [0, 1] and enter the ranking score and the calibration linearly, so
every row (at each level) has an upper bound on its ranking score and on the logit of any evidence it
can give (margin at most min(MARGIN_CAP, z - z_floor), or 0 when the claim is not first on its
fragment). A claim none of whose rows can reach ``possible`` is never reported. A claim that cannot be
reported still matters through the margins of reported ones, but only on their fragments (at the same
level) and only if it can score at least min(z_floor, their ranking score): below both, it is neither
the best other claim of a claim it trails nor, against the floor, of one it leads. So: the rows of
claims that may be reported, plus the rows of claims that may reach that bound on one of their
fragments. The others are dropped; leaving them out changes no reported score or order.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from knowledge.matcher.calibration import rank_score
from knowledge.matcher.features import Rows, fill_fuzzy, fuzzy_placeholders
from knowledge.matcher.index import Index
from knowledge.matcher.params import MARGIN_CAP, MIN_STRONG_TERMS, F, Params

__all__ = ["reportable"]

_BOUND_SLACK = 1e-6  # bounds are summed in another order than the exact scores


def _fuzzy_bounds(params: Params) -> tuple[float, float]:
    """How much the rapidfuzz features can add to the ranking score and to the calibration's linear
    part (cal_a * z + cal_w . absolute features), from their placeholders."""
    lo = fuzzy_placeholders(params)
    z_up = sum(abs(params.weight(f)) for f in (F.FZ_SET, F.FZ_PART))
    lin_up = 0.0
    for f, f_lo in zip((F.FZ_SET, F.FZ_PART), lo, strict=True):
        c = params.cal_a * params.weight(f) + sum(
            w for w, j in zip(params.cal_w, params.abs_idx, strict=True) if j == f
        )
        lin_up += max(c * (1.0 - f_lo), c * (0.0 - f_lo))
    return z_up, lin_up


def _levels(got: Rows) -> list[tuple[list[int], npt.NDArray[np.float64]]]:
    n = len(got.claims)
    levels: list[tuple[list[int], npt.NDArray[np.float64]]] = [(list(range(n)), got.feats)]
    if got.feats_seg is not None:
        seg_idx = [i for i, (_d, wi) in enumerate(got.src) if got.win_words[wi] >= MIN_STRONG_TERMS]
        if seg_idx:
            levels.append((seg_idx, got.feats_seg[seg_idx]))
    return levels


def _upper_bounds(
    got: Rows, levels: list[tuple[list[int], npt.NDArray[np.float64]]], params: Params, thr: float
) -> tuple[set[str], list[list[float]]]:
    """Claims that may reach the threshold, and per level each row's upper bound on its ranking score."""
    z_up, lin_up = _fuzzy_bounds(params)
    kw = np.asarray(got.kw, dtype=np.float64)
    z_hi: list[list[float]] = []
    may_report: set[str] = set()
    for idx, mat in levels:
        z_lo = mat @ params.w_arr
        zh = z_lo + z_up
        lin_hi = params.cal_a * z_lo + mat[:, list(params.abs_idx)] @ params.cal_w_arr + lin_up
        margin_hi = np.clip(zh - params.z_floor, 0.0, MARGIN_CAP)
        ub = params.cal_b + lin_hi + params.cal_margin * margin_hi + params.keyword_bonus * kw[idx]
        for j in np.flatnonzero(ub >= thr).tolist():
            may_report.add(got.claims[idx[j]])
        z_hi.append((zh + _BOUND_SLACK).tolist())
    return may_report, z_hi


def reportable(index: Index, got: Rows, params: Params, possible: float) -> list[int]:
    """Rows whose exact rapidfuzz features can change match()'s result; their features are filled in."""
    n = len(got.claims)
    p = possible - 0.01  # scores are rounded to 0.01
    if not 0.0 < p < 100.0:
        for i in range(n):
            fill_fuzzy(index, got, i)
        return list(range(n))
    if not n:
        return []
    thr = math.log(p / (100.0 - p)) - _BOUND_SLACK
    claims, words = got.claims, got.win_words
    frags = [got.win_text.text(wi) for _d, wi in got.src]
    levels = _levels(got)
    may_report, z_hi = _upper_bounds(got, levels, params, thr)
    if not may_report:
        return []
    sure = [i for i in range(n) if claims[i] in may_report]
    for i in sure:
        fill_fuzzy(index, got, i)
    # The reportable claims' evidence (best row per level, as per_claim picks it): per fragment,
    # the bound below which other claims do not matter there.
    best: dict[tuple[str, int], tuple[float, str]] = {}
    for i in sure:
        for level in range(len(levels)):
            if level == 1 and words[got.src[i][1]] < MIN_STRONG_TERMS:
                continue
            fm = got.feats if level == 0 else got.feats_seg
            assert fm is not None
            z = rank_score(fm[i].tolist(), params)
            key = (claims[i], level)
            if key not in best or z > best[key][0]:
                best[key] = (z, frags[i])
    floor: tuple[dict[str, float], dict[str, float]] = ({}, {})
    for (_cid, level), (z, frag) in best.items():
        d = floor[level]
        d[frag] = min(d.get(frag, params.z_floor), z)
    need = set(may_report)
    for (idx, _mat), d, zh_l in zip(levels, floor, z_hi, strict=False):
        if not d:
            continue
        for j, i in enumerate(idx):
            if claims[i] not in need:
                t = d.get(frags[i])
                if t is not None and zh_l[j] >= t:
                    need.add(claims[i])
    keep = [i for i in range(n) if claims[i] in need]
    for i in keep:
        if claims[i] not in may_report:
            fill_fuzzy(index, got, i)
    return keep
