"""Claim matching: exact lookups, BM25 retrieval, per-segment re-ranking, calibrated 0-100 scores.

Modules: :mod:`.index` (incremental BM25 with delta and tombstones), :mod:`.segments` (a post cut
into sentences and windows), :mod:`.features` (the named feature table), :mod:`.calibration`
(ranking score, margin, logistic calibration), :mod:`.pruning` (rapidfuzz only where it can matter),
:mod:`.params` (fitted constants) and :mod:`.core` (the :class:`Matcher` that composes them).
"""

from knowledge.matcher.calibration import Candidate, ClaimEvidence, calibrated, per_claim
from knowledge.matcher.core import Match, Matcher
from knowledge.matcher.params import (
    ABS_FEATURES,
    DEFAULT_PARAMS,
    DEFAULT_POSSIBLE,
    DEFAULT_STRONG,
    FEATURES,
    KEYWORD_BONUS,
    MIN_STRONG_TERMS,
    F,
    Params,
)

WEIGHTS = DEFAULT_PARAMS.weights
CAL_A = DEFAULT_PARAMS.cal_a
CAL_B = DEFAULT_PARAMS.cal_b
CAL_MARGIN = DEFAULT_PARAMS.cal_margin
CAL_W = DEFAULT_PARAMS.cal_w
Z_FLOOR = DEFAULT_PARAMS.z_floor

__all__ = [
    "ABS_FEATURES",
    "CAL_A",
    "CAL_B",
    "CAL_MARGIN",
    "CAL_W",
    "DEFAULT_PARAMS",
    "DEFAULT_POSSIBLE",
    "DEFAULT_STRONG",
    "FEATURES",
    "KEYWORD_BONUS",
    "MIN_STRONG_TERMS",
    "WEIGHTS",
    "Z_FLOOR",
    "Candidate",
    "ClaimEvidence",
    "F",
    "Match",
    "Matcher",
    "Params",
    "calibrated",
    "per_claim",
]
