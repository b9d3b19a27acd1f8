"""Matching quality: exact MAP@5, P@1 and wrong-strong shares on a tiny fake matcher and seeded feedback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.db.models import CheckLog
from bot.services.evaluation import average_precision, evaluate_feedback, evaluate_labelled


@dataclass(frozen=True)
class FakeMatch:
    claim_id: str
    score: float
    strength: str


class FakeMatcher:
    """Scores per text are fixed; the strength follows the thresholds like the real matcher's."""

    def __init__(self, table: dict[str, list[tuple[str, float]]], strong: float = 80.0, possible: float = 50.0):
        self.table = table
        self.strong = strong
        self.possible = possible

    def match(self, text: str, *, limit: int = 5) -> list[FakeMatch]:
        found = [
            FakeMatch(cid, score, "strong" if score >= self.strong else "possible")
            for cid, score in self.table.get(text, [])
            if score >= self.possible
        ]
        return sorted(found, key=lambda m: -m.score)[:limit]


TABLE = {
    "a": [("c1", 95.0)],
    "b": [("c9", 70.0), ("c2", 65.0), ("c4", 60.0), ("c3", 55.0)],
    "c": [],
    "d": [("c1", 85.0)],
    "e": [("c8", 40.0)],  # below `possible`: no match
    "f": [("c7", 82.0), ("c6", 75.0)],
}
RECORDS: list[dict[str, Any]] = [
    {"text": "a", "claim_ids": ["c1"]},  # AP 1, P@1 hit, strong right
    {"text": "b", "claim_ids": ["c2", "c3"]},  # hits at ranks 2 and 4: AP (1/2 + 2/4) / 2 = 0.5
    {"text": "c", "claim_ids": ["c5"]},  # nothing found: AP 0
    {"text": "d", "claim_ids": []},  # a strong match where nothing should match: wrong
    {"text": "e", "claim_ids": []},  # correctly nothing
    {"text": "f", "claim_ids": ["c6"]},  # hit at rank 2: AP 0.5; strong top c7 wrong
]


def test_average_precision() -> None:
    assert average_precision(["x", "g"], ["g"]) == 0.5
    assert average_precision(["g1", "x", "g2"], ["g1", "g2"]) == pytest.approx((1 + 2 / 3) / 2)
    assert average_precision(["a", "b", "c", "d", "e", "g"], ["g"]) == 0.0  # rank 6 is past @5
    assert average_precision(["x"], []) == 0.0


def test_evaluate_labelled_exact() -> None:
    report = evaluate_labelled(FakeMatcher(TABLE), RECORDS)
    assert (report.records, report.judged, report.empty_gold, report.empty_gold_matched) == (6, 4, 2, 1)
    assert report.map_at_5 == pytest.approx((1 + 0.5 + 0 + 0.5) / 4)
    assert report.p_at_1 == pytest.approx(0.25)
    assert (report.right, report.wrong) == (1, 3)
    assert (report.strong_top, report.strong_wrong) == (3, 2)
    assert report.strong_wrong_share == pytest.approx(2 / 3)
    data = report.as_json()
    assert data["map_at_5"] == 0.5 and data["p_at_1"] == 0.25 and data["strong_wrong_share"] == 0.6667


def test_a_higher_strong_threshold_removes_wrong_strong_matches() -> None:
    report = evaluate_labelled(FakeMatcher(TABLE, strong=90.0), RECORDS)
    assert (report.strong_top, report.strong_wrong, report.strong_wrong_share) == (1, 0, 0.0)
    assert report.map_at_5 == pytest.approx(0.5)  # the ranking is unchanged


def test_evaluate_labelled_with_nothing() -> None:
    report = evaluate_labelled(FakeMatcher({}), [])
    assert (report.records, report.map_at_5, report.p_at_1, report.strong_wrong_share) == (0, None, None, None)


def _m(claim_id: str, strength: str, score: float) -> dict[str, Any]:
    return {"claim_id": claim_id, "score": score, "strength": strength}


def seed_feedback(session: Session) -> None:
    rows = [
        ("up", None, [_m("c1", "strong", 95.0), _m("c2", "possible", 60.0)]),  # right, strong
        ("down", "wrong_claim", [_m("c2", "strong", 82.0)]),  # wrong, strong
        ("down", "wrong_claim", [_m("c3", "possible", 60.0)]),  # wrong, possible
        ("down", "outdated", [_m("c1", "strong", 95.0)]),  # not judged: not about the claim
        ("up", None, []),  # not judged: nothing matched
        (None, None, [_m("c1", "strong", 95.0)]),  # no vote
    ]
    for vote, reason, matches in rows:
        session.add(
            CheckLog(user_key="u", chat_type="private", input_kind="text", result="strong" if matches else "none",
                     matches=matches, feedback=vote, feedback_reason=reason)
        )  # fmt: skip


def test_evaluate_feedback(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        seed_feedback(session)
    with session_scope(sessions) as session:
        report = evaluate_feedback(session)
        assert (report.records, report.judged, report.right, report.wrong) == (5, 3, 1, 2)
        assert report.p_at_1 == pytest.approx(1 / 3)
        assert (report.strong_top, report.strong_wrong, report.strong_wrong_share) == (2, 1, 0.5)
        assert report.map_at_5 is None

        what_if = evaluate_feedback(session, strong=90.0, possible=70.0)
        # c2@82 is no longer strong; c3@60 would not be shown at all
        assert (what_if.judged, what_if.right, what_if.wrong, what_if.hidden) == (2, 1, 1, 1)
        assert what_if.p_at_1 == pytest.approx(0.5)
        assert (what_if.strong_top, what_if.strong_wrong, what_if.strong_wrong_share) == (1, 0, 0.0)
