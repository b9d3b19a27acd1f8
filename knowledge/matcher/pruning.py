"""Bound-based pruning: run the rapidfuzz scorers and the consistency checks only on rows that can change
what match() reports.

The two rapidfuzz features lie in [0, 1] and the consistency features in {0, 1}; all enter the ranking
score and the calibration linearly, so every row (at each level) has an upper bound on its ranking
score and on the logit of any evidence it can give (margin at most min(MARGIN_CAP, z - z_floor), or 0
when the claim is not first on its fragment), from the features it has and the largest contribution
of those still at their placeholders. A claim none of whose rows can reach ``possible`` is never
reported. The bounds are tightened in stages, each on the claims still in the running: first with
both groups unknown, then with the rapidfuzz features filled in, then with the consistency features
too (exact). A claim that cannot be reported still matters through the margins of reported ones, but
only on their fragments (at the same level) and only if it can score at least min(z_floor, their
ranking score): below both, it is neither the best other claim of a claim it trails nor, against the
floor, of one it leads. So: the rows of claims that may be reported, plus the rows of claims that may
reach that bound on one of their fragments. The others are dropped; leaving them out changes no
reported score or order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from knowledge.matcher.features import (
    CONSISTENCY_COLUMNS,
    Rows,
    consistency_placeholders,
    fill_consistency,
    fill_fuzzy,
    fuzzy_part_bound,
    fuzzy_placeholders,
)
from knowledge.matcher.index import Index
from knowledge.matcher.params import MARGIN_CAP, MIN_STRONG_TERMS, F, Params

__all__ = ["reportable"]

_BOUND_SLACK = 1e-6  # bounds are summed in another order than the exact scores
_FUZZY = (F.FZ_SET, F.FZ_PART)

_Levels = list[tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]]


def _column_up(params: Params, f: F, lo: float, hi: float) -> tuple[float, float]:
    """How much a feature known to lie in [0, hi] can add to the ranking score and to the calibration's
    linear part (cal_a * z + cal_w . absolute features), from its placeholder `lo`."""
    w, c = _slopes(params, f)
    return max(w * (hi - lo), w * (0.0 - lo)), max(c * (hi - lo), c * (0.0 - lo))


def _slopes(params: Params, f: F) -> tuple[float, float]:
    """What one unit of feature `f` adds to the ranking score and to the calibration's linear part."""
    w = params.weight(f)
    return w, params.cal_a * w + sum(cw for cw, j in zip(params.cal_w, params.abs_idx, strict=True) if j == f)


def _group_up(params: Params, cols: Sequence[F], lo: Sequence[float]) -> tuple[float, float]:
    ups = [_column_up(params, f, f_lo, 1.0) for f, f_lo in zip(cols, lo, strict=True)]
    return sum(u[0] for u in ups), sum(u[1] for u in ups)


def _levels(got: Rows) -> _Levels:
    n = len(got.claims)
    levels: _Levels = [(np.arange(n), got.feats)]
    if got.feats_seg is not None:
        seg_idx = [i for i, (_d, wi) in enumerate(got.src) if got.win_words[wi] >= MIN_STRONG_TERMS]
        if seg_idx:
            levels.append((np.asarray(seg_idx, dtype=np.intp), got.feats_seg))
    return levels


@dataclass(frozen=True, slots=True)
class _Ups:
    """What the unknown groups can add at most, for one set of parameters."""

    set_lo: float
    part_lo: float
    set_up: tuple[float, float]  # fz_set alone
    part_slopes: tuple[float, float]
    fz: tuple[float, float]  # both rapidfuzz features
    cs: tuple[float, float]  # the consistency features


@lru_cache(maxsize=8)
def _ups(params: Params) -> _Ups:
    set_lo, part_lo = fuzzy_placeholders(params)
    return _Ups(
        set_lo,
        part_lo,
        _column_up(params, F.FZ_SET, set_lo, 1.0),
        _slopes(params, F.FZ_PART),
        _group_up(params, _FUZZY, (set_lo, part_lo)),
        _group_up(params, CONSISTENCY_COLUMNS, consistency_placeholders(params)),
    )


