"""Matching quality: exact MAP@5, P@1 and wrong-strong shares on a tiny fake matcher and seeded feedback."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.services.evaluation import average_precision, evaluate_feedback, evaluate_labelled
from tests.seeds import RECORDS, TABLE, FakeMatcher, seed_feedback


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
