"""Matching quality: from a labelled file and from the feedback users gave (`factbot eval`).

Labelled records are ``{"text": str, "claim_ids": [str]}``; an empty list means nothing should match.

- MAP@5: mean over records with gold ids of AP@5 = (1 / min(|gold|, 5)) * sum of precision@k at each
  rank k <= 5 that holds a gold claim.
- P@1: share of records with gold ids whose first match is a gold claim (no match counts as wrong).
- Wrong strong share: among records whose first match is "strong", the share where that claim is not in
  the gold list (for an empty-gold record every strong first match is wrong).

From feedback (the latest vote is mirrored on each check): 👍 means the check's first match was right,
👎 with reason "wrong_claim" means it was wrong; other checks are not judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import CheckLog

K = 5


class MatchLike(Protocol):
    @property
    def claim_id(self) -> str: ...

    @property
    def score(self) -> float: ...

    @property
    def strength(self) -> str: ...


class MatcherLike(Protocol):
    def match(self, text: str, *, limit: int = ...) -> Sequence[MatchLike]: ...


@dataclass(frozen=True)
class EvalReport:
    """Quality figures; a figure is None when nothing could be measured."""

    source: str  # "labelled" | "feedback"
    records: int = 0  # labelled records, or checks looked at
    judged: int = 0  # records with gold ids, or checks with a usable vote
    empty_gold: int = 0  # labelled records where nothing should match
    empty_gold_matched: int = 0  # ... that got any match
    map_at_5: float | None = None
    p_at_1: float | None = None
    right: int = 0  # first match right
    wrong: int = 0  # first match wrong (or missing, for labelled records with gold ids)
    strong_top: int = 0  # first matches that were strong
    strong_wrong: int = 0  # ... and wrong
    hidden: int = 0  # feedback only: judged checks whose first match falls below a what-if `possible`

    @property
    def strong_wrong_share(self) -> float | None:
        return self.strong_wrong / self.strong_top if self.strong_top else None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("map_at_5", "p_at_1"):
            if data[key] is not None:
                data[key] = round(data[key], 4)
        share = self.strong_wrong_share
        data["strong_wrong_share"] = None if share is None else round(share, 4)
        return data


def average_precision(ranked: Sequence[str], gold: Iterable[str], k: int = K) -> float:
    """AP@k of a ranked list of claim ids against the gold ids (0.0 when gold is empty)."""
    gold_set = set(gold)
    if not gold_set:
        return 0.0
    hits = 0
    total = 0.0
    seen: set[str] = set()
    for rank, claim_id in enumerate(ranked[:k], 1):
        if claim_id in gold_set and claim_id not in seen:
            hits += 1
            total += hits / rank
        seen.add(claim_id)
    return total / min(len(gold_set), k)


def evaluate_labelled(matcher: MatcherLike, records: Iterable[dict[str, Any]]) -> EvalReport:
    """Run the matcher on each labelled record and measure MAP@5, P@1 and wrong strong matches."""
    n = judged = empty = empty_matched = right = wrong = strong_top = strong_wrong = 0
    ap_sum = 0.0
    for record in records:
        n += 1
        gold = [str(c) for c in record.get("claim_ids") or []]
        matches = list(matcher.match(str(record.get("text", "")), limit=K))
        ranked = [m.claim_id for m in matches]
        top = matches[0] if matches else None
        if gold:
            judged += 1
            ap_sum += average_precision(ranked, gold)
            if top is not None and top.claim_id in gold:
                right += 1
            else:
                wrong += 1
        else:
            empty += 1
            empty_matched += bool(matches)
        if top is not None and top.strength == "strong":
            strong_top += 1
            strong_wrong += top.claim_id not in gold
    return EvalReport(
        source="labelled",
        records=n,
        judged=judged,
        empty_gold=empty,
        empty_gold_matched=empty_matched,
        map_at_5=ap_sum / judged if judged else None,
        p_at_1=right / judged if judged else None,
        right=right,
        wrong=wrong,
        strong_top=strong_top,
        strong_wrong=strong_wrong,
    )


def _what_if_strength(top: dict[str, Any], strong: float | None, possible: float | None) -> str | None:
    """The first match's strength under other thresholds, from its logged score (None: not shown).

    An approximation that never promotes: a logged "strong" becomes "possible" when its score is below
    `strong`, and a logged "possible" stays "possible" (the matcher also caps very short posts at
    "possible", which the log does not record). Anything below `possible` would not be shown.
    """
    score = float(top.get("score") or 0.0)
    strength = str(top.get("strength") or "possible")
    if possible is not None and score < possible:
        return None
    if strong is not None and strength == "strong" and score < strong:
        return "possible"
    return strength


def evaluate_feedback(session: Session, *, strong: float | None = None, possible: float | None = None) -> EvalReport:
    """P@1 among checks with a usable vote and the share of strong first matches judged wrong.

    With `strong` / `possible`, the logged scores are re-read under those thresholds (see
    `_what_if_strength`); judged checks whose first match would no longer be shown count as `hidden`
    and drop out of P@1.
    """
    query = select(CheckLog.matches, CheckLog.feedback, CheckLog.feedback_reason).where(
        CheckLog.feedback.in_(("up", "down"))
    )
    n = right = wrong = strong_top = strong_wrong = hidden = 0
    for matches, vote, reason in session.execute(query):
        n += 1
        if not isinstance(matches, list) or not matches or not isinstance(matches[0], dict):
            continue
        if vote == "up":
            is_right = True
        elif reason == "wrong_claim":
            is_right = False
        else:
            continue
        strength = _what_if_strength(matches[0], strong, possible)
        if strength is None:
            hidden += 1
            continue
        right += is_right
        wrong += not is_right
        if strength == "strong":
            strong_top += 1
            strong_wrong += not is_right
    judged = right + wrong
    return EvalReport(
        source="feedback",
        records=n,
        judged=judged,
        p_at_1=right / judged if judged else None,
        right=right,
        wrong=wrong,
        strong_top=strong_top,
        strong_wrong=strong_wrong,
        hidden=hidden,
    )
