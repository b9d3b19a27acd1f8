"""Seed data shared by several test modules: a seeded check log, seeded feedback, and a fake matcher with
a fixed table of scores (the expected figures are in the tests that use them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.db.models import CheckLog, Submission


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

    def get(self, claim_id: str) -> str | None:
        """Like Matcher.get: the claim ids the table knows stand for the KB."""
        known = {cid for found in self.table.values() for cid, _score in found}
        return claim_id if claim_id in known else None

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


def _vote_match(claim_id: str, strength: str, score: float) -> dict[str, Any]:
    return {"claim_id": claim_id, "score": score, "strength": strength}


def seed_feedback(session: Session) -> None:
    rows = [
        ("up", None, [_vote_match("c1", "strong", 95.0), _vote_match("c2", "possible", 60.0)]),  # right, strong
        ("down", "wrong_claim", [_vote_match("c2", "strong", 82.0)]),  # wrong, strong
        ("down", "wrong_claim", [_vote_match("c3", "possible", 60.0)]),  # wrong, possible
        ("down", "outdated", [_vote_match("c1", "strong", 95.0)]),  # not judged: not about the claim
        ("up", None, []),  # not judged: nothing matched
        (None, None, [_vote_match("c1", "strong", 95.0)]),  # no vote
    ]
    for vote, reason, matches in rows:
        session.add(
            CheckLog(user_key="u", chat_type="private", input_kind="text", result="strong" if matches else "none",
                     matches=matches, feedback=vote, feedback_reason=reason)
        )  # fmt: skip


def _m(claim_id: str, strength: str = "strong", score: float = 90.0) -> dict[str, Any]:
    return {"claim_id": claim_id, "score": score, "strength": strength}


def seed_log(session: Session, now: dt.datetime) -> None:
    """Eleven checks over 40 days and four submissions; the expected figures are in the tests below.

    All of "today" lies in the first minutes after UTC midnight of `now`, so it is in every period.
    """
    today = dt.datetime.combine(now.date(), dt.time())
    minute = dt.timedelta(minutes=1)
    day = dt.timedelta(days=1)
    rows: list[dict[str, Any]] = [
        # today
        dict(created_at=today, user_key="a", result="strong", latency_ms=10.0,
             matches=[_m("c1"), _m("c2", "possible", 60.0)], feedback="up", origin_username="chanA",
             origin_chat_id=-1001),
        dict(created_at=today + minute, user_key="a", result="possible", latency_ms=20.0,
             matches=[_m("c2", "possible", 60.0)], feedback="down", feedback_reason="wrong_claim",
             origin_title="B & <Co>", origin_chat_id=-1002),
        dict(created_at=today + 2 * minute, user_key="b", result="none", latency_ms=30.0,
             text="Unanswered <post> one", text_hash="h1", text_len=21, origin_chat_id=-1003),
        dict(created_at=today + 3 * minute, user_key="c", result="none", latency_ms=40.0,
             text="Unanswered <post> one", text_hash="h1", text_len=21),
        dict(created_at=today + 4 * minute, user_key="b", result="strong", latency_ms=50.0, matches=[_m("c1")]),
        # yesterday, last second
        dict(created_at=today - dt.timedelta(seconds=1), user_key="d", result="none", latency_ms=60.0,
             text="Another unanswered", text_hash="h2", text_len=18),
        dict(created_at=today - day + minute, user_key="a", result="strong", latency_ms=70.0,
             matches=[_m("c3")], feedback="up", origin_username="chanA", origin_chat_id=-1001),
        # five days ago
        dict(created_at=today - 5 * day, user_key="e", result="possible", latency_ms=80.0,
             matches=[_m("c2", "possible", 55.0), _m("c1", "possible", 52.0)]),
        dict(created_at=today - 5 * day + minute, user_key="e", result="none", latency_ms=90.0,
             text=None, text_hash="h1", text_len=21),  # FACTBOT_LOG_TEXT=hash
        # twenty days ago; the same claim twice in one check counts once
        dict(created_at=today - 20 * day, user_key="f", result="strong", latency_ms=100.0,
             matches=[_m("c1"), _m("c1", "possible", 51.0)]),
        # forty days ago: outside every period
        dict(created_at=today - 40 * day, user_key="g", result="strong", latency_ms=1000.0, matches=[_m("c9")]),
    ]  # fmt: skip
    for row in rows:
        row.setdefault("chat_type", "private")
        row.setdefault("input_kind", "forward" if row.get("origin_chat_id") else "text")
        row.setdefault("text", "some post")
        row.setdefault("text_hash", "x" + str(row["latency_ms"]))
        row.setdefault("text_len", 9)
        row.setdefault("matches", [])
        session.add(CheckLog(**row))
    # Two people sent g1: one queue item. (One person has one pending row per post: a unique index.)
    submissions = ((1, "g1", "pending"), (2, "g1", "pending"), (1, "g2", "pending"), (1, "g3", "linked"))
    for user_id, group, status in submissions:
        session.add(Submission(user_id=user_id, text="post", group_key=group, status=status))