class _Bounds:
    """Per row, what its still unknown features can add (ranking score, calibration's linear part)."""

    def __init__(self, params: Params, got: Rows, thr: float) -> None:
        n = len(got.claims)
        self.params = params
        self.thr = thr
        self.levels = _levels(got)
        self.kw = np.asarray(got.kw, dtype=np.float64)
        self.ups = ups = _ups(params)
        self.fz_z, self.fz_lin = np.full(n, ups.fz[0]), np.full(n, ups.fz[1])
        self.cs_z, self.cs_lin = np.full(n, ups.cs[0]), np.full(n, ups.cs[1])
        self.fuzzy_done: set[int] = set()
        self.part_bounded: set[int] = set()
        self.cons_done: set[int] = set()
        self._upper: tuple[npt.NDArray[np.bool_], list[npt.NDArray[np.float64]]] | None = None
        # Per level: each row's position there, and the ranking score and calibration logit its known
        # features give (recomputed only for the rows filled since).
        self._pos: list[npt.NDArray[np.intp]] = []
        self._base: list[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]] = []
        for idx, feats in self.levels:
            pos = np.full(n, -1, dtype=np.intp)
            pos[idx] = np.arange(len(idx))
            self._pos.append(pos)
            self._base.append(self._base_of(feats, idx))
        self._dirty: list[int] = []

    def _base_of(
        self, feats: npt.NDArray[np.float64], rows: npt.NDArray[np.intp]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        params = self.params
        mat = feats[rows]
        z_lo = mat @ params.w_arr
        lin = params.cal_b + params.cal_a * z_lo + mat[:, list(params.abs_idx)] @ params.cal_w_arr
        return z_lo, lin + params.keyword_bonus * self.kw[rows]

    def bound_fuzzy(self, index: Index, got: Rows, rows: list[int]) -> None:
        """A cheap upper bound on partial_ratio for rows not yet bounded or filled."""
        todo = [i for i in rows if i not in self.fuzzy_done and i not in self.part_bounded]
        if not todo:
            return
        self.part_bounded.update(todo)
        self._upper = None
        # max(w * (hi - lo), w * (0 - lo)) per row, as _column_up, for hi in [0, 1]
        hi = np.asarray([fuzzy_part_bound(index, got, i) for i in todo])
        ups = self.ups
        (w, c), lo = ups.part_slopes, ups.part_lo
        self.fz_z[todo] = ups.set_up[0] + np.maximum(w * (hi - lo), w * (0.0 - lo))
        self.fz_lin[todo] = ups.set_up[1] + np.maximum(c * (hi - lo), c * (0.0 - lo))

    def fill(self, index: Index, got: Rows, rows: list[int], fuzzy: bool = True, cons: bool = True) -> None:
        """Compute the rows' rapidfuzz and/or consistency features, where not yet done."""
        if fuzzy:
            fz = [i for i in rows if i not in self.fuzzy_done]
            if fz:
                self._upper = None
                self._dirty += fz
            for i in fz:
                fill_fuzzy(index, got, i)
            self.fuzzy_done.update(fz)
            self.fz_z[fz] = 0.0
            self.fz_lin[fz] = 0.0
        if cons:
            cs = [i for i in rows if i not in self.cons_done]
            if cs:
                self._upper = None
                self._dirty += cs
            fill_consistency(got, cs)
            self.cons_done.update(cs)
            self.cs_z[cs] = 0.0
            self.cs_lin[cs] = 0.0

    def upper(self) -> tuple[npt.NDArray[np.bool_], list[npt.NDArray[np.float64]]]:
        """Per row, whether it may reach the threshold (at some level); per level (rows as in
        self.levels) each row's upper bound on its ranking score."""
        if self._upper is None:
            self._upper = self._compute_upper()
        return self._upper

    def _compute_upper(self) -> tuple[npt.NDArray[np.bool_], list[npt.NDArray[np.float64]]]:
        params, thr = self.params, self.thr
        if self._dirty:
            dirty = np.asarray(sorted(set(self._dirty)), dtype=np.intp)
            self._dirty = []
            for (_idx, feats), pos, (z_lo, lin) in zip(self.levels, self._pos, self._base, strict=True):
                at = pos[dirty]
                rows = dirty[at >= 0]
                z_lo[at[at >= 0]], lin[at[at >= 0]] = self._base_of(feats, rows)
        z_add = self.fz_z + self.cs_z
        lin_add = self.fz_lin + self.cs_lin
        may = np.zeros(len(z_add), dtype=bool)
        z_hi: list[npt.NDArray[np.float64]] = []
        for (idx, _feats), (z_lo, lin) in zip(self.levels, self._base, strict=True):
            zh = z_lo + z_add[idx]
            margin_hi = np.clip(zh - params.z_floor, 0.0, MARGIN_CAP)
            ub = lin + lin_add[idx] + params.cal_margin * margin_hi
            may[idx[ub >= thr]] = True
            z_hi.append(zh + _BOUND_SLACK)
        return may, z_hi


def _floors(got: Rows, bounds: _Bounds, params: Params, rows: list[int]) -> list[npt.NDArray[np.float64]]:
    """Per level (rows as in bounds.levels), the bound below which a row of another claim does not
    matter on its fragment: from the reportable claims' evidence (best row per level, as per_claim
    picks it) there. A claim X on a fragment is only affected by another claim scoring at least
    min(z_X, max(z_floor, z_X - MARGIN_CAP)): below, it changes neither X's rank there nor, past the
    floor and the margin's cap, X's margin."""
    words = got.win_words
    frags = [got.win_text.text(wi) for _d, wi in got.src]
    best: dict[tuple[str, int], tuple[float, str]] = {}
    # Ranking scores of the rows, a matrix product per level (as _Bounds computes its bounds).
    at = np.asarray(rows, dtype=np.intp)
    z_rows: list[list[float]] = [(feats[at] @ params.w_arr).tolist() for _idx, feats in bounds.levels]
    for k, i in enumerate(rows):
        for level, z_level in enumerate(z_rows):
            if level == 1 and words[got.src[i][1]] < MIN_STRONG_TERMS:
                continue
            z = z_level[k]
            key = (got.claims[i], level)
            if key not in best or z > best[key][0]:
                best[key] = (z, frags[i])
    floor: list[dict[str, float]] = [{} for _ in bounds.levels]
    for (_cid, level), (z, frag) in best.items():
        d = floor[level]
        d[frag] = min(d.get(frag, math.inf), z, max(params.z_floor, z - MARGIN_CAP))
    return [
        np.asarray([d.get(frags[i], math.inf) for i in idx.tolist()], dtype=np.float64)
        for d, (idx, _f) in zip(floor, bounds.levels, strict=True)
    ]


def reportable(index: Index, got: Rows, params: Params, possible: float, *, undated: bool = False) -> list[int]:
    """Rows whose exact features can change match()'s result; their features are filled in. With `undated`
    (a date the caller gave, which only orders what is reported) they are chosen as if it were unknown: a
    claim months from a forward's date was pruned before, so a repost of an old claim lost its match."""
    if undated:
        with got.dates_hidden():
            return reportable(index, got, params, possible)
    n = len(got.claims)
    p = possible - 0.01  # scores are rounded to 0.01
    if not 0.0 < p < 100.0:
        for i in range(n):
            fill_fuzzy(index, got, i)
        fill_consistency(got, range(n))
        return list(range(n))
    if not n:
        return []
    thr = math.log(p / (100.0 - p)) - _BOUND_SLACK
    claims = got.claims
    bounds = _Bounds(params, got, thr)

    def may_report() -> set[int]:
        return set(np.flatnonzero(bounds.upper()[0]).tolist())

    sure = {claims[i] for i in _refine(index, got, bounds, set(range(n)), may_report)}
    if not sure:
        return []
    # Their every row, exact: per_claim picks each claim's best.
    rows_sure = [i for i in range(n) if claims[i] in sure]
    bounds.fill(index, got, rows_sure)
    floor = _floors(got, bounds, params, rows_sure)

    def may_matter() -> set[int]:
        out: set[int] = set()
        for (idx, _f), zh, t in zip(bounds.levels, bounds.upper()[1], floor, strict=True):
            out.update(idx[zh >= t].tolist())
        return out

    others = {i for i in range(n) if claims[i] not in sure}
    need = sure | {claims[i] for i in _refine(index, got, bounds, others, may_matter)}
    keep = [i for i in range(n) if claims[i] in need]
    bounds.fill(index, got, keep)
    return keep


def _refine(index: Index, got: Rows, bounds: _Bounds, rows: set[int], test: Callable[[], set[int]]) -> set[int]:
    """Those of `rows` that pass `test` once exact: only the rows that still may are read more exactly,
    first by a bound on partial_ratio, then by rapidfuzz, then by the consistency checks."""
    hit = sorted(test() & rows)
    bounds.bound_fuzzy(index, got, hit)
    hit = sorted(test() & rows)
    bounds.fill(index, got, hit, cons=False)
    hit = sorted(test() & rows)
    bounds.fill(index, got, hit, fuzzy=False)
    return test() & rows
