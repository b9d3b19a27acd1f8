"""The matcher's tunable constants: the named feature table, fitted weights, calibration, thresholds.

Everything a fit changes lives in one :class:`Params` value (``benchmarks/tune.py`` produces a new
one); the Matcher reads it from ``self.params``, so a benchmark can try parameters without touching
module globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
import numpy.typing as npt

__all__ = [
    "ABS_FEATURES",
    "DEFAULT_PARAMS",
    "DEFAULT_POSSIBLE",
    "DEFAULT_STRONG",
    "FEATURES",
    "F",
    "Params",
]

MAX_CHARS = 8_000  # Telegram messages are <= 4096 characters; anything beyond is not read
MAX_SEGMENTS = 64
WINDOW_WORDS = 40  # sentences longer than this are cut into overlapping windows
WINDOW_STRIDE = 20
RETRIEVE_DOCS = 60
MIN_STRONG_TERMS = 5
# A claim whose every text has fewer than SHORT_CLAIM_WORDS meaningful words is strong only on a post or
# fragment of at most SHORT_CLAIM_SPAN times as many (CheckThat! 2B train: two wrong strong matches of
# PolitiFact topic lines inside debate sentences gone, one right one lost; 2A and the seed set have no
# strong match of so short a claim).
SHORT_CLAIM_WORDS = 4
SHORT_CLAIM_SPAN = 2

BM25_K1 = 0.9  # tuned on CheckThat! train+dev (0.9/0.4 vs 1.2/0.75: +0.4 MAP@5 points)
BM25_B = 0.4

# A claim dated this many days before .. after a date written in the post counts as "near".
DATE_NEAR = (-3, 30)
MARGIN_CAP = 5.0
HELD_IDF = 60.0  # HELD_MASS saturates here (about eight rare words)
KEYWORD_BONUS = 0.6  # logit per matched moderator keyword, at most two counted


class F(IntEnum):
    """The feature table: one column per named feature (see ``features.py`` for their meaning)."""

    COV_WIN = 0  # idf share of the claim held by its best window of the post
    PREC_WIN = 1  # idf share of that window explained by the claim
    COV_POST = 2  # idf share of the claim held by the whole post
    FZ_SET = 3  # rapidfuzz token_set_ratio on stemmed terms (window vs claim)
    FZ_PART = 4  # rapidfuzz partial_ratio on normalised text (window vs claim)
    BM25_REL = 5  # BM25 relative to the best document
    NUM_SHARED = 6  # the claim has figures and the post shares one
    NUM_MISSING = 7  # the claim has figures and the post has none of them
    SHORT = 8  # the post has fewer than MIN_STRONG_TERMS meaningful words
    BM25_CLAIM_REL = 9  # the entry's summed BM25 (claim + variants) relative to the best document
    RANK_RECIP = 10  # 1 / rank in the BM25 order
    BIGRAM = 11  # share of the claim's consecutive term pairs the post also has
    DATE_NEAR = 12  # the claim's date lies within DATE_NEAR days of the post's
    DATE_GAP = 13  # min(1, log1p(|days|) / 8)
    DATE_KNOWN = 14  # both dates known
    DATE_WEEK = 15  # the claim's date lies within -1 .. 7 days of the post's
    # Consistency of the matched fragment with the claim (knowledge.consistency), 0 or 1 each.
    FIG_AGREE = 16  # a figure of the claim is in the fragment
    FIG_CONFLICT = 17  # the fragment has figures, none of them the claim's
    PLACE_AGREE = 18
    PLACE_CONFLICT = 19
    SIDE_CONFLICT = 20  # another side acts, or another side's report
    TIME_CONFLICT = 21  # years more than one apart, or another period (a day vs a week)
    STANCE_CONFLICT = 22  # the fragment denies what the claim asserts, or the reverse
    PLACE_MISSING = 23  # the claim names a town, the fragment none
    HELD_MASS = 24  # idf the best window holds of the claim, min(1, x / HELD_IDF): a short claim fully
    # covered by chance holds little, a long one matched in full much


FEATURES: tuple[str, ...] = tuple(f.name.lower() for f in F)
# The features the calibration reads directly (besides the ranking score and the margin).
ABS_FEATURES: tuple[str, ...] = (
    "cov_win", "prec_win", "cov_post", "fz_set", "fz_part", "bigram", "date_known", "held_mass",
)  # fmt: skip

# Thresholds on the 0-100 score, fitted with the weights by benchmarks/tune.py (a mixture of genres).
DEFAULT_STRONG: float = 60.9
DEFAULT_POSSIBLE: float = 8.5


def _named(values: dict[str, float]) -> tuple[float, ...]:
    unknown = set(values) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown features: {sorted(unknown)}")
    return tuple(values.get(name, 0.0) for name in FEATURES)


@dataclass(frozen=True, slots=True)
class Params:
    """Ranking weights (pairwise fit) and the logistic calibration on top of them.

    p = sigmoid(cal_b + cal_a * z + cal_margin * margin + cal_w . absolute features + keyword bonus),
    z = weights . features. ``z_floor`` is a typical runner-up's z: the competitor assumed when a
    small KB offers none, so that a lone candidate is neither rewarded nor punished for being alone.
    """

    weights: tuple[float, ...]
    cal_a: float
    cal_b: float
    cal_margin: float
    cal_w: tuple[float, ...]
    z_floor: float
    keyword_bonus: float = KEYWORD_BONUS
    abs_features: tuple[str, ...] = ABS_FEATURES
    w_arr: npt.NDArray[np.float64] = field(init=False, repr=False, compare=False)
    cal_w_arr: npt.NDArray[np.float64] = field(init=False, repr=False, compare=False)
    abs_idx: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES) or len(self.cal_w) != len(self.abs_features):
            raise ValueError("weights must cover every feature and cal_w every absolute feature")
        object.__setattr__(self, "w_arr", np.asarray(self.weights, dtype=np.float64))
        object.__setattr__(self, "cal_w_arr", np.asarray(self.cal_w, dtype=np.float64))
        object.__setattr__(self, "abs_idx", tuple(FEATURES.index(n) for n in self.abs_features))

    def weight(self, f: F) -> float:
        return self.weights[f]


# Fitted by benchmarks/tune.py on CheckThat! 2A train+dev, 2B train and the seed-domain dev set; calibration
# on their queries with the gold claims
# present AND removed, so that a high score means "this claim is really in the post".
DEFAULT_PARAMS = Params(
    weights=_named(
        {
            "cov_win": 3.7229,
            "prec_win": -3.0177,
            "cov_post": 2.6518,
            "fz_set": 0.0000,
            "fz_part": 8.6960,
            "bm25_rel": 1.4513,
            "num_shared": 0.0000,
            "num_missing": 0.0000,
            "short": 0.0000,
            "bm25_claim_rel": 1.2121,
            "rank_recip": 1.4870,
            "bigram": -3.7297,
            "date_near": 1.1970,
            "date_gap": -3.0701,
            "date_known": 0.7750,
            "date_week": 1.5645,
            "fig_agree": 0.8089,
            "fig_conflict": 0.0000,
            "place_agree": 0.1419,
            "place_conflict": 0.0000,
            "side_conflict": -0.8385,
            "time_conflict": -0.0520,
            "stance_conflict": -0.8136,
            "place_missing": -0.2114,
            "held_mass": 4.3677,
        }
    ),
    cal_a=0.5851,
    cal_b=-8.6548,
    cal_margin=0.3118,
    cal_w=(0.1179, 3.5739, -0.5386, 0.1398, -2.8625, 0.8801, -1.2020, 0.8890),
    z_floor=9.9029,
    keyword_bonus=1.6384,
)
