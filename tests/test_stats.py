"""Statistics on a seeded check log: every figure exact, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import struct
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.db.models import CheckLog
from bot.rendering.charts import checks_chart_png
from bot.services.stats import (
    Stats,
    checks_per_day,
    compute_stats,
    percentile,
    period_bounds,
    render_stats_text,
    stats_for_periods,
)
from tests.seeds import seed_log

NOW = dt.datetime(2025, 3, 20, 12, 0, 0)


def _m(claim_id: str, strength: str = "strong", score: float = 90.0) -> dict[str, Any]:
    return {"claim_id": claim_id, "score": score, "strength": strength}


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_scope(sessions) as session:
        seed_log(session, NOW)
    return sessions


def _stats(sessions: sessionmaker[Session], days: int) -> Stats:
    with session_scope(sessions) as session:
        return compute_stats(session, days=days, now=NOW)


def test_period_bounds_are_utc_calendar_days() -> None:
    assert period_bounds(1, NOW) == (dt.datetime(2025, 3, 20), dt.datetime(2025, 3, 21))
    assert period_bounds(7, NOW) == (dt.datetime(2025, 3, 14), dt.datetime(2025, 3, 21))
    with pytest.raises(ValueError):
        period_bounds(0, NOW)


def test_nearest_rank_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 95) == 7.0
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert percentile(values, 50) == 10.0  # rank ceil(10) = 10
    assert percentile(values, 95) == 19.0  # rank ceil(19) = 19
    assert percentile(values, 96) == 20.0  # rank ceil(19.2) = 20
    assert percentile([1.0, 2.0, 3.0], 50) == 2.0


def test_today(seeded: sessionmaker[Session]) -> None:
    s = _stats(seeded, 1)
    assert (s.checks, s.unique_users, s.strong, s.possible, s.none) == (5, 3, 2, 1, 2)
    assert s.share("strong") == pytest.approx(0.4)
    assert s.share("none") == pytest.approx(0.4)
    assert (s.latency_p50, s.latency_p95) == (30.0, 50.0)
    assert (s.feedback_up, s.feedback_down) == (1, 1)
    assert [(c.claim_id, c.count) for c in s.top_claims] == [("c1", 2), ("c2", 2)]
    assert [(o.origin, o.count) for o in s.top_origins] == [("-1003", 1), ("@chanA", 1), ("B & <Co>", 1)]
    assert [(u.text_hash, u.sample, u.count) for u in s.unanswered] == [("h1", "Unanswered <post> one", 2)]
    assert s.queue == 2


def test_seven_days(seeded: sessionmaker[Session]) -> None:
    s = _stats(seeded, 7)
    assert (s.checks, s.unique_users, s.strong, s.possible, s.none) == (9, 5, 3, 2, 4)
    assert s.share("possible") == pytest.approx(2 / 9)
    assert (s.latency_p50, s.latency_p95) == (50.0, 90.0)  # ranks ceil(4.5)=5 and ceil(8.55)=9 of 10..90
    assert (s.feedback_up, s.feedback_down) == (2, 1)
    assert [(c.claim_id, c.count) for c in s.top_claims] == [("c1", 3), ("c2", 3), ("c3", 1)]
    assert [(o.origin, o.count) for o in s.top_origins] == [("@chanA", 2), ("-1003", 1), ("B & <Co>", 1)]
    # the hash-only row joins its group; the sample comes from a row that kept its text
    assert [(u.text_hash, u.sample, u.count) for u in s.unanswered] == [
        ("h1", "Unanswered <post> one", 3),
        ("h2", "Another unanswered", 1),
    ]


def test_thirty_days_and_json_contract(seeded: sessionmaker[Session]) -> None:
    s = _stats(seeded, 30)
    data = s.as_json()
    assert data["checks"] == 10
    assert data["unique_users"] == 6
    assert (data["strong"], data["possible"], data["none"]) == (4, 2, 4)
    assert data["latency_ms"] == {"p50": 50.0, "p95": 100.0}
    assert data["feedback"] == {"up": 2, "down": 1}
    assert data["top_claims"] == [
        {"claim_id": "c1", "count": 4},
        {"claim_id": "c2", "count": 3},
        {"claim_id": "c3", "count": 1},
    ]
    assert data["queue"] == 2
    assert data["shares"] == {"strong": 0.4, "possible": 0.2, "none": 0.4}


def test_empty_log(sessions: sessionmaker[Session]) -> None:
    s = _stats(sessions, 30)
    assert s.as_json()["latency_ms"] == {"p50": None, "p95": None}
    assert (s.checks, s.share("strong"), s.top_claims, s.queue) == (0, 0.0, [], 0)


def test_top_lists_hold_ten(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        for i in range(12):
            for _ in range(i + 1):  # claim k<i> is named i+1 times
                session.add(
                    CheckLog(created_at=NOW, user_key="u", chat_type="private", input_kind="forward",
                             result="strong", matches=[_m(f"k{i:02d}")], origin_username=f"ch{i:02d}")
                )  # fmt: skip
    s = _stats(sessions, 1)
    assert [(c.claim_id, c.count) for c in s.top_claims] == [(f"k{i:02d}", i + 1) for i in range(11, 1, -1)]
    assert [o.origin for o in s.top_origins] == [f"@ch{i:02d}" for i in range(11, 1, -1)]


def test_checks_per_day_zero_fills(seeded: sessionmaker[Session]) -> None:
    with session_scope(seeded) as session:
        rows = checks_per_day(session, days=30, now=NOW)
    assert len(rows) == 30
    assert rows[0][0] == dt.date(2025, 2, 19)
    assert rows[-1][0] == dt.date(2025, 3, 20)
    assert [r[0] for r in rows] == [dt.date(2025, 2, 19) + dt.timedelta(days=i) for i in range(30)]
    by_date = {r[0]: r[1:] for r in rows}
    assert by_date[dt.date(2025, 3, 20)] == (2, 1, 2)
    assert by_date[dt.date(2025, 3, 19)] == (1, 0, 1)
    assert by_date[dt.date(2025, 3, 15)] == (0, 1, 1)
    assert by_date[dt.date(2025, 2, 28)] == (1, 0, 0)
    assert by_date[dt.date(2025, 3, 2)] == (0, 0, 0)
    assert sum(sum(r[1:]) for r in rows) == _stats(seeded, 30).checks


def test_render_stats_text_escapes(seeded: sessionmaker[Session]) -> None:
    with session_scope(seeded) as session:
        text = render_stats_text(stats_for_periods(session, now=NOW), "en")
    assert "<b>Today</b>" in text and "<b>7 days</b>" in text and "<b>30 days</b>" in text
    assert "Checks: 10 · users: 6" in text
    assert "median 30 ms · p95 50 ms" in text
    assert "Queue: 2 pending" in text
    assert "B &amp; &lt;Co&gt;" in text and "<Co>" not in text
    assert "×3 Unanswered &lt;post&gt; one" in text and "<post>" not in text
    assert "1. c1 — 4" in text


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_chart_is_a_png(seeded: sessionmaker[Session]) -> None:
    with session_scope(seeded) as session:
        rows = checks_per_day(session, days=30, now=NOW)
    data = checks_chart_png(rows)
    width, height = _png_size(data)
    assert width > 0 and height > 0
    assert (width, height) == (800, 400)
    from matplotlib.image import imread

    assert imread(io.BytesIO(data), format="png").shape[:2] == (400, 800)


def test_chart_of_an_empty_month() -> None:
    rows = [(dt.date(2025, 3, 1) + dt.timedelta(days=i), 0, 0, 0) for i in range(30)]
    assert _png_size(checks_chart_png(rows)) == (800, 400)
