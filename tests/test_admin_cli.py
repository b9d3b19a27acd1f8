"""The admin CLI: `factbot stats`, `logs export`, `eval`, `retention run`, through bot.cli.main."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import admin as admin_cli
from bot.cli import main
from bot.db import session_scope
from bot.db.models import CheckLog, utcnow
from bot.services.stats import EXPORT_COLUMNS
from tests.seeds import RECORDS, TABLE, FakeMatcher, seed_feedback, seed_log

CONTRACT_KEYS = {
    "checks",
    "unique_users",
    "strong",
    "possible",
    "none",
    "latency_ms",
    "feedback",
    "top_claims",
    "queue",
}


@pytest.fixture
def seeded(use_db: str, sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_scope(sessions) as session:
        seed_log(session, utcnow())
    return sessions


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_stats_json_contract(seeded: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "stats", "--json")
    assert code == 0
    data = json.loads(out)
    assert CONTRACT_KEYS <= set(data)
    assert data["days"] == 30
    assert (data["checks"], data["unique_users"]) == (10, 6)
    assert (data["strong"], data["possible"], data["none"]) == (4, 2, 4)
    assert data["latency_ms"] == {"p50": 50.0, "p95": 100.0}
    assert data["feedback"] == {"up": 2, "down": 1}
    assert data["top_claims"] == [
        {"claim_id": "c1", "count": 4},
        {"claim_id": "c2", "count": 3},
        {"claim_id": "c3", "count": 1},
    ]
    assert data["queue"] == 2


def test_stats_json_one_period(seeded: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "stats", "--days", "1", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["days"], data["checks"], data["unique_users"]) == (1, 5, 3)
    assert data["latency_ms"] == {"p50": 30.0, "p95": 50.0}


def test_stats_table(seeded: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "stats")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["Today", "7", "days", "30", "days"]
    assert lines[1].split() == ["checks", "5", "9", "10"]
    assert lines[2].split() == ["unique", "users", "3", "5", "6"]
    assert "latency p95 ms" in out and "queue: 2 pending" in out
    assert "Unanswered <post> one" in out  # plain text for a terminal: not escaped


def test_stats_rejects_bad_days(use_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["stats", "--days", "0"])
    assert exc.value.code == 2
    assert "between 1 and" in capsys.readouterr().err


def _db_rows(sessions: sessionmaker[Session], since: dt.datetime) -> list[CheckLog]:
    with session_scope(sessions) as session:
        query = select(CheckLog).where(CheckLog.created_at >= since).order_by(CheckLog.created_at, CheckLog.id)
        return list(session.scalars(query))


def test_logs_export_csv_round_trip(seeded: sessionmaker[Session], capsys: pytest.CaptureFixture[str]) -> None:
    since = utcnow().date() - dt.timedelta(days=30)
    code, _, err = _run(capsys, "logs", "export", "--since", since.isoformat(), "--format", "csv", "--out", "log.csv")
    assert code == 0
    assert err.strip() == "wrote 10 checks to log.csv"
    with Path("log.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == EXPORT_COLUMNS
        parsed = list(reader)
    expected = _db_rows(seeded, dt.datetime.combine(since, dt.time()))
    assert len(parsed) == len(expected) == 10
    for cells, row in zip(parsed, expected, strict=True):
        assert int(cells["id"]) == row.id
        assert dt.datetime.fromisoformat(cells["created_at"]) == row.created_at
        assert json.loads(cells["matches"]) == row.matches
        assert float(cells["latency_ms"]) == row.latency_ms
        assert int(cells["text_len"]) == row.text_len
        for name in ("user_key", "chat_type", "language", "input_kind", "origin_username", "origin_title",
                     "text", "text_hash", "result", "feedback", "feedback_reason"):  # fmt: skip
            assert cells[name] == (getattr(row, name) or ""), name
        assert cells["origin_chat_id"] == ("" if row.origin_chat_id is None else str(row.origin_chat_id))


def test_logs_export_jsonl_to_stdout(seeded: sessionmaker[Session], capsys: pytest.CaptureFixture[str]) -> None:
    since = utcnow().date() - dt.timedelta(days=6)
    code, out, _ = _run(capsys, "logs", "export", "--since", since.isoformat(), "--format", "jsonl")
    assert code == 0
    parsed = [json.loads(line) for line in out.splitlines()]
    expected = _db_rows(seeded, dt.datetime.combine(since, dt.time()))
    assert len(parsed) == len(expected) == 9
    for item, row in zip(parsed, expected, strict=True):
        assert set(item) == set(EXPORT_COLUMNS)
        assert item == {
            **{name: getattr(row, name) for name in EXPORT_COLUMNS},
            "created_at": row.created_at.isoformat(),
        }


@pytest.mark.parametrize("bad", ["2025-13-01", "yesterday", "01/02/2025"])
def test_logs_export_bad_date(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "logs", "export", "--since", bad, "--format", "csv")
    assert code == 2
    assert out == ""
    assert err == f"factbot: --since: expected a date as YYYY-MM-DD, got {bad!r}\n"


def test_retention_run(use_db: str, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("FACTBOT_RETENTION_DAYS", "10")
    with session_scope(sessions) as session:
        seed_log(session, utcnow())  # texts: 2 rows older than 10 days (20 and 40 days ago)
    code, out, _ = _run(capsys, "retention", "run")
    assert code == 0
    assert out.strip() == "erased 2 log text(s) older than 10 days"
    with session_scope(sessions) as session:
        assert session.scalars(select(CheckLog.text).where(CheckLog.latency_ms >= 100)).all() == [None, None]
        assert len(session.scalars(select(CheckLog.id)).all()) == 11


# --- eval ---------------------------------------------------------------------------------------


@pytest.fixture
def fake_matcher(monkeypatch: pytest.MonkeyPatch) -> FakeMatcher:
    matcher = FakeMatcher(TABLE)
    monkeypatch.setattr(admin_cli, "_matcher", lambda args: (matcher, lambda: None))
    return matcher


def _labelled(lines: list[str]) -> str:
    Path("labelled.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return "labelled.jsonl"


def test_eval_labelled_json(fake_matcher: FakeMatcher, capsys: pytest.CaptureFixture[str]) -> None:
    path = _labelled([json.dumps(r) for r in RECORDS] + [""])
    code, out, _ = _run(capsys, "eval", "--labelled", path, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["thresholds"] == {"strong": 80.0, "possible": 50.0}
    labelled = data["labelled"]
    assert (labelled["map_at_5"], labelled["p_at_1"], labelled["strong_wrong_share"]) == (0.5, 0.25, 0.6667)
    assert (labelled["records"], labelled["judged"], labelled["strong_top"], labelled["strong_wrong"]) == (6, 4, 3, 2)
    assert "baseline" not in data


def test_eval_what_if_threshold(fake_matcher: FakeMatcher, capsys: pytest.CaptureFixture[str]) -> None:
    path = _labelled([json.dumps(r) for r in RECORDS])
    code, out, _ = _run(capsys, "eval", "--labelled", path, "--strong", "90", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["baseline"]["thresholds"] == {"strong": 80.0, "possible": 50.0}
    assert data["baseline"]["labelled"]["strong_wrong_share"] == 0.6667
    assert data["thresholds"] == {"strong": 90.0, "possible": 50.0}
    assert (data["labelled"]["strong_top"], data["labelled"]["strong_wrong_share"]) == (1, 0.0)


def test_eval_text_report(fake_matcher: FakeMatcher, capsys: pytest.CaptureFixture[str]) -> None:
    path = _labelled([json.dumps(r) for r in RECORDS])
    code, out, _ = _run(capsys, "eval", "--labelled", path)
    assert code == 0
    assert "MAP@5 0.500   P@1 0.250 (1/4)" in out
    assert "strong first matches wrong: 2/3 (0.667)" in out


def test_eval_reports_malformed_lines(fake_matcher: FakeMatcher, capsys: pytest.CaptureFixture[str]) -> None:
    path = _labelled(
        [
            json.dumps(RECORDS[0]),
            "{not json",
            json.dumps({"text": "a"}),
            "",
            json.dumps(["a list"]),
            json.dumps({"text": 5, "claim_ids": []}),
            json.dumps({"text": "a", "claim_ids": [1]}),
        ]
    )
    code, out, err = _run(capsys, "eval", "--labelled", path)
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert [line.split(": ", 1)[0] for line in lines[:5]] == [
        "labelled.jsonl:2", "labelled.jsonl:3", "labelled.jsonl:5", "labelled.jsonl:6", "labelled.jsonl:7",
    ]  # fmt: skip
    assert "not valid JSON" in lines[0] and "'claim_ids' must be a list" in lines[1]
    assert lines[-1] == "factbot: 5 malformed line(s) in labelled.jsonl; nothing evaluated"


def test_eval_needs_something(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "eval")
    assert code == 2
    assert "nothing to evaluate" in err
    code, _, err = _run(capsys, "eval", "--labelled", "missing.jsonl")
    assert code == 2
    assert err.startswith("factbot: cannot read missing.jsonl")


def test_eval_feedback(use_db: str, sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]) -> None:
    with session_scope(sessions) as session:
        seed_feedback(session)
    code, out, _ = _run(capsys, "eval", "--feedback", "--json")
    assert code == 0
    feedback = json.loads(out)["feedback"]
    assert (feedback["judged"], feedback["right"], feedback["wrong"]) == (3, 1, 2)
    assert (feedback["p_at_1"], feedback["strong_wrong_share"]) == (0.3333, 0.5)
    code, out, _ = _run(capsys, "eval", "--feedback", "--strong", "90", "--possible", "70", "--json")
    data = json.loads(out)
    assert data["baseline"]["feedback"]["strong_wrong_share"] == 0.5
    assert (data["feedback"]["hidden"], data["feedback"]["strong_wrong_share"]) == (1, 0.0)


def test_eval_with_the_real_matcher_on_a_kb_dir(capsys: pytest.CaptureFixture[str]) -> None:
    import knowledge

    kb_dir = Path(knowledge.__file__).parent / "data"
    from knowledge.loader import load

    claim = load([kb_dir]).claims[0]
    path = _labelled([json.dumps({"text": claim.claim, "claim_ids": [claim.id]}),
                      json.dumps({"text": "a recipe for apple pie with cinnamon", "claim_ids": []})])  # fmt: skip
    code, out, _ = _run(capsys, "eval", "--labelled", path, "--kb", str(kb_dir), "--json")
    assert code == 0
    labelled = json.loads(out)["labelled"]
    assert (labelled["records"], labelled["judged"], labelled["empty_gold"]) == (2, 1, 1)
    assert labelled["p_at_1"] == 1.0  # a claim's own wording finds it first


def test_help_lists_the_admin_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("stats", "logs", "eval", "retention"):
        assert command in out
    for argv in (["logs", "export", "--help"], ["eval", "--help"], ["retention", "run", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
